"""Time every page in headless Chromium against a real `streamlit run` server.

For each page: navigation-to-rendered time for a cold visit (a new browser session) and a warm
visit (the same session, page already visited), median of N; the time of a rerun after changing
the council on the scorecard; and the same for an empty Streamlit page served in the same run,
so each figure can be read as a ratio to the framework's own floor.

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

from tests.browser import VIEWPORT, launch_browser, streamlit_server, wait_for_app  # noqa: E402

PAGES = {"Home": "", "Gap finder": "gaps", "Council scorecard": "scorecard?authority={code}",
         "Self-assessment": "what_if?authority={code}", "Regional comparison": "regions",
         "Peer comparison": "peers?authority={code}&peers=similar", "Good practice": "good_practice",
         "Methodology": "methodology", "Data management": "data"}
EMPTY_PAGE = 'import streamlit as st\n\nst.title("Empty page")\n'


def timed_visit(page, url: str) -> float:
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    return time.perf_counter() - t0


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
        page.wait_for_timeout(50)
        wait_for_app(page)
        times.append(time.perf_counter() - t0)
    context.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from lib import db
    from lib.build import build_database

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-pages-"))
    db_path = tmp / "bench.duckdb"
    build_database(db_path)
    con = db.connect(db_path, read_only=True)
    rows = con.execute("SELECT authority_code, display_name FROM overall_scores WHERE round_year = 2015 "
                       "ORDER BY rank LIMIT 6").fetchall()
    con.close()
    code = rows[0][0]
    empty = tmp / "empty.py"
    empty.write_text(EMPTY_PAGE)

    results: dict[str, tuple[float, float]] = {}
    with sync_playwright() as p:
        browser = launch_browser(p)
        with streamlit_server(db_path) as base:
            timed_visit(browser.new_page(), base)  # first run builds caches; not counted
            for label, path in PAGES.items():
                results[label] = measure(browser, f"{base}/{path.format(code=code)}", args.repeats)
            rerun = rerun_after_council_change(browser, base, [n for _, n in rows[1:]], args.repeats)
        import subprocess  # the empty page runs as its own app in the same bench run

        from tests import browser as helpers
        port = helpers.free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(empty), "--server.port", str(port),
                                 "--server.headless", "true", "--server.address", "127.0.0.1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            import urllib.request
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.25)
            empty_cold, empty_warm = measure(browser, f"http://127.0.0.1:{port}/", args.repeats)
        finally:
            proc.terminate()
        browser.close()

    print(f"Medians of {args.repeats} visits (seconds); ratio = warm / empty page warm")
    print(f"{'page':<22}{'cold':>8}{'warm':>8}{'ratio':>8}")
    print(f"{'(empty Streamlit page)':<22}{empty_cold:8.2f}{empty_warm:8.2f}{1:8.2f}")
    for label, (cold, warm) in results.items():
        print(f"{label:<22}{cold:8.2f}{warm:8.2f}{warm / empty_warm:8.2f}")
    print(f"Scorecard rerun after changing the council: {rerun:.2f} s ({rerun / empty_warm:.2f}x empty warm)")


if __name__ == "__main__":
    main()
