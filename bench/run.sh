#!/usr/bin/env bash
# The management-API benchmark. One command, run from anywhere in the repository:
#
#     bash bench/run.sh
#
# (a) a reference axum server returning a fixed small JSON (crates/mgmt/examples/fixed_json.rs);
# (b) `GET /properties/p1` of `tollgate serve`, through authentication, the store and
#     serialisation, with an equally sized body;
# (c) optionally `GET /properties` with 101 properties (informational, no reference);
# and the startup time of `tollgate serve` on an empty data dir, to its first 200.
#
# Settings (environment variables):
#   BENCH_THREADS=2  BENCH_CONNECTIONS=32  BENCH_DURATION=10   wrk -t/-c/-d (duration in seconds)
#   BENCH_ROUNDS=2        how many times (a) and (b) are measured, interleaved a b a b ...
#   BENCH_LIST=1          also measure (c); 0 skips it
#   BENCH_EXPLAIN=1       also measures (d): (b) with a token signed by a wrong key, answered
#                         401 after routing, api-version check and SAS verification, without the
#                         store or serialisation (a rough split of where (b)'s time goes); 0 skips it
#   BENCH_STARTUP_RUNS=10 how many cold starts are timed; 0 skips them
#   BENCH_TOLLGATE_LOG=warn   TOLLGATE_LOG for the tollgate processes
#   BENCH_SKIP_BUILD=0    1 uses the existing release binaries
#
# Only 127.0.0.1 is used; ports are chosen by the kernel. Every process started here is stopped
# on exit. Speed is reported, never asserted: compare (b) with (a) of the same run.
set -euo pipefail

THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-2}
LIST=${BENCH_LIST:-1}
EXPLAIN=${BENCH_EXPLAIN:-1}
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-10}
export TOLLGATE_LOG=${BENCH_TOLLGATE_LOG:-warn}
export TOLLGATE_PRIMARY_KEY=bench-primary-key-0123456789
API_VERSION=2017-03-01

for v in THREADS CONNECTIONS DURATION ROUNDS STARTUP_RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench: BENCH_$v must be a whole number" >&2; exit 2; }
done
((THREADS >= 1 && CONNECTIONS >= THREADS && DURATION >= 1 && ROUNDS >= 1)) || {
    echo "bench: need BENCH_THREADS>=1, BENCH_CONNECTIONS>=BENCH_THREADS, BENCH_DURATION>=1, BENCH_ROUNDS>=1" >&2
    exit 2
}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '%s\n' "$*" >&2; }

# --- tools and binaries ------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    say "bench: installing wrk"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { say "bench: $tool is required"; exit 1; }
done

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "bench: building release binaries (this takes a few minutes the first time)"
    cargo build --release -p tollgate --bin tollgate
    cargo build --release -p tollgate-mgmt --example fixed_json
fi
TOLLGATE=$ROOT/target/release/tollgate
FIXED=$ROOT/target/release/examples/fixed_json
[[ -x $TOLLGATE && -x $FIXED ]] || { say "bench: release binaries missing"; exit 1; }

# --- helpers -----------------------------------------------------------------------------------
# wait_banner FILE PATTERN: prints the http://ADDR of the first line of FILE matching PATTERN,
# waiting up to 30 s.
wait_banner() {
    local file=$1 pattern=$2 i line
    for ((i = 0; i < 3000; i++)); do
        line=$(grep -m1 -o "$pattern http://[0-9.:]*" "$file" 2>/dev/null || true)
        if [[ -n $line ]]; then
            printf '%s\n' "${line##* }"
            return 0
        fi
        sleep 0.01
    done
    say "bench: no ready line in $file after 30 s:"
    cat "$file" >&2
    return 1
}

# The wrk script: only a done() hook (requests keep wrk's fast default path), printing one line.
cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH rps=%.1f p50_us=%d p99_us=%d requests=%d bad_status=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

# measure NAME URL [HEADER [EXPECTED_STATUS]]: runs wrk and appends "NAME rps p50_us p99_us" to
# $WORK/results. Responses other than 2xx/3xx are refused unless EXPECTED_STATUS says which.
measure() {
    local name=$1 url=$2 header=${3:-} expected=${4:-} out=$WORK/wrk-$1.log line
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/report.lua")
    [[ -n $header ]] && args+=(-H "$header")
    say "bench: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency${header:+ -H 'Authorization: …'} $url"
    timeout $((DURATION + 60)) wrk "${args[@]}" "$url" >"$out" 2>&1 || {
        say "bench: wrk failed:"
        cat "$out" >&2
        exit 1
    }
    line=$(grep -m1 '^BENCH ' "$out") || { cat "$out" >&2; exit 1; }
    local rps p50 p99 requests bad sock
    rps=${line#*rps=}; rps=${rps%% *}
    p50=${line#*p50_us=}; p50=${p50%% *}
    p99=${line#*p99_us=}; p99=${p99%% *}
    requests=${line#*requests=}; requests=${requests%% *}
    bad=${line#*bad_status=}; bad=${bad%% *}
    sock=${line#*socket_errors=}; sock=${sock%% *}
    if [[ -n $expected ]]; then
        if ((bad != requests)); then
            say "bench: $name: expected every response to be $expected, but $((requests - bad)) of $requests were 2xx/3xx"
            exit 1
        fi
    elif ((bad > 0 || requests == 0)); then
        say "bench: $name: $bad of $requests responses were not 2xx/3xx; the figure would be meaningless"
        cat "$out" >&2
        exit 1
    fi
    ((sock == 0)) || say "bench: $name: $sock socket errors (connect/read/write/timeout)"
    printf '%s %s %s %s\n' "$name" "$rps" "$p50" "$p99" >>"$WORK/results"
}

# --- (a) and (b) -------------------------------------------------------------------------------
"$FIXED" 127.0.0.1:0 >"$WORK/fixed.out" 2>&1 &
PIDS+=($!)
FIXED_URL=$(wait_banner "$WORK/fixed.out" 'fixed_json:')

DATA=$WORK/data
mkdir -p "$DATA"
TOKEN=$("$TOLLGATE" token --data-dir "$DATA" --expires-in 1h)
"$TOLLGATE" serve --data-dir "$DATA" --management-listen 127.0.0.1:0 --gateway-listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
TG_URL=$(wait_banner "$WORK/serve.out" 'Tollgate management API:')

put_property() { # put_property ID
    local status
    status=$(curl -sS --max-time 10 -o "$WORK/put.body" -w '%{http_code}' -X PUT \
        -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
        --data "{\"name\":\"$1\",\"value\":\"v\"}" "$TG_URL/properties/$1?api-version=$API_VERSION")
    [[ $status == 200 || $status == 201 ]] || {
        say "bench: PUT /properties/$1 answered $status: $(cat "$WORK/put.body")"
        exit 1
    }
}
put_property p1
A_BYTES=$(curl -sS --max-time 10 "$FIXED_URL/fixed" | wc -c)
B_BYTES=$(curl -sS --max-time 10 -H "Authorization: $TOKEN" "$TG_URL/properties/p1?api-version=$API_VERSION" | wc -c)

: >"$WORK/results"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
    measure a "$FIXED_URL/fixed"
    measure b "$TG_URL/properties/p1?api-version=$API_VERSION" "Authorization: $TOKEN"
done
if [[ $LIST == 1 ]]; then
    say "bench: creating 100 more properties"
    for ((i = 2; i <= 101; i++)); do put_property "p$i"; done
    C_BYTES=$(curl -sS --max-time 10 -H "Authorization: $TOKEN" "$TG_URL/properties?api-version=$API_VERSION" | wc -c)
    measure c "$TG_URL/properties?api-version=$API_VERSION" "Authorization: $TOKEN"
fi
if [[ $EXPLAIN == 1 ]]; then
    mkdir -p "$WORK/wrong-key"
    WRONG=$(TOLLGATE_PRIMARY_KEY=not-the-key "$TOLLGATE" token --data-dir "$WORK/wrong-key" --expires-in 1h)
    status=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Authorization: $WRONG" \
        "$TG_URL/properties/p1?api-version=$API_VERSION")
    [[ $status == 401 ]] || { say "bench: the wrong-key token was answered $status, not 401"; exit 1; }
    measure d "$TG_URL/properties/p1?api-version=$API_VERSION" "Authorization: $WRONG" 401
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
kill "${PIDS[@]}" 2>/dev/null || true
wait "${PIDS[@]}" 2>/dev/null || true
PIDS=()

# --- startup -----------------------------------------------------------------------------------
# The token depends only on the identifier ("integration"), the key and the expiry, so one made
# on a scratch store with the same TOLLGATE_PRIMARY_KEY is valid for every fresh store.
if ((STARTUP_RUNS > 0)); then
    say "bench: timing $STARTUP_RUNS cold starts"
    mkdir -p "$WORK/scratch"
    STARTUP_TOKEN=$("$TOLLGATE" token --data-dir "$WORK/scratch" --expires-in 1h)
    python3 - "$TOLLGATE" "$WORK" "$STARTUP_RUNS" "$STARTUP_TOKEN" "$API_VERSION" >"$WORK/startup" <<'EOF'
import os, socket, statistics, subprocess, sys, time

tollgate, work, runs, token, api_version = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
request = (f"GET /properties?api-version={api_version} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: {token}\r\nConnection: close\r\n\r\n").encode()

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def probe(port):
    """The status of one GET, or None when nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(request)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except (ConnectionRefusedError, ConnectionResetError):
        return None
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None

first_200, listening = [], []
for run in range(runs):
    data_dir = os.path.join(work, f"startup-{run}")
    os.mkdir(data_dir)
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([tollgate, "serve", "--data-dir", data_dir, "--gateway-listen", "127.0.0.1:0",
                             "--management-listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first_answer = None
        deadline = started + 10
        while True:
            if time.perf_counter() > deadline:
                sys.exit(f"startup run {run}: no 200 within 10 s")
            if proc.poll() is not None:
                sys.exit(f"startup run {run}: tollgate exited with {proc.returncode}")
            status = probe(port)
            if status is None:
                time.sleep(0.0005)
                continue
            if first_answer is None:
                first_answer = time.perf_counter()
            if status == 200:
                done = time.perf_counter()
                break
            if status not in (503,):
                sys.exit(f"startup run {run}: first answer was {status}")
        first_200.append((done - started) * 1000)
        listening.append((first_answer - started) * 1000)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

def row(values):
    return f"{min(values):.1f} {statistics.median(values):.1f} {max(values):.1f}"
print(row(first_200))
print(" ".join(f"{v:.1f}" for v in first_200))
EOF
fi

# --- report ------------------------------------------------------------------------------------
CPU_MODEL=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
echo
echo "machine: $(nproc) CPUs, ${CPU_MODEL:-unknown model}; load average before/after the wrk runs: $LOAD_BEFORE / $LOAD_AFTER"
python3 - "$WORK/results" "$THREADS" "$CONNECTIONS" "$DURATION" "${A_BYTES}" "${B_BYTES}" "${C_BYTES:-0}" \
    "$( [[ -f $WORK/startup ]] && cat "$WORK/startup" || true)" "$TOLLGATE_LOG" <<'EOF'
import statistics, sys
results, threads, conns, duration, a_bytes, b_bytes, c_bytes, startup, log = sys.argv[1:10]
rows = [line.split() for line in open(results)]
names = {"a": f"(a) axum fixed JSON, GET /fixed ({a_bytes} B body)",
         "b": f"(b) tollgate GET /properties/p1 ({b_bytes} B body)",
         "c": f"(c) tollgate GET /properties, 101 items ({c_bytes} B body)",
         "d": "(d) as (b), token of a wrong key: 401, no store"}
print()
print(f"wrk -t{threads} -c{conns} -d{duration}s --latency   (TOLLGATE_LOG={log})")
print()
print(f"| {'measurement':<56} | {'requests/s':>10} | {'p50 ms':>7} | {'p99 ms':>7} |")
print(f"|{'-' * 58}|{'-' * 11}:|{'-' * 8}:|{'-' * 8}:|")
for name, rps, p50, p99 in rows:
    print(f"| {names[name]:<56} | {float(rps):>10.0f} | {int(p50) / 1000:>7.2f} | {int(p99) / 1000:>7.2f} |")
a = [float(r[1]) for r in rows if r[0] == "a"]
b = [float(r[1]) for r in rows if r[0] == "b"]
ratio = statistics.mean(b) / statistics.mean(a)
per_round = ", ".join(f"{y / x:.2f}" for x, y in zip(a, b))
print()
print(f"ratio (b)/(a): {ratio:.2f}   target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'}"
      + (f"   (per round: {per_round})" if len(a) > 1 else ""))
if startup.strip():
    summary, values = startup.strip().split("\n")
    lo, med, hi = summary.split()
    print(f"startup, empty data dir, process start -> first 200 on GET /properties ({len(values.split())} runs):")
    print(f"  min {lo} ms, median {med} ms, max {hi} ms   target <= 200 ms: "
          f"{'met' if float(hi) <= 200 else 'NOT met (max)'}")
    print(f"  all: {values} ms")
EOF
