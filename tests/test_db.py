"""The DuckDB schema and transactions: idempotent creation, round trip of every table, all-or-nothing writes."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from lib.reference.schema import DEFINITIONS
from lib.scoring import views as scoring
from lib.store import db
from tests.fixtures import as_schema_4


def test_schema_is_idempotent_and_complete():
    con = db.connect(":memory:")
    db.create_schema(con)
    db.create_schema(con)  # a second run must neither fail nor duplicate anything
    assert set(db.table_names(con)) == set(db.TABLES)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(db.SCHEMA_VERSION),)
    scoring.create_views(con)
    assert set(scoring.VIEW_NAMES) <= set(db.view_names(con))


def test_built_database_has_every_table_and_view(repo_con):
    assert set(db.table_names(repo_con)) == set(db.TABLES)
    assert set(scoring.VIEW_NAMES) <= set(db.view_names(repo_con))


def test_every_table_round_trips_through_parquet(repo_con, tmp_path):
    """Export each table and load it into a fresh schema: same rows, same types."""
    fresh = db.connect(":memory:")
    db.create_schema(fresh)
    for table in db.TABLES:
        path = tmp_path / f"{table}.parquet"
        repo_con.execute(f"COPY (SELECT * FROM {table}) TO '{path}' (FORMAT parquet)")  # noqa: S608 - fixed names
        fresh.execute(f"DELETE FROM {table}")  # noqa: S608
        fresh.execute(f"INSERT INTO {table} SELECT * FROM read_parquet('{path}')")  # noqa: S608
        order = ", ".join(f'"{c}"' for c in repo_con.execute(f"SELECT * FROM {table} LIMIT 0").df().columns)  # noqa: S608
        before = repo_con.execute(f"SELECT * FROM {table} ORDER BY {order}").df()  # noqa: S608
        after = fresh.execute(f"SELECT * FROM {table} ORDER BY {order}").df()  # noqa: S608
        pd.testing.assert_frame_equal(before, after, check_dtype=True, obj=table)


def test_transaction_rolls_back_everything_on_error():
    con = db.connect(":memory:")
    db.create_schema(con)
    with pytest.raises(RuntimeError), db.transaction(con):
        con.execute("INSERT INTO providers VALUES ('la', 'Local authority')")
        con.execute("INSERT INTO providers VALUES ('support_org', 'Support organisation')")
        raise RuntimeError("stop half way")
    assert con.execute("SELECT count(*) FROM providers").fetchone() == (0,)
    with db.transaction(con):
        con.execute("INSERT INTO providers VALUES ('la', 'Local authority')")
    assert con.execute("SELECT count(*) FROM providers").fetchone() == (1,)


def test_schema_2_file_is_migrated_at_open_keeping_its_rounds(tmp_path):
    """A file from before outcomes and band colours (schema 2) is brought up to date when it is
    opened for writing: the new columns get the values scoring.toml gives, answers stay."""
    from lib.reference.build import build_database
    from lib.scoring.standards import load_config

    path = tmp_path / "old.duckdb"
    build_database(path)
    con = db.connect(path, definitions=DEFINITIONS)
    answers = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    as_schema_4(con)  # views read the columns about to go: dropped there
    con.execute("ALTER TABLE answer_options DROP COLUMN outcome")
    con.execute("ALTER TABLE bands DROP COLUMN colour")
    con.execute("ALTER TABLE bands DROP COLUMN tint")
    con.execute("DROP TABLE outcomes")
    con.execute("ALTER TABLE survey_rounds DROP COLUMN published_detail")  # schema 4's
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()

    con = db.connect(path, definitions=DEFINITIONS)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(db.SCHEMA_VERSION)
        config = load_config()
        expected = {(s.key, o.value): o.outcome for s in config.answer_sets.values() for o in s.options}
        got = {(a, v): o for a, v, o in con.execute("SELECT answer_set, value, outcome FROM answer_options").fetchall()}
        assert got == expected
        assert dict(con.execute("SELECT key, colour FROM bands").fetchall()) == {b.key: b.colour for b in config.bands}
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == answers
        # The views were recreated over the migrated tables and score as before.
        assert con.execute("SELECT count(*) FROM overall_scores WHERE round_year = 2015").fetchone()[0] == 95
    finally:
        con.close()


def test_schema_3_file_gets_the_publication_policy_column_keeping_its_rounds(tmp_path):
    """Schema 4 adds survey_rounds.published_detail: a schema-3 file gets it, every round on
    (each council's answers published, as before), and nothing else changes."""
    from lib.reference.build import build_database

    path = tmp_path / "v3.duckdb"
    build_database(path)
    con = db.connect(path, definitions=DEFINITIONS)
    before = con.execute("SELECT * FROM survey_rounds ORDER BY year").fetchall()
    answers = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    as_schema_4(con)
    con.execute("ALTER TABLE survey_rounds DROP COLUMN published_detail")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()

    con = db.connect(path, definitions=DEFINITIONS)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(db.SCHEMA_VERSION)
        assert con.execute("SELECT * FROM survey_rounds ORDER BY year").fetchall() == before
        assert [r[-1] for r in before] == [True, True, True, True]  # 2012-2015, all published in detail
        assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == answers
        assert con.execute("SELECT count(*) FROM overall_scores WHERE round_year = 2015").fetchone()[0] == 95
    finally:
        con.close()


def test_read_only_open_of_a_stale_file_is_refused_clearly(tmp_path):
    """A read-only reader cannot upgrade a file whose views were made by older code, so it says
    so instead of scoring with the old SQL."""
    from lib.reference.build import build_database

    path = tmp_path / "stale.duckdb"
    build_database(path)
    con = db.connect(path, definitions=DEFINITIONS)
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'views_hash'")
    con.close()
    with pytest.raises(db.SchemaError, match=r"older scoring views.*lib\.cli refresh"):
        db.connect(path, read_only=True, definitions=DEFINITIONS)
    db.connect(path, definitions=DEFINITIONS).close()  # a writable open recreates the views ...
    db.connect(path, read_only=True, definitions=DEFINITIONS).close()  # ... after which readers are fine


def test_a_file_needing_an_upgrade_is_refused_by_an_open_without_definitions(tmp_path):
    """Only an open that carries the definitions (a Store's) may upgrade a file; a bare open of a
    schema-3 file changes nothing and says what to run."""
    from lib.reference.build import build_database

    path = tmp_path / "v3.duckdb"
    build_database(path)
    con = db.connect(path)
    as_schema_4(con)
    con.execute("ALTER TABLE survey_rounds DROP COLUMN published_detail")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(db.SchemaError, match=r"older version of the app \(schema 3\).*lib\.cli refresh"):
        db.connect(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    finally:
        con.close()
