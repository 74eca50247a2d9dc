"""nginx in front of N `streamlit run dashboard.py` replicas on this machine, and stopping them.

`deploy/local.sh N` runs `python -m deploy.replicas N`; bench/bench_replicas.py uses `running()`;
tests/test_replicas_browser.py runs local.sh itself. Everything goes through `running()`:

1. The database ($PA_BENCHMARK_DB, else data/pa_benchmark.duckdb) is built if missing and
   published once, in one short process, so that N replicas starting together do not race to
   make the first publication.
2. N replicas on free loopback ports, each `streamlit run dashboard.py` from the repository
   (its .streamlit/config.toml applies), all with the same database path and the same cookie
   secret: $STREAMLIT_SERVER_COOKIE_SECRET if set, else one generated for this run. Streamlit
   signs its XSRF cookie and st.login's cookie with it, so a browser moved to another replica
   (one stopped) is not refused.
3. Streamlit's front-end files copied into the run folder, each compressible one with a gzip
   copy beside it (nginx's gzip_static sends that instead of compressing on every request).
4. nginx, from deploy/nginx.conf.template rendered into the run folder, in the foreground, with
   its pid file, logs and temporary files in that folder: nothing under /etc or /var is
   touched, and it runs as root or as a normal user.

On leaving `running()` (or SIGTERM or Ctrl-C for the command) nginx and then every replica are
stopped, and the run folder is removed unless asked to keep it (or something failed to start,
so its logs can be read). Children also get SIGTERM if this process dies (Linux's
PR_SET_PDEATHSIG), so none is left running behind it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
MIME_TYPES = Path("/etc/nginx/mime.types")
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
DB_ENV = "PA_BENCHMARK_DB"
#: Extensions of Streamlit's front-end files that compress (fonts are woff2, already compressed).
COMPRESSIBLE = frozenset({".js", ".css", ".html", ".json", ".svg", ".map", ".txt"})
#: Seconds a replica or nginx may take to answer its health check after starting.
START_TIMEOUT = 120.0
#: Seconds a process may take to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0


class StartFailed(RuntimeError):
    """A replica or nginx did not start; the message names the log to read."""


# --------------------------------------------------------------------------------------------
# Pieces: nginx, the static files, the configuration
# --------------------------------------------------------------------------------------------

def find_nginx() -> str | None:
    """nginx's path, looking in sbin folders too (a normal user's PATH often leaves them out)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("nginx", path=path)


def streamlit_static_dir() -> Path:
    import streamlit

    return Path(streamlit.__file__).parent / "static"


def build_static(target: Path) -> Path:
    """Copy Streamlit's front-end files to `target` and write `<name>.gz` beside every file that
    compresses (gzip level 9, once, instead of on every request). Returns `target`."""
    shutil.copytree(streamlit_static_dir(), target)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in COMPRESSIBLE:
            raw = path.read_bytes()
            packed = gzip.compress(raw, compresslevel=9, mtime=0)
            if len(packed) < len(raw):
                gz = path.with_name(path.name + ".gz")
                gz.write_bytes(packed)
                shutil.copystat(path, gz)  # same modification time as the file it stands for
    for path in [target, *target.rglob("*")]:  # readable by nginx's workers (nobody, as root)
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


_SECTION = re.compile(r"^#@(static-files|static-proxied)\n(.*?)^#@end\n", re.S | re.M)
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")


def render(template: str, *, listen: str, servers: list[str], static_root: Path, run_dir: Path,
           access_log: str, error_log: str, workers: str = "1", mime_types: Path = MIME_TYPES,
           serve_static: bool = True) -> str:
    """The nginx configuration: the template with its @NAME@ words filled in and one of its two
    static sections kept (nginx serves the front end's files, or the replicas do)."""
    keep = "static-files" if serve_static else "static-proxied"
    text = _SECTION.sub(lambda m: m.group(2) if m.group(1) == keep else "", template)
    values = {
        "@LISTEN@": listen,
        "@SERVERS@": "\n".join(f"        server {s};" for s in servers),
        "@STATIC_ROOT@": str(static_root),
        "@RUN_DIR@": str(run_dir),
        "@ACCESS_LOG@": access_log,
        "@ERROR_LOG@": error_log,
        "@WORKERS@": workers,
        "@MIME_TYPES@": str(mime_types),
    }
    for name, value in values.items():
        text = text.replace(name, value)
    if left := sorted(set(_PLACEHOLDER.findall(text))):
        raise ValueError(f"the template has words the renderer does not fill: {', '.join(left)}")
    return text


def render_files(out: Path, servers: list[str], *, listen: str, static_root: Path | None = None,
                 run_dir: str = "/tmp", access_log: str = "/dev/stdout", error_log: str = "stderr",
                 workers: str = "auto") -> Path:
    """Write `out`/nginx.conf and `out`/static/ without starting anything: the nginx image of
    deploy/compose.yaml is built this way. `static_root` is where the static folder will be
    when nginx runs (default `out`/static). Returns the configuration's path."""
    out.mkdir(parents=True, exist_ok=True)
    build_static(out / "static")
    conf = out / "nginx.conf"
    conf.write_text(render(TEMPLATE.read_text(), listen=listen, servers=servers,
                           static_root=static_root or out / "static", run_dir=Path(run_dir),
                           access_log=access_log, error_log=error_log, workers=workers))
    return conf


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def prepare_database(db_path: Path, python: str = sys.executable) -> None:
    """Build the database if it is missing and make its first publication, once, before the
    replicas start (the same work the first page view would do)."""
    code = ("import sys; from pathlib import Path; from lib.reference import schema; "
            "schema.store(Path(sys.argv[1])).ensure_published()")
    subprocess.run([python, "-c", code, str(db_path)], cwd=ROOT, check=True)


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------

_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the launching process dies (Linux only)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as fh:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not _healthy(url):
        if proc.poll() is not None:
            raise StartFailed(f"{what} stopped with status {proc.returncode}; its log {log} ends:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise StartFailed(f"{what} did not answer {url}/_stcore/health within {START_TIMEOUT:.0f} s; see {log}")
        time.sleep(0.2)


@dataclass
class Replica:
    port: int
    url: str
    proc: subprocess.Popen
    log: Path


@dataclass
class Deployment:
    """What `running()` started: nginx's address, its process and logs, and the replicas."""

    url: str
    run_dir: Path
    nginx: subprocess.Popen | None = None
    replicas: list[Replica] = field(default_factory=list)
    access_log: Path = Path()
    error_log: Path = Path()

    def processes(self) -> list[subprocess.Popen]:
        return ([self.nginx] if self.nginx else []) + [r.proc for r in self.replicas]

    def state(self) -> dict:
        return {"url": self.url, "run_dir": str(self.run_dir),
                "nginx": {"pid": self.nginx.pid if self.nginx else None, "access_log": str(self.access_log),
                          "error_log": str(self.error_log)},
                "replicas": [{"port": r.port, "url": r.url, "pid": r.proc.pid, "log": str(r.log)}
                             for r in self.replicas]}

    def stop(self) -> None:
        """nginx first (no new requests), then the replicas."""
        for proc in self.processes():
            _stop(proc)


def replica_command(python: str, port: int, address: str = "127.0.0.1") -> list[str]:
    return [python, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
            "--server.address", address, "--server.headless", "true", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false"]


@contextlib.contextmanager
def running(n: int, db_path: Path | None = None, *, port: int = 8080, host: str = "127.0.0.1",
            serve_static: bool = True, keep: bool = False, workers: str = "1",
            python: str = sys.executable, nginx: str | None = None) -> Iterator[Deployment]:
    """Start N replicas and nginx on `host:port`; yield the Deployment; stop them all on leaving.

    Raises StartFailed (keeping the run folder for its logs) when a process does not start."""
    if n < 1:
        raise ValueError("at least one replica is needed")
    nginx = nginx or find_nginx()
    if nginx is None:
        raise StartFailed("nginx is not installed (Debian: apt-get install nginx; deploy/local.sh "
                          "installs it when run as root)")
    db_path = Path(db_path or os.environ.get(DB_ENV) or ROOT / "data" / "pa_benchmark.duckdb").resolve()
    run_dir = Path(tempfile.mkdtemp(prefix="pa-replicas-"))
    run_dir.chmod(0o755)  # nginx's workers (nobody, when started as root) read the static files
    dep = Deployment(url=f"http://{host}:{port}", run_dir=run_dir, access_log=run_dir / "access.log",
                     error_log=run_dir / "error.log")
    started = False
    try:
        prepare_database(db_path, python)
        env = {**os.environ, DB_ENV: str(db_path),
               COOKIE_SECRET_ENV: os.environ.get(COOKIE_SECRET_ENV) or secrets.token_hex(32)}
        for _ in range(n):
            p = free_port()
            log = run_dir / f"replica-{p}.log"
            dep.replicas.append(Replica(p, f"http://127.0.0.1:{p}", _start(replica_command(python, p), log, env), log))
        static_root = build_static(run_dir / "static") if serve_static else run_dir / "static"
        conf = run_dir / "nginx.conf"
        conf.write_text(render(TEMPLATE.read_text(), listen=f"{host}:{port}",
                               servers=[f"127.0.0.1:{r.port}" for r in dep.replicas],
                               static_root=static_root, run_dir=run_dir, access_log=str(dep.access_log),
                               error_log=str(dep.error_log), workers=workers, serve_static=serve_static))
        for i, r in enumerate(dep.replicas, 1):
            _wait_healthy(r.url, r.proc, r.log, f"replica {i} (port {r.port})")
        dep.nginx = _start([nginx, "-p", f"{run_dir}/", "-c", str(conf), "-e", str(dep.error_log)],
                           run_dir / "nginx.out")
        _wait_healthy(dep.url, dep.nginx, dep.error_log, "nginx")
        (run_dir / "state.json").write_text(json.dumps(dep.state(), indent=2))
        started = True
        yield dep
    finally:
        dep.stop()
        if keep or not started:
            print(f"The run folder {run_dir} is kept (logs, nginx.conf).", file=sys.stderr)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The command: python -m deploy.replicas N
# --------------------------------------------------------------------------------------------

def _on_signal(signum: int, _frame: object) -> None:
    # Stop asking: the first signal starts the orderly stop, and a second one must not cut it short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def _watch(dep: Deployment, out: IO[str]) -> int:
    """Wait until a signal arrives (SystemExit from _on_signal) or a process stops by itself."""
    while True:
        for proc in dep.processes():
            if proc.poll() is not None:
                what = "nginx" if proc is dep.nginx else f"the replica with process id {proc.pid}"
                print(f"{what} stopped (status {proc.returncode}); stopping everything.", file=out)
                return 1
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="nginx in front of N dashboard replicas on this machine.")
    parser.add_argument("replicas", type=int, nargs="?", default=2, help="how many replicas (default 2)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")),
                        help="nginx's port (default $PORT, else 8080)")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                        help="nginx's address (default $HOST, else 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, nginx.conf) after stopping")
    parser.add_argument("--proxy-static", action="store_true",
                        help="let the replicas serve the front end's files (for comparison)")
    files = parser.add_argument_group("writing the files for another machine or a container image")
    files.add_argument("--render-to", type=Path, metavar="DIR",
                       help="only write DIR/nginx.conf and DIR/static/ for the --upstream servers; start nothing")
    files.add_argument("--upstream", action="append", default=[], metavar="HOST:PORT",
                       help="a replica's address (repeat it; a name that resolves to several addresses counts for all)")
    files.add_argument("--listen", default="80", help="nginx's listen address or port (default 80)")
    files.add_argument("--static-root", type=Path, help="where DIR/static will be when nginx runs")
    files.add_argument("--run-dir", default="/tmp",
                       help="an existing folder for nginx's pid file and temporary files (default /tmp)")
    args = parser.parse_args(argv)
    if args.render_to:
        if not args.upstream:
            parser.error("--render-to needs at least one --upstream")
        print(render_files(args.render_to, args.upstream, listen=args.listen, static_root=args.static_root,
                           run_dir=args.run_dir))
        return 0
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        with running(args.replicas, port=args.port, host=args.host, keep=args.keep,
                     serve_static=not args.proxy_static) as dep:
            shown = dep.url if args.host not in ("0.0.0.0", "::") else f"http://{socket.gethostname()}:{args.port}"
            print(f"PA Support Benchmark: {args.replicas} replica{'s' if args.replicas != 1 else ''} behind nginx\n"
                  f"  open   {shown}/\n"
                  f"  state  {dep.run_dir / 'state.json'} (process ids, ports, logs)\n"
                  "  stop   Ctrl-C", flush=True)
            return _watch(dep, sys.stdout)
    except StartFailed as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"Could not prepare the database (status {exc.returncode}).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
