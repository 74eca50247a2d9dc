"""A real PostgreSQL server for the tests, from the machine's own server binaries.

`.ci/run` starts one (`python -m tests.postgres serve FOLDER`) and hands its address to the tests
in $PA_TEST_POSTGRESQL_URL. Without that variable, the first test that needs PostgreSQL starts a
server of its own for its test session (one per pytest-xdist worker) and stops it at the end.
Tests that need it are skipped, saying why, only when no PostgreSQL server binaries are found.

initdb refuses to run as root, so as root the server's folder belongs to the `postgres` user and
every server command runs as that user (runuser). The server listens on 127.0.0.1 only, trusts
local connections (a test server holding nothing but test data), and runs with fsync off.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

URL_ENV = "PA_TEST_POSTGRESQL_URL"


def binaries() -> Path | None:
    """The newest PostgreSQL server binaries folder on this machine, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_reason() -> str | None:
    if os.environ.get(URL_ENV):
        return None
    if binaries() is None:
        return ("no PostgreSQL server binaries (initdb) on this machine: apt-get install postgresql, or set "
                f"{URL_ENV} to a server's address; the SQLite runs of these tests still ran")
    return None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(folder: Path | None = None) -> Iterator[str]:
    """Start a PostgreSQL server in `folder` (a new temporary folder by default); yield the URL of
    its `postgres` database as its superuser; stop it and remove the folder afterwards."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(missing_reason() or "no PostgreSQL")
    base = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="pa-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, server_user.pw_uid, server_user.pw_gid)
    subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                    "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
                   check=True, capture_output=True, text=True)
    port = _free_port()
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                    str(base / "server.log"), "-w", "-t", "60", "start"]),
                   check=True, capture_output=True, text=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       check=False, capture_output=True, text=True)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server of `admin_url`, for one test; dropped afterwards."""
    import sqlalchemy as sa

    name = f"pa_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield str(sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    finally:
        from lib.collection import database

        database.close_all()  # the test's engines, so the database can be dropped
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def serve(folder: Path) -> None:
    """For .ci/run: start a server, write its URL to FOLDER/url, and keep it until SIGTERM."""
    stop = {"now": False}

    def _stop(*_args) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    folder.chmod(0o755)  # the server's own user must reach its folder inside
    with running_server(folder / "server") as url:
        (folder / "url").write_text(url)
        while not stop["now"]:
            time.sleep(0.2)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "serve":
        sys.exit("usage: python -m tests.postgres serve FOLDER")
    serve(Path(sys.argv[2]))
