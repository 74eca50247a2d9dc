"""Time building the database and computing every scoring view, at real size and at 100x.

Run: uv run python bench/bench_build.py [--repeats 5] [--scale 100]
Each scenario runs in a fresh subprocess so its peak memory (max RSS) is its own.
Timings are reported here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWS = ("standard_scores", "overall_scores", "answer_shares", "provider_shares",
         "question_summary", "standard_summary", "overall_summary")


def scale_up(con, factor: int) -> None:
    """Clone every council (factor - 1) times, with its answers, to make a bigger database."""
    con.execute("BEGIN")
    con.execute(
        """
        INSERT INTO authorities
        SELECT 'X' || lpad(CAST(i AS VARCHAR), 3, '0') || substr(code, 2), name || ' #' || i,
               display_name || ' #' || i, region_code, region_name, type, valid_from, valid_to, lat, lon
        FROM authorities, range(1, ?) t(i)
        """,
        [factor],
    )
    con.execute(
        """
        INSERT INTO responses
        SELECT round_year, 'X' || lpad(CAST(i AS VARCHAR), 3, '0') || substr(authority_code, 2), question_id,
               answer, providers, comment, source, submitted_at
        FROM responses, range(1, ?) t(i)
        WHERE authority_code NOT LIKE 'X%'
        """,
        [factor],
    )
    con.execute("COMMIT")


def run_scenario(scale: int, repeats: int) -> dict:
    from lib.reference.build import build_database
    from lib.store import db

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-"))
    build_times = []
    for i in range(repeats):
        path = tmp / f"b{i}.duckdb"
        t0 = time.perf_counter()
        build_database(path)
        build_times.append(time.perf_counter() - t0)
    path = tmp / "b0.duckdb"
    con = db.connect(path)
    if scale > 1:
        t0 = time.perf_counter()
        scale_up(con, scale)
        scale_time = time.perf_counter() - t0
    else:
        scale_time = 0.0
    respondents = con.execute("SELECT count(*) FROM respondents").fetchone()[0]
    responses = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    view_times: dict[str, float] = {}
    for view in VIEWS:
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            con.execute(f"SELECT * FROM {view}").fetchall()  # noqa: S608 - fixed names
            runs.append(time.perf_counter() - t0)
        view_times[view] = statistics.median(runs)
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for view in VIEWS:
            con.execute(f"SELECT * FROM {view}").fetchall()  # noqa: S608
        runs.append(time.perf_counter() - t0)
    con.close()
    return {
        "scale": scale, "respondent_rounds": respondents, "responses": responses,
        "build_median_s": statistics.median(build_times), "scale_up_s": scale_time,
        "views_median_s": view_times, "all_views_median_s": statistics.median(runs),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--scenario", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario is not None:
        print(json.dumps(run_scenario(args.scenario, args.repeats)))
        return
    for scale in (1, args.scale):
        out = subprocess.run([sys.executable, __file__, "--scenario", str(scale), "--repeats", str(args.repeats)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n== scale x{r['scale']}: {r['respondent_rounds']} council-rounds, {r['responses']} answers ==")
        print(f"build database (median of {args.repeats}): {r['build_median_s'] * 1000:8.1f} ms")
        if r["scale"] > 1:
            print(f"clone councils to x{r['scale']}:        {r['scale_up_s'] * 1000:8.1f} ms")
        for view, s in r["views_median_s"].items():
            print(f"  view {view:<18} (median): {s * 1000:8.1f} ms")
        print(f"all views together (median):     {r['all_views_median_s'] * 1000:8.1f} ms")
        print(f"peak memory (max RSS):           {r['peak_rss_mb']:8.1f} MB")


if __name__ == "__main__":
    main()
