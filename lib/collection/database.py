"""Where the survey answers being collected live, and the one object that opens it.

The collection database is reached through SQLAlchemy Core, so the same queries run on either
engine:

- **SQLite** (the default, nothing to set up): the file `<working name>.collection.sqlite`
  beside the working database, in WAL mode, so several processes on one machine read and write
  at once. A write transaction starts with `BEGIN IMMEDIATE`, so two writers queue on SQLite's
  own lock (waiting up to BUSY_TIMEOUT_SECONDS) instead of failing halfway.
- **PostgreSQL**, or any other database SQLAlchemy reaches, when `PA_COLLECTION_URL` is set
  (environment, or `.streamlit/secrets.toml`), e.g. `postgresql+psycopg://user:pw@host/pa`: for
  replicas on more than one machine. Writes lock the rows they re-check (SELECT ... FOR UPDATE).

Optimistic locking (each answer's version) decides between two people editing one answer; the
database's own locking decides between processes. The schema is created and upgraded by the
Alembic migrations in lib/collection/migrations when a process first opens the database.
"""

from __future__ import annotations

import contextlib
import os
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from lib.collection import tables
from lib.collection.errors import CollectionBusy, CollectionError

URL_ENV = "PA_COLLECTION_URL"
URL_SECRET = "PA_COLLECTION_URL"
#: How long a write waits for another process's write before saying the store is busy.
BUSY_TIMEOUT_SECONDS = 15.0
#: Set in place of the URL's password wherever a URL is shown.
HIDDEN = "***"


def sqlite_path(working: Path) -> Path:
    """`<working name>.collection.sqlite` beside the working database."""
    working = Path(working)
    return working.with_name(working.stem + ".collection.sqlite")


def legacy_path(working: Path) -> Path:
    """Where releases before the SQL store kept the collection: `<working name>.collection.duckdb`."""
    working = Path(working)
    return working.with_name(working.stem + ".collection.duckdb")


def _secrets_url() -> str | None:
    """PA_COLLECTION_URL from the secrets files Streamlit reads (the user's, then the project's:
    the project's wins), without importing Streamlit, so the command line sees the same setting."""
    found = None
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"):
        try:
            with path.open("rb") as f:
                value = tomllib.load(f).get(URL_SECRET)
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CollectionError(f"{path} cannot be read ({exc}); fix or remove it") from None
        if value:
            found = str(value)
    return found


def configured_url() -> str | None:
    """The collection database's URL when one is set: the environment first, then secrets. Set
    but empty in the environment means the default SQLite file, whatever the secrets say (the
    tests do this, so a developer's secrets never point them at a real database)."""
    if URL_ENV in os.environ:
        return os.environ[URL_ENV].strip() or None
    return _secrets_url()


def url_for(working: Path) -> str:
    return configured_url() or f"sqlite:///{sqlite_path(working)}"


def shown(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "(an unreadable PA_COLLECTION_URL)"


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _setup(dbapi_connection, _record) -> None:  # pragma: no cover - run by SQLAlchemy
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event below starts transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # pragma: no cover - run by SQLAlchemy
        # A write takes SQLite's write lock at once, so its re-checks and its writes see one state
        # and two writers queue instead of one failing when it first writes.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")

    return engine


def _server_engine(url: sa.URL) -> sa.Engine:
    args: dict[str, object] = {}
    if url.get_backend_name() == "postgresql":
        # A write waits this long for rows another process has locked, then is told as busy.
        args["options"] = f"-c lock_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}"
    return sa.create_engine(url, connect_args=args, pool_pre_ping=True)


class CollectionDatabase:
    """One collection database: its engine, its schema kept at the newest migration, and its
    transactions. Ask `for_working` for it; nothing else opens the database."""

    def __init__(self, url: str) -> None:
        try:
            parsed = sa.make_url(url)
        except sa_exc.ArgumentError:
            raise CollectionError(f"{URL_ENV} is not a database URL (e.g. "
                                  "postgresql+psycopg://user:password@host/pa_collection)") from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise CollectionError(f"{URL_ENV} names a {self.dialect} database; the survey database can be "
                                  "SQLite (the default) or PostgreSQL (postgresql+psycopg://...)")
        try:
            self.engine = _sqlite_engine(parsed) if self.dialect == "sqlite" else _server_engine(parsed)
        except (ImportError, sa_exc.NoSuchModuleError) as exc:
            raise CollectionError(f"no driver for {shown(url)}: {exc}") from None
        self._ready = False
        self._ready_lock = threading.Lock()
        # Writers of this process queue here, one transaction at a time. Under a burst of saves
        # this is fairer than letting them meet in the database: SQLite lets one writer in at a
        # time and a waiting writer polls with growing sleeps, and on PostgreSQL 50 threads share
        # one interpreter and 15 pooled connections. Writers in other processes meet the
        # database's own locks (bench/bench_collection.py measures both).
        self._writers = threading.RLock()  # re-entrant: a nested write fails on the database, never hangs here

    def __repr__(self) -> str:
        return f"CollectionDatabase({shown(str(self.url))})"

    def ensure_schema(self) -> None:
        """Create or upgrade the tables (once per process; the migrations lock against each other)."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            from lib.collection import (
                migrate,  # Alembic is imported only when the schema is checked
            )

            with self._guard():
                with self._read_connection() as conn, conn.begin():
                    newest = migrate.current(conn) == migrate.head()
                if not newest:
                    with self.engine.begin() as conn:
                        migrate.upgrade(conn)
            self._ready = True

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction: all of the block lands, or none."""
        self.ensure_schema()
        with self._guard(), self._writers, self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One read-only transaction (a consistent view; takes no write lock)."""
        self.ensure_schema()
        with self._guard(), self._read_connection() as conn, conn.begin():
            yield conn

    def _read_connection(self) -> sa.Connection:
        """A connection whose transactions only read (on SQLite: a plain BEGIN, no write lock)."""
        return self.engine.connect().execution_options(read_only=True)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """The database's failures told as what a person can act on; nothing was changed."""
        try:
            yield
        except sa_exc.IntegrityError:
            raise CollectionBusy("another change to the same survey data was saved at the same moment. "
                                 "Try again; nothing was changed.") from None
        except sa_exc.OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" in text or "lock timeout" in text or "deadlock" in text or "busy" in text:
                raise CollectionBusy(f"the survey database is busy with other changes; waited "
                                     f"{BUSY_TIMEOUT_SECONDS:g} seconds. Try again in a moment. "
                                     "Nothing was changed.") from None
            if "disk" in text and "full" in text:
                raise CollectionError("the disk holding the survey database is full; nothing was changed. "
                                      "Free some space and try again.") from None
            raise CollectionError(f"the survey database {shown(str(self.url))} cannot be used: "
                                  f"{str(exc.orig).strip()}") from None

    def holds_move_of(self, old: Path) -> bool:
        """Whether the older collection file `old` was moved here (`collection migrate`)."""
        with self.reading() as conn:
            found = conn.execute(sa.select(tables.meta.c.value).where(
                tables.meta.c.key == moved_key(old))).scalar_one_or_none()
        return found is not None

    def dispose(self) -> None:
        self.engine.dispose()


_open: dict[str, CollectionDatabase] = {}
_open_lock = threading.Lock()
#: (URL, old file) pairs found already moved, so the check is made once per process.
_moved: set[tuple[str, Path]] = set()
#: Engines kept per process (tests open many SQLite files; the oldest are closed).
MAX_OPEN = 16


def for_url(url: str) -> CollectionDatabase:
    with _open_lock:
        found = _open.get(url)
        if found is None:
            if len(_open) >= MAX_OPEN:
                _open.pop(next(iter(_open))).dispose()
            found = _open[url] = CollectionDatabase(url)
        return found


def moved_key(old: Path) -> str:
    """The meta key recording that the older collection file `old` was moved in (by its name, so a
    folder copied elsewhere keeps the record)."""
    return f"moved from {Path(old).name}"[:100]


def for_working(working: Path, *, rounds: bool = True) -> CollectionDatabase:
    """The collection database of this working database: PA_COLLECTION_URL when set, otherwise
    the SQLite file beside it. For survey rounds (`rounds`), a collection kept by an older
    release in a DuckDB file beside it, and not yet moved, is refused with the command that moves
    it (sign-ins and their counts, which that file never held, go on meanwhile)."""
    url = url_for(working)
    database = for_url(url)
    old = legacy_path(working)
    if rounds and (url, old) not in _moved and old.exists():
        if database.holds_move_of(old):
            _moved.add((url, old))
            return database
        raise CollectionError(
            f"the survey rounds of this database are still in {old}, kept by an earlier release. Move them "
            f"to the survey database with `uv run python -m lib.cli collection migrate --from {old}`; "
            "nothing was changed.")
    return database


def close_all() -> None:
    """Close every engine this process opened (tests; a process about to fork)."""
    with _open_lock:
        for database in _open.values():
            database.dispose()
        _open.clear()
