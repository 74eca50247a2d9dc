"""The unknown-answer rule, as a property of the real SQL scoring views and the repository's rules.

Replacing any one answer by "Don't know", or leaving it out, never raises that council's score on
any standard, its overall score or either of its ranks; and the range the views report after the
change always holds the score the council had before it (the answer it gave was one of those the
range allows).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.reference.build import load_config_tables
from lib.scoring import views as scoring
from lib.scoring.standards import load_config
from lib.store import db

CONFIG = load_config()
SCORED = [q for q in CONFIG.questions if q.scored and q.asked_from <= 2015]
OPTIONS = {q.id: [o.value for o in CONFIG.answer_sets[q.answer_set].options] for q in SCORED}
UNKNOWN = {q.id: next((o.value for o in CONFIG.answer_sets[q.answer_set].options if o.unknown), None)
           for q in SCORED}
# Six councils in two regions, so that both ranks have company.
COUNCILS = [(f"E0600000{i}", f"Council {i}", "E12000001" if i <= 3 else "E12000002") for i in range(1, 7)]


@pytest.fixture(scope="module")
def con():
    connection = db.connect(":memory:")
    db.create_schema(connection)
    load_config_tables(connection, CONFIG)
    connection.executemany(
        "INSERT INTO authorities (code, name, display_name, region_code, region_name, type) "
        "VALUES (?, ?, ?, ?, ?, 'unitary')",
        [[code, name, name, region, region] for code, name, region in COUNCILS])
    connection.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
                       "VALUES (2015, '2015 property', FALSE, DATE '2015-04-01', 'test', now())")
    scoring.create_views(connection)
    yield connection
    connection.close()


# Each council answers each scored question with one of its options, or leaves it out (None). The
# last council answers every question, so each is in the round's questionnaire (round_questions:
# what some respondent was asked) whatever the council under test does.
ANCHOR = COUNCILS[-1][0]
answer_sheets = st.fixed_dictionaries({
    code: st.fixed_dictionaries({q.id: (st.sampled_from(OPTIONS[q.id]) if code == ANCHOR
                                        else st.one_of(st.none(), st.sampled_from(OPTIONS[q.id])))
                                 for q in SCORED})
    for code, _, _ in COUNCILS
})


def _load(con, sheets: dict[str, dict[str, str | None]]) -> None:
    rows = [(code, qid, answer) for code, answers in sheets.items() for qid, answer in answers.items()
            if answer is not None]
    sheet = pd.DataFrame(rows, columns=["authority_code", "question_id", "answer"])
    con.execute("DELETE FROM responses")
    con.register("_sheet", sheet)
    try:
        con.execute("INSERT INTO responses SELECT 2015, authority_code, question_id, answer, []::VARCHAR[], NULL, "
                    "'property', ? FROM _sheet", [dt.datetime(2015, 6, 1)])
    finally:
        con.unregister("_sheet")


def _council(con, code: str) -> tuple[dict, dict[int, float]]:
    overall = con.execute("SELECT * FROM overall_scores WHERE round_year = 2015 AND authority_code = ?",
                          [code]).df()
    standards = dict(con.execute("SELECT standard, score_unrounded FROM standard_scores "
                                 "WHERE round_year = 2015 AND authority_code = ? AND asked", [code]).fetchall())
    return (overall.iloc[0].to_dict() if len(overall) else {}), standards


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheets=answer_sheets, pick=st.data())
def test_dont_know_or_a_blank_never_raises_a_score_or_a_rank(con, sheets, pick):
    code = pick.draw(st.sampled_from([c for c, _, _ in COUNCILS if c != ANCHOR]), label="council")
    given_answers = [qid for qid, answer in sheets[code].items() if answer is not None]
    if len(given_answers) < 2:  # the council must still be a respondent after the change
        sheets[code][SCORED[0].id] = OPTIONS[SCORED[0].id][0]
        sheets[code][SCORED[1].id] = OPTIONS[SCORED[1].id][0]
        given_answers = [qid for qid, answer in sheets[code].items() if answer is not None]
    qid = pick.draw(st.sampled_from(given_answers), label="question")
    to_blank = pick.draw(st.booleans(), label="leave it out") or UNKNOWN[qid] is None

    _load(con, sheets)
    before, before_standards = _council(con, code)
    sheets[code][qid] = None if to_blank else UNKNOWN[qid]
    _load(con, sheets)
    after, after_standards = _council(con, code)

    assert before and after
    for standard, score in before_standards.items():
        assert after_standards[standard] <= score + 1e-9, (qid, standard)
    assert after["score_unrounded"] <= before["score_unrounded"] + 1e-9
    assert after["score"] <= before["score"]
    # The range after the change allows the score the council had with its real answer.
    assert after["score_low"] <= before["score"] <= after["score_high"]
    if not before["ranked"]:
        assert not after["ranked"]  # a blank or a "Don't know" never earns a rank
    elif after["ranked"]:
        assert after["rank"] >= before["rank"] and after["region_rank"] >= before["region_rank"]
        assert after["rank_best"] <= before["rank"] <= after["rank_worst"]
    if not to_blank:  # "Don't know" is an answer: it keeps the council's place among the ranked
        assert bool(after["ranked"]) == bool(before["ranked"])
