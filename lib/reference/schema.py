"""What a database file must hold beyond its tables, and how an older file is brought up to it.

The store (lib.store) opens and checks files but sits below the rules and the reference data, so
it is handed these definitions instead of importing them: the scoring views (lib.scoring.views)
and the numbered migrations, some of which reload the scoring rules and the councils from the
repository's files (lib.reference.build). `store(working)` is how a front end (the dashboard,
the API, the command line) gets the one Store object it works through.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb

from lib.reference import build, geography
from lib.scoring import views as scoring
from lib.scoring.standards import load_config
from lib.store import db
from lib.store.store import Store


def _migrate_2_to_3(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 3 stores each answer option's outcome, each band's colours and the outcome labels
    (scoring.toml). The new columns are added, then the scoring rules are reloaded from the
    standards files so they hold real values; rounds and answers are untouched."""
    con.execute("ALTER TABLE answer_options ADD COLUMN IF NOT EXISTS outcome VARCHAR DEFAULT 'unknown'")
    con.execute("ALTER TABLE bands ADD COLUMN IF NOT EXISTS colour VARCHAR DEFAULT '#BFBFBF'")
    con.execute("ALTER TABLE bands ADD COLUMN IF NOT EXISTS tint VARCHAR DEFAULT '#F2F2F2'")
    con.execute(db.SCHEMA)  # creates the outcomes table (every statement is IF NOT EXISTS)
    build.load_config_tables(con, load_config())


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
    vintages = dict(con.execute("SELECT year, vintage FROM survey_rounds").fetchall())
    for column in ("hex_col_2015", "hex_row_2015", "hex_col_current", "hex_row_current"):
        con.execute(f"ALTER TABLE authorities DROP COLUMN IF EXISTS {column}")
    con.execute(db.SCHEMA)  # creates hex_cells
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
    definition = re.search(r"CREATE TABLE IF NOT EXISTS survey_rounds \((.*?)\n\);", db.SCHEMA, re.S)
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

DEFINITIONS = db.Definitions(views=scoring.DEFINITION, migrations=MIGRATIONS)


def store(working: Path | str) -> Store:
    """The Store for a working database: these definitions, and the repository's files to build
    the database from when it is missing."""
    return Store(Path(working), DEFINITIONS, build=build.ensure_database)
