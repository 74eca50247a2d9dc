"""The DuckDB store: schema, connections and transactions.

DuckDB is the single store. Writes go to the working database, each through a lib function
that runs in one transaction; readers open a published, never-changing copy of it read-only
(lib.store.publish writes them, lib.store.versions finds them), one connection per copy and
process and a cursor per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb

SCHEMA_VERSION = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS authorities (
    code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    display_name VARCHAR NOT NULL,
    region_code VARCHAR NOT NULL,
    region_name VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    valid_from DATE,
    valid_to DATE,
    lat DOUBLE,
    lon DOUBLE,
    CHECK (type IN ('county', 'unitary', 'metropolitan district', 'London borough', 'other')),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);

-- Hex-map cells, one layout per council set. A layout is named by the day its council set starts
-- (the latest valid_from or valid_to on or before a round's council_set_on); see lib/reference/geography.py.
CREATE TABLE IF NOT EXISTS hex_cells (
    layout VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    col INTEGER NOT NULL,
    row INTEGER NOT NULL,
    PRIMARY KEY (layout, code),
    UNIQUE (layout, col, row)
);

CREATE TABLE IF NOT EXISTS authority_lineage (
    predecessor_code VARCHAR NOT NULL,
    predecessor_name VARCHAR NOT NULL,
    successor_code VARCHAR NOT NULL,
    successor_name VARCHAR NOT NULL,
    effective_date DATE NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('merge', 'split', 'recode')),
    note VARCHAR,
    PRIMARY KEY (predecessor_code, successor_code)
);

CREATE TABLE IF NOT EXISTS standards (
    number INTEGER PRIMARY KEY,
    short_name VARCHAR NOT NULL,
    statement VARCHAR NOT NULL,
    looks_like VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    weight DOUBLE NOT NULL,
    recommendations INTEGER[] NOT NULL,
    actions VARCHAR[] NOT NULL
);

CREATE TABLE IF NOT EXISTS answer_options (
    answer_set VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    score DOUBLE,
    is_unknown BOOLEAN NOT NULL,
    allows_providers BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    outcome VARCHAR NOT NULL CHECK (outcome IN ('has', 'partly', 'lacks', 'unknown')),
    PRIMARY KEY (answer_set, value)
);

CREATE TABLE IF NOT EXISTS questions (
    id VARCHAR PRIMARY KEY,
    standard INTEGER,
    audience VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    wording VARCHAR NOT NULL,
    help VARCHAR NOT NULL,
    answer_set VARCHAR NOT NULL,
    scored BOOLEAN NOT NULL,
    weight DOUBLE NOT NULL,
    report_ref VARCHAR NOT NULL,
    asked_from INTEGER NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS providers (
    key VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS bands (
    key VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL,
    min_score DOUBLE NOT NULL,
    description VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    colour VARCHAR NOT NULL,
    tint VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS outcomes (
    key VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS scoring_settings (
    key VARCHAR PRIMARY KEY,
    value DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS survey_rounds (
    year INTEGER PRIMARY KEY,
    label VARCHAR NOT NULL,
    is_demo BOOLEAN NOT NULL,
    -- The round's councils are exactly those valid on this day (valid_from <= day < valid_to).
    council_set_on DATE NOT NULL,
    provenance VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    -- Whether each council's own answers may be published for this round (open data downloads and
    -- the API); the scores are always published. On for the demo and for imports unless changed.
    published_detail BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE IF NOT EXISTS responses (
    round_year INTEGER NOT NULL,
    authority_code VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL,
    answer VARCHAR NOT NULL,
    providers VARCHAR[] NOT NULL,
    comment VARCHAR,
    source VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (round_year, authority_code, question_id)
);

CREATE SEQUENCE IF NOT EXISTS submission_ids START 1;
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY DEFAULT nextval('submission_ids'),
    round_year INTEGER NOT NULL,
    file_name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    rows INTEGER NOT NULL,
    councils INTEGER NOT NULL,
    submitted_by VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('current', 'replaced'))
);

CREATE SEQUENCE IF NOT EXISTS audit_ids START 1;
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY DEFAULT nextval('audit_ids'),
    logged_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);

-- Answers taken out of `responses` when an import replaced their round: nothing imported is
-- ever lost. replaced_submission is the submission the rows came from (NULL for a demo round or
-- rows loaded by a build); replaced_by is the submission that took their place.
CREATE TABLE IF NOT EXISTS responses_archive (
    replaced_submission INTEGER,
    replaced_by INTEGER NOT NULL,
    archived_at TIMESTAMP NOT NULL,
    round_year INTEGER NOT NULL,
    authority_code VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL,
    answer VARCHAR NOT NULL,
    providers VARCHAR[] NOT NULL,
    comment VARCHAR,
    source VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL
);

-- A council's general comment on its return (the `comment` column of the wide import format).
-- Kept per submission, so a replaced submission's comments stay with it.
CREATE TABLE IF NOT EXISTS council_comments (
    submission_id INTEGER NOT NULL,
    round_year INTEGER NOT NULL,
    authority_code VARCHAR NOT NULL,
    comment VARCHAR NOT NULL,
    PRIMARY KEY (submission_id, authority_code)
);

CREATE TABLE IF NOT EXISTS case_studies (
    id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    organisation VARCHAR NOT NULL,
    authority_code VARCHAR,
    standards INTEGER[] NOT NULL,
    summary VARCHAR NOT NULL,
    source_document VARCHAR NOT NULL CHECK (source_document IN ('advice_note', 'report_2015')),
    source_ref VARCHAR NOT NULL,
    url VARCHAR,
    kind VARCHAR NOT NULL CHECK (kind IN ('example', 'case_study'))
);

CREATE TABLE IF NOT EXISTS recommendations (
    number INTEGER PRIMARY KEY,
    theme VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    standards INTEGER[] NOT NULL
);

CREATE TABLE IF NOT EXISTS published_figures (
    figure_id VARCHAR PRIMARY KEY,
    year INTEGER NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('level', 'count', 'change')),
    audience VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    answer VARCHAR,
    percent DOUBLE,
    count INTEGER,
    base_n INTEGER,
    source_ref VARCHAR NOT NULL,
    question_id VARCHAR,
    measure VARCHAR,
    note VARCHAR
);
"""

#: Tables in the order a full export or reset walks them.
TABLES = (
    "meta", "authorities", "hex_cells", "authority_lineage", "standards", "answer_options", "questions",
    "providers", "bands", "outcomes", "scoring_settings", "survey_rounds", "responses", "submissions",
    "audit_log", "case_studies", "recommendations", "published_figures", "responses_archive",
    "council_comments",
)


class SchemaError(Exception):
    """The database file cannot be used as it is by this version of the app (the message says why)."""


class UnknownSchema(SchemaError):
    """The file was written by a newer version of the app, or records no schema it knows: only
    that app can read it, so nothing here may rebuild over it without being told to."""


def connect(path: Path | str, read_only: bool = False,
            definitions: Definitions | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database file (or ':memory:') and check it is one this code can use.

    A file from a newer or unknown schema version raises SchemaError (nothing is changed). On a
    writable connection, an older schema gets its missing tables and views whose SQL differs
    from this code's are recreated (see check_schema).
    """
    if str(path) == ":memory:":
        return duckdb.connect(":memory:")
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        check_schema(con, writable=not read_only, definitions=definitions)
    except BaseException:
        con.close()
        raise
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Add the tables a newer schema has (archive, council comments) to an older database file."""
    tables = set(table_names(con))
    if not set(TABLES) <= tables:
        create_schema(con)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (idempotent) and record the schema version."""
    con.execute(SCHEMA)
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
    ).fetchall()


@dataclass(frozen=True)
class Views:
    """The scoring views a database file holds, as the scoring layer defines them (lib.scoring.views
    supplies its SQL and the function that creates them). The store records their hash in `meta`
    and recreates them when it differs; it never imports the layer that wrote them."""

    sql: str
    create: Callable[[duckdb.DuckDBPyConnection], None]

    @cached_property
    def hash(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Definitions:
    """What opening a database file checks it against and brings an older one up to: the scoring
    views, and migrations[n], which takes a schema-n file to schema n + 1. Assembled by
    lib.reference.schema, the layer that can reload rules and reference data."""

    views: Views
    migrations: Mapping[int, Callable[[duckdb.DuckDBPyConnection], None]]


def install_views(con: duckdb.DuckDBPyConnection, views: Views) -> None:
    """(Re)create the scoring views and record which SQL they were made from."""
    views.create(con)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('views_hash', ?)", [views.hash]).fetchall()


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()  # fetch all: no open result
    return str(rows[0][0]) if rows else None


def check_schema(con: duckdb.DuckDBPyConnection, writable: bool, definitions: Definitions | None) -> None:
    """Refuse a file from a newer or unknown schema; bring an older one and stale views up to date.

    A file without a `meta` table is empty or being built: nothing to check. Without
    `definitions` (a file this code is building) only the schema version is checked.
    """
    if "meta" not in table_names(con):
        return
    raw = _meta(con, "schema_version")
    if raw is None or not raw.isascii() or not raw.isdigit():
        raise UnknownSchema(f"the database has an unknown schema version ({raw!r}); this version of the app "
                          f"uses schema {SCHEMA_VERSION}. Nothing was changed. Use the app that wrote it, or "
                          "build a new database file.")
    version = int(raw)
    if version > SCHEMA_VERSION:
        raise UnknownSchema(f"the database was written by a newer version of the app (schema {version}; this "
                          f"version understands up to schema {SCHEMA_VERSION}). Nothing was changed. Update "
                          "the app, or use another database file.")
    views_stale = definitions is not None and _meta(con, "views_hash") != definitions.views.hash
    if not writable or definitions is None:
        stale = version < SCHEMA_VERSION or views_stale
        if stale:
            raise SchemaError(
                f"the database was written by an older version of the app (schema {version}"
                + ("" if version < SCHEMA_VERSION else ", older scoring views")
                + "), and " + ("a read-only connection" if not writable else "an open without the app's definitions")
                + " cannot bring it up to date. Nothing was changed. Run "
                "`uv run python -m lib.cli refresh` (or open the dashboard once) to upgrade it.")
        return
    if version < SCHEMA_VERSION:
        migrate(con, version, definitions.migrations)
    if not set(TABLES) <= set(table_names(con)):
        create_schema(con)
    if version < SCHEMA_VERSION or views_stale:
        install_views(con, definitions.views)


def migrate(con: duckdb.DuckDBPyConnection, version: int,
            migrations: Mapping[int, Callable[[duckdb.DuckDBPyConnection], None]]) -> None:
    """Run every migration from `version` up to SCHEMA_VERSION in one transaction."""
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in migrations]
    if missing:
        raise SchemaError(f"the database uses schema {version}, which this version of the app cannot "
                          f"upgrade (no migration from schema {missing[0]}). Nothing was changed. Build a "
                          "new database file, or import its rounds into one.")
    with transaction(con):
        for v in range(version, SCHEMA_VERSION):
            migrations[v](con)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block of writes as one transaction: all of it lands, or none of it."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Base tables present in the main schema."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def view_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'VIEW' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]
