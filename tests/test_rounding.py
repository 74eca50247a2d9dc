"""The one rounding rule (lib.base.rounding, standards/scoring.toml [display]) and what follows from it:
the band and the ranks follow the shown score, in SQL and in Python alike."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.base.formatting import format_change, format_percent, format_score
from lib.base.rounding import SQL_MACROS, shown, shown_change, shown_int, shown_percent
from lib.scoring import views as scoring
from lib.scoring.standards import load_config
from lib.store import db

SCORES = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def sql() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(SQL_MACROS)
    return con


def test_halves_round_up_not_to_even():
    # Python's round() gives 12 and 38 for these (half to even); the rule is half up.
    assert round(12.5) == 12 and shown_int(12.5) == 13
    assert round(37.5) == 38 and shown_int(37.5) == 38
    assert shown_int(74.5) == 75 and shown_int(74.49) == 74
    assert shown_int(0.5) == 1 and shown_int(99.5) == 100
    # A weighted mean meant to be 74.5 but held with floating-point noise is still shown as 75.
    assert shown_int(74.49999999999999) == 75
    assert shown(None) is None and shown(float("nan")) is None


def test_formatting_uses_the_rule():
    assert format_score(12.5) == "13" and format_score(37.5) == "38"
    assert format_percent(0.125) == "13%" and shown_percent(0.345) == 35
    # Changes are differences of the shown numbers: 68.4 -> 76.5 is shown as 68 -> 77, so +9.
    assert shown_change(76.5, 68.4) == 9
    assert format_change(76.5, 68.4) == "+9"


@settings(max_examples=300, deadline=None)
@given(SCORES)
def test_sql_and_python_round_alike(sql, value):
    got = sql.execute("SELECT shown_score(?::DOUBLE, 0)", [value]).fetchone()[0]
    assert got == shown(value)


@settings(max_examples=300, deadline=None)
@given(SCORES)
def test_band_follows_the_shown_score(value):
    config = load_config()
    band = config.band_for(value)
    assert band is not None
    # The band is the one whose range holds the number displayed.
    displayed = int(format_score(value))
    expected = next(b for b in config.bands if displayed >= b.min)
    assert band.key == expected.key


@settings(max_examples=25, deadline=None)
@given(st.lists(SCORES, min_size=2, max_size=12))
def test_views_band_and_rank_on_the_shown_score(values):
    """With the macros the scoring views rank and band by, scores shown the same share a rank
    and each band is the band of the number shown."""
    con = db.connect(":memory:")
    db.create_schema(con)
    scoring.create_views(con)
    con.execute("INSERT INTO scoring_settings VALUES ('score_decimals', 0)")
    for i, (key, lo) in enumerate((("meets", 75.0), ("partly_meets", 40.0), ("does_not_meet", 0.0))):
        con.execute("INSERT INTO bands VALUES (?, ?, ?, '', ?, '#000000', '#FFFFFF')", [key, key, lo, i])
    con.execute("""CREATE TEMP TABLE raw AS SELECT unnest(?::DOUBLE[]) AS score""", [values])
    rows = con.execute("""
        SELECT shown(score) AS s, band_for(score) AS band,
               rank() OVER (ORDER BY shown(score) DESC) AS rank
        FROM raw
    """).fetchall()
    for s, band, rank in rows:
        assert band == ("meets" if s >= 75 else "partly_meets" if s >= 40 else "does_not_meet")
        # rank = 1 + number of councils shown strictly higher
        assert rank == 1 + sum(1 for other, _, _ in rows if other > s)
    con.close()
