"""Requests per second the API serves from one server process: `scores?round=2015`.

Starts a real `streamlit run dashboard.py` on 127.0.0.1 (loopback only) over a fresh database
built in a temporary folder, then sends GET /api/v1/scores?round=2015 from 1, 4 and 16 threads
(http.client, one keep-alive connection per thread) for a fixed time each: full responses (200,
JSON, about 1 MB) and revalidations (If-None-Match with the ETag, answered 304). Reports
requests per second, latency p50/p95 and the server's CPU seconds per request. Every loop is
bounded by its duration; errors are counted, never retried.

With --sessions N (default 8; 0 skips it) it then measures the API's latency (4 client threads)
beside N dashboard sessions in Chromium, each on a different council's scorecard: first with the
sessions open and idle after loading, then with every session reloading its page in a loop (the
dashboard busy). The browsers run on the same machine and take CPU from the server, so the busy
figure is an upper bound for a server whose clients are elsewhere.

Run: uv run python bench/bench_api.py [--seconds 10] [--threads 1,4,16] [--sessions 8]
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

from bench.bench_capacity import cpu_seconds, rss_mb  # noqa: E402
from bench.sessions import Sessions  # noqa: E402
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


def council_codes(db_path: Path, n: int) -> list[str]:
    """n councils that responded in 2015, spread through the list (read before the server starts)."""
    from lib.store import db

    con = db.connect(db_path, read_only=True)
    try:
        codes = [c for (c,) in con.execute(
            "SELECT authority_code FROM overall_scores WHERE round_year = 2015 ORDER BY authority_code").fetchall()]
    finally:
        con.close()
    return codes[:: max(1, len(codes) // n)][:n]


def sessions_table(url: str, pid: int, codes: list[str], seconds: float) -> None:
    """The API's latency alone, beside idle dashboard sessions, and beside busy ones."""
    n = len(codes)
    print(f"\nThe API beside {n} dashboard sessions (scorecards of {n} councils), 4 client threads, "
          f"{seconds:.0f} s each:")
    print(f"{'dashboard':<34}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'server RSS MB':>15}")

    def line(label: str) -> None:
        res = run(url, pid, 4, seconds, {}, 200)
        print(f"{label:<34}{res['requests']:>10}{res['errors']:>8}{res['rps']:>9.1f}{res['p50_ms']:>9.1f}"
              f"{res['p95_ms']:>9.1f}{rss_mb(pid):>15.0f}")

    line("no sessions")
    sessions = Sessions(url, codes)
    try:
        opened = sessions.open()
        line(f"{n} open, idle (loaded in {opened:.0f} s)")
        sessions.busy(True)
        time.sleep(2)
        before = sessions.reloads
        line(f"{n} reloading in a loop")
        during = sessions.reloads - before
        sessions.busy(False)
        print(f"  (the busy sessions finished {during} page views while the API was measured; "
              f"session errors: {len(sessions.errors)})")
    finally:
        sessions.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each measurement runs")
    parser.add_argument("--threads", default="1,4,16", help="client threads, comma separated")
    parser.add_argument("--sessions", type=int, default=8, help="dashboard sessions beside the API (0: skip)")
    args = parser.parse_args()
    from lib.reference.build import build_database

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-api-"))
    db_path = tmp / "bench.duckdb"
    build_database(db_path)
    codes = council_codes(db_path, args.sessions) if args.sessions else []
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
        if args.sessions:
            sessions_table(url, proc.pid, codes, args.seconds)


if __name__ == "__main__":
    main()
