"""AppTest for the Peer comparison page."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.analysis import peers
from lib.base.formatting import rank_range_text
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("app_db")

COUNCIL = "E08000003"  # Manchester: a metropolitan district in the North West

PAGE = "pages/peers.py"


def _side_by_side(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Row" in d.value.columns)


def _name(con, year: int, code: str) -> str:
    return con.execute("SELECT display_name FROM round_councils WHERE round_year = ? AND authority_code = ?",
                       [year, code]).fetchone()[0]


def test_default_state_asks_for_a_council(repo_db_path):
    at = open_page(PAGE)
    assert at.title[0].value == "Peer comparison"
    assert at.selectbox(key="peers_council").value is None
    assert any("Choose a council to compare" in i.value for i in at.info)
    assert not at.dataframe


def test_region_peers(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, authority=COUNCIL, peers="region")
    assert at.radio(key="peers_mode").value == "region"
    table = _side_by_side(at)
    assert table.iloc[0]["Council"] == _name(repo_con, latest_year, COUNCIL)
    assert table.iloc[0]["Row"] == peers.ROW_COUNCIL and table.iloc[1]["Row"] == peers.ROW_MEDIAN
    # "Selected council" fits: the Row column is given a medium width, not squeezed to its empty header.
    element = next(d for d in at.dataframe if "Row" in d.value.columns)
    assert json.loads(element.proto.columns)["Row"]["width"] == "medium"
    region_size, responding = repo_con.execute(
        """SELECT count(*), count(*) FILTER (WHERE c.responded) FROM round_councils c
           JOIN round_councils me ON me.round_year = c.round_year AND me.authority_code = ?
           WHERE c.round_year = ? AND c.region_code = me.region_code AND c.authority_code <> ?""",
        [COUNCIL, latest_year, COUNCIL]).fetchone()
    assert (table["Row"] == peers.ROW_PEER).sum() == region_size
    assert table.iloc[1]["Council"] == f"{responding} responding peers"
    assert not table.isna().any().any()
    # The rank shown for the council is the view's.
    rank, n, best, worst = repo_con.execute(
        "SELECT rank, n_ranked, rank_best, rank_worst FROM overall_scores WHERE round_year = ? AND authority_code = ?",
        [latest_year, COUNCIL]).fetchone()
    assert table.iloc[0]["Rank in England"] == f"{rank} of {n}" + rank_range_text(best, worst)
    metric = next(m for m in at.metric if m.label == "Rank in England")
    assert metric.value == f"{rank} of {n}"
    assert metric.delta == (f"Range {rank_range_text(best, worst).strip(' ()')}" if best != worst else None)


def test_type_peers(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, authority=COUNCIL, peers="type")
    table = _side_by_side(at)
    same_type = repo_con.execute(
        "SELECT count(*) FROM round_councils WHERE round_year = ? AND type = 'metropolitan district' "
        "AND authority_code <> ?", [latest_year, COUNCIL]).fetchone()[0]
    assert (table["Row"] == peers.ROW_PEER).sum() == same_type
    assert set(table.loc[table["Row"] != peers.ROW_MEDIAN, "Type"]) == {"Metropolitan district"}


def test_similar_peers(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, authority=COUNCIL, peers="similar", k="4")
    assert at.slider(key="peers_k").value == 4
    table = _side_by_side(at)
    expected = peers.similar_councils(repo_con, latest_year, COUNCIL, 4)
    shown = table[table["Row"] == peers.ROW_PEER]
    assert shown["Council"].tolist() == expected["display_name"].tolist()
    assert shown["Similarity"].tolist() == [f"{v:.0f}" for v in expected["similarity"]]
    assert any("Similarity compares" in c.value for c in at.caption)
    # Changing k updates the table and the link.
    at.slider(key="peers_k").set_value(7).run()
    assert (_side_by_side(at)["Row"] == peers.ROW_PEER).sum() == 7
    assert at.query_params["k"] in (["7"], "7")


def test_custom_peers_from_the_url(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, authority=COUNCIL, peers="custom", custom="E06000001,NOTACODE,E08000012")
    assert at.multiselect(key="peers_custom").value == ["E06000001", "E08000012"]
    assert any("NOTACODE" in w.value for w in at.warning)
    table = _side_by_side(at)
    names = {_name(repo_con, latest_year, c) for c in ("E06000001", "E08000012")}
    assert set(table.loc[table["Row"] == peers.ROW_PEER, "Council"]) == names
    assert table.iloc[0]["Council"] == _name(repo_con, latest_year, COUNCIL)
    assert at.query_params["custom"] in (["E06000001,E08000012"], "E06000001,E08000012")


def test_council_that_did_not_respond(repo_db_path, repo_con):
    row = repo_con.execute(
        """SELECT c.round_year, c.authority_code FROM round_councils c WHERE NOT c.responded
           AND EXISTS (SELECT 1 FROM respondents p WHERE p.authority_code = c.authority_code)
           ORDER BY c.round_year, c.authority_code LIMIT 1""").fetchone()
    round_year, code = int(row[0]), row[1]
    nearest = peers.nearest_responded_round(repo_con, code, round_year)
    name = _name(repo_con, round_year, code)

    at = open_page(PAGE, round=str(round_year), authority=code, peers="region")
    warning = next(w.value for w in at.warning if "did not respond" in w.value)
    assert f"did not respond in {round_year}" in warning and f"It responded in {nearest}" in warning
    table = _side_by_side(at)
    assert name not in set(table["Council"])
    assert table.iloc[0]["Row"] == peers.ROW_MEDIAN
    button = next(b for b in at.button if b.label == f"Compare in the {nearest} round instead")
    button.click().run()
    assert not at.exception
    moved = _side_by_side(at)
    assert moved.iloc[0]["Row"] == peers.ROW_COUNCIL and moved.iloc[0]["Council"] == name

    at = open_page(PAGE, round=str(round_year), authority=code, peers="similar")
    assert any("cannot be compared" in w.value for w in at.warning)
    assert not at.dataframe
