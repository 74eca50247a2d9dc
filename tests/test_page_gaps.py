"""AppTest for the Gap finder: what the page shows equals the views and direct counts."""

from __future__ import annotations

import pytest

from lib.analysis import gap_tables, gaps
from tests.apptest import chart_specs, open_page, table_with

pytestmark = pytest.mark.usefixtures("app_db")

LONDON = "E12000007"

PAGE = "pages/gaps.py"


def test_default_view(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, opened=True)
    assert at.title[0].value == "Gap finder"
    respondents = repo_con.execute("SELECT count(*) FROM respondents WHERE round_year = ?", [latest_year]).fetchone()[0]

    # Heat map: one row per responding council, nine standard columns, names not codes.
    figures = chart_specs(at)
    heat = next(f for f in figures if any(t["type"] == "heatmap" for t in f["data"]))
    scores = next(t for t in heat["data"] if t["type"] == "heatmap" and t.get("name") == "Score")
    assert len(scores["y"]) == respondents and len(scores["x"]) == 9
    assert not any(str(y).startswith("E0") for y in scores["y"])
    assert heat["layout"]["xaxis"]["title"]["text"] and heat["layout"]["yaxis"]["title"]["text"]
    assert any("Source:" in a["text"] for a in heat["layout"]["annotations"])
    table = table_with(at, "Council", "Overall score")
    assert len(table) == respondents
    top = repo_con.execute(
        "SELECT display_name FROM overall_scores WHERE round_year = ? ORDER BY score DESC, display_name LIMIT 1",
        [latest_year]).fetchone()[0]
    assert table["Council"].iloc[0] == top
    assert not table.isna().any().any()

    # Questions most often unmet: one row per scored question, worst first.
    # By default only the questions the 2015 survey asked are ranked (the others have no
    # published figure behind their demonstration answers).
    unmet = table_with(at, "Question", "Without the support (%)")
    expected = gaps.unmet_questions(repo_con, latest_year)
    expected = expected[expected["from_report"]]
    assert list(unmet["Question"]) == list(expected["topic"])
    assert not (repo_con.execute("SELECT count(*) FROM questions WHERE report_ref = 'new' AND topic IN "
                                 "(SELECT unnest(?))", [list(unmet["Question"])]).fetchone()[0])
    assert any(f"n = {respondents} responding councils" in c.value for c in at.caption)

    # Which councils lack X: defaults to the most often missing question; list equals a direct count.
    qid = expected["question_id"].iloc[0]
    assert at.selectbox(key="gap_question").value == qid
    lacking = table_with(at, "Council", "Answer")
    assert len(lacking) == len(gaps.councils_lacking(repo_con, latest_year, qid))
    downloads = at.get("download_button")
    assert len(downloads) == 1 and "CSV" in downloads[0].proto.label


def test_url_state_question_region_and_sort(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, opened=True, question="emp_pa_register", region=LONDON, sort="3")
    assert at.selectbox(key="gap_region").value == LONDON
    assert at.selectbox(key="gap_sort").value == "3"
    assert at.selectbox(key="gap_question").value == "emp_pa_register"

    # Heat map limited to London, in order of standard 3.
    london = repo_con.execute(
        """SELECT c.display_name, s.score FROM standard_scores s JOIN round_councils c USING (round_year, authority_code)
           JOIN overall_scores o USING (round_year, authority_code)
           WHERE s.round_year = ? AND s.standard = 3 AND c.region_code = ?
           ORDER BY s.score DESC NULLS LAST, o.score DESC NULLS LAST, c.display_name""", [latest_year, LONDON]).fetchall()
    table = table_with(at, "Council", "Overall score")
    assert list(table["Council"]) == [r[0] for r in london]
    assert set(table["Region"]) == {"London"}

    # Lacks X: exactly the London respondents without an available PA register.
    direct = repo_con.execute(
        """SELECT count(*) FROM round_councils c
           LEFT JOIN responses r ON r.round_year = c.round_year AND r.authority_code = c.authority_code
                                AND r.question_id = 'emp_pa_register'
           WHERE c.round_year = ? AND c.responded AND c.region_code = ?
             AND (r.answer IS NULL OR r.answer <> 'available')""", [latest_year, LONDON]).fetchone()[0]
    lacking = table_with(at, "Council", "Answer")
    assert len(lacking) == direct > 0
    assert set(lacking["Region"]) == {"London"}
    assert "Available" not in set(lacking["Answer"])
    respondents = len(london)
    assert any(f"{direct} of {respondents} responding councils" in m.value for m in at.markdown)

    # Unmet questions for London, with England alongside.
    unmet = table_with(at, "Question", "England: without the support (%)")
    region = gaps.unmet_questions(repo_con, latest_year, "region", LONDON)
    assert list(unmet["Question"]) == list(region.loc[region["from_report"], "topic"])

    # A link to the good-practice examples for the question's standard.
    links = [link.proto for link in at.main.get("page_link")]
    assert any(p.page == "good_practice" and "standard=2" in p.query_string for p in links)


def test_change_and_published_figures(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, opened=True)
    prev = repo_con.execute("SELECT max(year) FROM survey_rounds WHERE year < ?", [latest_year]).fetchone()[0]
    change = table_with(at, "Question", "Change (points)")
    expected = gaps.change_since_previous(repo_con, latest_year)
    assert list(change["Question"]) == list(expected["topic"])
    assert f"Has it or partly {prev} (%)" in change.columns

    published = table_with(at, "Topic", "Published", "This database")
    mapped = repo_con.execute(
        "SELECT count(*) FROM published_figures WHERE year = ? AND kind = 'level' AND question_id IS NOT NULL "
        "AND measure IS NOT NULL", [latest_year]).fetchone()[0]
    assert len(published) == mapped
    assert any("agree by construction" in m.value for m in at.markdown)
    changes = table_with(at, "Published change (points)")
    assert len(changes) == repo_con.execute(
        "SELECT count(*) FROM published_figures WHERE year = ? AND kind = 'change'", [latest_year]).fetchone()[0]


def test_first_round_has_nothing_to_compare(repo_db_path, repo_con):
    first = repo_con.execute("SELECT min(year) FROM survey_rounds").fetchone()[0]
    at = open_page(PAGE, round=str(first))
    assert any("first round in the database" in i.value for i in at.info)
    assert any("nothing to set" in i.value for i in at.info)


def test_unknown_url_values_fall_back(repo_db_path):
    at = open_page(PAGE, question="no_such_question", region="E99999999", sort="banana", type="castle")
    assert at.selectbox(key="gap_region").value is None
    assert at.selectbox(key="gap_type").value is None
    assert at.selectbox(key="gap_sort").value == "overall"
    assert at.selectbox(key="gap_question").value != "no_such_question"


def test_new_questions_can_be_ranked_and_are_marked(repo_db_path, repo_con, latest_year):
    at = open_page(PAGE, opened=True, questions="all")
    unmet = table_with(at, "Question", "Without the support (%)")
    expected = gap_tables.only_report_questions(gaps.unmet_questions(repo_con, latest_year), False)
    assert list(unmet["Question"]) == list(expected["topic"])
    new = [q for q in unmet["Question"] if q.endswith(gap_tables.NEW_QUESTION_MARK)]
    n_new = repo_con.execute("SELECT count(*) FROM questions WHERE scored AND report_ref = 'new' "
                             "AND asked_from <= ?", [latest_year]).fetchone()[0]
    assert len(new) == n_new > 0
    assert any("one assumed national split" in c.value for c in at.caption)
