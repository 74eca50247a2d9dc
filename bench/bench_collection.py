"""Concurrent survey saves: N respondents saving answers at once in one process.

The respond page saves through lib.collection.save_answers from the thread Streamlit runs each
browser session's script in, so N threads calling it in one process is what one server does
when N respondents press Save together (the page's own drawing is left out). Builds a fresh
database in a temporary folder, opens a round, invites N councils, then each thread saves one
section S times, changing every answer each time. Reports the time per save (median, p95,
max), the saves per second, the process's peak memory, and counts every answer back from the
store: nothing may be lost (the script exits 1 if anything is).

With `--engine postgresql` the survey answers go to a real PostgreSQL server started for the run
from the machine's own binaries (tests/postgres.py); the default is the SQLite file. Run against
an older checkout (`cd OLD && uv run python /path/to/bench_collection.py`: the script imports the
library of the folder it is started from when `--lib-root` names it) for a baseline.

Run: uv run python bench/bench_collection.py [--respondents 50] [--saves 5] [--engine sqlite|postgresql]
Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--lib-root" in sys.argv:  # measure another checkout's library (a baseline) with this script
    ROOT = Path(sys.argv[sys.argv.index("--lib-root") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from lib import collection  # noqa: E402
from lib.reference import geography  # noqa: E402
from lib.reference.build import build_database  # noqa: E402

YEAR = 2026


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--saves", type=int, default=5, help="saves per respondent")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--lib-root", default=str(ROOT), help="the checkout whose library is measured")
    args = parser.parse_args()
    if args.engine == "postgresql":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests import postgres

        with postgres.running_server() as admin, postgres.fresh_database(admin) as url:
            os.environ["PA_COLLECTION_URL"] = url
            return _run(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    print(f"library: {ROOT}; survey answers in "
          + ("PostgreSQL" if os.environ.get("PA_COLLECTION_URL") else "the default collection file"))
    with tempfile.TemporaryDirectory() as folder:
        working = Path(folder) / "bench.duckdb"
        build_database(working)
        collection.open_round(working, YEAR, by="bench")
        import duckdb

        con = duckdb.connect(str(working), read_only=True)
        try:
            codes = list(geography.members_on(con, geography.default_council_set_on(YEAR))["code"])[: args.respondents]
        finally:
            con.close()
        sessions = [collection.resolve(working, collection.invite(working, YEAR, c, by="bench").token or "")
                    for c in codes]
        first = collection.load_draft(working, sessions[0])
        section = first.questions[first.questions["audience"] == "employers"]
        values = {q.id: list(first.options.loc[first.options["answer_set"] == q.answer_set, "value"])
                  for q in section.itertuples()}
        timings: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(len(sessions))

        def respondent(session: collection.Session) -> None:
            draft = collection.load_draft(working, session)
            start.wait()
            for n in range(args.saves):
                changes = {q: (opts[n % len(opts)], [], f"save {n}") for q, opts in values.items()}
                versions = {q: draft.answers[q].version for q in values}
                t0 = time.perf_counter()
                try:
                    draft = collection.save_answers(working, session, changes, versions)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    with lock:
                        errors.append(f"{session.council_code}: {exc}")
                    return
                with lock:
                    timings.append(time.perf_counter() - t0)

        threads = [threading.Thread(target=respondent, args=(s,)) for s in sessions]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall

        lost = 0
        last = args.saves - 1
        for session in sessions:
            draft = collection.load_draft(working, session)
            for q, opts in values.items():
                saved = draft.answers[q]
                if (saved.answer, saved.comment) != (opts[last % len(opts)], f"save {last}"):
                    lost += 1
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings.sort()
    print(f"{len(sessions)} respondents x {args.saves} saves of {len(values)} answers each, at once")
    if timings:
        p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
        print(f"per save: median {statistics.median(timings) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {timings[-1] * 1000:.0f} ms; {len(timings) / wall:.1f} saves/s over {wall:.1f} s")
    print(f"peak memory of the process: {peak_mb:.0f} MB")
    print(f"errors: {len(errors)}; answers not as last saved: {lost}")
    for e in errors[:5]:
        print("  ", e)
    return 1 if errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
