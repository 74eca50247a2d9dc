"""AppTest for the Self-assessment (what-if) page."""

from __future__ import annotations

import pytest

from lib.analysis import whatif
from lib.base.formatting import escape_markdown as md
from tests.apptest import open_page
from tests.test_whatif import flip_candidate

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/what_if.py"


def test_default_state_asks_for_a_council(repo_db_path):
    at = open_page(PAGE)
    assert at.title[0].value.startswith("Self-assessment")
    assert at.selectbox(key="wi_council").value is None
    assert any("Choose a council to start" in i.value for i in at.info)
    assert not at.radio


def test_url_council_prefills_its_answers(repo_db_path, repo_con, latest_year):
    code, qid, _ = flip_candidate(repo_con, latest_year)
    at = open_page(PAGE, authority=code)
    assert at.selectbox(key="wi_council").value == code
    stored = whatif.stored_answers(repo_con, code, latest_year)
    labels = {(s, v): lab for s, v, lab in repo_con.execute(
        "SELECT answer_set, value, label FROM answer_options").fetchall()}
    sets = dict(repo_con.execute("SELECT id, answer_set FROM questions").fetchall())
    part_of = {q: int(s) if s is not None else 0 for q, s in repo_con.execute(
        "SELECT id, standard FROM questions").fetchall()}
    checked = 0
    for part in sorted({part_of[q] for q in stored}):  # the form shows one part at a time
        at.selectbox(key="wi_part").set_value(part).run()
        assert not at.exception
        for q, a in stored.items():
            if part_of[q] == part:
                radio = at.radio(key=f"wi_a_{q}")
                assert radio.value == labels[(sets[q], a.value)]
                checked += 1
    assert checked == len(stored) > 0
    at.selectbox(key="wi_part").set_value(part_of[qid]).run()
    assert at.radio(key=f"wi_a_{qid}").value == "Not available"
    assert any(f"answers from the {latest_year} round" in c.value for c in at.caption)
    # The unchanged projection is the council's actual result.
    actual = whatif.actual_scores(repo_con, code, latest_year)
    metrics = {m.label: m for m in at.metric}
    assert metrics["Projected overall score"].value == whatif.format_score(actual.overall["score"])
    assert metrics["Projected rank in England"].value == whatif.rank_text(actual.overall)
    table = at.table[0].value
    assert not table.isna().any().any()


def test_changing_one_answer_updates_the_projection(repo_db_path, repo_con, latest_year):
    code, qid, _ = flip_candidate(repo_con, latest_year)
    at = open_page(PAGE, authority=code)
    before = {m.label: m.value for m in at.metric}["Projected overall score"]
    standard = repo_con.execute("SELECT standard FROM questions WHERE id = ?", [qid]).fetchone()[0]
    at.selectbox(key="wi_part").set_value(standard).run()

    at.radio(key=f"wi_a_{qid}").set_value("Available").run()
    assert not at.exception

    answers = whatif.stored_answers(repo_con, code, latest_year)
    answers[qid] = whatif.Answer("available")
    projector = whatif.Projector(repo_con, latest_year)
    try:
        expected = projector.project(code, answers)
    finally:
        projector.close()
    actual = whatif.actual_scores(repo_con, code, latest_year)
    metric = {m.label: m for m in at.metric}["Projected overall score"]
    assert metric.value == whatif.format_score(expected.overall["score"])
    # The change is the difference of the two shown whole numbers.
    assert metric.delta == f"{int(expected.overall['score']) - int(actual.overall['score']):+d} points"
    assert expected.overall["score"] > actual.overall["score"]
    assert metric.value != before or metric.delta != "No change"
    rank_line = next(m.value for m in at.markdown if "Rank" in m.value)
    assert f"Rank {whatif.rank_text(actual.overall)} → {whatif.rank_text(expected.overall)}" in rank_line
    assert any("1 answer changed" in c.value for c in at.caption)
    # Providers can be named once the answer allows them.
    assert at.multiselect(key=f"wi_p_{qid}") is not None

    # Another part of the form and back: the changed answer is kept and still counts.
    at.selectbox(key="wi_part").set_value(0).run()
    assert {m.label: m.value for m in at.metric}["Projected overall score"] == metric.value
    at.selectbox(key="wi_part").set_value(standard).run()
    assert at.radio(key=f"wi_a_{qid}").value == "Available"

    # Reset goes back to the council's answers.
    next(b for b in at.button if b.label.startswith("Reset")).click().run()
    assert at.radio(key=f"wi_a_{qid}").value == "Not available"
    assert {m.label: m.value for m in at.metric}["Projected overall score"] == before


def test_never_responded_council_starts_blank(repo_db_path, repo_con, latest_year):
    code = repo_con.execute(
        """SELECT authority_code FROM round_councils c WHERE round_year = ? AND NOT responded
           AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.authority_code = c.authority_code
                           AND r.round_year <= ?)
           ORDER BY authority_code LIMIT 1""", [latest_year, latest_year]).fetchone()[0]
    at = open_page(PAGE, authority=code)
    assert any("has not responded to any survey round" in i.value for i in at.info)
    assert at.radio and all(r.value == whatif.NOT_ANSWERED for r in at.radio)
    scored = repo_con.execute("SELECT count(*) FROM questions WHERE scored AND asked_from <= ?",
                              [latest_year]).fetchone()[0]
    # A blank sheet cannot be imported as it is: the advice says how many scored answers are missing.
    assert any(f"{scored} scored questions are not answered yet" in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Projected overall score"] == "–"

    # Answering one question makes it a respondent in the projection.
    first = at.radio[0]
    first.set_value(first.options[1]).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Projected overall score"] != "–"


def test_projection_comes_first_at_full_width_and_the_download_advises_a_council_update(
        repo_db_path, repo_con, latest_year):
    code, qid, standard = flip_candidate(repo_con, latest_year)
    at = open_page(PAGE, authority=code)
    at.selectbox(key="wi_part").set_value(standard).run()
    at.radio(key=f"wi_a_{qid}").set_value("Available").run()
    assert not at.exception

    # The projection and the table of it come before the questionnaire (issue 14).
    headings = [h.value for h in at.subheader]
    assert headings.index("Projection") < headings.index("Standard by standard") < headings.index("Questionnaire")
    # The table is a static one at full width (not in a column), so its cells wrap on a phone.
    assert len(at.table) == 1 and at.columns and all(len(c.table) == 0 for c in at.columns)
    table = at.table[0].value
    assert list(table.columns) == ["Standard", f"Actual {latest_year}", "Projected", "Change"]

    answers = whatif.stored_answers(repo_con, code, latest_year)
    answers[qid] = whatif.Answer("available")
    projector = whatif.Projector(repo_con, latest_year)
    try:
        expected = projector.project(code, answers)
    finally:
        projector.close()
    actual = whatif.actual_scores(repo_con, code, latest_year)
    compare = whatif.comparison(whatif.standards_list(repo_con), actual, expected,
                                dict(repo_con.execute("SELECT key, label FROM bands").fetchall()))
    row = compare.index[compare["standard"] == standard][0]
    shown = table.iloc[row]
    assert shown["Projected"] == md(compare.loc[row, "projected_text"])
    assert shown["Change"] == md(compare.loc[row, "change_text"])
    assert compare.loc[row, "change"] > 0 and shown["Change"].startswith(md("+"))
    assert not table.isna().any().any()

    name = repo_con.execute("SELECT display_name FROM round_councils WHERE round_year = ? AND authority_code = ?",
                            [latest_year, code]).fetchone()[0]
    advice = next(m.value for m in at.markdown if "council update" in m.value)
    assert f"replaces only {md(name)}'s answers in the {latest_year} round" in advice
    assert f"--round {latest_year} --council-update" in advice
    assert "Do not import it as a whole round" in advice
    assert "not answered yet" not in advice  # the council answered every scored question
