"""Time the self-assessment projection: building the private copy of a round, and one projection.

    uv run python bench/bench_whatif.py [--db PATH] [--round YEAR] [--repeat N]

Timings are printed, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.analysis import whatif
from lib.reference.build import build_database  # noqa: E402
from lib.store import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--round", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    path = args.db
    if path is None:
        path = Path(tempfile.mkdtemp()) / "bench.duckdb"
        build_database(path)
    con = db.connect(path, read_only=True)
    year = args.round or int(con.execute("SELECT max(year) FROM survey_rounds").fetchone()[0])
    code = con.execute("SELECT authority_code FROM respondents WHERE round_year = ? ORDER BY 1 LIMIT 1",
                       [year]).fetchone()[0]
    answers = whatif.stored_answers(con, code, year)

    t0 = time.perf_counter()
    projector = whatif.Projector(con, year)
    build_ms = (time.perf_counter() - t0) * 1000

    times = []
    for i in range(args.repeat):
        edited = dict(answers)
        qid = sorted(edited)[i % len(edited)]
        edited[qid] = whatif.Answer("available")
        t0 = time.perf_counter()
        projector.project(code, edited)
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    whatif.actual_scores(con, code, year)
    actual_ms = (time.perf_counter() - t0) * 1000
    print(f"round {year}, council {code}, {len(answers)} answers")
    print(f"private copy of the round built in {build_ms:.0f} ms (once per round, cached by the page)")
    print(f"projection: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {len(times)}")
    print(f"actual scores from the app database: {actual_ms:.1f} ms")


if __name__ == "__main__":
    main()
