"""Published versions: one writer, many readers.

The *working database* (data/pa_benchmark.duckdb, or $PA_BENCHMARK_DB) is where every change
is written, in short transactions, by one process at a time (DuckDB's file lock). Nobody reads
the public numbers from it. After each change (an import, a refresh, a rebuild, a reset, a
rollback) the writer *publishes*: it copies the whole working database, in one consistent
read, to a new numbered file in the published folder beside it, checks that the copy opens
read-only with the right schema, and then swaps the folder's CURRENT pointer to it with an
atomic rename. A published file is never written again.

Readers (every dashboard server process, the CLI's read commands) open the file CURRENT names,
read-only. DuckDB lets any number of processes hold one file read-only at once, and a reader
never holds the working database, so writes from the CLI are never blocked by the dashboard.
A reader checks CURRENT with one stat per page run and moves to a newer version when there
is one; a page run keeps the version it started on, so one page never mixes two versions.

Earlier versions are kept (the newest KEEP of them, and always the current one), so that
`python -m lib.cli rollback` can publish an earlier state again; a rollback is itself a new version, so
it can be undone the same way.

This module writes the folder (publish, materialise, prune, rollback) and the working database
(its writer); lib.store.versions reads it (Version, versions, current, the manifests).

Nothing here imports Streamlit: the CLI, the dashboard and the tests share it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import duckdb

from lib.store import db, locks, upkeep, versions
from lib.store.errors import StorageError, storage_problem

#: How many published versions are kept for rollback (the current one is always kept as well).
KEEP = 20
# One publisher at a time in this process (DuckDB's file lock keeps other processes out).
_LOCK = threading.RLock()


class PublishError(Exception):
    """A version could not be published or used; the message says why and what to do."""


class DatabaseBusy(PublishError):
    """Another program holds the working database's write lock."""


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomically(target: Path, text: str) -> None:
    """Write a small file under a temporary name, flush it to disk, then rename it into place."""
    tmp = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def _rounds(con: duckdb.DuckDBPyConnection) -> list[list[int | bool]]:
    rows = con.execute(
        "SELECT r.year, count(DISTINCT s.authority_code), r.is_demo FROM survey_rounds r "
        "LEFT JOIN responses s ON s.round_year = r.year GROUP BY r.year, r.is_demo ORDER BY r.year"
    ).fetchall()
    return [[int(y), int(n), bool(d)] for y, n, d in rows]


_NUMBERED = re.compile(r"v([0-9]{6})-")


def _next_version(folder: Path) -> int:
    """One more than any version ever seen in the folder (a file, a manifest or the pointer), so a
    number is never used twice even after a file was lost or removed."""
    seen = [int(m.group(1)) for p in folder.iterdir() if (m := _NUMBERED.match(p.name))]
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        seen.append(int(json.loads((folder / versions.POINTER).read_text(encoding="utf-8"))["version"]))
    return max(seen, default=0) + 1


def publish(con: duckdb.DuckDBPyConnection, working: Path, reason: str, by: str = "unknown",
            keep: int = KEEP, *, definitions: db.Definitions) -> versions.Version:
    """Publish the working database that `con` has open for writing as the new current version.

    The caller holds the write lock (its connection is the working database's writer), so no
    other change can land between the copy and the swap. If anything fails (a full disk, a copy
    that does not open) the pointer is left as it was and no partial file stays behind.
    """
    folder = versions.folder_for(working)
    with _LOCK:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            version = _next_version(folder)
            now = datetime.now().replace(microsecond=0)
            target = folder / f"v{version:06d}-{now:%Y%m%d-%H%M%S}{versions.SUFFIX}"
            staged = folder / f".{target.name}.staged-{uuid.uuid4().hex[:8]}"
            upkeep.copy_database(con, staged)
        except StorageError as exc:
            raise PublishError(f"the new version could not be published: {exc}") from None
        except (OSError, duckdb.Error) as exc:
            problem = storage_problem(exc) or str(exc)
            raise PublishError(f"the new version could not be published in {folder}: {problem}. The dashboard "
                               "still shows the previous version.") from None
        try:
            try:
                materialise(staged)
                os.replace(staged, target)
            finally:
                staged.unlink(missing_ok=True)
                Path(f"{staged}.wal").unlink(missing_ok=True)
            check = db.connect(target, read_only=True, definitions=definitions)
            try:
                rounds = _rounds(check)
            finally:
                check.close()
            manifest = {
                "version": version, "file": target.name, "published_at": now.isoformat(),
                "reason": reason[:300], "by": (by or "unknown")[:200], "rounds": rounds,
                "schema_version": db.SCHEMA_VERSION, "views_hash": definitions.views.hash,
            }
            _write_atomically(versions.manifest_path(target), json.dumps(manifest, indent=1))
            _write_atomically(folder / versions.POINTER, json.dumps({"file": target.name, "version": version}))
        except BaseException as exc:
            target.unlink(missing_ok=True)
            versions.manifest_path(target).unlink(missing_ok=True)
            if isinstance(exc, OSError | duckdb.Error):
                problem = storage_problem(exc) or str(exc)
                raise PublishError(f"the new version could not be published: {problem}. The dashboard "
                                   "still shows the previous version.") from None
            raise
        snap = versions.load_version(target)
        assert snap is not None  # its manifest was written just above
        prune(working, keep)
        return snap


#: Marks a published file whose scoring views were replaced by tables of their rows.
MATERIALISED_KEY = "materialised_views"


def materialise(path: Path) -> list[str]:
    """Replace every scoring view in a (not yet published) copy by a table of the same name
    holding its rows, in one transaction.

    A published version never changes, so its scores never need computing twice: readers then
    query plain tables instead of re-running the scoring SQL on every query. The rows are exactly
    the views' (tests compare them); the macros stay, for queries that round a value themselves.
    Returns the names materialised.
    """
    con = duckdb.connect(str(path))
    try:
        views = db.view_names(con)
        with db.transaction(con):
            for view in views:
                con.execute(f'CREATE TABLE "__rows_{view}" AS SELECT * FROM "{view}"')  # noqa: S608 - catalogue names
            for view in views:
                con.execute(f'DROP VIEW "{view}"')
            for view in views:
                con.execute(f'ALTER TABLE "__rows_{view}" RENAME TO "{view}"')
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [MATERIALISED_KEY, ",".join(views)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return views


#: Leftovers of a publication that was killed part way are removed once this old (a publication
#: in progress takes seconds, so an older one is not in progress).
LEFTOVER_SECONDS = 600


def _leftovers(folder: Path, now: float) -> list[Path]:
    """Files a killed publication left behind: staged or partial copies (dot-names) and version
    files that never got a manifest, older than LEFTOVER_SECONDS."""
    found = []
    for path in folder.iterdir():
        name = path.name
        stray = ((name.startswith(".v") and (".staged-" in name or ".partial-" in name))
                 or (_NUMBERED.match(name) is not None and name.endswith(versions.SUFFIX)
                     and not versions.manifest_path(path).exists()))
        try:
            if stray and now - path.stat().st_mtime > LEFTOVER_SECONDS:
                found.append(path)
        except OSError:
            continue
    return found


def prune(working: Path, keep: int = KEEP) -> list[Path]:
    """Delete published versions beyond the newest `keep` (never the current one), and what a
    publication killed part way left behind. A file a reader still has open stays readable to it
    until it closes it (POSIX unlink semantics)."""
    cur = versions.current(working)
    removed = []
    for path in _leftovers(versions.folder_for(working), time.time()):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    for snap in versions.versions(working)[:-keep] if keep > 0 else []:
        if cur is not None and snap.version == cur.version:
            continue
        with contextlib.suppress(OSError):
            versions.manifest_path(snap.path).unlink(missing_ok=True)
            snap.path.unlink(missing_ok=True)
            removed.append(snap.path)
    return removed


# --------------------------------------------------------------------------------------------
# The working database's writer
# --------------------------------------------------------------------------------------------

def busy_message(working: Path) -> str:
    return (f"the database {working} is in use by another program (is a command such as an import "
            f"running?); waited {locks.waited_seconds():.0f} seconds for it. Try again in a "
            "moment. Nothing was changed.")


def open_writer(working: Path, definitions: db.Definitions, retries: int | None = None,
                pause: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the working database for writing, waiting briefly for another writer's lock.

    Raises DatabaseBusy when the lock is still held after the wait, db.SchemaError for a file
    from a newer version, and other duckdb errors as they are.
    """
    try:
        return locks.open_waiting(lambda: db.connect(working, read_only=False, definitions=definitions),
                                  retries, pause)
    except duckdb.Error as exc:
        if locks.is_lock(exc):
            raise DatabaseBusy(busy_message(working)) from None
        raise


@contextlib.contextmanager
def writer(working: Path, definitions: db.Definitions, build: Callable[[Path], object] | None = None,
           opener: Callable[[Path], duckdb.DuckDBPyConnection] | None = None
           ) -> Iterator[duckdb.DuckDBPyConnection]:
    """The working database opened for writing for the length of a block, then closed (so the
    lock is held only while writing). `build` makes the database first when it is missing."""
    if build is not None:
        build(Path(working))
    con = opener(Path(working)) if opener else open_writer(Path(working), definitions)
    try:
        yield con
    finally:
        con.close()


def ensure_published(working: Path, definitions: db.Definitions, build: Callable[[Path], object] | None = None,
                     opener: Callable[[Path], duckdb.DuckDBPyConnection] | None = None) -> versions.Version:
    """The current version, publishing one first if there is none yet, its file is gone, or it
    was made by another version of the code (the working database is upgraded at open)."""
    snap = versions.current(working)
    if snap is not None and snap.usable(definitions):
        return snap
    with _LOCK, writer(working, definitions, build, opener) as con:
        snap = versions.current(working)  # re-checked under the write lock: another process may have published
        if snap is not None and snap.usable(definitions):
            return snap
        if snap is None:
            reason = "first publication of this database"
        elif not snap.path.is_file():
            reason = f"republished: version {snap.version}'s file is missing"
        else:
            reason = "republished for this version of the app (schema or scoring views updated)"
        return publish(con, working, reason, by="the app", definitions=definitions)


class RollbackRefused(PublishError):
    """The requested version cannot be published again (the message says why)."""


class NotPublished(PublishError):
    """A change was saved in the working database but could not be published (the message says
    what was saved and that `python -m lib.cli publish` finishes the job)."""


def rollback_target(working: Path, version: int | None) -> versions.Version:
    """The version to go back to: `version`, or (None) the one published before the current one."""
    kept = versions.versions(working)
    cur = versions.current(working)
    if not kept or cur is None:
        raise RollbackRefused("nothing has been published yet, so there is no earlier version to go back to")
    if version is None:
        earlier = [s for s in kept if s.version < cur.version]
        if not earlier:
            raise RollbackRefused(f"version {cur.version} is the oldest version kept; there is none before it")
        return earlier[-1]
    snap = versions.find(working, version)
    if snap is None:
        numbers = ", ".join(str(s.version) for s in kept)
        raise RollbackRefused(f"there is no published version {version} (versions kept: {numbers})")
    if snap.version == cur.version:
        raise RollbackRefused(f"version {version} is already the published version; nothing was changed")
    if snap.schema_version != db.SCHEMA_VERSION:
        raise RollbackRefused(f"version {version} was written with schema {snap.schema_version} and this app "
                              f"uses schema {db.SCHEMA_VERSION}; it cannot be restored by this version")
    if not snap.path.is_file():
        raise RollbackRefused(f"version {version}'s file {snap.path.name} is missing")
    return snap


def rollback(con: duckdb.DuckDBPyConnection, working: Path, version: int | None, by: str,
             definitions: db.Definitions) -> tuple[versions.Version, versions.Version]:
    """Make an earlier published version the working and published state again.

    Every table except the audit log (and `meta`) is replaced by the earlier version's rows in
    one transaction, the rollback is logged, and the result is published as a new version, so
    the state before the rollback stays kept and can be restored the same way.
    Returns (the version restored, the new version published).
    """
    target = rollback_target(working, version)
    db.ensure_schema(con)
    alias = f"rollback_{uuid.uuid4().hex[:10]}"
    literal = "'" + str(target.path).replace("'", "''") + "'"
    con.execute(f"ATTACH {literal} AS {alias} (READ_ONLY)")
    try:
        with db.transaction(con):
            for table in db.TABLES:
                if table in ("meta", "audit_log"):
                    continue
                con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {alias}.{table}")  # noqa: S608
            con.execute(
                "INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), ?, 'rollback', ?)",
                [(by or "unknown")[:200],
                 f"Rolled back to published version {target.version} of {target.published_at:%d %b %Y %H:%M} "
                 f"({target.reason}); it holds {target.rounds_text()}."])
    finally:
        con.execute(f"DETACH {alias}")
    try:
        con.execute("CHECKPOINT")
        new = publish(con, working, f"rollback to version {target.version}", by, definitions=definitions)
    except (PublishError, duckdb.Error) as exc:
        raise NotPublished(f"the working database now holds version {target.version}'s data again, but it is not "
                           f"published yet: {exc} The dashboard still shows the previous version. Run "
                           "`uv run python -m lib.cli publish` when the problem is fixed.") from None
    return target, new
