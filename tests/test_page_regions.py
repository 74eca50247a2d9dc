"""AppTest for the Regional comparison page."""

from __future__ import annotations

import pytest

from tests.apptest import chart_specs, open_page, table_with

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/regions.py"


def test_default_state(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, opened=True)
    assert at.title[0].value == "Regional comparison"
    assert [h.value for h in at.header] == ["Map of councils", "Region league table",
                                            "Regions against each standard", "Councils in a region"]
    # The league's first region is the one with the highest median in overall_summary.
    best, median = repo_con.execute(
        "SELECT scope_name, median_score FROM overall_summary WHERE round_year = ? AND scope = 'region' "
        "ORDER BY median_score DESC LIMIT 1", [latest_year]).fetchone()
    league = table_with(at, "Position")
    assert league.iloc[0]["Region"] == best
    assert league.iloc[0]["Median overall score"] == f"{median:.0f}"
    councils, respondents = repo_con.execute(
        "SELECT councils, respondents FROM scope_coverage WHERE round_year = ? AND scope = 'region' "
        "AND scope_name = ?", [latest_year, best]).fetchone()
    assert league.iloc[0]["Councils responding"].startswith(f"{respondents} of {councils} (")
    assert not league.isna().any().any()
    # The map: one hexagon per council of the round.
    n_councils = repo_con.execute("SELECT count(*) FROM round_councils WHERE round_year = ?", [latest_year]).fetchone()[0]
    hexes = chart_specs(at)[0]
    assert len(hexes["layout"]["shapes"]) == n_councils
    map_table = table_with(at, "Score and band")
    assert len(map_table) == n_councils and not map_table.isna().any().any()
    # The region shown by default is the top of the league, and it is written to the URL.
    assert at.selectbox(key="reg_region").value == league_code(repo_con, latest_year, best)
    assert at.query_params["standard"] in (["overall"], "overall")


def league_code(con, year: int, name: str) -> str:
    return con.execute("SELECT scope_code FROM scope_coverage WHERE round_year = ? AND scope = 'region' "
                       "AND scope_name = ?", [year, name]).fetchone()[0]


def test_standard_type_and_region_from_the_url(repo_db_path, repo_con, latest_year):
    # A region where some counties responded (which ones did depends on the demo round).
    region, region_name = repo_con.execute(
        "SELECT region_code, any_value(region_name) FROM round_councils WHERE round_year = ? AND type = 'county' "
        "GROUP BY region_code HAVING bool_or(responded) ORDER BY count(*) FILTER (WHERE NOT responded) > 0 DESC, "
        "region_code LIMIT 1", [latest_year]).fetchone()
    at = open_page(PAGE, opened=True, standard="3", type="county", region=region)
    assert at.selectbox(key="reg_standard").value == "3"
    assert at.selectbox(key="reg_type").value == "county"
    assert at.selectbox(key="reg_region").value == region
    # League: counties only, so London (no counties) is absent and counts are of counties.
    league = table_with(at, "Position")
    assert "London" not in set(league["Region"])
    nw_councils, nw_resp = repo_con.execute(
        "SELECT count(*), count(*) FILTER (WHERE responded) FROM round_councils "
        "WHERE round_year = ? AND region_code = ? AND type = 'county'", [latest_year, region]).fetchone()
    nw = league[league["Region"] == region_name].iloc[0]
    assert nw["Councils responding"].startswith(f"{nw_resp} of {nw_councils} (")
    # The map is coloured by standard 3 and only counties are coloured.
    title = chart_specs(at)[0]["layout"]["title"]["text"]
    assert "Standard 3" in title and "counties" in title
    map_table = table_with(at, "Score and band")
    assert set(map_table["Type"]) == {"County"}
    # Councils in the region: the responding counties, best first, the rest listed as not responding.
    grid = table_with(at, "Standards not met")
    expected = repo_con.execute(
        "SELECT display_name FROM overall_scores WHERE round_year = ? AND region_code = ? "
        "AND type = 'county' ORDER BY rank NULLS LAST, display_name", [latest_year, region]).df()["display_name"].tolist()
    assert grid["Council"].tolist() == expected
    assert not grid.isna().any().any()
    absent = repo_con.execute(
        "SELECT display_name FROM round_councils WHERE round_year = ? AND region_code = ? "
        "AND type = 'county' AND NOT responded ORDER BY display_name", [latest_year, region]).df()["display_name"].tolist()
    if absent:
        line = next(m.value for m in at.markdown if m.value.startswith("**Did not respond"))
        assert all(name in line for name in absent)


def test_share_meeting_heat_map(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, opened=True, measure="meeting")
    assert at.radio(key="reg_measure").value == "meeting"
    table = next(d.value for d in at.dataframe if d.value.columns[0] == "Region" and "Position" not in d.value.columns)
    row = repo_con.execute(
        "SELECT scope_name, share_meeting, councils_in_scope, respondents FROM standard_summary "
        "WHERE round_year = ? AND scope = 'region' AND standard = 1 ORDER BY scope_name LIMIT 1", [latest_year]).fetchone()
    first = table.iloc[0]
    assert first["Region"].startswith(row[0])
    assert first.iloc[1].startswith(f"{row[1]:.0%}")


def test_keyboard_alternative_links_to_the_scorecard(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE)
    code, name = repo_con.execute(
        "SELECT authority_code, display_name FROM round_councils WHERE round_year = ? AND responded "
        "ORDER BY authority_code LIMIT 1", [latest_year]).fetchone()
    at.selectbox(key="reg_open").set_value(code).run()
    assert not at.exception
    link = at.main.get("page_link")[0]
    assert name in link.proto.label
    assert f"authority={code}" in link.proto.query_string
    assert link.proto.page.endswith("scorecard") or "scorecard" in link.proto.page


def test_early_round_leaves_out_standards_not_asked(repo_db_path, repo_con):
    early = int(repo_con.execute("SELECT min(year) FROM survey_rounds").fetchone()[0])
    at = open_page(PAGE, round=str(early), standard="3")
    assert any(f"The {early} survey asked about standards" in c.value for c in at.caption)
    asked = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT standard FROM questions WHERE scored AND asked_from <= ?", [early]).fetchall()}
    assert 3 not in asked
    assert any("was not asked about" in i.value for i in at.info)
    assert at.selectbox(key="reg_standard").value == "overall"
    assert set(at.selectbox(key="reg_standard").options) == {"Overall score"} | {
        o for o in at.selectbox(key="reg_standard").options if o.startswith("Standard ")}
    assert len(at.selectbox(key="reg_standard").options) == 1 + len(asked)


def test_councils_in_a_region_opens_on_the_chosen_councils_region(repo_con):
    """A council chosen on the scorecard travels with the session: the region list opens on its region."""
    from streamlit.testing.v1 import AppTest

    from lib.analysis import regions
    from lib.base.paths import ROOT
    from lib.web import pickers

    top = regions.region_league(repo_con, 2015)["region_code"].iloc[0]  # the list's default otherwise
    code, region = repo_con.execute(
        "SELECT authority_code, region_code FROM round_councils WHERE round_year = 2015 AND region_code <> ? "
        "ORDER BY authority_code LIMIT 1", [top]).fetchone()
    at = AppTest.from_file(ROOT / "dashboard.py", default_timeout=120)
    at.session_state[pickers.CHOSEN_COUNCIL] = code
    at.run()
    at.switch_page("pages/regions.py")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="reg_region").value == region
