#!/usr/bin/env python3
"""Subscription-scale benchmark: fill a release `tollgate serve` (embedded SQLite) with users and
subscriptions through the management API, in stages, and at each stage measure the p50 of
creating one more subscription and of `GET /subscriptions?$filter=…&$top=100`, of a gateway call (to
the built-in echo backend) and of the first gateway call after a management write (which waits for
the snapshot to catch up with it): after a write of a kind the gateway does not use (a named value),
of a subscription (a regenerated key) and of a product (which the gateway routes with), and the
server's resident memory. Run: python3 bench/subscriptions.py (builds the release binary first, in
CARGO_TARGET_DIR if set).

Settings: BENCH_STAGES (subscriptions at each stage, default 2500,5000,10000), BENCH_USERS_PER_SUB
(users per subscription, default 0.27 = Azure's 20,000 users for 75,000 subscriptions),
BENCH_SAMPLES (timed calls per measurement, default 100), BENCH_BIN (a tollgate binary to measure
instead of building one). Only 127.0.0.1 is used; every process started here is stopped on exit."""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = os.environ.get("BENCH_BIN") or os.path.join(TARGET, "release", "tollgate")
KEY = "bench-primary-key-0123456789"
STAGES = [int(n) for n in os.environ.get("BENCH_STAGES", "2500,5000,10000").split(",")]
USERS_PER_SUB = float(os.environ.get("BENCH_USERS_PER_SUB", "0.27"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
PRODUCTS = 10
V = "api-version=2017-03-01"


def call(conn, method, path, token, body=None, if_match=None):
    headers = {"Authorization": token}
    if if_match is not None:
        headers["If-Match"] = if_match
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path[:80]} answered {response.status}: {data[:300]!r}")
    return data


def timed(fn):
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    if not os.environ.get("BENCH_BIN"):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "tollgate", "--bin", "tollgate"], cwd=ROOT,
                       check=True)
    data_dir = tempfile.TemporaryDirectory(prefix="tollgate-bench-subscriptions-")
    data = data_dir.name
    env = dict(os.environ, TOLLGATE_PRIMARY_KEY=KEY, TOLLGATE_LOG="warn")
    server = subprocess.Popen([BIN, "serve", "--no-samples", "--data-dir", data, "--gateway-listen", "127.0.0.1:0",
                               "--management-listen",
                               "127.0.0.1:0"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().strip().split("http://")[1].rstrip("/")
        gateway_address = server.stdout.readline().strip().split("http://")[1].rstrip("/")
        token = subprocess.run([BIN, "token", "--data-dir", data], env=env, capture_output=True, text=True,
                               check=True).stdout.strip()
        host, port = address.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        for p in range(PRODUCTS):
            call(conn, "PUT", f"/products/p{p}?{V}", token, {"name": f"Product {p}", "state": "published"})
        # An API on the gateway's built-in echo backend, in product p0, for the gateway figures.
        call(conn, "PUT", f"/apis/bench?{V}", token, {"name": "Bench", "path": "bench", "protocols": ["http"],
                                                      "serviceUrl": "http://echoapi.cloudapp.net/api"})
        call(conn, "PUT", f"/apis/bench/operations/any?{V}", token,
             {"name": "any", "method": "GET", "urlTemplate": "/{*rest}",
              "templateParameters": [{"name": "rest", "type": "string", "required": True}]})
        call(conn, "PUT", f"/products/p0/apis/bench?{V}", token, {})
        ghost, gport = gateway_address.split(":")
        gateway = http.client.HTTPConnection(ghost, int(gport), timeout=120)
        users = 0
        subs = 0
        gateway_key = None

        def gateway_call():
            gateway.request("GET", "/bench/x", headers={"Ocp-Apim-Subscription-Key": gateway_key})
            response = gateway.getresponse()
            response.read()
            if response.status != 200:
                sys.exit(f"the gateway answered {response.status}")

        def write_then_call():
            call(conn, "PUT", f"/properties/bench-write?{V}", token, {"name": "bench-write", "value": str(subs)})
            return timed(gateway_call)

        def subscription_write_then_call():
            call(conn, "POST", f"/subscriptions/s{subs - 1}/regenerateSecondaryKey?{V}", token)
            return timed(gateway_call)

        def product_write_then_call():
            call(conn, "PATCH", f"/products/p{PRODUCTS - 1}?{V}", token, {"description": str(subs)}, "*")
            return timed(gateway_call)

        def user_write_then_call():
            call(conn, "PATCH", f"/users/u{users - 1}?{V}", token, {"note": str(subs)}, "*")
            return timed(gateway_call)

        def add_subscription():
            nonlocal subs, gateway_key
            body = {"userId": f"/users/u{subs % users}", "productId": f"/products/p{subs % PRODUCTS}",
                    "name": f"Sub {subs}", "state": "active"}
            created = call(conn, "PUT", f"/subscriptions/s{subs}?{V}", token, body)
            if gateway_key is None:
                gateway_key = json.loads(created)["primaryKey"]
            subs += 1

        flt = urllib.parse.quote("startswith(name, 'Sub 7') and state eq 'active'")
        list_path = f"/subscriptions?{V}&$filter={flt}&$top=100"
        print(f"machine: {os.cpu_count()} CPUs; release build; SQLite; {SAMPLES} timed calls per figure\n")
        print("| subscriptions | users | create, p50 (ms) | list $filter $top=100, p50 (ms) | gateway call, p50 (ms) "
              "| gateway call after a write (snapshot rebuild), p50 (ms) | … after a subscription write, p50 (ms) "
              "| … after a product write, p50 (ms) | … after a user write, p50 (ms) | server RSS (MiB) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for stage in STAGES:
            want_users = max(1, int(stage * USERS_PER_SUB))
            while users < want_users:
                body = {"email": f"u{users}@example.com", "firstName": "U", "lastName": str(users)}
                call(conn, "PUT", f"/users/u{users}?{V}", token, body)
                users += 1
            while subs < stage - SAMPLES:
                add_subscription()
            creates = sorted(timed(add_subscription) for _ in range(SAMPLES))
            lists = sorted(timed(lambda: call(conn, "GET", list_path, token)) for _ in range(SAMPLES))
            rebuilds = sorted(write_then_call() for _ in range(SAMPLES))
            subscription_writes = sorted(subscription_write_then_call() for _ in range(SAMPLES))
            product_writes = sorted(product_write_then_call() for _ in range(SAMPLES))
            user_writes = sorted(user_write_then_call() for _ in range(SAMPLES))
            calls = sorted(timed(gateway_call) for _ in range(SAMPLES))
            print(f"| {subs} | {users} | {statistics.median(creates):.2f} | {statistics.median(lists):.2f} "
                  f"| {statistics.median(calls):.2f} | {statistics.median(rebuilds):.2f} "
                  f"| {statistics.median(subscription_writes):.2f} | {statistics.median(product_writes):.2f} "
                  f"| {statistics.median(user_writes):.2f} "
                  f"| {rss_mib(server.pid):.0f} |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        data_dir.cleanup()


if __name__ == "__main__":
    main()
