#!/usr/bin/env python3
"""Import benchmark: time importing generated Swagger 2.0 documents of 100, 500 and 2000 operations
into a release `tollgate serve` (embedded SQLite), and the p50 latency of listing that API's
operations with a $filter. Run: python3 bench/import.py (builds the release binary first).
Only 127.0.0.1 is used; every process started here is stopped on exit."""

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
BIN = os.path.join(ROOT, "target", "release", "tollgate")
KEY = "bench-primary-key-0123456789"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100,500,2000").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LIST_REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "200"))


def document(operations):
    """A Swagger 2.0 document with `operations` operations on operations/4 paths."""
    paths = {}
    for i in range(operations):
        path = f"/resources{i // 4}/{{id}}" if i % 2 else f"/resources{i // 4}"
        method = ["get", "post", "put", "delete"][i % 4] if i % 2 == 0 else ["get", "patch", "head", "options"][i % 4]
        parameters = [{"name": "q", "in": "query", "type": "string"}]
        if "{id}" in path:
            parameters.append({"name": "id", "in": "path", "required": True, "type": "string"})
        paths.setdefault(path, {})[method] = {
            "operationId": f"op-{i}",
            "summary": f"Operation {i}",
            "parameters": parameters,
            "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Item"}}},
        }
    return json.dumps({
        "swagger": "2.0",
        "info": {"title": f"Generated {operations}", "version": "1"},
        "host": "backend.example.com", "basePath": "/v1", "schemes": ["https"],
        "paths": paths,
        "definitions": {"Item": {"type": "object", "properties": {"id": {"type": "string"}}}},
    })


def request(conn, method, path, token, body=None):
    headers = {"Authorization": token}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path[:80]} answered {response.status}: {data[:300]!r}")
    return data


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tollgate", "--bin", "tollgate"], cwd=ROOT, check=True)
    data = tempfile.mkdtemp(prefix="tollgate-bench-import-")
    env = dict(os.environ, TOLLGATE_PRIMARY_KEY=KEY, TOLLGATE_LOG="warn")
    server = subprocess.Popen([BIN, "serve", "--data-dir", data, "--gateway-listen", "127.0.0.1:0",
                               "--management-listen", "127.0.0.1:0"],
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().strip().split("http://")[1].rstrip("/")
        token = subprocess.run([BIN, "token", "--data-dir", data], env=env, capture_output=True, text=True,
                               check=True).stdout.strip()
        host, port = address.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        print(f"machine: {os.cpu_count()} CPUs; release build; SQLite; {ROUNDS} imports per size, "
              f"{LIST_REQUESTS} list calls\n")
        print("| operations | import, median of rounds (ms) | list with $filter, p50 (ms) | p99 (ms) | matches |")
        print("|---:|---:|---:|---:|---:|")
        for size in SIZES:
            doc = document(size)
            body = json.dumps({"path": f"gen{size}", "contentFormat": "swagger-json", "contentValue": doc})
            timings = []
            for _ in range(ROUNDS):  # the first round creates, the next ones re-import (replace)
                started = time.perf_counter()
                request(conn, "PUT", f"/apis/gen{size}?api-version=2017-03-01", token, body)
                timings.append((time.perf_counter() - started) * 1000)
            flt = urllib.parse.quote("method eq 'GET' and startswith(urlTemplate, '/resources1')")
            path = f"/apis/gen{size}/operations?api-version=2017-03-01&$filter={flt}"
            latencies = []
            count = 0
            for _ in range(LIST_REQUESTS):
                started = time.perf_counter()
                count = json.loads(request(conn, "GET", path, token))["count"]
                latencies.append((time.perf_counter() - started) * 1000)
            latencies.sort()
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(f"| {size} | {statistics.median(timings):.0f} | {statistics.median(latencies):.2f} | {p99:.2f} | {count} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
