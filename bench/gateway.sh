#!/usr/bin/env bash
# Gateway throughput against nginx, on this machine, in one run:
#   bash bench/gateway.sh
# Starts a backend (nginx answering a small static body), nginx as a plain reverse proxy to it
# (2 workers, upstream keep-alive), and Tollgate's gateway to it (with a subscription key), then
# interleaves ROUNDS rounds of `wrk` against each: the backend directly, the nginx proxy, a bare
# hyper proxy (the floor for any proxy on hyper and tokio: crates/gateway/examples/bare_proxy.rs), the
# gateway, the gateway while a management client writes once a second, and the gateway running
# policies (a rate limit, a header and an expression) on another API. Prints each round
# (requests/s, p99 latency, CPU time of the proxying processes per request) and the medians, with
# the ratios to nginx. Installs wrk and nginx from Debian when missing. Only 127.0.0.1 is used; everything
# started here is stopped on exit.
#
# Settings: ROUNDS (default 5), DURATION (wrk seconds per round, default 10), CONNECTIONS
# (default 50), THREADS (wrk threads, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}

need() {
    command -v "$1" >/dev/null && return
    echo "bench/gateway.sh: installing $2"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}
need wrk wrk
need nginx nginx

cargo build --release -q -p tollgate --bin tollgate
cargo build --release -q -p tollgate-gateway --example bare_proxy
TOLLGATE=target/release/tollgate
WORK=$(mktemp -d /tmp/tollgate-bench-gateway.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true
    [ -f "$WORK/proxy.pid" ] && kill "$(cat "$WORK/proxy.pid")" 2>/dev/null || true
    sleep 0.5
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
BACKEND_PORT=$(free_port)
PROXY_PORT=$(free_port)

# nginx: one config each for the backend and the proxy, both in the foreground-less daemon mode
# with their files in $WORK.
nginx_conf() { # name, server block
    cat >"$WORK/$1.conf" <<EOF
worker_processes 2;
pid $WORK/$1.pid;
error_log $WORK/$1.error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/$1-body;
    proxy_temp_path $WORK/$1-proxy;
    fastcgi_temp_path $WORK/$1-fastcgi;
    uwsgi_temp_path $WORK/$1-uwsgi;
    scgi_temp_path $WORK/$1-scgi;
    $2
}
EOF
    nginx -c "$WORK/$1.conf" -p "$WORK"
}
nginx_conf backend "server { listen 127.0.0.1:$BACKEND_PORT; location / { default_type text/plain; return 200 'hello from the backend'; } }"
nginx_conf proxy "upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; }
    server { listen 127.0.0.1:$PROXY_PORT; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"

# The floor: a reverse proxy of nothing but hyper and tokio (crates/gateway/examples/bare_proxy.rs).
target/release/examples/bare_proxy 127.0.0.1:0 "http://127.0.0.1:$BACKEND_PORT/" >"$WORK/bare.out" &
BARE=$!
PIDS+=($BARE)
for _ in $(seq 100); do grep -q "listening on" "$WORK/bare.out" 2>/dev/null && break; sleep 0.1; done
BARE_URL=$(sed -n 's/^listening on //p' "$WORK/bare.out")

# Tollgate: an open-by-key API on the backend.
KEY=bench-gateway-primary-key-0123456789
TOLLGATE_LOG=warn "$TOLLGATE" serve --no-samples --data-dir "$WORK/tollgate" --management-listen 127.0.0.1:0 \
    --gateway-listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
TOLLGATE_PID=$!
PIDS+=($TOLLGATE_PID)
for _ in $(seq 100); do grep -q "Tollgate gateway:" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
MGMT=$(sed -n 's/^Tollgate management API: \(.*\)\/$/\1/p' "$WORK/serve.out")
GATEWAY=$(sed -n 's/^Tollgate gateway: \(.*\)\/$/\1/p' "$WORK/serve.out")
TOKEN=$("$TOLLGATE" token --data-dir "$WORK/tollgate")
V="api-version=2017-03-01"
mgmt() { # method path body
    curl -sS --fail-with-body -o "$WORK/mgmt.out" -X "$1" "$MGMT$2?$V" -H "Authorization: $TOKEN" \
        -H "Content-Type: application/json" -d "$3" || { cat "$WORK/mgmt.out" >&2; exit 1; }
}
mgmt PUT /apis/bench "{\"name\":\"Bench\",\"path\":\"bench\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}"
mgmt PUT /apis/bench/operations/any \
    '{"name":"any","method":"GET","urlTemplate":"/{*rest}","templateParameters":[{"name":"rest","type":"string","required":true}]}'
mgmt PUT /products/bench '{"name":"Bench","state":"published"}'
mgmt PUT /products/bench/apis/bench '{}'
mgmt PUT /users/bench '{"email":"bench@example.com","firstName":"B","lastName":"B"}'
mgmt PUT /subscriptions/bench "{\"userId\":\"/users/bench\",\"productId\":\"/products/bench\",\"state\":\"active\",\"primaryKey\":\"$KEY\"}"
curl -sf "$GATEWAY/bench/hello" -H "Ocp-Apim-Subscription-Key: $KEY" >/dev/null
# The same backend behind policies (issue 8): a rate limit that never refuses here, a header, and
# one expression.
mgmt PUT /apis/policed "{\"name\":\"Policed\",\"path\":\"policed\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}"
mgmt PUT /apis/policed/operations/any \
    '{"name":"any","method":"GET","urlTemplate":"/{*rest}","templateParameters":[{"name":"rest","type":"string","required":true}]}'
mgmt PUT /products/bench/apis/policed '{}'
POLICY='<policies><inbound><base /><rate-limit calls="1000000000" renewal-period="60" /><set-header name="X-Id" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Id","none"))</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound></policies>'
curl -sS --fail-with-body -o "$WORK/mgmt.out" -X PUT "$MGMT/apis/policed/policies/policy?$V" -H "Authorization: $TOKEN" \
    -H "If-Match: *" -H "Content-Type: application/vnd.ms-azure-apim.policy.raw+xml" --data-binary "$POLICY" ||
    { cat "$WORK/mgmt.out" >&2; exit 1; }
curl -sf "$GATEWAY/policed/hello" -H "Ocp-Apim-Subscription-Key: $KEY" >/dev/null

# CPU time (clock ticks) used so far by processes and their children threads/processes.
ticks() {
    local total=0 pid child
    for pid in "$@"; do
        for child in "$pid" $(pgrep -P "$pid"); do
            total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat")))
        done
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# wrk → "requests/s p99_ms cpu_us_per_request" (CPU of the proxying processes $PROXYING)
measure() { # url [header]
    local out before after
    before=$(ticks $PROXYING)
    if [ $# -gt 1 ]; then
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$2" "$1")
    else
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1")
    fi
    after=$(ticks $PROXYING)
    local rps p99 total
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    echo "$rps $p99 $(awk -v t=$((after - before)) -v n="$total" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')"
}

echo "machine: $(nproc) CPUs; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; $ROUNDS interleaved rounds"
echo
echo "| round | target | requests/s | p99 (ms) | CPU µs per request |"
echo "|---:|---|---:|---:|---:|"
# A management client that writes once a second (each write makes the gateway rebuild its snapshot).
writes() {
    local n=0
    while true; do
        n=$((n + 1))
        mgmt PUT /properties/bench-write "{\"name\":\"bench-write\",\"value\":\"$n\"}"
        sleep 1
    done
}

declare -A RPS P99 CPU
TARGETS="backend nginx hyper tollgate tollgate+writes tollgate+policies"
for round in $(seq "$ROUNDS"); do
    for target in $TARGETS; do
        case $target in
            backend) PROXYING=$(cat "$WORK/backend.pid"); result=$(measure "http://127.0.0.1:$BACKEND_PORT/bench/hello") ;;
            nginx) PROXYING=$(cat "$WORK/proxy.pid"); result=$(measure "http://127.0.0.1:$PROXY_PORT/bench/hello") ;;
            hyper) PROXYING=$BARE; result=$(measure "$BARE_URL/bench/hello") ;;
            tollgate) PROXYING=$TOLLGATE_PID; result=$(measure "$GATEWAY/bench/hello" "Ocp-Apim-Subscription-Key: $KEY") ;;
            tollgate+writes)
                writes &
                WRITER=$!
                PROXYING=$TOLLGATE_PID; result=$(measure "$GATEWAY/bench/hello" "Ocp-Apim-Subscription-Key: $KEY")
                kill "$WRITER"
                wait "$WRITER" 2>/dev/null || true
                ;;
            tollgate+policies) PROXYING=$TOLLGATE_PID; result=$(measure "$GATEWAY/policed/hello" "Ocp-Apim-Subscription-Key: $KEY") ;;
        esac
        read -r rps p99 cpu <<<"$result"
        RPS[$target]+="$rps "
        P99[$target]+="$p99 "
        CPU[$target]+="$cpu "
        echo "| $round | $target | $rps | $p99 | $cpu |"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "| target | median requests/s | median p99 (ms) | median CPU µs per request | requests/s vs nginx | p99 vs nginx |"
echo "|---|---:|---:|---:|---:|---:|"
NGINX_RPS=$(median <<<"${RPS[nginx]}")
NGINX_P99=$(median <<<"${P99[nginx]}")
for target in $TARGETS; do
    rps=$(median <<<"${RPS[$target]}")
    p99=$(median <<<"${P99[$target]}")
    cpu=$(median <<<"${CPU[$target]}")
    echo "| $target | $rps | $p99 | $cpu | $(awk -v a="$rps" -v b="$NGINX_RPS" 'BEGIN {printf "%.2fx", a/b}') | $(awk -v a="$p99" -v b="$NGINX_P99" 'BEGIN {printf "%.2fx", a/b}') |"
done
echo
TOLLGATE_RPS=$(median <<<"${RPS[tollgate]}")
POLICED_RPS=$(median <<<"${RPS[tollgate+policies]}")
echo "tollgate+policies vs tollgate (requests/s): $(awk -v a="$POLICED_RPS" -v b="$TOLLGATE_RPS" 'BEGIN {printf "%.2fx", a/b}')"
