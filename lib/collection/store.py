"""Transactions on the collection database, the events it records, and the reference data.

Collection data (rounds being collected, invitations, contacts, token hashes, drafts, events)
lives in its own database (lib.collection.database: SQLite beside the working database, or
PostgreSQL). It is never published or copied into a published version, so no public page,
export or API can show a collecting round, a contact or a draft. Each operation is one short
transaction.

Questions, answer options, providers and councils are read from the current published
version of the working database (what the public sees; publishing one first if needed), so
reading them never takes the working database's write lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lib.collection import database, tables
from lib.collection.errors import CollectionBusy, CollectionError
from lib.reference import geography, schema
from lib.scoring import answer_sets
from lib.store import db, publish, versions


def collection_path(working: Path) -> Path:
    """The default (SQLite) collection database beside the working database."""
    return database.sqlite_path(working)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


@contextlib.contextmanager
def transaction(working: Path, *, rounds: bool = True) -> Iterator[sa.Connection]:
    """The collection database for one write transaction: all of the block lands, or none.
    `rounds=False` for sign-ins, which go on while an older collection file waits to be moved."""
    with database.for_working(working, rounds=rounds).transaction() as conn:
        yield conn


@contextlib.contextmanager
def reading(working: Path, *, rounds: bool = True) -> Iterator[sa.Connection]:
    """The collection database for one consistent read, taking no write lock."""
    with database.for_working(working, rounds=rounds).reading() as conn:
        yield conn


def event(con: sa.Connection, year: int, invitation_id: int | None, action: str,
          detail: str, actor: str = "respondent") -> None:
    con.execute(tables.events.insert().values(
        year=year, invitation_id=invitation_id, action=action, logged_at=now(), actor=(actor or "unknown")[:200],
        detail=detail[:1000]))


def upsert(con: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], *, replace: bool = True) -> None:
    """Insert `rows`; a row whose primary key is there already replaces it (`replace`) or is left
    alone. One statement, in the dialect's own words (INSERT ... ON CONFLICT on both engines)."""
    if not rows:
        return
    insert = sqlite_insert if con.dialect.name == "sqlite" else postgresql_insert
    # Rows as parameters, not in the statement, so SQLAlchemy compiles it once and reuses it.
    statement = insert(table)
    keys = [c.name for c in table.primary_key.columns]
    if replace:
        done = statement.on_conflict_do_update(
            index_elements=keys, set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys})
    else:
        done = statement.on_conflict_do_nothing(index_elements=keys)
    con.execute(done, rows)


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


_ordered: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}


def questionnaire(ref: Reference, ids: tuple[str, ...]) -> pd.DataFrame:
    """The round's questions in the questionnaire's order: its sections (employers, PAs, the
    council's approach), then each question's position. Worked out once per version and round
    (every save and load asks); each caller gets its own copy."""
    key = (ref.key, tuple(ids))
    found = _ordered.get(key)
    if found is None:
        qs = ref.questions[ref.questions["id"].isin(list(ids))].copy()
        qs["_section"] = qs["audience"].map(lambda a: AUDIENCE_ORDER.get(str(a), 9))
        qs = qs.sort_values(["_section", "position", "id"]).drop(columns=["_section", "asked_from"])
        found = qs.reset_index(drop=True)
        with _cache_lock:
            if len(_ordered) > 32:
                _ordered.clear()
            _ordered[key] = found
    return found.copy()


def members(ref: Reference, day: date) -> pd.DataFrame:
    """The councils valid on `day`, by name."""
    table = ref.authorities
    mask = geography._valid_on(table, day)
    return table[mask].sort_values("display_name").reset_index(drop=True)
