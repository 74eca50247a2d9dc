"""AppTest for the Home page (the national picture) and the shared frame drawn by dashboard.py."""

from __future__ import annotations

import tomllib

import pytest
import streamlit as st

from lib.base.paths import ROOT
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("app_db")


def test_home_renders_national_picture(repo_db_path, repo_con):
    at = open_page()
    assert not at.exception
    assert at.title[0].value.startswith("Support for individual employers")
    respondents = repo_con.execute(
        "SELECT respondents FROM scope_coverage WHERE round_year = 2015 AND scope = 'england'").fetchone()[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Responding councils"] == str(respondents)
    assert any("151" in c.value for c in at.caption), "the report's 151-council footnote must be shown"


def test_demo_banner_and_round_picker(repo_db_path):
    at = open_page()
    assert any("Synthetic demonstration data" in w.value for w in at.warning)
    box = at.sidebar.selectbox(key="round_select")
    assert box.value == 2015
    assert at.query_params["round"] == ["2015"] or at.query_params["round"] == "2015"


def test_round_from_url(repo_db_path, repo_con):
    at = open_page(round="2013")
    assert not at.exception
    assert at.sidebar.selectbox(key="round_select").value == 2013
    respondents = repo_con.execute(
        "SELECT respondents FROM scope_coverage WHERE round_year = 2013 AND scope = 'england'").fetchone()[0]
    assert {m.label: m.value for m in at.metric}["Responding councils"] == str(respondents)


def test_unknown_round_in_url_falls_back_to_latest(repo_db_path):
    at = open_page(round="1999")
    assert not at.exception
    assert at.sidebar.selectbox(key="round_select").value == 2015


def test_streamlit_file_menu_is_off_and_the_apps_menu_shows(repo_db_path):
    """Streamlit's own pages/ menu (which flashed on first load) is off; the app's grouped menu stays."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showSidebarNavigation"] is False
    at = open_page()
    assert st.get_option("client.showSidebarNavigation") is False
    assert [link.proto.label for link in at.sidebar.get("page_link")] == [
        "Home", "Gap finder", "Council scorecard", "Self-assessment", "Improvement plan", "Regional comparison",
        "Peer comparison", "Good practice", "Methodology", "Accessibility", "Download the data", "Data management",
    ]


def test_tables_behind_the_charts_are_built_only_once_opened():
    # Home has two on-demand tables (bands by standard, the ranking) and one table always shown
    # (the change since the previous round): 1 table closed, 3 once both are opened.
    from tests.apptest import open_on_demand

    at = open_page()
    on_demand = [e.label for e in at.expander if e.label.startswith("Table:")]
    assert len(on_demand) == 2
    closed = len(at.dataframe)
    keys = open_on_demand(at)
    assert len(keys) == 2
    assert (closed, len(at.dataframe)) == (1, 3)
