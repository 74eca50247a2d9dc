"""AppTest for the Improvement plan page (pages/plan.py)."""

from __future__ import annotations

import urllib.parse
from datetime import date

import pytest

from lib.analysis import plan, plan_search
from lib.base.formatting import escape_markdown as md
from lib.reports import plan_html
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/plan.py"
YEAR = 2015


def _lowest(con) -> str:
    """The ranked council with the lowest overall score in 2015 (far from the top: plans exist)."""
    return con.execute("SELECT authority_code FROM overall_scores WHERE round_year = ? AND ranked "
                       "ORDER BY score, authority_code LIMIT 1", [YEAR]).fetchall()[0][0]


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_default_state_asks_for_a_council(repo_db_path):
    at = open_page(PAGE)
    assert at.title[0].value == "Improvement plan"
    assert any("Choose a council above" in i.value for i in at.info)
    assert not at.table and not at.download_button


def test_overall_plans_match_the_library_and_link_to_good_practice(repo_db_path, repo_con):
    code = _lowest(repo_con)
    at = open_page(PAGE, authority=code, round=str(YEAR))
    assert at.selectbox(key="plan_target").value == "overall"
    assert at.selectbox(key="plan_peers").value == plan.DEFAULT_PEER_MODE
    expected = plan_search.plan_for(repo_con, code, YEAR, None)
    assert expected.status == plan.PLANNED and expected.plans
    # Target line, then one bordered plan per alternative with its projected score and band.
    assert f"**Target:** {md(expected.target.description)}." in _text(at)
    heads = [h.value for h in at.subheader if h.value.startswith("Plan ")]
    assert heads == [f"Plan {i}: projected {int(p.score)} ({p.band_label})"
                     for i, p in enumerate(expected.plans, start=1)]
    fewest = len(expected.plans[0].changes)
    assert [h.value for h in at.header] == [f"Plans to reach {expected.target.band_label}"]
    assert any(m.value.startswith(f"**{fewest} answer change") for m in at.markdown)
    # Each plan's table lists its changes as the library computed them (labels, never codes).
    tables = [t.value for t in at.table if "Change" in t.value.columns]
    assert len(tables) == len(expected.plans)
    for table, p in zip(tables, expected.plans, strict=True):
        assert list(table["Change"]) == [md(f"{c.current_label} → {c.proposed_label}") for c in p.changes]
        assert list(table["Question"]) == [f"**{c.standard}\\. {md(c.standard_name)}** · {md(c.wording)}"
                                           for c in p.changes]
        assert list(table["Similar councils already there"]) == [f"{c.peers_with} of {c.peers_total}"
                                                                 for c in p.changes]
        assert not table.isna().any().any()
    # Good-practice links carry the change's standard and the round.
    links = [e for e in at.get("page_link") if e.proto.label.startswith("Good practice for standard")]
    wanted = {str(c.standard) for p in expected.plans for c in p.changes}
    got = set()
    for link in links:
        assert link.proto.page.endswith("good_practice.py") or "good_practice" in link.proto.page
        params = urllib.parse.parse_qs(link.proto.query_string)
        assert params["round"] == [str(YEAR)]
        assert link.proto.label == f"Good practice for standard {params['standard'][0]}"
        got.add(params["standard"][0])
    assert got == wanted
    # The one-page download, marked synthetic (the demo round).
    assert [b.label for b in at.download_button] == ["Download the plan (HTML, one page)"]
    assert any("marked as synthetic demonstration data" in c.value for c in at.caption)


def test_target_from_the_url_and_changing_it(repo_db_path, repo_con):
    code = _lowest(repo_con)
    at = open_page(PAGE, authority=code, round=str(YEAR), target="1")
    assert at.selectbox(key="plan_target").value == "1"
    expected = plan_search.plan_for(repo_con, code, YEAR, 1)
    assert f"**Target:** {md(expected.target.description)}." in _text(at)
    at.selectbox(key="plan_target").set_value("3").run()
    assert not at.exception
    assert at.query_params["target"] in (["3"], "3")
    expected3 = plan_search.plan_for(repo_con, code, YEAR, 3)
    assert f"**Target:** {md(expected3.target.description)}." in _text(at)
    table = next(t.value for t in at.table if "Change" in t.value.columns)
    assert all(q.startswith(f"**3\\. {md(expected3.target.standard_name)}** · ") for q in table["Question"])


def test_target_already_met_says_so(repo_db_path, repo_con):
    code, standard = repo_con.execute(
        "SELECT authority_code, standard FROM standard_scores WHERE round_year = ? AND band = 'meets' "
        "ORDER BY authority_code, standard LIMIT 1", [YEAR]).fetchall()[0]
    at = open_page(PAGE, authority=code, round=str(YEAR), target=str(standard))
    assert any(f"already in the top band, Meets, on standard {standard}" in s.value for s in at.success)
    assert not at.table


def test_council_that_did_not_respond_is_sent_to_self_assessment(repo_db_path, repo_con):
    code = repo_con.execute("SELECT authority_code FROM round_councils WHERE round_year = ? AND NOT responded "
                            "ORDER BY authority_code LIMIT 1", [YEAR]).fetchall()[0][0]
    at = open_page(PAGE, authority=code, round=str(YEAR))
    assert any(f"did not respond in {YEAR}" in w.value for w in at.warning)
    links = [e for e in at.get("page_link") if e.proto.label.startswith("Self-assess")]
    assert links and "what_if" in links[0].proto.page
    assert urllib.parse.parse_qs(links[0].proto.query_string) == {"authority": [code]}


def test_the_download_is_one_labelled_page(repo_db_path, repo_con):
    code = _lowest(repo_con)
    result = plan_search.plan_for(repo_con, code, YEAR, None)
    page = plan_html.plan_html(repo_con, result, is_demo=True, generated=date(2026, 12, 1))
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    assert "Synthetic demonstration data." in page
    assert page.count("<h2>Plan ") == len(result.plans)
    for p in result.plans:
        for c in p.changes:
            assert f"<b>{c.proposed_label}</b>" in page or c.proposed_label.replace("'", "&#x27;") in page
    assert "@page { size: A4" in page
    real = plan_html.plan_html(repo_con, result, is_demo=False, generated=date(2026, 12, 1))
    assert "Synthetic" not in real


def test_scorecard_gaps_link_to_the_plan(repo_db_path, repo_con):
    code = _lowest(repo_con)
    at = open_page("pages/scorecard.py", authority=code, round=str(YEAR))
    links = [e for e in at.main.get("page_link") if e.proto.label.startswith("Improvement plan")]
    assert len(links) == 1 and "plan" in links[0].proto.page
    assert urllib.parse.parse_qs(links[0].proto.query_string) == {"authority": [code], "round": [str(YEAR)]}


def test_bad_target_and_peer_values_in_the_address_fall_back_to_the_defaults(repo_db_path, repo_con):
    code = _lowest(repo_con)
    at = open_page(PAGE, authority=code, round=str(YEAR), target="9" * 500, peers="<script>")
    assert at.selectbox(key="plan_target").value == "overall"
    assert at.selectbox(key="plan_peers").value == plan.DEFAULT_PEER_MODE
    assert "script" not in _text(at)
