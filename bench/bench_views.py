"""Server CPU per page view as a real browser makes it, page by page, beside a one-line app.

Against real `streamlit run` servers on 127.0.0.1, driven by headless Chromium (Debian's
/usr/bin/chromium). One person is one browser context. For every page of the dashboard it
reports, in one run:

- **first view**: the page for a council nobody has opened yet on this server (median of
  --repeats councils; pages without a council have none here, as the warm-up opened them), in a
  browser that already holds the front end's files, as a director's browser does after the
  first page;
- **repeat view**: the same address opened again by the same person (median of --repeats);
- **widget change**: the person picks another survey round in the sidebar, on the open page
  (median of --repeats: 2014, then 2013, then 2012);
- **new visitor**: the repeat view's address in a brand-new browser context, so the server
  also sends every front-end file the page needs (JavaScript, fonts, styles);
- **protocol client**: the repeat view through bench/wsclient.py (Streamlit's own protocol over
  one websocket, no browser), as bench_capacity measures;
- **browser s**: the browser's own time from navigation to a settled page (tests/browser
  wait_for_app) for the repeat view, and **Chromium CPU s**, the CPU all of Chromium's
  processes spent on it (drawing the page is most of a browser test's cost).

Server CPU is user + system time of the server process (all threads) from /proc, read before
the navigation and after the page has settled and a short quiet spell has passed (so work the
browser triggers after drawing, such as a query-string update, is counted). The floor is a
one-line Streamlit app (a title) measured the same way in the same run; the "over" columns are
the page minus the floor.

`--profile PAGE` also records the server with py-spy (sampling only threads holding the GIL)
during --repeats repeat views of that page and prints the functions that took the most time.

`--before DIR` also measures another checkout (e.g. `git worktree add /tmp/before <commit>`),
beside the same one-line app: both servers run side by side and take turns page by page, so a
change in the shared machine's speed during the run falls on both alike.

Run: uv run python bench/bench_views.py [--repeats 3] [--profile scorecard] [--before DIR]
Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import contextlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wsclient  # noqa: E402
from bench.bench_capacity import PAGES, cpu_seconds, ranked_codes  # noqa: E402
from bench.floor import one_line_app  # noqa: E402
from tests.browser import (  # noqa: E402
    VIEWPORT,
    launch_browser,
    streamlit_process,
    wait_for_app,
    wait_for_rerun_start,
)

#: The rounds the widget-change views pick in turn (the page opens on the latest, 2015).
ROUNDS = (2014, 2013, 2012)
#: After a page has settled, how long the server must stay quiet before its CPU is read.
QUIET_S = 0.4
TIMEOUT_MS = 180_000


def settle(pid: int) -> float:
    """Wait until the server has used no CPU for QUIET_S (at most 5 s); return its CPU then."""
    deadline = time.monotonic() + 5
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(QUIET_S)
        now = cpu_seconds(pid)
        if now == last:
            break
        last = now
    return last


def browser_cpu() -> float:
    """CPU seconds of every running Chromium process (renderers, GPU, browser), from /proc."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().startswith(("chromium", "chrome", "headless_shell")):
                total += cpu_seconds(int(comm.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return total


class Person:
    """One browser context: a person who keeps their browser (and its cache of static files)."""

    def __init__(self, browser, base: str, pid: int) -> None:
        self.browser, self.base, self.pid = browser, base, pid
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()

    def view(self, path: str) -> tuple[float, float]:
        """(server CPU seconds, browser seconds to a settled page) for one navigation; the
        browser's CPU seconds for it are kept in self.browser_cpu."""
        c0 = settle(self.pid)
        b0 = browser_cpu()
        t0 = time.perf_counter()
        self.page.goto(f"{self.base}/{path}", wait_until="domcontentloaded", timeout=TIMEOUT_MS)
        done = wait_for_app(self.page, timeout_ms=TIMEOUT_MS)
        self.browser_cpu = browser_cpu() - b0
        return settle(self.pid) - c0, done - t0

    def change_round(self, year: int) -> float:
        """Server CPU for picking survey round `year` in the sidebar on the open page."""
        box = self.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        c0 = settle(self.pid)
        box.click()
        self.page.keyboard.type(str(year))
        self.page.keyboard.press("Enter")
        wait_for_rerun_start(self.page)
        wait_for_app(self.page, timeout_ms=TIMEOUT_MS)
        if f"round={year}" not in self.page.url:
            raise RuntimeError(f"picking round {year} on {self.page.url} did not change the round")
        return settle(self.pid) - c0

    def close(self) -> None:
        self.context.close()


def new_visitor(browser, base: str, pid: int, path: str) -> float:
    person = Person(browser, base, pid)
    try:
        return person.view(path)[0]
    finally:
        person.close()


def ws_view(base: str, pid: int, path: str) -> float:
    c0 = settle(pid)
    # Its own thread: Playwright's sync API already runs an event loop on this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, wsclient.one_view(base, path, TIMEOUT_MS / 1000)).result()
    if result.seconds is None:
        raise RuntimeError(f"{path}: {result.error}")
    return settle(pid) - c0


def measure_floor(browser, tmp: Path, repeats: int) -> dict:
    with streamlit_process(tmp / "unused.duckdb", script=one_line_app(tmp), cwd=ROOT) as (base, proc):
        person = Person(browser, base, proc.pid)
        try:
            person.view("")  # the server's very first run imports Streamlit's script modules
            first = person.view("")[0]
            again, drawing = [], []
            for _ in range(repeats):
                again.append(person.view(""))
                drawing.append(person.browser_cpu)
        finally:
            person.close()
        return {"first": first, "repeat": statistics.median(c for c, _ in again),
                "browser": statistics.median(s for _, s in again), "browser cpu": statistics.median(drawing),
                "new visitor": statistics.median(new_visitor(browser, base, proc.pid, "") for _ in range(repeats)),
                "protocol": statistics.median(ws_view(base, proc.pid, "") for _ in range(repeats))}


def measure_pages(browser, checkouts: list[tuple[Path, Path]], codes: list[str], repeats: int,
                  profile: str | None, pages: dict[str, str]) -> list[dict]:
    """Every page on each checkout's server, given as (database, checkout root): the servers run
    side by side and the checkouts take turns page by page, so a drift in the machine's speed
    falls on both alike. One row dict per checkout."""
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(streamlit_process(db, script=root / "dashboard.py", cwd=root))
                   for db, root in checkouts]
        people = [Person(browser, base, proc.pid) for base, proc in servers]
        for person in people:
            stack.callback(person.close)
        spares = [iter(codes[2:]) for _ in checkouts]  # councils no view has opened yet
        for person in people:
            # Not counted: the server's first run (imports, the fresh database's first
            # publication) and the browser's first download of the front end's files, on a
            # page the table does not list; then each page once for a council the table does
            # not use either, so the browser holds that page's element code.
            person.view("accessibility")
            for path in pages.values():
                person.view(path.format(code=codes[1]))
        rows: list[dict] = [{} for _ in checkouts]
        for label, path in pages.items():
            for i, person in enumerate(people):
                rows[i][label] = measure_page(person, path, spares[i], repeats, browser)
                if profile and profile == path.split("?", 1)[0] and i == len(people) - 1:
                    address = path.format(code=next(spares[i])) if "{code}" in path else path
                    person.view(address)
                    rows[i][label]["profile"] = profile_views(person, person.pid, [address] * max(repeats, 5))
                    if "{code}" in path:
                        fresh = [path.format(code=next(spares[i])) for _ in range(max(repeats, 5))]
                        rows[i][label]["profile first"] = profile_views(person, person.pid, fresh)
        return rows


def measure_page(person: Person, path: str, spare, repeats: int, browser) -> dict:
    """One page's row: first views (councils from `spare`), repeat views, round changes, a new
    visitor and the protocol client's view."""
    takes_council = "{code}" in path
    address = path.format(code=next(spare)) if takes_council else path
    # First views: the median of `repeats` councils nobody has opened (the last of them is then
    # the repeat views' address).
    firsts = []
    if takes_council:
        for _ in range(repeats - 1):
            firsts.append(person.view(path.format(code=next(spare)))[0])
        firsts.append(person.view(address)[0])
    again, drawing = [], []
    for _ in range(repeats):
        again.append(person.view(address))
        drawing.append(person.browser_cpu)
    # Widget changes: the earlier rounds in turn, each from the page as it stands.
    widgets = [person.change_round(year) for year in ROUNDS[:repeats]]
    return {
        "first": statistics.median(firsts) if firsts else None,
        "repeat": statistics.median(c for c, _ in again),
        "browser": statistics.median(s for _, s in again), "widget": statistics.median(widgets),
        "browser cpu": statistics.median(drawing),
        "new visitor": new_visitor(browser, person.base, person.pid, address),
        "protocol": statistics.median(ws_view(person.base, person.pid, address) for _ in range(repeats)),
    }


def profile_views(person: Person, pid: int, addresses: list[str]) -> list[str]:
    """The top functions (inclusive and self) while `person` views `addresses`, from py-spy."""
    spy_exe = shutil.which("py-spy")
    if spy_exe is None:
        return ["py-spy is not installed: uv pip install py-spy (a bench-only tool)"]
    out = Path(tempfile.mkdtemp(prefix="pa-bench-spy-")) / "stacks.txt"
    spy = subprocess.Popen([spy_exe, "record", "-p", str(pid), "-r", "250", "-f", "raw", "-o", str(out),
                            "--nonblocking", "--gil"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)  # py-spy attaches
    for address in addresses:
        person.view(address)
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=30)
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"{total} samples with the GIL held; inclusive:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in inclusive.most_common(45)]
    lines += ["self:"] + [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(20)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout (e.g. a git worktree of an older "
                        "commit) measured in the same run, page by page in turn with this one, on a copy of the same database")
    parser.add_argument("--pages", help="only these pages, by address, comma-separated (e.g. scorecard,gaps)")
    parser.add_argument("--profile", help="a page's address (e.g. scorecard) to profile with py-spy")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-views-"))
    db_path = tmp / "bench.duckdb"
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from lib.reference.build import "
                    "build_database; build_database(Path(sys.argv[1]))", str(db_path)], cwd=ROOT, check=True)
    codes = ranked_codes(db_path)
    with sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            floor = measure_floor(browser, tmp, args.repeats)
            chosen = set(args.pages.split(",")) if args.pages else None
            pages = {k: v for k, v in PAGES.items() if chosen is None or v.split("?", 1)[0] in chosen}
            checkouts = [(db_path, ROOT)]
            if args.before:
                copy = tmp / "before.duckdb"
                shutil.copy(db_path, copy)  # its own file: each server publishes beside its own
                checkouts.insert(0, (copy, args.before.resolve()))
            *earlier, rows = measure_pages(browser, checkouts, codes, args.repeats, args.profile, pages)
            before = earlier[0] if earlier else None
        finally:
            browser.close()
    if before is not None:
        print(f"=== before: {args.before} ===")
        print_table(floor, before, args.repeats)
        print(f"\n=== after: {ROOT} ===")
    print_table(floor, rows, args.repeats)


def print_table(floor: dict, rows: dict, repeats: int) -> None:
    print(f"Server CPU seconds per view, headless Chromium, one person per browser context; repeat and "
          f"protocol: median of {repeats}.")
    print(f"One-line app: first {floor['first']:.2f}, repeat {floor['repeat']:.2f}, new visitor "
          f"{floor['new visitor']:.2f}, protocol client {floor['protocol']:.2f}, browser "
          f"{floor['browser']:.2f} s to a settled page, Chromium CPU {floor['browser cpu']:.2f} s.")
    head = ["page", "first", "over", "repeat", "over", "x app", "widget", "over", "new visitor",
            "protocol", "browser s", "Chromium CPU s"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    base = floor["repeat"]
    for label, r in rows.items():
        first = "n/a" if r["first"] is None else f"{r['first']:.2f}"
        first_over = "" if r["first"] is None else f"{r['first'] - base:.2f}"
        cells = [label, first, first_over, f"{r['repeat']:.2f}", f"{r['repeat'] - base:.2f}",
                 f"{r['repeat'] / base:.1f}" if base else "inf", f"{r['widget']:.2f}",
                 f"{r['widget'] - base:.2f}", f"{r['new visitor']:.2f}", f"{r['protocol']:.2f}",
                 f"{r['browser']:.2f}", f"{r['browser cpu']:.2f}"]
        print("| " + " | ".join(cells) + " |")
    for label, r in rows.items():
        if "profile" in r:
            print(f"\nProfile of {label}, repeat views (py-spy):")
            print("\n".join(r["profile"]))
        if "profile first" in r:
            print(f"\nProfile of {label}, first views of councils (py-spy):")
            print("\n".join(r["profile first"]))


if __name__ == "__main__":
    main()
