"""Moving survey rounds kept by an earlier release, in `<working name>.collection.duckdb`, into
the collection database (`collection migrate --from FILE`).

Every row of every table is copied in one transaction, read back inside it and compared with
the file's, so the move lands whole and exact or not at all. Ids are kept, so links already
sent keep working (only their hashes were ever stored, and those are copied). The old file is
left where it is, untouched, for the administrator to delete once satisfied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import sqlalchemy as sa

from lib.collection import database, store, tables
from lib.collection.errors import CollectionBusy, CollectionError
from lib.store import locks

#: The tables an earlier release kept, in the order they are copied (each after those it names).
TABLES = ("rounds", "invitations", "drafts", "draft_answers", "submitted_answers", "events")

#: The schema those releases wrote (schema_version 1 in their `meta` table). Kept to read it and
#: to make such files in tests; nothing writes it any more.
LEGACY_SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE rounds (year INTEGER PRIMARY KEY, council_set_on DATE NOT NULL, closes_on DATE,
    status VARCHAR NOT NULL, questions VARCHAR[] NOT NULL, opened_at TIMESTAMP NOT NULL,
    opened_by VARCHAR NOT NULL, published_at TIMESTAMP, provisional BOOLEAN NOT NULL);
CREATE TABLE invitations (id INTEGER PRIMARY KEY, year INTEGER NOT NULL, council_code VARCHAR NOT NULL,
    council_name VARCHAR NOT NULL, contact_name VARCHAR, contact_email VARCHAR, token_hash VARCHAR UNIQUE,
    issue INTEGER NOT NULL, status VARCHAR NOT NULL, issued_at TIMESTAMP NOT NULL, opened_at TIMESTAMP,
    UNIQUE (year, council_code));
CREATE TABLE drafts (invitation_id INTEGER PRIMARY KEY, created_at TIMESTAMP NOT NULL, submitted_at TIMESTAMP,
    revision INTEGER NOT NULL, reference VARCHAR, revised BOOLEAN NOT NULL, saved_at TIMESTAMP);
CREATE TABLE draft_answers (invitation_id INTEGER NOT NULL, question_id VARCHAR NOT NULL, answer VARCHAR,
    providers VARCHAR[] NOT NULL, comment VARCHAR, version INTEGER NOT NULL, prefilled BOOLEAN NOT NULL,
    saved_at TIMESTAMP, PRIMARY KEY (invitation_id, question_id));
CREATE TABLE submitted_answers (invitation_id INTEGER NOT NULL, revision INTEGER NOT NULL,
    question_id VARCHAR NOT NULL, answer VARCHAR NOT NULL, providers VARCHAR[] NOT NULL, comment VARCHAR,
    PRIMARY KEY (invitation_id, revision, question_id));
CREATE TABLE events (id INTEGER PRIMARY KEY, year INTEGER NOT NULL, invitation_id INTEGER,
    action VARCHAR NOT NULL, logged_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, detail VARCHAR NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
"""


@dataclass(frozen=True)
class Moved:
    """What a move copied: table -> rows, and where to."""

    counts: dict[str, int]
    target: str

    def message(self, old: Path) -> str:
        listed = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in self.counts.items())
        return (f"Moved {listed} from {old} into {self.target}; every row was read back and matches. "
                f"{old} is left as it was: delete it once `collection rounds` shows what you expect.")


def _read_old(old: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """table -> (columns, rows ordered by key) of the old file, opened read-only."""
    try:
        con = locks.open_waiting(lambda: duckdb.connect(str(old), read_only=True))
    except duckdb.Error as exc:
        if locks.is_lock(exc):
            raise CollectionBusy(f"{old} is in use by another program; stop the dashboard servers of the earlier "
                                 "release and try again. Nothing was moved.") from None
        raise CollectionError(f"{old} cannot be read as a DuckDB file: {exc}. Nothing was moved.") from None
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = [t for t in ("meta", *TABLES) if t not in present]
        if missing:
            raise CollectionError(f"{old} is not a survey collection file of an earlier release: it has no "
                                  f"{', '.join(missing)} table. Nothing was moved.")
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if version != [("1",)]:
            raise CollectionError(f"{old} has schema version {version[0][0] if version else 'none'}; this release "
                                  "moves version 1 only. Nothing was moved.")
        out = {}
        for name in TABLES:
            columns = [c.name for c in tables.metadata.tables[name].columns]
            keys = ", ".join(c.name for c in tables.metadata.tables[name].primary_key.columns)
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY {keys}").fetchall()  # noqa: S608
            out[name] = (columns, [tuple(r) for r in rows])
        return out
    finally:
        con.close()


def _same(value: object) -> object:
    """A value in a form both files give back alike (lists as tuples, NaN as None)."""
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _normal(rows: Iterable[tuple]) -> list[tuple]:
    return [tuple(_same(v) for v in row) for row in rows]


def _reset_sequences(conn: sa.Connection) -> None:
    """PostgreSQL: the next invitation and event ids follow the copied ones."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's next id is always one past the largest
    for table in ("invitations", "events"):
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                             f"coalesce((SELECT max(id) FROM {table}), 1), (SELECT count(*) FROM {table}) > 0)"))


def migrate_from(working: Path, old: Path, by: str = "unknown") -> Moved:
    """Copy every row of the older collection file `old` into the collection database of
    `working`, which must hold no round yet; read them back and compare in the same transaction."""
    old = Path(old)
    if not old.is_file():
        raise CollectionError(f"{old} does not exist. Nothing was moved.")
    source = _read_old(old)
    target = database.for_url(database.url_for(working))
    with target.transaction() as conn:
        held = conn.execute(sa.select(tables.rounds.c.year).order_by(tables.rounds.c.year)).scalars().all()
        if held:
            raise CollectionError(f"the survey database {database.shown(str(target.url))} already holds rounds "
                                  f"{', '.join(map(str, held))}; a move goes into an empty one. Nothing was moved.")
        for name in TABLES:
            columns, rows = source[name]
            if rows:
                conn.execute(tables.metadata.tables[name].insert(), [dict(zip(columns, r, strict=True)) for r in rows])
        _reset_sequences(conn)
        for name in TABLES:
            columns, rows = source[name]
            table = tables.metadata.tables[name]
            back = conn.execute(sa.select(*(table.c[c] for c in columns)).order_by(*table.primary_key.columns))
            if _normal(back.fetchall()) != _normal(rows):
                raise CollectionError(f"the {name} table read back differently after copying; nothing was moved. "
                                      "Report this with the file.")
        counts = {name: len(source[name][1]) for name in TABLES}
        store.upsert(conn, tables.meta, [{"key": database.moved_key(old), "value": (
            f"{store.now():%Y-%m-%d %H:%M:%S} by {store.who(by)}: "
            + ", ".join(f"{n} {t}" for t, n in counts.items()))}])
    return Moved(counts, database.shown(str(target.url)))
