"""AppTest for the Council scorecard page (the director's page)."""

from __future__ import annotations

import urllib.parse

import pytest
from streamlit.testing.v1 import AppTest

from lib.analysis import scorecard
from lib.base.formatting import escape_markdown, format_score, ordinal
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/scorecard.py"


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _ranked(con, year: int) -> str:
    rows = con.execute("SELECT authority_code FROM overall_scores WHERE round_year = ? AND ranked "
                       "ORDER BY rank, authority_code", [year]).fetchall()
    return rows[len(rows) // 2][0]


def test_no_council_explains_the_page(repo_db_path):
    at = open_page(PAGE)
    assert at.title[0].value == "Council scorecard"
    assert at.selectbox(key="scorecard_council").value is None
    assert any("Choose a council" in i.value for i in at.info)
    assert not at.metric and not at.download_button


def test_ranked_council_shows_the_views_rank(repo_db_path, repo_con):
    code = _ranked(repo_con, 2015)
    name, score, rank, n, rrank, rn, region, low, high, best, worst = repo_con.execute(
        "SELECT display_name, score, rank, n_ranked, region_rank, region_n_ranked, region_name, "
        "score_low, score_high, rank_best, rank_worst "
        "FROM overall_scores WHERE round_year = 2015 AND authority_code = ?", [code]).fetchone()
    at = open_page(PAGE, authority=code, round="2015")
    assert at.selectbox(key="scorecard_council").value == code
    assert at.header[0].value == escape_markdown(name)
    metrics = _metrics(at)
    assert metrics["Rank in England"] == f"{rank} of {n}"
    assert metrics[f"Rank in {region}"] == f"{rrank} of {rn}"
    assert metrics["Overall score (out of 100)"] == format_score(score)
    # Under the score and the rank, the range the council's "Don't know" and unanswered questions
    # leave, e.g. "Range 39th–47th", when they leave one (a grey note, not a change).
    # And under them, the overall score against England's median, allowing for the range.
    from lib.analysis import national
    median = national.overall_median(repo_con, 2015)
    assert any(c.value == escape_markdown(scorecard.headline(repo_con, code, 2015).against_england(median))
               for c in at.caption)
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["Overall score (out of 100)"] == (None if low == high else f"Range {int(low)}–{int(high)}")
    assert deltas["Rank in England"] == (None if best == worst else f"Range {ordinal(best)}–{ordinal(worst)}")
    # One expander per gap, weakest first, with the standard named.
    gaps = scorecard.gaps(repo_con, code, 2015)
    gap_labels = [e.label for e in at.expander if e.label.startswith("Standard ")]
    assert [lab.split(":")[0] for lab in gap_labels] == [f"Standard {n}" for n in gaps["standard"]]
    # Good-practice links carry the standard, so the library opens filtered.
    links = [p for p in at.page_link if p.value.startswith("All good practice for standard")]
    assert len(links) == len(gaps)
    first = urllib.parse.parse_qs(links[0].proto.query_string)
    assert first["standard"] == [str(gaps["standard"].iloc[0])]
    # The question table lists every question asked in the round, with no raw codes or NaN.
    asked = repo_con.execute("SELECT count(*) FROM questions WHERE asked_from <= 2015").fetchone()[0]
    table = next(df.value for df in at.dataframe if "Council's answer" in df.value.columns)
    assert len(table) == asked
    assert not table.isna().any().any()
    assert not table.isin(["not_available", "in_development", "dont_know", "la", "support_org"]).any().any()


def test_downloads_are_offered(repo_db_path, repo_con):
    at = open_page(PAGE, authority=_ranked(repo_con, 2015))
    labels = [b.label for b in at.download_button]
    assert any("briefing" in lab.lower() and "appendix" not in lab.lower() for lab in labels)
    assert any("briefing with appendix" in lab.lower() for lab in labels)
    assert any("CSV" in lab for lab in labels) and any("Excel" in lab for lab in labels)
    assert any("synthetic demonstration data" in c.value for c in at.caption)


def test_downloads_are_not_built_on_every_run(repo_db_path, repo_con, monkeypatch):
    """The files are built when a button is pressed, not each time the page is drawn."""
    from lib.reports import briefing_html, scorecard_files

    built = []
    monkeypatch.setattr(scorecard_files, "export_frames", lambda *a, **k: built.append("frames"))
    monkeypatch.setattr(briefing_html, "briefing_html", lambda *a, **k: built.append("briefing"))
    at = open_page(PAGE, authority=_ranked(repo_con, 2015))
    assert len(at.download_button) == 4  # briefing, briefing with appendix, CSV, Excel
    assert built == []


def test_standard_filter_is_kept_in_the_url(repo_db_path, repo_con):
    code = _ranked(repo_con, 2015)
    at = open_page(PAGE, authority=code, standard="3")
    assert at.selectbox(key="scorecard_standard").value == 3
    asked = repo_con.execute("SELECT count(*) FROM questions WHERE asked_from <= 2015 AND standard = 3").fetchone()[0]
    table = next(df.value for df in at.dataframe if "Council's answer" in df.value.columns)
    assert len(table) == asked
    at.selectbox(key="scorecard_standard").set_value(5).run()
    assert not at.exception
    assert at.query_params["standard"] in (["5"], "5")


def test_non_respondent_in_2015_is_told_plainly(repo_db_path, repo_con):
    code, name = repo_con.execute(
        "SELECT authority_code, display_name FROM round_councils WHERE round_year = 2015 AND NOT responded "
        "ORDER BY authority_code LIMIT 1").fetchone()
    at = open_page(PAGE, authority=code, round="2015")
    assert any("did not respond to the 2015 survey" in w.value for w in at.warning)
    assert not at.metric
    nearest = scorecard.nearest_response_round(repo_con, code, 2015)
    if nearest is None:
        assert any("has not responded to any survey round" in w.value for w in at.warning)
        assert not at.button
    else:
        assert any(str(nearest) in b.label for b in at.button)


def test_non_respondent_is_offered_the_nearest_round(repo_db_path, repo_con):
    code = repo_con.execute(
        """SELECT c.authority_code FROM round_councils c WHERE c.round_year = 2014 AND NOT c.responded
           AND EXISTS (SELECT 1 FROM respondents r WHERE r.authority_code = c.authority_code)
           ORDER BY c.authority_code LIMIT 1""").fetchone()[0]
    nearest = scorecard.nearest_response_round(repo_con, code, 2014)
    at = open_page(PAGE, authority=code, round="2014")
    assert any("did not respond to the 2014 survey" in w.value for w in at.warning)
    button = next(b for b in at.button if str(nearest) in b.label)
    button.click().run()
    assert not at.exception
    assert at.session_state["round_select"] == nearest
    assert at.query_params["round"] in ([str(nearest)], str(nearest))
    rank = scorecard.headline(repo_con, code, nearest).rank_alone
    assert _metrics(at)["Rank in England"] == rank


def test_current_council_code_is_mapped_to_the_2015_set(repo_db_path, repo_con):
    from lib.reference import geography

    code = "E06000059"  # Dorset unitary (2019): not in the 2015 council set
    assert code not in {r[0] for r in repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = 2015").fetchall()}
    (mapped,) = geography.predecessors_in(repo_con, code, 2015)
    at = open_page(PAGE, authority=code, round="2015")
    assert any("was not a council in the 2015 round" in i.value for i in at.info)
    assert at.selectbox(key="scorecard_council").value == mapped
    head = scorecard.headline(repo_con, mapped, 2015)
    if head is None:
        assert any("did not respond" in w.value for w in at.warning)
    else:
        assert _metrics(at)["Rank in England"] == head.rank_alone


def test_trend_section_explains_the_changing_questionnaire(repo_db_path, repo_con):
    at = open_page(PAGE, opened=True, authority=_ranked(repo_con, 2015))
    assert any("not like for like" in i.value for i in at.info)
    assert any(e.label.startswith("Table: scores in each round") for e in at.expander)
    trend_table = next(df.value for df in at.dataframe if "Overall score" in df.value.columns)
    rounds = repo_con.execute("SELECT count(*) FROM survey_rounds").fetchone()[0]
    assert len(trend_table) == rounds and not trend_table.isna().any().any()


def test_a_non_respondent_page_offers_next_steps(repo_db_path, repo_con):
    code, name = repo_con.execute(
        "SELECT authority_code, display_name FROM round_councils WHERE round_year = 2015 AND NOT responded "
        "ORDER BY authority_code LIMIT 1").fetchone()
    at = open_page(PAGE, authority=code, round="2015")
    links = {(e.proto.page, e.proto.query_string, e.proto.label) for e in at.get("page_link")}
    assert ("what_if", f"authority={code}", f"Self-assess {name} against the standards") in links
    assert ("peers", f"authority={code}&round=2015", "See how similar councils did in 2015") in links
    assert ("good_practice", "", "Browse good practice") in links


def test_a_link_to_another_round_is_followed_within_the_session(repo_db_path, repo_con):
    """A link such as an example's "scorecard (2014)" changes ?round= in a session that already
    shows 2015: the page follows the link instead of keeping 2015."""
    code = _ranked(repo_con, 2014)
    at = open_page(PAGE, authority=code, round="2015")
    assert at.session_state["round_select"] == 2015
    at.query_params["round"] = "2014"
    at.run()
    assert not at.exception
    assert at.session_state["round_select"] == 2014
    assert _metrics(at)["Rank in England"] == scorecard.headline(repo_con, code, 2014).rank_alone
    at.run()  # and it stays there (the picker now writes 2014 itself)
    assert at.session_state["round_select"] == 2014


def test_the_overall_change_since_the_last_round_is_shown_like_for_like(repo_con):
    """A council that answered 2014 and 2015: the page states the overall change on the standards both
    rounds asked about, names those left out, and gives the round's own overall beside it."""
    from lib.analysis import scorecard_trend

    code = repo_con.execute(
        "SELECT a.authority_code FROM respondents a JOIN respondents b USING (authority_code) "
        "WHERE a.round_year = 2015 AND b.round_year = 2014 ORDER BY a.authority_code LIMIT 1").fetchone()[0]
    lfl = scorecard_trend.like_for_like_overall(repo_con, code, 2015)
    assert lfl is not None and lfl["left_out"], "2014 asked about fewer standards than 2015"
    own = repo_con.execute("SELECT score FROM overall_scores WHERE round_year = 2015 AND authority_code = ?",
                           [code]).fetchone()[0]
    assert lfl["round_score"] == own
    at = open_page(PAGE, opened=True, authority=code, round="2015")
    expected = escape_markdown(scorecard_trend.like_for_like_overall_text(lfl, 2015))
    assert any(m.value == expected for m in at.markdown), expected
