"""What every command of the command line shares: the error it prints (CliError), safe output
(_say, _safe), who a change is by (_who), the argparse types for a round and a day, opening the
database (waiting briefly for another program's lock) and publishing after a write, and the
checks on an --out path."""

from __future__ import annotations

import argparse
import errno
import getpass
import os
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path

import duckdb

from lib import ingest
from lib.base.formatting import shorten
from lib.reference import schema
from lib.store import db, locks, publish, versions
from lib.store.errors import storage_problem


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


class DatabaseInUse(CliError):
    """Another program still held the database's lock after the wait: nothing was changed, and
    trying again later may work (so `build --force` never treats the file as unreadable)."""


class FileFromAnotherApp(CliError):
    """The database file was written by a newer version of the app or records an unknown schema
    (lib.store.db.UnknownSchema): `build` refuses it as it is, without offering --force."""



_YEAR = re.compile(r"[0-9]{4}")


def round_year(text: str) -> int:
    """argparse type for --round: a whole year of four ASCII digits within the survey's range."""
    value = str(text).strip()
    if not _YEAR.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{_safe(value)!r} is not a year: give the survey year as four digits, e.g. 2016")
    year = int(value)
    if not ingest.EARLIEST_YEAR <= year <= ingest.LATEST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{year} is outside the survey years {ingest.EARLIEST_YEAR} to {ingest.LATEST_YEAR}: check the year")
    return year


def _day(text: str) -> date:
    """A YYYY-MM-DD argument (argparse type)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD, for example 2027-04-01") from None


def _safe(text: object) -> str:
    """Text from the database or a file made safe for a terminal: control characters (escape codes,
    bidirectional overrides) are shown as \\x1b or \\u202e instead of being sent raw."""
    out = []
    for ch in str(text):
        if ch in "\n" or not unicodedata.category(ch).startswith("C"):
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def _say(text: object, stream=None) -> None:
    print(_safe(text), file=stream or sys.stdout)


def _who(name: str | None) -> str:
    """Who a change is by, for the audit log: the --by name, else the user's login name."""
    if name and name.strip():
        return name.strip()
    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:  # noqa: BLE001 - no user name available
        return "command line"


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the database, waiting briefly if another program holds its lock (DatabaseInUse if it
    still does); CliError otherwise."""
    if not path.exists():
        raise CliError(f"no database at {path}: run `uv run python -m lib.cli build` first")
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a database file")
    try:
        return locks.open_waiting(lambda: schema.store(path).connect(path, read_only=read_only))
    except db.UnknownSchema as exc:
        raise FileFromAnotherApp(f"{path}: {exc}") from None
    except db.SchemaError as exc:
        raise CliError(f"{path}: {exc}") from None
    except duckdb.Error as exc:
        if locks.is_lock(exc):
            raise DatabaseInUse(
                f"the database {path} is in use by another program (another command, or a change being "
                f"saved from the dashboard); waited {locks.waited_seconds():.0f} seconds for it. Let "
                "it finish, then try again. Nothing was changed.") from None
        problem = storage_problem(exc) if not isinstance(exc, duckdb.IOException) else None
        raise CliError(f"the database {path} cannot be opened: "
                       f"{problem or shorten(str(exc), 300)}") from None


def _open_working_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return _connect(Path(path), True)


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    """The published version of the database at `path`, opened read-only (publishing one first if
    nothing has been published yet, or if it was made by another version of the app)."""
    path = Path(path)
    if not path.exists():
        raise CliError(f"no database at {path}: run `uv run python -m lib.cli build` first")
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a database file")
    try:
        snap = schema.store(path).ensure_published(opener=lambda p: _connect(p, read_only=False))
    except publish.PublishError as exc:
        raise CliError(str(exc)) from None
    try:
        return schema.store(path).connect(snap.path, read_only=True)
    except db.SchemaError as exc:
        raise CliError(f"{snap.path}: {exc}") from None
    except duckdb.Error as exc:
        raise CliError(f"the published version {snap.path} cannot be opened: "
                       f"{storage_problem(exc) or shorten(str(exc), 300)}") from None


def _publish(con: duckdb.DuckDBPyConnection, path: Path, reason: str, by: str, done: str) -> None:
    """Publish after a write. `done` says what was written; if publishing fails it is still
    said, with what is missing and how to finish, and the command exits 2."""
    try:
        snap = schema.store(path).publish(con, reason, by)
    except publish.PublishError as exc:
        raise CliError(f"{done.rstrip('.')}. But it is not published yet: {exc} Run `uv run python -m lib.cli publish` "
                       "when the problem is fixed.") from None
    _say(done)
    _say(f"Published as version {snap.version} ({snap.path.name}); the dashboard shows it from its next page view.")


def _open_for_writing(path: Path) -> duckdb.DuckDBPyConnection:
    return _connect(Path(path), read_only=False)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _out_path(text: str, db_path: Path) -> Path:
    """Check an --out path before anything is computed: a file name in a folder that exists, and
    never the database file itself (or its write-ahead log)."""
    out = Path(text).expanduser()
    if out.is_dir():
        raise CliError(f"--out {out} is a folder: give a file name inside it, e.g. {out / 'export.csv'}")
    if not out.parent.exists():
        raise CliError(f"folder {out.parent} does not exist")
    db_path = Path(db_path)
    wal = db_path.with_name(db_path.name + ".wal")
    if _same_file(out, db_path) or _same_file(out, wal):
        raise CliError(f"--out {out} is the database file itself: writing there would destroy the database. "
                       "Choose another file name.")
    if versions.is_inside_published(out, db_path):
        raise CliError(f"--out {out} is in the published versions' folder {versions.folder_for(db_path)}, whose "
                       "files are never written. Choose a file name elsewhere.")
    return out


def _write_out(out: Path, data: bytes) -> None:
    """Write an output file; a full disk or an unwritable path is a clear message (exit 2)."""
    created = not out.exists()
    try:
        with open(out, "wb") as handle:
            handle.write(data)
            handle.flush()
    except OSError as exc:
        if created and out.is_file():
            out.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise CliError(f"could not write {out}: the disk is full (no space left on the device)") from None
        raise CliError(f"could not write {out}: {exc.strerror or exc}") from None

