"""How many people can one server take? Server CPU per page view, bursts, sustained views, memory.

Against a real `streamlit run dashboard.py` on 127.0.0.1 (loopback only). The client is, by
default, bench/wsclient.py: one websocket per session speaking Streamlit's own protocol, so the
server does what a browser visit makes it do (minus serving the front end's static files) while
the client costs the shared 2-core machine almost nothing. `--client browser` drives headless
Chromium instead (a page counts as loaded when tests/browser.wait_for_app says so), where the
browsers share the server's cores.

1. CPU seconds the server process spends per view of every page: the page's first view on a
   warm server, and a repeat view of the same arguments (median of --repeats), as ratios to a
   view of a one-line Streamlit app served in the same run (its floor). Also the app's own
   frame (navigation, round picker, demo banner) around an empty page.
2. Bursts of --bursts sessions (default 1, 8, 32, 64) opening scorecards at the same moment:
   "new" bursts each on councils no earlier view has opened (so nothing for them is cached
   yet), then a "repeat" burst of the largest size on councils already viewed. Seconds to a
   finished page p50, p95, max, errors, server CPU per session, resident memory (peak, after).
3. Sustained views per second: --sustained-sessions sessions (default 8) each going from one
   council's scorecard to the next, every council in turn, for --sustained seconds (default 60),
   after every council has been viewed once: views per second and server CPU per view.
4. Open sessions: --open sessions (default 32) each with a scorecard open and idle: the
   server's memory per session, and its CPU per second while they sit idle, against the same
   server with no session.
5. The pages' data functions at 1x, 10x and 100x data (bench_scale.py; --scales, "" skips).

`--before PATH` runs 1-4 first against another checkout (e.g. a `git worktree` of an older
commit), then against this one, and prints both tables: before and after, same machine and run.

CPU is read from /proc/<pid>/stat (utime + stime of all the server's threads). Every loop is
bounded: each visit has a timeout and counts as an error when it runs out.

Run: uv run python bench/bench_capacity.py [--repeats 3] [--bursts 1,8,32,64] [--before DIR]
The browser client needs Debian's chromium (/usr/bin/chromium). Timings are reported, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wsclient  # noqa: E402
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
         "Improvement plan": "plan?authority={code}", "Methodology": "methodology",
         "Download the data": "downloads", "Data management": "data"}
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


Result = tuple[float | None, str | None]  # (seconds to a finished page, or None; error kind)


class WsClient:
    """Sessions as websockets (bench/wsclient.py)."""

    name = "websocket"

    def view(self, base: str, path: str) -> float:
        """One view in a new session; returns seconds (raises on an error: a table needs it)."""
        result = asyncio.run(wsclient.one_view(base, path, VISIT_TIMEOUT_MS / 1000))
        if result.seconds is None:
            raise RuntimeError(f"{path}: {result.error}")
        return result.seconds

    def burst(self, base: str, paths: list[str]) -> list[Result]:
        views = asyncio.run(wsclient.burst(base, paths, VISIT_TIMEOUT_MS / 1000))
        return [(v.seconds, v.error) for v in views]

    def close(self) -> None:
        pass


class BrowserClient:
    """Sessions as contexts of one headless Chromium, on the server's own cores."""

    name = "Chromium"

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = launch_browser(self._pw)

    def view(self, base: str, path: str) -> float:
        context = self._browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        try:
            t0 = time.perf_counter()
            page.goto(f"{base}/{path}", wait_until="domcontentloaded")
            return wait_for_app(page, timeout_ms=VISIT_TIMEOUT_MS) - t0
        finally:
            context.close()

    def burst(self, base: str, paths: list[str]) -> list[Result]:
        return asyncio.run(_browser_burst(base, paths))

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()


async def _browser_session(browser, url: str) -> Result:
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


async def _browser_burst(base: str, paths: list[str]) -> list[Result]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            return list(await asyncio.gather(*(_browser_session(browser, f"{base}/{u}") for u in paths)))
        finally:
            await browser.close()


def view_cpu(client, pid: int, base: str, path: str) -> float:
    c0 = cpu_seconds(pid)
    client.view(base, path)
    return cpu_seconds(pid) - c0


def page_views(client, pid: int, base: str, path: str, repeats: int) -> tuple[float, float]:
    """(CPU of the first view, median CPU of `repeats` repeat views), each in a new session."""
    first = view_cpu(client, pid, base, path)
    again = [view_cpu(client, pid, base, path) for _ in range(repeats)]
    return first, statistics.median(again)


def page_table(client, db_path: Path, tmp: Path, root: Path, code: str, repeats: int) -> dict:
    """The one-line app's CPU per view (first, repeat), every page's, and the server's RSS after."""
    with streamlit_process(db_path, script=one_line_app(tmp), cwd=root) as (base, proc):
        view_cpu(client, proc.pid, base, "")  # the server's very first run imports Streamlit's modules
        floor = page_views(client, proc.pid, base, "", repeats)
    cpu: dict[str, tuple[float, float]] = {}
    with streamlit_process(db_path, script=framed_app(tmp, root), cwd=root) as (base, proc):
        # Warm-up, not counted: the server's first run imports the app and publishes the fresh
        # database's first version, and registers the app's pages (before it, Streamlit does not
        # know the bench's extra page). Accessibility is a page the table does not list.
        client.view(base, "accessibility")
        cpu["(empty page in the app's frame)"] = page_views(client, proc.pid, base, FLOOR_PATH, repeats)
        for label, path in PAGES.items():
            cpu[label] = page_views(client, proc.pid, base, path.format(code=code), repeats)
        rss = rss_mb(proc.pid)
    return {"floor": floor, "cpu": cpu, "rss": rss}


def burst(client, base: str, pid: int, paths: list[str], label: str) -> dict:
    peak = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    c0 = cpu_seconds(pid)
    try:
        results = client.burst(base, paths)
    finally:
        stop.set()
    cpu = cpu_seconds(pid) - c0
    times = sorted(t for t, _ in results if t is not None)
    errors = [e for _, e in results if e is not None]

    def pct(q: float) -> float:
        return times[min(len(times) - 1, round(q * (len(times) - 1)))] if times else float("nan")

    return {"n": len(paths), "label": label, "p50": pct(0.5), "p95": pct(0.95),
            "max": times[-1] if times else float("nan"), "errors": len(errors),
            "kinds": ", ".join(sorted(set(errors))), "cpu_per_session": cpu / len(paths),
            "rss_peak": peak[0], "rss_after": rss_mb(pid)}


def sustained_ws(base: str, pid: int, paths: list[str], n: int, seconds: float) -> dict:
    """Views per second while n websocket sessions keep opening scorecards, each council in turn."""
    state = {"views": 0, "errors": 0, "next": 0}
    deadline = [0.0]

    async def one(session: wsclient.Session) -> None:
        # A view started before the deadline is counted when it finishes, and the CPU and time
        # are read once every session's last view has finished, so they cover the same views.
        while time.perf_counter() < deadline[0]:
            path = paths[state["next"] % len(paths)]
            state["next"] += 1
            view = await session.view(path)
            state["views" if view.seconds is not None else "errors"] += 1

    async def run() -> tuple[float, float]:
        sessions = [wsclient.Session(base, VISIT_TIMEOUT_MS / 1000) for _ in range(n)]
        await asyncio.gather(*(s.open() for s in sessions))
        try:
            c0, t0 = cpu_seconds(pid), time.perf_counter()
            deadline[0] = t0 + seconds
            await asyncio.gather(*(one(s) for s in sessions))
            return cpu_seconds(pid) - c0, time.perf_counter() - t0
        finally:
            await asyncio.gather(*(s.close() for s in sessions))

    cpu, elapsed = asyncio.run(run())
    views = state["views"]
    return {"sessions": n, "seconds": elapsed, "views": views, "views_per_s": views / elapsed,
            "cpu_per_view": cpu / views if views else float("nan"), "errors": state["errors"],
            "rss": rss_mb(pid)}


def sustained_browser(base: str, pid: int, paths: list[str], n: int, seconds: float) -> dict:
    """Views per second while n Chromium sessions keep opening scorecards, each council in turn
    (the round shown by default: bench.sessions opens scorecards by council code)."""
    from bench.sessions import Sessions

    codes = [p.split("authority=", 1)[1].split("&", 1)[0] for p in paths]
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


def open_sessions(base: str, pid: int, codes: list[str], n: int, idle: float = 10.0) -> dict:
    """Memory per open session and idle CPU: n websocket sessions each with a scorecard open,
    against the same server with none (each reading taken after 2 s without requests)."""
    def idle_cpu() -> float:
        c0 = cpu_seconds(pid)
        time.sleep(idle)
        return (cpu_seconds(pid) - c0) / idle

    async def run() -> dict:
        time.sleep(2.0)
        rss0, cpu0 = rss_mb(pid), idle_cpu()
        sessions = [wsclient.Session(base, VISIT_TIMEOUT_MS / 1000) for _ in range(n)]
        await asyncio.gather(*(s.open() for s in sessions))
        try:
            views = await asyncio.gather(*(s.view(f"scorecard?authority={codes[i % len(codes)]}")
                                           for i, s in enumerate(sessions)))
            errors = sum(v.seconds is None for v in views)
            await asyncio.sleep(2.0)
            rss1 = rss_mb(pid)
            c0 = cpu_seconds(pid)
            await asyncio.sleep(idle)
            cpu1 = (cpu_seconds(pid) - c0) / idle
        finally:
            await asyncio.gather(*(s.close() for s in sessions))
        return {"n": n, "errors": errors, "rss_none": rss0, "rss_open": rss1,
                "mb_per_session": (rss1 - rss0) / n, "idle_cpu_none": cpu0, "idle_cpu_open": cpu1}

    return asyncio.run(run())


def ranked_codes(db_path: Path) -> list[str]:
    """The 2015 round's ranked councils, best first."""
    from lib.store import db

    con = db.connect(db_path, read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT authority_code FROM overall_scores "
                                          "WHERE round_year = 2015 AND ranked ORDER BY rank").fetchall()]
    finally:
        con.close()


def scorecard_paths(db_path: Path) -> list[str]:
    """A scorecard address for every ranked council in every round, newest round first (so a
    burst of councils nobody has opened yet can be larger than one round's 95 respondents)."""
    from lib.store import db

    con = db.connect(db_path, read_only=True)
    try:
        rows = con.execute("SELECT authority_code, round_year FROM overall_scores WHERE ranked "
                           "ORDER BY round_year DESC, rank").fetchall()
    finally:
        con.close()
    return [f"scorecard?authority={code}&round={year}" for code, year in rows]


def measure(root: Path, args: argparse.Namespace, tmp: Path) -> dict:
    """Everything but the data scales, against the checkout `root`, on a database it builds."""
    folder = tmp / f"db-{len(list(tmp.iterdir()))}"
    folder.mkdir()
    db_path = folder / "bench.duckdb"
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from lib.reference.build import "
                    "build_database; build_database(Path(sys.argv[1]))", str(db_path)],
                   cwd=root, check=True)
    codes = ranked_codes(db_path)
    bursts = [int(b) for b in args.bursts.split(",") if b]
    client = BrowserClient() if args.client == "browser" else WsClient()
    out: dict = {"root": str(root)}
    try:
        if not args.bursts_only:
            out["pages"] = page_table(client, db_path, tmp, root, codes[0], args.repeats)
        with streamlit_process(db_path, script=root / "dashboard.py", cwd=root) as (base, proc):
            paths = scorecard_paths(db_path)
            # Warm the server (imports, first publication) on a scorecard the bursts never open.
            client.view(base, paths[-1])
            viewed = [paths[-1]]
            rows = []
            for n in bursts:  # each burst on council-rounds nobody has opened yet
                group = [c for c in paths if c not in viewed][:n]
                viewed += group
                rows.append(burst(client, base, proc.pid, group, "new"))
            if bursts:
                rows.append(burst(client, base, proc.pid, viewed[1:max(bursts) + 1], "repeat"))
            out["bursts"] = rows
            if args.sustained:
                newest = paths[0].rsplit("round=", 1)[1]
                latest = [p for p in paths if p.endswith(f"round={newest}")]
                for path in latest:  # every council viewed once, as on a publication day by now
                    if path not in viewed:
                        client.view(base, path)
                run = sustained_browser if args.client == "browser" else sustained_ws
                out["sustained"] = run(base, proc.pid, latest, args.sustained_sessions, args.sustained)
            if args.open:
                out["open"] = open_sessions(base, proc.pid, codes, args.open)
    finally:
        client.close()
    return out


def main() -> None:
    global VISIT_TIMEOUT_MS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", choices=["ws", "browser"], default="ws")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bursts", default="1,8,32,64")
    parser.add_argument("--timeout", type=float, default=VISIT_TIMEOUT_MS / 1000,
                        help="seconds a visit may take before it counts as an error")
    parser.add_argument("--bursts-only", action="store_true", help="skip the per-page CPU table")
    parser.add_argument("--sustained", type=float, default=60.0, help="seconds of sustained views (0: skip)")
    parser.add_argument("--sustained-sessions", type=int, default=8)
    parser.add_argument("--open", type=int, default=32, help="idle open sessions for memory (0: skip)")
    parser.add_argument("--scales", default="1,10,100", help="data scales for bench_scale ('' skips)")
    parser.add_argument("--before", type=Path, help="another checkout to measure first, for a before/after")
    args = parser.parse_args()
    VISIT_TIMEOUT_MS = int(args.timeout * 1000)
    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-capacity-"))
    runs = []
    if args.before:
        runs.append(("before", measure(args.before.resolve(), args, tmp)))
    runs.append(("after" if args.before else "this checkout", measure(ROOT, args, tmp)))
    client = "headless Chromium" if args.client == "browser" else "websocket sessions (bench/wsclient.py)"
    print(f"Client: {client}; {os.cpu_count()} cores")
    for label, out in runs:
        print(f"\n=== {label}: {out['root']} ===")
        if "pages" in out:
            print_pages(out["pages"], args.repeats)
        print_bursts(out.get("bursts", []))
        if "sustained" in out:
            st = out["sustained"]
            print(f"\nSustained: {st['sessions']} sessions going from scorecard to scorecard for "
                  f"{st['seconds']:.0f} s: {st['views']} views finished, {st['views_per_s']:.2f} views/s, "
                  f"server CPU {st['cpu_per_view']:.3f} s per view, {st['errors']} errors, "
                  f"server RSS {st['rss']:.0f} MB")
        if "open" in out:
            o = out["open"]
            print(f"\nOpen sessions: {o['n']} idle scorecard sessions ({o['errors']} errors): server RSS "
                  f"{o['rss_none']:.0f} MB with none, {o['rss_open']:.0f} MB with them open, "
                  f"{o['mb_per_session']:.2f} MB per session; idle CPU {o['idle_cpu_none'] * 1000:.1f} ms/s "
                  f"with none, {o['idle_cpu_open'] * 1000:.1f} ms/s with them open")
    if args.scales:
        print()
        from bench.bench_scale import scale_table

        scale_table([int(s) for s in args.scales.split(",") if s], args.repeats)


def print_pages(table: dict, repeats: int) -> None:
    floor_first, floor = table["floor"]
    print(f"Server CPU seconds per view (first view; median of {repeats} repeat views), "
          f"floor = one-line app, repeat view {floor:.3f} s (first {floor_first:.3f} s)")
    print(f"{'page':<34}{'first s':>9}{'x floor':>9}{'repeat s':>10}{'x floor':>9}")
    for label, (first, again) in table["cpu"].items():
        print(f"{label:<34}{first:9.3f}{first / floor:9.1f}{again:10.3f}{again / floor:9.1f}")
    print(f"Server RSS after the page views: {table['rss']:.0f} MB")
    print()


def print_bursts(rows: list[dict]) -> None:
    print("Bursts of simultaneous sessions on scorecards (seconds to a finished page); new: councils "
          "not viewed before, repeat: councils already viewed")
    print(f"{'sessions':>8}{'':>8}{'p50':>8}{'p95':>8}{'max':>8}{'errors':>8}{'CPU s/session':>15}"
          f"{'RSS peak MB':>13}{'RSS after MB':>14}")
    for r in rows:
        print(f"{r['n']:>8}{r['label']:>8}{r['p50']:8.2f}{r['p95']:8.2f}{r['max']:8.2f}{r['errors']:>8}"
              f"{r['cpu_per_session']:15.3f}{r['rss_peak']:13.0f}{r['rss_after']:14.0f}"
              + (f"  ({r['kinds']})" if r["kinds"] else ""))


if __name__ == "__main__":
    main()
