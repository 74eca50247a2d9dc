"""Requests per second the API serves from one server process: `scores?round=2015`.

Starts a real `streamlit run dashboard.py` on 127.0.0.1 (loopback only) over a fresh database
built in a temporary folder, then sends GET /api/v1/scores?round=2015 from 1, 4 and 16 threads
(http.client, one keep-alive connection per thread) for a fixed time each: full responses (200,
JSON, about 1 MB) and revalidations (If-None-Match with the ETag, answered 304). Reports
requests per second, latency p50/p95 and the server's CPU seconds per request. Every loop is
bounded by its duration; errors are counted, never retried.

Run: uv run python bench/bench_api.py [--seconds 10] [--threads 1,4,16]
Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_capacity import cpu_seconds  # noqa: E402
from tests.browser import streamlit_process  # noqa: E402

PATH = "/api/v1/scores?round=2015"


def _worker(host: str, port: int, headers: dict[str, str], until: float, want: int,
            latencies: list[float], errors: list[str]) -> None:
    con = http.client.HTTPConnection(host, port, timeout=60)
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            try:
                con.request("GET", PATH, headers=headers)
                r = con.getresponse()
                r.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)
                con.close()
                con = http.client.HTTPConnection(host, port, timeout=60)
                continue
            if r.status != want:
                errors.append(str(r.status))
            else:
                latencies.append(time.perf_counter() - t0)
    finally:
        con.close()


def run(url: str, pid: int, threads: int, seconds: float, headers: dict[str, str], want: int) -> dict:
    parsed = urlparse(url)
    latencies: list[float] = []
    errors: list[str] = []
    until = time.perf_counter() + seconds
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    pool = [threading.Thread(target=_worker, args=(parsed.hostname, parsed.port, headers, until, want,
                                                   latencies, errors)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - c0
    done = len(latencies)
    ordered = sorted(latencies)
    return {"threads": threads, "requests": done, "errors": len(errors), "rps": done / elapsed,
            "p50_ms": 1000 * statistics.median(ordered) if ordered else float("nan"),
            "p95_ms": 1000 * ordered[int(0.95 * (done - 1))] if ordered else float("nan"),
            "cpu_ms_per_request": 1000 * cpu / done if done else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each measurement runs")
    parser.add_argument("--threads", default="1,4,16", help="client threads, comma separated")
    args = parser.parse_args()
    from lib.build import build_database

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-api-"))
    db_path = tmp / "bench.duckdb"
    build_database(db_path)
    with streamlit_process(db_path) as (url, proc):
        import urllib.request

        with urllib.request.urlopen(url + PATH, timeout=120) as r:  # publishes on a fresh database
            etag, size = r.headers["ETag"], len(r.read())
        print(f"GET {PATH}: {size / 1e6:.2f} MB of JSON, ETag {etag}")
        print(f"{'kind':<14}{'threads':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'server CPU ms/req':>19}")
        for kind, headers, want in (("full (200)", {}, 200), ("revalidate (304)", {"If-None-Match": etag}, 304)):
            for n in (int(x) for x in args.threads.split(",")):
                res = run(url, proc.pid, n, args.seconds, headers, want)
                print(f"{kind:<14}{n:>8}{res['requests']:>10}{res['errors']:>8}{res['rps']:>9.1f}"
                      f"{res['p50_ms']:>9.1f}{res['p95_ms']:>9.1f}{res['cpu_ms_per_request']:>19.1f}")


if __name__ == "__main__":
    main()
