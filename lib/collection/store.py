"""The collection file: its schema, opening it (one operation at a time), and the reference data.

Collection data (rounds being collected, invitations, contacts, token hashes, drafts, events)
lives in its own DuckDB file beside the working database, `<working name>.collection.duckdb`.
It is never published or copied into a published version, so no public page, export or API can show a
collecting round, a contact or a draft. Each operation opens the file, runs one transaction and
closes it, so the command line and the dashboard server take turns; inside one process a lock
queues operations instead of letting them fail on DuckDB's file lock.

Questions, answer options, providers and councils are read from the current published
version of the working database (what the public sees; publishing one first if needed), so
reading them never takes the working database's write lock.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lib.collection.errors import CollectionBusy, CollectionError
from lib.reference import geography, schema
from lib.scoring import answer_sets
from lib.store import db, locks, publish, versions

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    year INTEGER PRIMARY KEY,
    council_set_on DATE NOT NULL,
    closes_on DATE,
    status VARCHAR NOT NULL CHECK (status IN ('collecting', 'closed', 'published', 'archived')),
    questions VARCHAR[] NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    opened_by VARCHAR NOT NULL,
    published_at TIMESTAMP,
    provisional BOOLEAN NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS invitation_ids START 1;
-- One row per council and round. Reissuing a link replaces token_hash (sha256 hex of the
-- token; the token itself is never stored) and counts up `issue`; the draft stays.
CREATE TABLE IF NOT EXISTS invitations (
    id INTEGER PRIMARY KEY DEFAULT nextval('invitation_ids'),
    year INTEGER NOT NULL,
    council_code VARCHAR NOT NULL,
    council_name VARCHAR NOT NULL,
    contact_name VARCHAR,
    contact_email VARCHAR,
    token_hash VARCHAR UNIQUE,
    issue INTEGER NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('invited', 'revoked')),
    issued_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP,
    UNIQUE (year, council_code)
);
CREATE TABLE IF NOT EXISTS drafts (
    invitation_id INTEGER PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    revision INTEGER NOT NULL,
    reference VARCHAR,
    revised BOOLEAN NOT NULL,
    saved_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS draft_answers (
    invitation_id INTEGER NOT NULL,
    question_id VARCHAR NOT NULL,
    answer VARCHAR,
    providers VARCHAR[] NOT NULL,
    comment VARCHAR,
    version INTEGER NOT NULL,
    prefilled BOOLEAN NOT NULL,
    saved_at TIMESTAMP,
    PRIMARY KEY (invitation_id, question_id)
);
-- A copy of the answers as submitted, per revision: publication takes the latest of these,
-- never edits made since.
CREATE TABLE IF NOT EXISTS submitted_answers (
    invitation_id INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    question_id VARCHAR NOT NULL,
    answer VARCHAR NOT NULL,
    providers VARCHAR[] NOT NULL,
    comment VARCHAR,
    PRIMARY KEY (invitation_id, revision, question_id)
);
CREATE SEQUENCE IF NOT EXISTS event_ids START 1;
-- What happened, for the tracker and the audit: never a token or its hash.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY DEFAULT nextval('event_ids'),
    year INTEGER NOT NULL,
    invitation_id INTEGER,
    action VARCHAR NOT NULL,
    logged_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);
"""

# One operation on a collection file at a time in this process.
_LOCK = threading.Lock()


def collection_path(working: Path) -> Path:
    """`<working name>.collection.duckdb` beside the working database."""
    working = Path(working)
    return working.with_name(working.stem + ".collection.duckdb")


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """The collection file, opened for writing once another program's lock is released
    (lib.store.locks: CollectionBusy if it is not, in time); its tables made on first use."""
    try:
        con = locks.open_waiting(lambda: duckdb.connect(str(path)))
    except duckdb.Error as exc:
        if locks.is_lock(exc):
            raise CollectionBusy(
                f"the collection file {path} is in use by another program; waited "
                f"{locks.waited_seconds():.0f} seconds for it. Try again in a moment. "
                "Nothing was changed.") from None
        raise CollectionError(f"the collection file {path} cannot be opened: {exc}") from None
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "events" not in tables:
            con.execute(SCHEMA)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    except BaseException:
        con.close()
        raise
    return con


#: A connection is kept open this long after its last transaction, so a burst of saves (many
#: respondents pressing Save together) does not reopen the file for each one, then closed, so a
#: command in another process (which waits a few seconds for the lock) gets its turn.
IDLE_SECONDS = 0.5
#: Under steady traffic the file is never idle, so a connection held this long is closed after
#: its transaction and not reopened for GRACE_SECONDS: long enough for a command in another
#: process, which tries every locks.LOCK_PAUSE_SECONDS, to get its turn.
HOLD_MAX_SECONDS = 2.0
GRACE_SECONDS = 0.3

_held: dict[str, Any] = {"path": None, "con": None, "last": 0.0, "timer": None, "opened": 0.0,
                         "grace_until": 0.0}


def _release_if_idle() -> None:
    with _LOCK:
        if _held["con"] is not None and time.monotonic() - _held["last"] >= IDLE_SECONDS:
            _close_held()
        elif _held["con"] is not None:
            _arm_timer()


def _close_held() -> None:
    con, _held["con"], _held["path"] = _held["con"], None, None
    if con is not None:
        con.close()


def _arm_timer() -> None:
    timer = threading.Timer(IDLE_SECONDS, _release_if_idle)
    timer.daemon = True
    _held["timer"] = timer
    timer.start()


def release() -> None:
    """Close the kept connection now (tests, and before another process must open the file)."""
    with _LOCK:
        _close_held()


atexit.register(release)


@contextlib.contextmanager
def transaction(working: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The collection file for one transaction: all of the block lands, or none. The connection
    stays open for IDLE_SECONDS after the block (see IDLE_SECONDS), then is closed."""
    path = str(collection_path(working))
    with _LOCK:
        if _held["path"] != path or not Path(path).exists():
            _close_held()
            pause = _held["grace_until"] - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # another process's turn (see HOLD_MAX_SECONDS)
            _held["con"], _held["path"] = _connect(Path(path)), path
            _held["opened"] = time.monotonic()
        con = _held["con"]
        try:
            with db.transaction(con):
                yield con
        except BaseException:
            _close_held()  # a broken connection is never reused
            raise
        finally:
            _held["last"] = time.monotonic()
        if _held["last"] - _held["opened"] >= HOLD_MAX_SECONDS:
            _close_held()
            _held["grace_until"] = time.monotonic() + GRACE_SECONDS
        elif _held["timer"] is None or not _held["timer"].is_alive():
            _arm_timer()


def event(con: duckdb.DuckDBPyConnection, year: int, invitation_id: int | None, action: str,
          detail: str, actor: str = "respondent") -> None:
    con.execute("INSERT INTO events (year, invitation_id, action, logged_at, actor, detail) VALUES (?, ?, ?, ?, ?, ?)",
                [year, invitation_id, action, now(), (actor or "unknown")[:200], detail[:1000]])


def who(by: str | None) -> str:
    return (by or "unknown").strip()[:200] or "unknown"


# --------------------------------------------------------------------------------------------
# Reference data from the published version
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """What the collection needs from the working database, read from its published version."""

    key: str
    questions: pd.DataFrame  # every question: id, standard, audience, topic, wording, help, answer_set, scored, position, asked_from
    options: pd.DataFrame    # answer_set, value, label, score, is_unknown, allows_providers, position
    providers: dict[str, str]
    authorities: pd.DataFrame
    rounds: pd.DataFrame     # year, is_demo, council_set_on


_cache: dict[str, Reference] = {}
_cache_lock = threading.Lock()


def _current_version(working: Path) -> versions.Version:
    try:
        return schema.store(working).ensure_published()
    except publish.DatabaseBusy as exc:
        raise CollectionBusy(str(exc)) from None
    except (publish.PublishError, db.SchemaError) as exc:
        raise CollectionError(str(exc)) from None


@contextlib.contextmanager
def published(working: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The current published version of the working database, read-only."""
    con = schema.store(working).connect(_current_version(working).path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def reference(working: Path) -> Reference:
    """The questions, answer options, providers, councils and rounds of the current version
    (kept per version file, which never changes)."""
    snap = _current_version(working)
    cached = _cache.get(snap.key)
    if cached is not None:
        return cached
    con = schema.store(working).connect(snap.path, read_only=True)
    try:
        ref = Reference(
            key=snap.key,
            questions=con.execute(
                "SELECT id, standard, audience, topic, wording, help, answer_set, scored, position, asked_from "
                "FROM questions").df(),
            options=answer_sets.answer_options(con),
            providers=answer_sets.provider_labels(con),
            authorities=geography.load_authorities(con),
            rounds=con.execute("SELECT year, is_demo, council_set_on FROM survey_rounds ORDER BY year").df(),
        )
    finally:
        con.close()
    with _cache_lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[ref.key] = ref
    return ref


AUDIENCE_ORDER = {"employers": 0, "pas": 1, "council": 2}


def questionnaire(ref: Reference, ids: tuple[str, ...]) -> pd.DataFrame:
    """The round's questions in the questionnaire's order: its sections (employers, PAs, the
    council's approach), then each question's position."""
    qs = ref.questions[ref.questions["id"].isin(list(ids))].copy()
    qs["_section"] = qs["audience"].map(lambda a: AUDIENCE_ORDER.get(str(a), 9))
    qs = qs.sort_values(["_section", "position", "id"]).drop(columns=["_section", "asked_from"])
    return qs.reset_index(drop=True)


def members(ref: Reference, day: date) -> pd.DataFrame:
    """The councils valid on `day`, by name."""
    table = ref.authorities
    mask = geography._valid_on(table, day)
    return table[mask].sort_values("display_name").reset_index(drop=True)
