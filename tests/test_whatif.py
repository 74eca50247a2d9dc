"""Self-assessment projections (lib.analysis.whatif): same views as the real scores, no writes, exact numbers."""

from __future__ import annotations

import io
import math
import shutil
import tomllib

import pandas as pd
import pytest

from lib.analysis import whatif
from lib.base import exports
from lib.base.paths import STANDARDS_DIR
from lib.scoring import views as scoring
from lib.store import db


@pytest.fixture()
def projector(repo_con, latest_year):
    p = whatif.Projector(repo_con, latest_year)
    yield p
    p.close()


def _respondents(con, year: int) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT authority_code FROM respondents WHERE round_year = ? ORDER BY authority_code", [year]
    ).fetchall()]


def _same(a: whatif.Scores, b: whatif.Scores) -> None:
    """Equality of two Scores: NaN equals NaN, floats agree to 1e-9 of a point.

    DuckDB may add a weighted sum in a different order in the two databases, which moves the
    last binary digit; anything beyond that is a real difference and fails.
    """
    pd.testing.assert_frame_equal(a.standards, b.standards, check_exact=False, rtol=0, atol=1e-9)
    assert a.overall.keys() == b.overall.keys()
    for key in a.overall:
        x, y = a.overall[key], b.overall[key]
        if isinstance(x, float) and math.isnan(x):
            assert isinstance(y, float) and math.isnan(y), key
        elif isinstance(x, float):
            assert y == pytest.approx(x, rel=0, abs=1e-9), (key, x, y)
        else:
            assert x == y, (key, x, y)


def flip_candidate(con, year: int) -> tuple[str, str, int]:
    """A council, one of its scored availability questions answered 'not_available', and its standard.

    Chooses the standard with the fewest answered questions so the change is large.
    """
    row = con.execute(
        """
        SELECT r.authority_code, r.question_id, q.standard
        FROM responses r JOIN questions q ON q.id = r.question_id
        JOIN standard_scores s ON s.round_year = r.round_year AND s.authority_code = r.authority_code
                               AND s.standard = q.standard
        JOIN overall_scores o ON o.round_year = r.round_year AND o.authority_code = r.authority_code
        WHERE r.round_year = ? AND q.scored AND q.answer_set = 'availability'
          AND r.answer = 'not_available' AND o.ranked
        ORDER BY s.answered, o.rank DESC, r.authority_code, r.question_id
        LIMIT 1
        """,
        [year],
    ).fetchone()
    assert row is not None, "the demo data should have a 'not available' answer to flip"
    return row[0], row[1], int(row[2])


def test_no_change_projection_equals_actual_scores_for_every_respondent(repo_con, projector, latest_year):
    codes = _respondents(repo_con, latest_year)
    assert codes
    for code in codes:
        answers = whatif.stored_answers(repo_con, code, latest_year)
        actual = whatif.actual_scores(repo_con, code, latest_year)
        projected = projector.project(code, answers)
        assert actual is not None and projected is not None
        _same(actual, projected)


def test_one_answer_not_available_to_available_raises_the_standard_by_its_weight_share(
        repo_con, projector, latest_year):
    code, qid, standard = flip_candidate(repo_con, latest_year)
    answers = whatif.stored_answers(repo_con, code, latest_year)
    before = projector.project(code, answers)
    answers[qid] = whatif.Answer("available", ("la",))
    after = projector.project(code, answers)

    # Expected from the question bank itself: weight / sum of the weights of this standard's
    # answered scored questions x 100 (not available scores 0, available scores 1).
    with (STANDARDS_DIR / "questions.toml").open("rb") as fh:
        bank = {q["id"]: q for q in tomllib.load(fh)["question"]}
    answered = [q for q in answers if bank.get(q, {}).get("scored") and bank[q].get("standard") == standard
                and bank[q].get("asked_from", 2012) <= latest_year]
    expected = 100 * bank[qid].get("weight", 1.0) / sum(bank[q].get("weight", 1.0) for q in answered)

    s_before = before.standards.set_index("standard").loc[standard, "score"]
    s_after = after.standards.set_index("standard").loc[standard, "score"]
    assert s_after - s_before == pytest.approx(expected, abs=1e-9)
    # Every other standard is untouched.
    others = before.standards["standard"] != standard
    pd.testing.assert_series_equal(before.standards.loc[others, "score"], after.standards.loc[others, "score"])
    assert after.overall["score"] > before.overall["score"]


def test_projection_equals_scores_after_really_writing_the_change_to_a_copy(
        repo_db_path, repo_con, projector, latest_year, tmp_path):
    """The acceptance test: what-if == what the views say once the change is actually stored."""
    code, qid, _ = flip_candidate(repo_con, latest_year)
    answers = whatif.stored_answers(repo_con, code, latest_year)
    answers[qid] = whatif.Answer("available", ("la", "support_org"))
    projected = projector.project(code, answers)

    copy_path = tmp_path / "copy.duckdb"
    shutil.copyfile(repo_db_path, copy_path)
    copy = db.connect(copy_path)
    try:
        with db.transaction(copy):
            copy.execute(
                "UPDATE responses SET answer = 'available', providers = ['la', 'support_org'] "
                "WHERE round_year = ? AND authority_code = ? AND question_id = ?",
                [latest_year, code, qid],
            )
        written = whatif.actual_scores(copy, code, latest_year)
        # The whole league moves consistently: every other council keeps its score.
        others = copy.execute(
            "SELECT authority_code, score FROM overall_scores WHERE round_year = ? AND authority_code <> ? "
            "ORDER BY 1", [latest_year, code]).df()
    finally:
        copy.close()
    assert written is not None and projected is not None
    _same(written, projected)
    actual_others = repo_con.execute(
        "SELECT authority_code, score FROM overall_scores WHERE round_year = ? AND authority_code <> ? "
        "ORDER BY 1", [latest_year, code]).df()
    pd.testing.assert_frame_equal(others, actual_others)


def test_projection_writes_nothing(repo_con, projector, latest_year):
    code, qid, _ = flip_candidate(repo_con, latest_year)
    count = "SELECT count(*), sum(hash(answer)) FROM responses WHERE round_year = ?"
    app_before = repo_con.execute(count, [latest_year]).fetchone()
    copy_before = projector.con.execute(count, [latest_year]).fetchone()
    projector.project(code, {qid: whatif.Answer("available")})
    assert repo_con.execute(count, [latest_year]).fetchone() == app_before
    assert projector.con.execute(count, [latest_year]).fetchone() == copy_before
    assert copy_before == app_before


def test_never_responded_council_ranks_among_the_rounds_respondents(repo_con, projector, latest_year):
    code = repo_con.execute(
        """SELECT authority_code FROM round_councils c WHERE round_year = ? AND NOT responded
           AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.authority_code = c.authority_code)
           ORDER BY authority_code LIMIT 1""", [latest_year]).fetchone()[0]
    assert whatif.latest_round(repo_con, code, latest_year) is None
    assert whatif.actual_scores(repo_con, code, latest_year) is None
    assert projector.project(code, {}) is None
    qs = whatif.questionnaire(repo_con, latest_year)
    everything = {q.id: whatif.Answer("available", ("la",)) for q in qs.itertuples()
                  if q.scored and q.answer_set == "availability"}
    result = projector.project(code, everything)
    n_ranked = whatif.ranked_count(repo_con, latest_year)
    assert result.overall["ranked"]
    assert result.overall["n_ranked"] == n_ranked + 1
    better = repo_con.execute(
        "SELECT count(*) FROM overall_scores WHERE round_year = ? AND ranked AND round(score, 6) > round(?, 6)",
        [latest_year, result.overall["score"]]).fetchone()[0]
    assert result.overall["rank"] == better + 1


def test_download_parses_back_to_the_same_answers(repo_con, latest_year):
    code = _respondents(repo_con, latest_year)[0]
    answers = whatif.stored_answers(repo_con, code, latest_year)
    qs = whatif.questionnaire(repo_con, latest_year)
    provider_sets = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT answer_set FROM answer_options WHERE allows_providers").fetchall()}
    provider_qids = [q.id for q in qs.itertuples() if q.answer_set in provider_sets]
    wide = exports.label_demo(whatif.to_wide(code, latest_year, answers, list(qs["id"]), provider_qids), True)
    assert list(wide.columns[:2]) == ["council", "round"] and wide.columns[-1] == "data_note"
    assert any(answers[q].providers for q in answers), "the sample should include providers"

    csv = pd.read_csv(io.BytesIO(exports.to_csv_bytes(wide)), dtype=str, keep_default_na=False,
                      encoding="utf-8-sig")
    assert whatif.from_wide(csv) == (code, latest_year, answers)
    xlsx = pd.read_excel(io.BytesIO(exports.to_xlsx_bytes({"responses": wide})), dtype=str,
                         keep_default_na=False)
    assert whatif.from_wide(xlsx) == (code, latest_year, answers)
    # Values are option values (import codes), providers are keys joined by ';'.
    valid = {r[0] for r in repo_con.execute("SELECT value FROM answer_options").fetchall()}
    keys = {r[0] for r in repo_con.execute("SELECT key FROM providers").fetchall()}
    for col in csv.columns:
        cell = csv.loc[0, col]
        if col.endswith(whatif.PROVIDER_SUFFIX):
            assert not cell or set(cell.split(";")) <= keys
        elif col in qs["id"].values:
            assert not cell or cell in valid


def test_comparison_table_has_no_blanks(repo_con, projector, latest_year):
    code, qid, standard = flip_candidate(repo_con, latest_year)
    answers = whatif.stored_answers(repo_con, code, latest_year)
    actual = whatif.actual_scores(repo_con, code, latest_year)
    answers[qid] = whatif.Answer("available")
    table = whatif.comparison(whatif.standards_list(repo_con), actual, projector.project(code, answers),
                              scoring.band_labels(repo_con))
    assert len(table) == 9
    shown = table[[c for c in table.columns if c.endswith("_text")]]
    assert not shown.isna().any().any()
    assert not shown.apply(lambda c: c.str.contains("nan|None|_", regex=True)).any().any()
    row = table.set_index("standard").loc[standard]
    assert row["change"] > 0 and row["change_text"].startswith("+")
    empty = whatif.comparison(whatif.standards_list(repo_con), None, None, scoring.band_labels(repo_con))
    assert set(empty["actual_score_text"]) == {"No response"}


def test_escape_markdown():
    assert whatif.escape_markdown("Use *care* [here](x) #1") == r"Use \*care\* \[here\]\(x\) \#1"
    assert whatif.escape_markdown(None) == ""


def test_rank_and_change_text():
    assert whatif.rank_text({"ranked": True, "rank": 21, "n_ranked": 95}) == "21 of 95"
    assert whatif.rank_text({"ranked": False, "rank": None, "n_ranked": 95}) == "Not ranked"
    assert whatif.rank_text(None) == "No response"
    assert whatif.format_change(float("nan"), 50.0) == "–"
    assert whatif.format_change(50.2, 49.9) == "No change"  # both shown as 50
    assert whatif.format_change(76.5, 68.4) == "+9"  # shown 77 and 68: 77 - 68 = 9, never +8.1 or +10
    assert whatif.format_change(12.5, 37.5) == "-25"  # shown 13 and 38
