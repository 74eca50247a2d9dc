"""N respondents press Save at once on a real server: the whole path, browser to store.

Builds a fresh database in a temporary folder, opens a 2016 round and invites N councils that
answered in 2015 (so each has last round's answers to confirm), starts a real `streamlit run
dashboard.py` on 127.0.0.1, and opens each council's private link in its own browser context
(its own Streamlit session) in headless Chromium. Then every page presses "Save support for
individual employers" at the same moment. Reports, per save, the time from the click to the
page's "saved" message (median, p95, max), the server's peak and final memory, and counts back
from the store that every council's section was saved (exit 1 if any was lost).

The Chromium pages run on the same machine as the server, so the times include the browsers'
own work; on 2 cores they are an upper bound for the server's.

Run: uv run python bench/bench_respond_server.py [--respondents 50]
Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from bench.bench_capacity import rss_mb  # noqa: E402
from lib import collection  # noqa: E402
from lib.reference.build import build_database  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

YEAR = 2016  # the councils of 1 April 2016 are those of 2015, whose respondents have answers to confirm
SECTION = "Support for individual employers"


async def _open(browser, url: str, token: str):
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{url}/respond?token={token}", wait_until="domcontentloaded")
    await page.get_by_role("button", name=f"Save {SECTION.lower()}").wait_for(timeout=180_000)
    return page


async def _save(page) -> float:
    t0 = time.perf_counter()
    # A long timeout: on a starved machine a page can take minutes to take the click, and a click
    # that was never made would be counted as a lost save.
    await page.get_by_role("button", name=f"Save {SECTION.lower()}").click(timeout=600_000)
    await page.get_by_text(f"{SECTION} saved.").first.wait_for(timeout=600_000)
    return time.perf_counter() - t0


async def _run(url: str, tokens: list[str]) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        pages = []
        for token in tokens:  # one at a time: opening is not what is measured
            pages.append(await _open(browser, url, token))
        results = await asyncio.gather(*(_save(page) for page in pages), return_exceptions=True)
        await browser.close()
    times = [r for r in results if isinstance(r, float)]
    errors = [f"{type(r).__name__}: {str(r)[:200]}" for r in results if not isinstance(r, float)]
    return times, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        working = Path(folder) / "bench.duckdb"
        build_database(working)
        collection.open_round(working, YEAR, by="bench")
        con = duckdb.connect(str(working), read_only=True)
        try:
            codes = [r[0] for r in con.execute("SELECT DISTINCT authority_code FROM responses WHERE round_year = 2015 "
                                               "ORDER BY 1 LIMIT ?", [args.respondents]).fetchall()]
        finally:
            con.close()
        tokens = [collection.invite(working, YEAR, c, by="bench").token or "" for c in codes]
        with streamlit_process(working) as (url, proc):
            peak = [rss_mb(proc.pid)]
            stop = threading.Event()

            def watch() -> None:
                while not stop.is_set():
                    peak.append(rss_mb(proc.pid))
                    time.sleep(0.2)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            wall = time.perf_counter()
            times, errors = asyncio.run(_run(url, tokens))
            wall = time.perf_counter() - wall
            stop.set()
            final_rss = rss_mb(proc.pid)
        lost = 0
        for token in tokens:
            session = collection.resolve(working, token, client="bench")
            draft = collection.load_draft(working, session)
            section = draft.questions[draft.questions["audience"] == "employers"]
            if any(draft.answers[q].prefilled for q in section["id"] if draft.answers[q].answer is not None):
                lost += 1  # the section's last-round answers were not confirmed: the save did not land
    times.sort()
    print(f"{len(tokens)} respondents pressed Save at once (server and Chromium on this machine; {wall:.0f} s in all)")
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"click to 'saved': median {statistics.median(times):.1f} s, p95 {p95:.1f} s, max {times[-1]:.1f} s")
    print(f"server memory: peak {max(peak):.0f} MB, after {final_rss:.0f} MB")
    print(f"errors: {len(errors)}; sections not saved: {lost}")
    for e in errors[:5]:
        print("  ", e)
    return 1 if errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
