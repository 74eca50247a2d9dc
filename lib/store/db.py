"""The DuckDB store: schema, connections and transactions.

DuckDB is the single store. Writes go to the working database, each through a lib function
that runs in one transaction; readers open a published, never-changing copy of it read-only
(lib.store.publish), one connection per copy and process and a cursor per request.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
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
    """The database file was written by another (newer or unknown) version of the app."""


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file (or ':memory:') and check it is one this code can use.

    A file from a newer or unknown schema version raises SchemaError (nothing is changed). On a
    writable connection, an older schema gets its missing tables and views whose SQL differs
    from this code's are recreated (see check_schema).
    """
    if str(path) == ":memory:":
        return duckdb.connect(":memory:")
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        check_schema(con, writable=not read_only)
    except BaseException:
        con.close()
        raise
    return con


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (idempotent) and record the schema version."""
    con.execute(SCHEMA)
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
    ).fetchall()


def views_hash() -> str:
    """A hash of the scoring views' SQL as this code defines it (stored in meta as views_hash)."""
    from lib.scoring import views as scoring

    return hashlib.sha256((scoring.SQL_MACROS + scoring.VIEWS).encode("utf-8")).hexdigest()


def install_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the scoring views and record which SQL they were made from."""
    from lib.scoring import views as scoring

    scoring.create_views(con)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('views_hash', ?)", [views_hash()]).fetchall()


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()  # fetch all: no open result
    return str(rows[0][0]) if rows else None


def check_schema(con: duckdb.DuckDBPyConnection, writable: bool) -> None:
    """Refuse a file from a newer or unknown schema; bring an older one and stale views up to date.

    A file without a `meta` table is empty or being built: nothing to check.
    """
    if "meta" not in table_names(con):
        return
    raw = _meta(con, "schema_version")
    if raw is None or not raw.isascii() or not raw.isdigit():
        raise SchemaError(f"the database has an unknown schema version ({raw!r}); this version of the app "
                          f"uses schema {SCHEMA_VERSION}. Nothing was changed. Use the app that wrote it, or "
                          "build a new database file.")
    version = int(raw)
    if version > SCHEMA_VERSION:
        raise SchemaError(f"the database was written by a newer version of the app (schema {version}; this "
                          f"version understands up to schema {SCHEMA_VERSION}). Nothing was changed. Update "
                          "the app, or use another database file.")
    if not writable:
        stale = version < SCHEMA_VERSION or _meta(con, "views_hash") != views_hash()
        if stale:
            raise SchemaError(
                f"the database was written by an older version of the app (schema {version}"
                + ("" if version < SCHEMA_VERSION else ", older scoring views")
                + "), and a read-only connection cannot bring it up to date. Nothing was changed. Run "
                "`uv run python -m lib.cli refresh` (or open the dashboard once) to upgrade it.")
        return
    if version < SCHEMA_VERSION:
        migrate(con, version)
    if not set(TABLES) <= set(table_names(con)):
        create_schema(con)
    if version < SCHEMA_VERSION or _meta(con, "views_hash") != views_hash():
        install_views(con)


def _migrate_2_to_3(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 3 stores each answer option's outcome, each band's colours and the outcome labels
    (scoring.toml). The new columns are added, then the scoring rules are reloaded from the
    standards files so they hold real values; rounds and answers are untouched."""
    from lib.reference.build import load_config_tables
    from lib.scoring.standards import load_config

    con.execute("ALTER TABLE answer_options ADD COLUMN IF NOT EXISTS outcome VARCHAR DEFAULT 'unknown'")
    con.execute("ALTER TABLE bands ADD COLUMN IF NOT EXISTS colour VARCHAR DEFAULT '#BFBFBF'")
    con.execute("ALTER TABLE bands ADD COLUMN IF NOT EXISTS tint VARCHAR DEFAULT '#F2F2F2'")
    con.execute(SCHEMA)  # creates the outcomes table (every statement is IF NOT EXISTS)
    load_config_tables(con, load_config())


def _migrate_3_to_4(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 4 records per round whether each council's own answers may be published
    (survey_rounds.published_detail); existing rounds keep today's behaviour: published."""
    con.execute("ALTER TABLE survey_rounds ADD COLUMN IF NOT EXISTS published_detail BOOLEAN DEFAULT TRUE")
    con.execute("UPDATE survey_rounds SET published_detail = TRUE WHERE published_detail IS NULL")


def _migrate_4_to_5(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 5 gives each round a council-set date instead of the label '2015' or 'current', and
    keeps the hex maps in a hex_cells table (one layout per council set) instead of four columns.

    Every round gets 1 April of its year, as a new round does, when its answers fit that day's
    councils after following one-to-one recodes (the 2012 round: Gateshead and Northumberland
    under their codes of 2012). Otherwise it keeps what its label meant: 1 April 2015 for a
    '2015' round, and for a 'current' round the day today's council set began (a 2021 round
    answered by Cumberland, a council of 2023, cannot hold the councils of 2021). The reference
    data (councils, lineage, hex cells) is reloaded from the repository's files first.
    """
    from lib.reference import build, geography
    from lib.scoring.standards import load_config

    vintages = dict(con.execute("SELECT year, vintage FROM survey_rounds").fetchall())
    for column in ("hex_col_2015", "hex_row_2015", "hex_col_current", "hex_row_current"):
        con.execute(f"ALTER TABLE authorities DROP COLUMN IF EXISTS {column}")
    con.execute(SCHEMA)  # creates hex_cells
    build.load_reference_tables(con, load_config())
    today_set = geography.council_set_start(con, date.today()) or date.today()
    days = {}
    for year, vintage in sorted(vintages.items()):
        day = date(int(year), 4, 1)
        if not geography.recode_round(con, int(year), day):
            day = today_set if vintage == "current" else date(2015, 4, 1)
        days[int(year)] = day
    # DuckDB cannot add a NOT NULL column to a table with rows, nor alter one after updates in
    # the same transaction, so the table is rebuilt under the new definition.
    definition = re.search(r"CREATE TABLE IF NOT EXISTS survey_rounds \((.*?)\n\);", SCHEMA, re.S)
    assert definition is not None
    con.execute(f"CREATE TABLE survey_rounds_v5 ({definition.group(1)})")
    con.execute("CREATE TEMP TABLE _round_days (year INTEGER, day DATE)")
    con.executemany("INSERT INTO _round_days VALUES (?, ?)", [[y, d] for y, d in days.items()])
    con.execute("INSERT INTO survey_rounds_v5 (year, label, is_demo, council_set_on, provenance, loaded_at, "
                "published_detail) SELECT r.year, r.label, r.is_demo, d.day, r.provenance, r.loaded_at, "
                "r.published_detail FROM survey_rounds r JOIN _round_days d USING (year)")
    con.execute("DROP TABLE _round_days")
    con.execute("DROP TABLE survey_rounds")
    con.execute("ALTER TABLE survey_rounds_v5 RENAME TO survey_rounds")


#: Numbered migrations: MIGRATIONS[n] brings a schema-n file to schema n + 1.
MIGRATIONS = {2: _migrate_2_to_3, 3: _migrate_3_to_4, 4: _migrate_4_to_5}


def migrate(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Run every migration from `version` up to SCHEMA_VERSION in one transaction."""
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
    if missing:
        raise SchemaError(f"the database uses schema {version}, which this version of the app cannot "
                          f"upgrade (no migration from schema {missing[0]}). Nothing was changed. Build a "
                          "new database file, or import its rounds into one.")
    with transaction(con):
        for v in range(version, SCHEMA_VERSION):
            MIGRATIONS[v](con)
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
