"""Caches keyed on the published version: shared while a version is current, never served after it.

Every query a page runs through lib.app.cached / per_snapshot, and every figure through
lib.app.chart, is a pure function of (published version, arguments).
"""

from __future__ import annotations

import duckdb
import pytest
import streamlit as st

from lib import app, publish
from lib.paths import DB_ENV_VAR
from tests.apptest import open_page
from tests.test_ingest import copy_db

CALLS: list[int] = []


def counted_responses(con: duckdb.DuckDBPyConnection, year: int) -> int:
    """A query function of the kind pages cache: responding councils in a round (counts its calls)."""
    CALLS.append(year)
    return int(con.execute("SELECT count(DISTINCT authority_code) FROM responses WHERE round_year = ?",
                           [year]).fetchone()[0])


@pytest.fixture()
def working(repo_db_path, tmp_path, monkeypatch):
    path = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    st.cache_data.clear()
    CALLS.clear()
    yield path
    app._frame.snapshot = None
    st.cache_data.clear()


def _drop_council(path, year: int) -> None:
    """Remove one responding council's answers from a round, then publish, as an import would."""
    with publish.writer(path) as con:
        code = con.execute("SELECT min(authority_code) FROM responses WHERE round_year = ?", [year]).fetchone()[0]
        con.execute("DELETE FROM responses WHERE round_year = ? AND authority_code = ?", [year, code])
        publish.publish(con, path, "test change", "test")


def test_a_cached_query_runs_once_per_version_and_never_outlives_it(working):
    first = app.snapshot()
    assert app.cached(counted_responses, 2015) == 95  # the demo's 2015 round: 95 councils responded
    assert app.cached(counted_responses, 2015) == 95
    assert CALLS == [2015]  # computed once, then shared
    _drop_council(working, 2015)
    assert app.snapshot() != first
    assert app.cached(counted_responses, 2015) == 94  # the new version: recomputed, not the cached 95
    assert CALLS == [2015, 2015]
    # The older version's entries were dropped when this process met the newer one: a run still
    # pinned to the old version computes afresh (from the old file, so still 95) instead of
    # reading anything cached.
    app._frame.snapshot = first
    assert app.cached(counted_responses, 2015) == 95
    assert CALLS == [2015, 2015, 2015]


def test_pages_show_a_new_version_on_their_next_run(working):
    home = open_page()
    assert home.selectbox(key="round_select").options[0] == "2015 (95 councils, synthetic)"
    assert {m.label: m.value for m in home.metric}["Responding councils"] == "95"
    _drop_council(working, 2015)
    home = open_page()
    assert home.selectbox(key="round_select").options[0] == "2015 (94 councils, synthetic)"
    assert {m.label: m.value for m in home.metric}["Responding councils"] == "94"  # recomputed, not cached
