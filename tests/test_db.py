"""The DuckDB schema and transactions: idempotent creation, round trip of every table, all-or-nothing writes."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import db, scoring


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
