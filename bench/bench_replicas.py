"""Replicas behind nginx on this machine: what a second replica adds, and what nginx serving the
front end's files saves the replicas.

Each deployment is started by deploy/replicas.py (the code behind deploy/local.sh) on a fresh copy
of a database built from the repository, and measured through nginx with the capacity bench's
own pieces (bench/bench_capacity.py, bench/wsclient.py: one websocket per session speaking
Streamlit's protocol; each new websocket carries no cookie, so nginx places it as it places a
new browser):

1. For 1 and for 2 replicas (--replicas):
   - bursts of --bursts new sessions (default 32 and 64) opening scorecards of council-rounds no
     earlier view opened, all at the same moment: p50, p95 and max seconds to a finished page,
     errors, server CPU per session (every replica and nginx);
   - sustained views per second: --sustained-sessions sessions (default 8) going from scorecard to
     scorecard for --sustained seconds (default 60), after every replica has viewed every
     council of the newest round once (bench_capacity's sustained run, through nginx).
2. Server CPU for a first page view by a new visitor (a new Chromium context, so every front-end
   file is fetched) of a scorecard the server has already drawn: one replica reached directly,
   through nginx passing every request on, and through nginx serving the front end's files
   itself. Median of --first-views views; the replica's and nginx's CPU apart; the bytes nginx
   sent for the view (its access log).

Every phase also reports the CPU that other programs on the machine used meanwhile (from
/proc/stat, minus the servers and this process), since the machine is shared: a second replica
can only help as much as a second core is free.

Run: uv run python bench/bench_replicas.py [--replicas 1,2] [--bursts 32,64] [--sustained 60]
Needs nginx (deploy/local.sh installs it) and, for part 2, Debian's chromium. Timings are
reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_capacity  # noqa: E402
from bench.bench_capacity import WsClient, cpu_seconds, scorecard_paths, sustained_ws  # noqa: E402
from bench.bench_views import settle  # noqa: E402
from deploy import replicas  # noqa: E402
from tests.browser import VIEWPORT, free_port, launch_browser, wait_for_app  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------------
# CPU of the deployment, and of everything else on the machine
# --------------------------------------------------------------------------------------------

def nginx_pids(dep: replicas.Deployment) -> list[int]:
    """nginx's master and its workers (the master's children)."""
    if dep.nginx is None:
        return []
    master = dep.nginx.pid
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    return [master, *(int(c) for c in children)]


def replica_cpu(dep: replicas.Deployment) -> float:
    return sum(cpu_seconds(r.proc.pid) for r in dep.replicas)


def nginx_cpu(dep: replicas.Deployment) -> float:
    return sum(cpu_seconds(pid) for pid in nginx_pids(dep))


def machine_busy() -> float:
    """CPU seconds every core has spent busy since boot (/proc/stat, all but idle and iowait)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


class Meter:
    """Server CPU (replicas + nginx) and the other programs' CPU between start() and stop()."""

    def __init__(self, dep: replicas.Deployment) -> None:
        self.dep = dep

    def __enter__(self) -> Meter:
        self._t = time.perf_counter()
        self._server = replica_cpu(self.dep) + nginx_cpu(self.dep)
        self._busy = machine_busy()
        self._own = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t
        self.server = replica_cpu(self.dep) + nginx_cpu(self.dep) - self._server
        own = time.process_time() - self._own
        self.other_cores = max(0.0, machine_busy() - self._busy - self.server - own) / self.seconds


# --------------------------------------------------------------------------------------------
# 1. Bursts and sustained views, through nginx
# --------------------------------------------------------------------------------------------

def view_everywhere(dep: replicas.Deployment, paths: list[str]) -> None:
    """Every path once on every replica (each replica reached directly, all at once): as on a
    publication day, when every council's scorecard has been asked for by somebody."""
    client = WsClient()
    errors: list[str] = []

    def run(url: str) -> None:
        for path in paths:
            try:
                client.view(url, path)
            except RuntimeError as exc:  # counted and shown; the run goes on
                errors.append(str(exc))

    threads = [threading.Thread(target=run, args=(r.url,)) for r in dep.replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"warning: {len(errors)} views failed while viewing every council: {errors[:3]}", flush=True)


def placement(dep: replicas.Deployment, start: int) -> str:
    """How nginx placed the sessions (websockets) logged from byte `start` of its access log on:
    the count per replica, largest first, e.g. "19/13"."""
    with dep.access_log.open("rb") as fh:
        fh.seek(start)
        lines = fh.read().decode(errors="replace").splitlines()
    upstreams = Counter(line.split("upstream=", 1)[1].split()[0] for line in lines
                        if " /_stcore/stream " in line and "upstream=" in line)
    counts = sorted(upstreams.values(), reverse=True) + [0] * (len(dep.replicas) - len(upstreams))
    return "/".join(str(c) for c in counts)


def capacity(n: int, db_path: Path, args: argparse.Namespace) -> dict:
    client = WsClient()
    with replicas.running(n, db_path, port=free_port()) as dep:
        paths = scorecard_paths(db_path)
        # Warm-up, not counted: each replica's first run imports the app.
        for r in dep.replicas:
            client.view(r.url, paths[-1])
        viewed = [paths[-1]]
        rows = []
        for size in [int(b) for b in args.bursts.split(",") if b]:
            group = [p for p in paths if p not in viewed][:size]
            viewed += group
            start = dep.access_log.stat().st_size
            with Meter(dep) as m:
                row = bench_capacity.burst(client, dep.url, dep.replicas[0].proc.pid, group, "new")
            row.update(cpu_per_session=m.server / size, other_cores=m.other_cores, placed=placement(dep, start))
            rows.append(row)
        out: dict = {"n": n, "bursts": rows}
        if args.sustained:
            newest = paths[0].rsplit("round=", 1)[1]
            latest = [p for p in paths if p.endswith(f"round={newest}")]
            view_everywhere(dep, latest)
            start = dep.access_log.stat().st_size
            with Meter(dep) as m:
                st = sustained_ws(dep.url, dep.replicas[0].proc.pid, latest, args.sustained_sessions,
                                  args.sustained)
            st.update(cpu_per_view=m.server / st["views"] if st["views"] else float("nan"),
                      other_cores=m.other_cores, placed=placement(dep, start))
            out["sustained"] = st
    return out


# --------------------------------------------------------------------------------------------
# 2. A new visitor's first view: who sends the front end's files
# --------------------------------------------------------------------------------------------

def _log_bytes(dep: replicas.Deployment, start: int) -> int:
    """Body bytes nginx logged from byte offset `start` of its access log on."""
    with dep.access_log.open("rb") as fh:
        fh.seek(start)
        lines = fh.read().decode(errors="replace").splitlines()
    return sum(int(line.split()[6]) for line in lines if len(line.split()) > 6 and line.split()[6].isdigit())


def new_visitors(browser, dep: replicas.Deployment, base: str, path: str, count: int) -> dict:
    """Median CPU of the replica and of nginx, and nginx's bytes, per first view in a new context."""
    pid = dep.replicas[0].proc.pid
    replica, ngx, sent = [], [], []
    for _ in range(count + 1):  # the first, not counted, draws the page once on this server
        settle(pid)
        r0, n0, b0 = replica_cpu(dep), nginx_cpu(dep), dep.access_log.stat().st_size
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{base}/{path}")
        wait_for_app(page, timeout_ms=180_000)
        context.close()
        r1 = settle(pid)
        replica.append(r1 - r0)
        ngx.append(nginx_cpu(dep) - n0)
        sent.append(_log_bytes(dep, b0))
    replica, ngx, sent = replica[1:], ngx[1:], sent[1:]
    return {"replica": statistics.median(replica), "nginx": statistics.median(ngx),
            "bytes": statistics.median(sent), "views": count}


def first_views(db_path: Path, count: int) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    path = scorecard_paths(db_path)[0]
    out: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            with replicas.running(1, db_path, port=free_port(), serve_static=False) as dep:
                out["replica alone (no nginx)"] = new_visitors(browser, dep, dep.replicas[0].url, path, count)
                out["nginx passing every request on"] = new_visitors(browser, dep, dep.url, path, count)
            with replicas.running(1, db_path, port=free_port()) as dep:
                out["nginx serving the front end's files"] = new_visitors(browser, dep, dep.url, path, count)
        finally:
            browser.close()
    out["replica alone (no nginx)"]["bytes"] = float("nan")  # no nginx, no log
    return out


# --------------------------------------------------------------------------------------------

def fresh_database(tmp: Path, template: Path, name: str) -> Path:
    folder = tmp / name
    folder.mkdir()
    target = folder / "bench.duckdb"
    target.write_bytes(template.read_bytes())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", default="1,2", help="replica counts to measure, e.g. 1,2")
    parser.add_argument("--bursts", default="32,64")
    parser.add_argument("--sustained", type=float, default=60.0, help="seconds of sustained views (0: skip)")
    parser.add_argument("--sustained-sessions", type=int, default=8)
    parser.add_argument("--first-views", type=int, default=5, help="new visitors per way of serving (0: skip)")
    args = parser.parse_args()
    if replicas.find_nginx() is None:
        sys.exit("nginx is not installed (deploy/local.sh installs it, as root)")
    tmp = Path(tempfile.mkdtemp(prefix="pa-bench-replicas-"))
    try:
        measure(tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(tmp: Path, args: argparse.Namespace) -> None:
    template = tmp / "template.duckdb"
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from lib.reference.build import "
                    "build_database; build_database(Path(sys.argv[1]))", str(template)], cwd=ROOT, check=True)
    print(f"{os.cpu_count()} cores; load average at the start {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    runs = []
    for n in [int(r) for r in args.replicas.split(",") if r]:
        runs.append(capacity(n, fresh_database(tmp, template, f"capacity-{n}"), args))
        print_capacity(runs[-1])
    if len(runs) >= 2 and "sustained" in runs[0]:
        base = runs[0]["sustained"]["views_per_s"]
        for run in runs[1:]:
            print(f"{run['n']} replicas sustain {run['sustained']['views_per_s'] / base:.2f}x the views of {runs[0]['n']}")
    if args.first_views:
        table = first_views(fresh_database(tmp, template, "first-views"), args.first_views)
        print_first_views(table)


def print_capacity(run: dict) -> None:
    n = run["n"]
    print(f"\n{n} replica{'s' if n != 1 else ''} behind nginx")
    print("| burst | sessions per replica | p50 s | p95 s | max s | errors | server CPU s per session "
          "| other programs, cores |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in run["bursts"]:
        print(f"| {r['n']} new | {r['placed']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['max']:.2f} | {r['errors']} | "
              f"{r['cpu_per_session']:.2f} | {r['other_cores']:.2f} |" + (f" ({r['kinds']})" if r["kinds"] else ""))
    if "sustained" in run:
        s = run["sustained"]
        print(f"Sustained: {s['sessions']} sessions ({s['placed']} per replica) for {s['seconds']:.0f} s: {s['views']} views, "
              f"{s['views_per_s']:.2f} views/s, server CPU {s['cpu_per_view']:.3f} s per view, {s['errors']} errors, "
              f"other programs {s['other_cores']:.2f} cores", flush=True)


def print_first_views(table: dict[str, dict]) -> None:
    print("\nA new visitor's first view of a scorecard already drawn (new Chromium context), median")
    print("| served by | replica CPU s | nginx CPU s | bytes nginx sent |")
    print("|---|---:|---:|---:|")
    for label, row in table.items():
        sent = "n/a" if row["bytes"] != row["bytes"] else f"{row['bytes'] / 1e6:.2f} MB"
        print(f"| {label} | {row['replica']:.2f} | {row['nginx']:.3f} | {sent} |")


if __name__ == "__main__":
    main()
