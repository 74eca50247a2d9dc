"""Time the scoring views for one council on a scoring copy of a round, as the self-assessment and
the import preview query them (lib.scoring.views.scoring_copy).

    uv run python bench/bench_scoring_queries.py [--db PATH] [--round YEAR] [--repeat N]

Run it on a copy of the working database; to compare with an earlier commit, run the same
command from a worktree of that commit (the views come from the code, not from the file).
Timings are printed, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.scoring import views as scoring  # noqa: E402
from lib.store import db  # noqa: E402

QUERIES = {
    "question_scores": "SELECT * FROM question_scores WHERE authority_code = ?",
    "standard_scores": "SELECT * FROM standard_scores WHERE authority_code = ?",
    "overall_scores": "SELECT * FROM overall_scores WHERE authority_code = ?",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("data/pa_benchmark.duckdb"))
    parser.add_argument("--round", type=int, default=None, help="default: the latest round")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    source = db.connect(str(args.db), read_only=True)
    year = args.round or int(source.execute("SELECT max(year) FROM survey_rounds").fetchall()[0][0])
    con = scoring.scoring_copy(source, year)
    code = con.execute("SELECT authority_code FROM respondents ORDER BY authority_code LIMIT 1").fetchall()[0][0]
    print(f"round {year}, council {code}, {args.repeat} runs each (median, ms)")
    for name, sql in QUERIES.items():
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            con.execute(sql, [code]).df()
            times.append((time.perf_counter() - started) * 1000)
        print(f"{name:18} {statistics.median(times):7.1f}")


if __name__ == "__main__":
    main()
