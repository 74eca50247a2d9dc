"""Caches keyed on the published version: shared while a version is current, never served after it.

Every query a page runs through lib.web.data.cached / per_version, and every figure through
lib.web.data.chart, is a pure function of (published version, arguments).
"""

from __future__ import annotations

import dataclasses
import math

import duckdb
import pandas as pd
import pandas.testing as pdt
import pytest
import streamlit as st

from lib.base.paths import DB_ENV_VAR
from lib.reference import schema
from lib.store import db
from lib.web import data
from tests.apptest import open_page
from tests.fixtures import copy_db

pytestmark = pytest.mark.usefixtures("app_db")

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
    st.cache_resource.clear()
    CALLS.clear()
    yield path
    data.pin_version(None)
    st.cache_data.clear()
    st.cache_resource.clear()


def _drop_council(path, year: int) -> None:
    """Remove one responding council's answers from a round, then publish, as an import would."""
    with schema.store(path).writer() as con:
        code = con.execute("SELECT min(authority_code) FROM responses WHERE round_year = ?", [year]).fetchone()[0]
        con.execute("DELETE FROM responses WHERE round_year = ? AND authority_code = ?", [year, code])
        schema.store(path).publish(con, "test change", "test")


def test_a_cached_query_runs_once_per_version_and_never_outlives_it(working):
    first = data.current_version()
    assert data.cached(counted_responses, 2015) == 95  # the demo's 2015 round: 95 councils responded
    assert data.cached(counted_responses, 2015) == 95
    assert CALLS == [2015]  # computed once, then shared
    _drop_council(working, 2015)
    assert data.current_version() != first
    assert data.cached(counted_responses, 2015) == 94  # the new version: recomputed, not the cached 95
    assert CALLS == [2015, 2015]
    # The older version's entries were dropped when this process met the newer one: a run still
    # pinned to the old version computes afresh (from the old file, so still 95) instead of
    # reading anything cached.
    data.pin_version(first)
    assert data.cached(counted_responses, 2015) == 95
    assert CALLS == [2015, 2015, 2015]


def test_pages_show_a_new_version_on_their_next_run(working):
    home = open_page()
    assert home.selectbox(key="round_select").options[0] == "2015 (95 councils, synthetic)"
    assert {m.label: m.value for m in home.metric}["Responding councils"] == "95"
    _drop_council(working, 2015)
    home = open_page()
    assert home.selectbox(key="round_select").options[0] == "2015 (94 councils, synthetic)"
    assert {m.label: m.value for m in home.metric}["Responding councils"] == "94"  # recomputed, not cached


# Every page of the dashboard as a first visit opens it (a council where the page takes one).
PAGE_VISITS = [
    (None, {}),
    ("pages/gaps.py", {}),
    ("pages/scorecard.py", {"authority": "E08000035"}),
    ("pages/scorecard.py", {"authority": "E06000001", "round": "2012"}),
    ("pages/what_if.py", {"authority": "E08000035"}),
    ("pages/plan.py", {"authority": "E08000035"}),
    ("pages/regions.py", {}),
    ("pages/peers.py", {"authority": "E08000035", "peers": "similar"}),
    ("pages/good_practice.py", {}),
    ("pages/methodology.py", {}),
    ("pages/downloads.py", {}),
]


def _assert_same(cached, direct, where: str) -> None:
    """Equal values; floats to 1e-9 relative (DuckDB's parallel sums may differ in the last
    digits between two runs of one query, see opendata's score_unrounded)."""
    if isinstance(direct, pd.DataFrame | pd.Series):
        assert type(cached) is type(direct), where
        check = pdt.assert_frame_equal if isinstance(direct, pd.DataFrame) else pdt.assert_series_equal
        check(cached, direct, check_exact=False, rtol=1e-9, obj=where)
    elif dataclasses.is_dataclass(direct) and not isinstance(direct, type):
        assert type(cached) is type(direct), where
        for field in dataclasses.fields(direct):
            _assert_same(getattr(cached, field.name), getattr(direct, field.name), f"{where}.{field.name}")
    elif isinstance(direct, tuple | list):
        assert type(cached) is type(direct) and len(cached) == len(direct), where
        for i, (c, d) in enumerate(zip(cached, direct, strict=True)):
            _assert_same(c, d, f"{where}[{i}]")
    elif isinstance(direct, dict):
        assert cached.keys() == direct.keys(), where
        for key in direct:
            _assert_same(cached[key], direct[key], f"{where}[{key!r}]")
    elif isinstance(direct, float) and not math.isnan(direct):
        assert math.isclose(cached, direct, rel_tol=1e-9), where
    else:
        assert cached == direct or (cached != cached and direct != direct), where  # NaN == NaN


def test_every_cached_page_call_equals_the_call_on_the_working_database(working, monkeypatch):
    """Caching and materialising change how fast a page gets its data, never what it gets.

    Every query function the pages call through data.cached / per_version is recorded while each
    page is opened; each call is then made again (a cache hit, from the published version whose
    scoring views are tables) and directly on the working database (its scoring views computed
    from the answers), and the two results must be equal.
    """
    calls: dict[tuple, tuple] = {}
    real = data.cached

    def recording(function, *args, **kwargs):
        key = (function.__module__, function.__qualname__, repr(args), repr(sorted(kwargs.items())))
        calls.setdefault(key, (function, args, kwargs))
        return real(function, *args, **kwargs)

    monkeypatch.setattr(data, "cached", recording)
    for page, params in PAGE_VISITS:
        open_page(page, **params)
    names = {f"{m}.{n}" for m, n, _, _ in calls}
    # Each page's own functions were seen (so a page that stopped caching would show up here).
    for expected in ["lib.analysis.headline.headline", "lib.analysis.scorecard.standard_profile", "lib.analysis.scorecard_trend.trend",
                     "lib.analysis.gaps.heatmap_frame", "lib.analysis.regions.region_league", "lib.analysis.peers.peer_codes",
                     "lib.analysis.good_practice.find_examples"]:
        assert expected in names, (expected, sorted(names))
    assert len(calls) > 60

    published = data.current_version()
    assert published.path != working
    con = db.connect(working, read_only=True)
    try:
        assert "overall_scores" in db.view_names(con)  # the working database still computes its scores
        for (module, name, _, _), (function, args, kwargs) in calls.items():
            _assert_same(real(function, *args, **kwargs), function(con, *args, **kwargs),
                         f"{module}.{name}{args}")
    finally:
        con.close()


def test_a_caller_changing_its_copy_leaves_the_cached_result_alone(working):
    """Results are shared by every session (st.cache_resource, no pickling); each caller gets
    data.own_copy, so one page editing a frame it was given cannot change another page's."""
    from lib.analysis import scorecard

    first = data.cached(scorecard.standard_profile, "E08000035", 2015)
    before = first.copy(deep=True)
    first["score"] = -1.0
    first.loc[first.index[0], "standard_label"] = "changed"
    for column in first.columns:  # its rows reversed in place (sort_values(inplace=True) is deprecated)
        first[column] = first[column].to_numpy()[::-1]
    again = data.cached(scorecard.standard_profile, "E08000035", 2015)
    pdt.assert_frame_equal(again, before)
    rounds = data.cached(scorecard.response_rounds, "E08000035")
    rounds.append(1900)
    assert 1900 not in data.cached(scorecard.response_rounds, "E08000035")
