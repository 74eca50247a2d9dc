"""AppTest for the Good-practice library: the cards shown are exactly the filtered examples."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib.analysis import good_practice as gp
from lib.base.formatting import escape_markdown
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/good_practice.py"


def _cards(at: AppTest, repo_con) -> list[str]:
    """Titles of the example cards on the page (card titles are subheaders)."""
    titles = {escape_markdown(t): t for t in gp.find_examples(repo_con)["title"]}
    return [titles[s.value] for s in at.subheader if s.value in titles]


def test_default_shows_every_example_and_recommendation(repo_db_path, repo_con):
    at = open_page(PAGE)
    assert at.title[0].value == "Good practice"
    everything = gp.find_examples(repo_con)
    assert sorted(_cards(at, repo_con)) == sorted(everything["title"])
    assert any(f"{len(everything)} of {len(everything)} examples" in m.value for m in at.markdown)
    recs = repo_con.execute("SELECT count(*) FROM recommendations").fetchone()[0]
    assert sum(m.value.startswith("**Recommendation ") for m in at.markdown) == recs
    themes = {r[0] for r in repo_con.execute("SELECT DISTINCT theme FROM recommendations").fetchall()}
    assert themes <= {s.value for s in at.subheader}
    # Links: a scorecard for each example whose council is in the round, the Gap finder per standard.
    links = [link.proto for link in at.main.get("page_link")]  # not the sidebar menu
    councils = {r[0] for r in repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = (SELECT max(year) FROM survey_rounds)").fetchall()}
    expected_scorecards = everything["authority_code"].isin(councils).sum()
    assert sum(p.page == "scorecard" for p in links) == expected_scorecards > 0
    assert sum(p.page == "gaps" for p in links) == sum(len(s) for s in everything["standards"])
    assert any(p.page == "scorecard" and "authority=E08000027" in p.query_string for p in links)
    # Web addresses are shown as links.
    assert any("logontocare" in m.value for m in at.markdown)


def test_url_filters_standard_and_text(repo_db_path, repo_con):
    at = open_page(PAGE, standard="7", q="peer")
    assert at.multiselect(key="gp_standard").value == [7]
    assert at.text_input(key="gp_text").value == "peer"
    expected = gp.find_examples(repo_con, standards=[7], text="peer")
    assert sorted(_cards(at, repo_con)) == sorted(expected["title"]) and len(expected)
    total = len(gp.find_examples(repo_con))
    assert any(f"{len(expected)} of {total} examples" in m.value for m in at.markdown)
    # Only the recommendations bearing on standard 7.
    shown = [m.value for m in at.markdown if m.value.startswith("**Recommendation ")]
    assert len(shown) == len(gp.recommendations(repo_con, [7]))
    # The standards appear by name, not only by number.
    names = gp.standard_names(repo_con)
    assert any(escape_markdown(names[7]) in m.value for m in at.markdown if m.value.startswith("**Standards:**"))


def test_region_filter_and_no_council(repo_db_path, repo_con):
    at = open_page(PAGE, region=f"E12000007,{gp.NO_COUNCIL}")
    assert at.multiselect(key="gp_region").value == ["E12000007", gp.NO_COUNCIL]
    expected = gp.find_examples(repo_con, regions=["E12000007", gp.NO_COUNCIL])
    assert sorted(_cards(at, repo_con)) == sorted(expected["title"])
    assert any(gp.NO_COUNCIL_LABEL in c.value for c in at.caption)


def test_changing_a_filter_updates_the_cards_and_url(repo_db_path, repo_con):
    at = open_page(PAGE)
    at.multiselect(key="gp_source").set_value(["advice_note"]).run()
    assert not at.exception
    expected = gp.find_examples(repo_con, sources=["advice_note"])
    assert sorted(_cards(at, repo_con)) == sorted(expected["title"])
    assert at.query_params["source"] in ("advice_note", ["advice_note"])


def test_empty_result_is_explained(repo_db_path, repo_con):
    at = open_page(PAGE, q="zzzznothing")
    assert _cards(at, repo_con) == []
    assert any("No example matches" in i.value for i in at.info)


def _links(at) -> list[tuple[str, str, str]]:
    return [(e.proto.page, e.proto.label, e.proto.query_string) for e in at.get("page_link")]


def test_no_example_links_to_an_empty_scorecard(repo_con):
    """Each example's council link opens a round the council answered, says so when that is not
    the round shown, and for a council that never answered offers its self-assessment."""
    from lib.analysis import scorecard
    from lib.base.formatting import escape_markdown

    at = open_page("pages/good_practice.py", round="2012")  # 12 of the 20 example councils skipped 2012
    links = _links(at)
    captions = [c.value for c in at.caption]
    checked = 0
    for (code,) in repo_con.execute(
            "SELECT DISTINCT authority_code FROM case_studies WHERE authority_code IS NOT NULL").fetchall():
        link = scorecard.scorecard_link(repo_con, code, 2012)
        if link.round is None:
            assert any(q == f"authority={code}" and "what_if" in p for p, _, q in links), code
        else:
            assert any(q == f"authority={code}&round={link.round}" and "scorecard" in p for p, _, q in links), code
            assert link.round in scorecard.response_rounds(repo_con, code)
        if link.note:
            assert escape_markdown(link.note) in captions, code
            checked += 1
    assert checked == 12
