"""The pages' data functions at 1x, 10x and 100x data: how the work of one page view grows.

For each scale, a fresh database is built and every council cloned (bench_build.scale_up: each
clone answers as its original), then the lib functions each page calls for one view are timed
together, outside Streamlit and without its caches (median of --repeats, each after one warm-up
call), first on the working database's scoring views, then on the file materialised as a
publication leaves it (what the dashboard reads). Each scale runs in a subprocess of its own so its peak memory is its own.

The groups follow the pages' storyboards (pages/*.py); the heavy calls of each are listed in
PAGES below. Figures are not built here: bench_capacity measures whole page views.

Run: uv run python bench/bench_scale.py [--scales 1,10,100] [--repeats 3]
Timings are reported, never asserted in tests.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2015


def _pages(con: Any, code: str) -> dict[str, Callable[[], Any]]:
    """One view of each page, as its lib calls (the arguments a first visit uses)."""
    from lib.analysis import (
        gaps,
        good_practice,
        national,
        peers,
        regions,
        scorecard,
        scorecard_trend,
        whatif,
    )
    from lib.scoring import views as scoring

    lowest = scoring.lowest_band(con)[0]

    def scorecard_view() -> None:
        scorecard.headline(con, code, YEAR)
        profile = scorecard.standard_profile(con, code, YEAR)
        scorecard.question_answers(con, code, YEAR)
        scorecard.gaps_from_profile(con, profile, YEAR)
        scorecard_trend.trend(con, code)
        scorecard_trend.like_for_like_change(con, code, YEAR)

    def peers_view() -> None:
        group = peers.peer_codes(con, YEAR, code, "similar", k=5)
        codes = [code, *group["authority_code"]]
        long = regions.council_scores_long(con, YEAR, codes=codes)
        medians = peers.peer_medians(con, YEAR, list(group["authority_code"]))
        peers.side_by_side(code, group, long, medians, YEAR)

    def regions_view() -> None:
        regions.map_cells(con, YEAR)
        regions.region_league(con, YEAR)
        regions.region_standard_matrix(con, YEAR)
        region = con.execute("SELECT region_code FROM authorities WHERE code = ?", [code]).fetchone()[0]
        long = regions.council_scores_long(con, YEAR, region=region)
        regions.council_grid(long, lowest)

    def gaps_view() -> None:
        gaps.heatmap_frame(con, YEAR)
        gaps.unmet_questions(con, YEAR)
        first = gaps.scored_questions(con, YEAR)["question_id"].iloc[0]
        gaps.councils_lacking(con, YEAR, str(first))
        gaps.change_since_previous(con, YEAR)

    def home_view() -> None:
        national.response_summary(con, YEAR)
        national.standards_by_band(con, YEAR)
        national.standard_medians(con, YEAR)
        national.overall_distribution(con, YEAR)
        national.change_since_previous(con, YEAR)

    def what_if_view() -> None:
        whatif.questionnaire(con, YEAR)
        whatif.stored_answers(con, code, YEAR)
        whatif.actual_scores(con, code, YEAR)

    def good_practice_view() -> None:
        good_practice.find_examples(con)
        good_practice.recommendations(con)

    return {"Council scorecard": scorecard_view, "Peer comparison": peers_view,
            "Regional comparison": regions_view, "Gap finder": gaps_view, "Home": home_view,
            "Self-assessment": what_if_view, "Good practice": good_practice_view}


def _time_pages(con: Any, code: str, repeats: int) -> dict[str, float]:
    times: dict[str, float] = {}
    for page, view in _pages(con, code).items():
        view()  # warm-up: DuckDB's first plan of each query
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            view()
            runs.append(time.perf_counter() - t0)
        times[page] = statistics.median(runs)
    return times


def run_scale(scale: int, repeats: int) -> dict[str, Any]:
    """Times on the working database (scoring views computed on every query), then on the same
    file materialised as a publication does it (lib.store.publish.materialise: the views' rows kept as
    tables), which is what the dashboard reads."""
    from bench.bench_build import scale_up
    from lib.reference.build import build_database
    from lib.store import db, publish

    path = Path(tempfile.mkdtemp(prefix="pa-bench-scale-")) / "scale.duckdb"
    build_database(path)
    con = db.connect(path)
    if scale > 1:
        scale_up(con, scale)
    councils = con.execute("SELECT count(*) FROM respondents WHERE round_year = ?", [YEAR]).fetchone()[0]
    answers = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    code = con.execute("SELECT authority_code FROM overall_scores WHERE round_year = ? AND ranked "
                       "ORDER BY rank LIMIT 1", [YEAR]).fetchone()[0]
    on_views = _time_pages(con, code, repeats)
    con.close()
    t0 = time.perf_counter()
    publish.materialise(path)
    materialise_s = time.perf_counter() - t0
    con = db.connect(path, read_only=True)
    on_tables = _time_pages(con, code, repeats)
    con.close()
    return {"scale": scale, "respondents": councils, "answers": answers, "views": on_views,
            "seconds": on_tables, "materialise_s": materialise_s,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def scale_table(scales: list[int], repeats: int) -> list[dict[str, Any]]:
    """run_scale for each scale, each in a subprocess; prints and returns the results."""
    results = []
    for scale in scales:
        out = subprocess.run([sys.executable, __file__, "--scenario", str(scale), "--repeats", str(repeats)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"Page data functions at larger data (seconds per view, median of {repeats}, no caches): "
          "on the published (materialised) file the dashboard reads, and in brackets on the working "
          "database's views")
    print(f"{'page':<22}" + "".join(f"{'x' + str(r['scale']):>18}" for r in results))
    for page in results[0]["seconds"]:
        print(f"{page:<22}" + "".join(f"{r['seconds'][page]:9.3f} ({r['views'][page]:6.3f})" for r in results))
    print(f"{'materialise s':<22}" + "".join(f"{r['materialise_s']:18.2f}" for r in results))
    print(f"{'2015 respondents':<22}" + "".join(f"{r['respondents']:>18}" for r in results))
    print(f"{'answers, all rounds':<22}" + "".join(f"{r['answers']:>18}" for r in results))
    print(f"{'peak memory MB':<22}" + "".join(f"{r['peak_rss_mb']:18.0f}" for r in results))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenario", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        print(json.dumps(run_scale(args.scenario, args.repeats)))
        return
    scale_table([int(s) for s in args.scales.split(",") if s], args.repeats)


if __name__ == "__main__":
    main()
