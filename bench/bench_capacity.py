"""How many people can one server take? Server CPU per page view, and bursts of sessions.

Against a real `streamlit run dashboard.py` on 127.0.0.1 (loopback only), driven by headless
Chromium:

1. CPU seconds the server process spends per view of every page, for the page's first view on
   the server and for a repeat view (median of --repeats), as ratios to the CPU of a view of a
   one-line Streamlit app served in the same run (its floor). Also the app's own frame
   (navigation, round picker, demo banner) around an empty page.
2. Bursts of 1, 8 and 32 browser sessions (Playwright contexts in one Chromium) opening
   different councils' scorecards at the same moment: time to a finished page p50, p95 and
   max, errors, server CPU per session and the server's resident memory (peak sampled, and
   after the burst).

CPU is read from /proc/<pid>/stat (utime + stime of all the server's threads). Every loop is
bounded: each visit has a timeout and counts as an error when it runs out.

3. Sustained views per second: --sustained-sessions sessions (default 8) each going from one
   council's scorecard to the next, every council in turn, for --sustained seconds (default
   60): finished views per second and server CPU per view.
4. The pages' data functions at 1x, 10x and 100x data (bench_scale.py; --scales, "" skips).

Run: uv run python bench/bench_capacity.py [--repeats 3] [--bursts 1,8,32] [--sustained 60]
Needs Debian's chromium (/usr/bin/chromium). Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.floor import FLOOR_PATH, framed_app, one_line_app  # noqa: E402
from tests.browser import (  # noqa: E402
    _FINISHED_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STABLE_MS,
    VIEWPORT,
    launch_browser,
    streamlit_process,
    wait_for_app,
)

PAGES = {"Home": "", "Gap finder": "gaps", "Council scorecard": "scorecard?authority={code}",
         "Self-assessment": "what_if?authority={code}", "Regional comparison": "regions",
         "Peer comparison": "peers?authority={code}&peers=similar", "Good practice": "good_practice",
         "Methodology": "methodology", "Data management": "data"}
TICK = os.sysconf("SC_CLK_TCK")
VISIT_TIMEOUT_MS = 180_000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def view_cpu(browser, pid: int, url: str) -> tuple[float, float]:
    """One view in a new session: (server CPU seconds, seconds to a finished page)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        page.goto(url, wait_until="domcontentloaded")
        done = wait_for_app(page, timeout_ms=VISIT_TIMEOUT_MS)
        return cpu_seconds(pid) - c0, done - t0
    finally:
        context.close()


def page_views(browser, pid: int, url: str, repeats: int) -> tuple[float, float]:
    """(CPU of the first view, median CPU of `repeats` repeat views)."""
    first, _ = view_cpu(browser, pid, url)
    again = [view_cpu(browser, pid, url)[0] for _ in range(repeats)]
    return first, statistics.median(again)


async def _session(browser, url: str) -> tuple[float | None, str | None]:
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        t0 = time.perf_counter()
        await page.goto(url, wait_until="domcontentloaded", timeout=VISIT_TIMEOUT_MS)
        await page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=VISIT_TIMEOUT_MS)
        await page.evaluate("() => { window.__paFinishedSince = null; }")
        handle = await page.wait_for_function(_FINISHED_JS, arg=STABLE_MS, polling="raf",
                                              timeout=VISIT_TIMEOUT_MS)
        done = time.perf_counter() - float(await handle.json_value()) / 1000
        if await page.locator('[data-testid="stException"]').count():
            return None, "exception box"
        return done - t0, None
    except Exception as exc:  # noqa: BLE001 - a timeout or a crash counts as an error
        return None, type(exc).__name__
    finally:
        await context.close()


async def _burst(base: str, codes: list[str], n: int, pid: int) -> dict[str, float]:
    from playwright.async_api import async_playwright

    peak = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            urls = [f"{base}/scorecard?authority={codes[i % len(codes)]}" for i in range(n)]
            sampler.start()
            c0 = cpu_seconds(pid)
            results = await asyncio.gather(*(_session(browser, u) for u in urls))
            cpu = cpu_seconds(pid) - c0
        finally:
            stop.set()
            await browser.close()
    times = sorted(t for t, _ in results if t is not None)
    errors = [e for _, e in results if e is not None]

    def pct(q: float) -> float:
        return times[min(len(times) - 1, round(q * (len(times) - 1)))] if times else float("nan")

    return {"n": n, "p50": pct(0.5), "p95": pct(0.95), "max": times[-1] if times else float("nan"),
            "errors": len(errors), "kinds": ", ".join(sorted(set(errors))), "cpu_per_session": cpu / n,
            "rss_peak": peak[0], "rss_after": rss_mb(pid)}


def page_table(browser, db_path: Path, tmp: Path, code: str,
               repeats: int) -> tuple[float, float, dict[str, tuple[float, float]], float]:
    """The one-line app's CPU per view (first, repeat), every page's, and the server's RSS after."""
    with streamlit_process(db_path, script=one_line_app(tmp)) as (base, proc):
        view_cpu(browser, proc.pid, base)  # the server's very first run imports Streamlit's modules
        floor_first, floor = page_views(browser, proc.pid, base, repeats)
    cpu: dict[str, tuple[float, float]] = {}
    with streamlit_process(db_path, script=framed_app(tmp)) as (base, proc):
        cpu["(empty page in the app's frame)"] = page_views(browser, proc.pid, f"{base}/{FLOOR_PATH}", repeats)
        for label, path in PAGES.items():
            cpu[label] = page_views(browser, proc.pid, f"{base}/{path.format(code=code)}", repeats)
        rss = rss_mb(proc.pid)
    return floor_first, floor, cpu, rss


def main() -> None:
    global VISIT_TIMEOUT_MS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bursts", default="1,8,32")
    parser.add_argument("--timeout", type=float, default=VISIT_TIMEOUT_MS / 1000,
                        help="seconds a visit may take before it counts as an error")
    parser.add_argument("--bursts-only", action="store_true", help="skip the per-page CPU table")
    parser.add_argument("--sustained", type=float, default=60.0, help="seconds of sustained views (0: skip)")
    parser.add_argument("--sustained-sessions", type=int, default=8)
    parser.add_argument("--scales", default="1,10,100", help="data scales for bench_scale ('' skips)")
    args = parser.parse_args()
    VISIT_TIMEOUT_MS = int(args.timeout * 1000)
    from playwright.sync_api import sync_playwright

    from lib import db
    from lib.build import build_database

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-capacity-"))
    db_path = tmp / "bench.duckdb"
    build_database(db_path)
    con = db.connect(db_path, read_only=True)
    codes = [r[0] for r in con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = 2015 AND ranked ORDER BY rank").fetchall()]
    con.close()
    code = codes[0]
    bursts = [int(b) for b in args.bursts.split(",") if b]

    if not args.bursts_only:
        with sync_playwright() as p:
            browser = launch_browser(p)
            floor_first, floor, cpu, rss_pages = page_table(browser, db_path, tmp, code, args.repeats)
            browser.close()
    burst_rows = []
    with streamlit_process(db_path) as (base, proc):
        with sync_playwright() as p:  # warm the server's caches with one scorecard, not counted
            browser = launch_browser(p)
            view_cpu(browser, proc.pid, f"{base}/scorecard?authority={codes[-1]}")
            browser.close()
        for n in bursts:
            burst_rows.append(asyncio.run(_burst(base, codes, n, proc.pid)))
        steady = sustained(base, proc.pid, codes, args.sustained_sessions, args.sustained) if args.sustained else None

    if not args.bursts_only:
        print_pages(floor_first, floor, cpu, rss_pages, args.repeats)
    print_bursts(burst_rows)
    if steady:
        print(f"\nSustained: {steady['sessions']} sessions going from scorecard to scorecard for "
              f"{steady['seconds']:.0f} s: {steady['views']} views finished, {steady['views_per_s']:.2f} views/s, "
              f"server CPU {steady['cpu_per_view']:.3f} s per view, {steady['errors']} errors, "
              f"server RSS {steady['rss']:.0f} MB")
    if args.scales:
        print()
        from bench.bench_scale import scale_table

        scale_table([int(s) for s in args.scales.split(",") if s], args.repeats)


def sustained(base: str, pid: int, codes: list[str], n: int, seconds: float) -> dict[str, float]:
    """Views per second while n sessions keep opening scorecards, each council in turn."""
    from bench.sessions import Sessions

    crowd = Sessions(base, codes[:n], cycle=codes[n:] + codes[:n])
    try:
        crowd.open()
        crowd.busy(True)
        time.sleep(min(5.0, seconds / 4))  # into the stride before counting
        v0, c0, t0 = crowd.reloads, cpu_seconds(pid), time.perf_counter()
        time.sleep(seconds)
        views, cpu, elapsed = crowd.reloads - v0, cpu_seconds(pid) - c0, time.perf_counter() - t0
        crowd.busy(False)
        errors = len(crowd.errors)
    finally:
        crowd.close()
    return {"sessions": n, "seconds": elapsed, "views": views, "views_per_s": views / elapsed,
            "cpu_per_view": cpu / views if views else float("nan"), "errors": errors, "rss": rss_mb(pid)}


def print_pages(floor_first: float, floor: float, cpu: dict[str, tuple[float, float]], rss_pages: float,
                repeats: int) -> None:
    print(f"Server CPU seconds per view (first view; median of {repeats} repeat views), "
          f"floor = one-line app, repeat view {floor:.3f} s (first {floor_first:.3f} s)")
    print(f"{'page':<34}{'first s':>9}{'x floor':>9}{'repeat s':>10}{'x floor':>9}")
    for label, (first, again) in cpu.items():
        print(f"{label:<34}{first:9.3f}{first / floor:9.1f}{again:10.3f}{again / floor:9.1f}")
    print(f"Server RSS after the page views: {rss_pages:.0f} MB")
    print()


def print_bursts(burst_rows: list[dict]) -> None:
    print("Bursts of simultaneous sessions, each on a different council's scorecard (seconds to a finished page)")
    print(f"{'sessions':>8}{'p50':>8}{'p95':>8}{'max':>8}{'errors':>8}{'CPU s/session':>15}{'RSS peak MB':>13}{'RSS after MB':>14}")
    for r in burst_rows:
        print(f"{r['n']:>8}{r['p50']:8.2f}{r['p95']:8.2f}{r['max']:8.2f}{r['errors']:>8}"
              f"{r['cpu_per_session']:15.3f}{r['rss_peak']:13.0f}{r['rss_after']:14.0f}"
              + (f"  ({r['kinds']})" if r["kinds"] else ""))


if __name__ == "__main__":
    main()
