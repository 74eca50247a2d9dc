"""Time every page in headless Chromium against a real `streamlit run` server.

For each page: navigation-to-rendered time for a cold visit (a new browser session) and a warm
visit (the same session, page already visited), median of N; the time of a rerun after changing
the council on the scorecard; and the same for an empty page inside the app's own frame
(navigation, round picker, demo banner; bench/floor.py) served by the same server, so each
figure can be read as a ratio to what any page of this app costs. A visit ends when the page's
script has finished and every chart is drawn (tests.browser.wait_for_app), with no fixed sleep.

Run: uv run python bench/bench_pages.py [--repeats 5]
Needs Debian's chromium (/usr/bin/chromium). Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floor import FLOOR_PATH, framed_app  # noqa: E402
from tests.browser import (  # noqa: E402
    VIEWPORT,
    launch_browser,
    streamlit_process,
    wait_for_app,
    wait_for_rerun_start,
)

PAGES = {"Home": "", "Gap finder": "gaps", "Council scorecard": "scorecard?authority={code}",
         "Self-assessment": "what_if?authority={code}", "Regional comparison": "regions",
         "Peer comparison": "peers?authority={code}&peers=similar", "Good practice": "good_practice",
         "Methodology": "methodology", "Data management": "data"}
FLOOR_LABEL = "(empty page in frame)"


def timed_visit(page, url: str) -> float:
    """Seconds from navigation to the moment the page was finished (not counting the helper's
    stable interval)."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    return wait_for_app(page) - t0


def measure(browser, url: str, repeats: int) -> tuple[float, float]:
    cold, warm = [], []
    for _ in range(repeats):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        cold.append(timed_visit(page, url))
        warm.append(timed_visit(page, url))
        context.close()
    return statistics.median(cold), statistics.median(warm)


def rerun_after_council_change(browser, base: str, names: list[str], repeats: int) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base}/scorecard", wait_until="domcontentloaded")
    wait_for_app(page)
    times = []
    for i in range(repeats):
        box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first
        box.click()
        page.keyboard.type(names[i % len(names)])
        t0 = time.perf_counter()
        page.keyboard.press("Enter")
        wait_for_rerun_start(page)
        times.append(wait_for_app(page) - t0)
    context.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from lib.reference.build import build_database
    from lib.store import db

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-pages-"))
    db_path = tmp / "bench.duckdb"
    build_database(db_path)
    con = db.connect(db_path, read_only=True)
    rows = con.execute("SELECT authority_code, display_name FROM overall_scores WHERE round_year = 2015 "
                       "ORDER BY rank LIMIT 6").fetchall()
    con.close()
    code = rows[0][0]

    results: dict[str, tuple[float, float]] = {}
    with sync_playwright() as p:
        browser = launch_browser(p)
        # The dashboard with one extra page that draws only a title inside the app's frame.
        with streamlit_process(db_path, script=framed_app(tmp)) as (base, _proc):
            timed_visit(browser.new_page(), f"{base}/{FLOOR_PATH}")  # first run builds caches; not counted
            results[FLOOR_LABEL] = measure(browser, f"{base}/{FLOOR_PATH}", args.repeats)
            for label, path in PAGES.items():
                results[label] = measure(browser, f"{base}/{path.format(code=code)}", args.repeats)
            rerun = rerun_after_council_change(browser, base, [n for _, n in rows[1:]], args.repeats)
        browser.close()

    empty_warm = results[FLOOR_LABEL][1]
    print(f"Medians of {args.repeats} visits (seconds); ratio = warm / empty page in the app's frame, warm")
    print(f"{'page':<22}{'cold':>8}{'warm':>8}{'ratio':>8}")
    for label, (cold, warm) in results.items():
        print(f"{label:<22}{cold:8.2f}{warm:8.2f}{warm / empty_warm:8.2f}")
    print(f"Scorecard rerun after changing the council: {rerun:.2f} s ({rerun / empty_warm:.2f}x empty warm)")


if __name__ == "__main__":
    main()
