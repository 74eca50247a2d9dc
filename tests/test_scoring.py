"""Scoring views on a hand-made fixture; every expected number is worked out by hand here."""

from __future__ import annotations

import pytest

from tests.fixtures import fixture_database


@pytest.fixture()
def con(tmp_path):
    connection = fixture_database(tmp_path)
    yield connection
    connection.close()


def _standard(con, code: str, standard: int) -> dict:
    df = con.execute(
        "SELECT * FROM standard_scores WHERE round_year = 2015 AND authority_code = ? AND standard = ?",
        [code, standard],
    ).df()
    assert len(df) == 1
    return df.iloc[0].to_dict()


def test_weighted_mean_with_in_development(con):
    # Alpha S1: q1a available (1 x weight 1) + q1b in development (0.5 x weight 3) = 2.5 / 4 = 62.5,
    # shown rounded half up as 63 (Python's round(62.5) would give 62).
    s = _standard(con, "E06000001", 1)
    assert s["score_unrounded"] == pytest.approx(62.5)
    assert s["score"] == 63
    assert s["band"] == "partly_meets"
    assert (s["questions"], s["answered"], s["unknown"], s["missing"]) == (2, 2, 0, 0)


def test_dont_know_counts_as_zero_and_unknown(con):
    # Beta S1: q1a don't know (0 x 1) + q1b available (1 x 3) = 3 / 4 = 75 -> exactly the "meets" minimum
    s = _standard(con, "E06000002", 1)
    assert s["score"] == 75 and s["score_unrounded"] == pytest.approx(75.0)
    assert s["band"] == "meets"
    assert s["unknown"] == 1


def test_only_dont_know_scores_zero_with_the_full_range_open(con):
    # Alpha S2: its one question (q2) is "Don't know" -> credit of the worst answer, 0. No known
    # answer stands behind it (evidence false), and a known answer could have been anything from
    # "Not available" (0) to "Available" (100): the range is 0-100.
    s = _standard(con, "E06000001", 2)
    assert not s["evidence"] and s["asked"]
    assert s["score"] == 0 and s["score_unrounded"] == pytest.approx(0.0) and s["band"] == "does_not_meet"
    assert (s["score_low"], s["score_high"]) == (0, 100)
    assert s["unknown"] == 1


def test_a_missing_answer_counts_like_dont_know(con):
    # Beta S3: q3 unanswered -> 0, range 0-100, exactly as a "Don't know" would be.
    s = _standard(con, "E06000002", 3)
    assert not s["evidence"] and s["missing"] == 1 and s["answered"] == 0
    assert (s["score"], s["score_low"], s["score_high"]) == (0, 0, 100)


def test_the_range_of_a_standard_with_one_dont_know(con):
    # Beta S1: q1a "Don't know" (0 x weight 1) + q1b available (1 x 3) = 75; with q1a at its best
    # answer, available: (1 + 3) / 4 = 100. The score is the low end.
    s = _standard(con, "E06000002", 1)
    assert (s["score"], s["score_low"], s["score_high"]) == (75, 75, 100)
    # Alpha S1 is all known: the range is one value.
    s = _standard(con, "E06000001", 1)
    assert (s["score_low"], s["score_high"]) == (63, 63)


def test_not_available_is_a_real_zero(con):
    s = _standard(con, "E06000001", 3)
    assert s["evidence"] and s["score"] == pytest.approx(0.0) and s["band"] == "does_not_meet"
    assert s["score_high"] == 0  # known: nothing to widen


def test_overall_uses_standard_weights_and_every_standard_asked(con):
    df = con.execute("SELECT * FROM overall_scores WHERE round_year = 2015 ORDER BY authority_code").df()
    alpha, beta = df.iloc[0], df.iloc[1]
    # Weights: S3 counts twice, the others once, so the denominator is 10.
    # Alpha: S1 62.5, S2 0 (don't know), S3 0, S4-S9 100 -> (62.5 + 0 + 2 x 0 + 600) / 10 = 66.25,
    # shown 66. High: S2 at 100 -> (62.5 + 100 + 0 + 600) / 10 = 76.25, shown 76.
    assert alpha["score_unrounded"] == pytest.approx(66.25)
    assert (alpha["score"], alpha["score_low"], alpha["score_high"]) == (66, 66, 76)
    assert alpha["standards_evidenced"] == 8 and alpha["standards_answered"] == 9 and alpha["standards_asked"] == 9
    assert alpha["band"] == "partly_meets"
    # Beta: S1 75, S2 100, S3 0 (missing), S4-S9 50 -> (75 + 100 + 0 + 300) / 10 = 47.5, shown 48
    # (half up). High: S1 100, S3 100 -> (100 + 100 + 200 + 300) / 10 = 70.
    assert beta["score_unrounded"] == pytest.approx(47.5)
    assert (beta["score"], beta["score_low"], beta["score_high"]) == (48, 48, 70)
    assert beta["standards_evidenced"] == 8 and beta["standards_answered"] == 8


def test_rank_ranges(con):
    df = con.execute("SELECT authority_code, rank, rank_best, rank_worst FROM overall_scores "
                     "ORDER BY authority_code").df()
    # Alpha 66 is 1st, and nobody can pass it on its own answers. Beta 48 is 2nd; at its best (70)
    # it would be above Alpha's 66: 1st. Its worst is the rank it has.
    assert df.set_index("authority_code").to_dict("index") == {
        "E06000001": {"rank": 1, "rank_best": 1, "rank_worst": 1},
        "E06000002": {"rank": 2, "rank_best": 1, "rank_worst": 2},
    }


def test_rank_and_non_respondent(con):
    df = con.execute("SELECT authority_code, rank, n_ranked, region_rank FROM overall_scores ORDER BY rank").df()
    assert df["authority_code"].tolist() == ["E06000001", "E06000002"]
    assert df["rank"].tolist() == [1, 2]
    assert df["n_ranked"].tolist() == [2, 2]
    # Gamma did not respond: it is in the round's councils but has no scores.
    rc = con.execute("SELECT responded FROM round_councils WHERE authority_code = 'E10000003'").fetchone()
    assert rc == (False,)
    assert con.execute("SELECT count(*) FROM standard_scores WHERE authority_code = 'E10000003'").fetchone() == (0,)


def test_answer_shares_and_coverage(con):
    df = con.execute(
        "SELECT answer, councils, respondents, share FROM answer_shares "
        "WHERE scope = 'england' AND question_id = 'q2' ORDER BY position"
    ).df()
    assert df.set_index("answer")["councils"].to_dict() == {
        "available": 1, "in_development": 0, "not_available": 0, "dont_know": 1}
    assert set(df["respondents"]) == {2}
    cov = con.execute(
        "SELECT councils, respondents, coverage FROM scope_coverage WHERE scope = 'england'"
    ).fetchone()
    assert cov[0] == 3 and cov[1] == 2 and cov[2] == pytest.approx(2 / 3)
    region = con.execute(
        "SELECT councils, respondents FROM scope_coverage WHERE scope = 'region' AND scope_code = 'E12000002'"
    ).fetchone()
    assert region == (1, 0)


def test_question_summary_shares(con):
    row = con.execute(
        "SELECT share_available, share_in_development, share_not_available, share_dont_know, missing "
        "FROM question_summary WHERE scope = 'england' AND question_id = 'q3'"
    ).fetchone()
    # q3: Alpha not available, Beta no answer -> 0 available, 0.5 not available, 1 missing
    assert row[0] == pytest.approx(0.0)
    assert row[2] == pytest.approx(0.5)
    assert row[4] == 1


def test_provider_shares(con):
    row = con.execute(
        "SELECT councils, respondents FROM provider_shares "
        "WHERE scope = 'england' AND question_id = 'q1b' AND provider = 'la'"
    ).fetchone()
    assert row == (1, 2)  # only Beta answered "available" (with la) to q1b


def test_views_agree_with_direct_recomputation(con):
    """Recompute every standard score from raw responses and the option scores, in Python."""
    options = dict(con.execute("SELECT value, score FROM answer_options WHERE answer_set = 'availability'").fetchall())
    unknown = {"dont_know"}
    questions = con.execute("SELECT id, standard, weight FROM questions WHERE scored").fetchall()
    answers = {(c, q): a for c, q, a in con.execute(
        "SELECT authority_code, question_id, answer FROM responses").fetchall()}
    view = {(c, s): sc for c, s, sc in con.execute(
        "SELECT authority_code, standard, score_unrounded FROM standard_scores").fetchall()}
    for code in ("E06000001", "E06000002"):
        for standard in range(1, 10):
            qs = [(qid, w) for qid, s, w in questions if s == standard]
            # Every question asked counts; an unknown or missing answer earns the worst credit (0).
            credit = [(options[answers[(code, qid)]] if answers.get((code, qid), "dont_know") not in unknown
                       else 0.0, w) for qid, w in qs]
            expected = 100 * sum(c * w for c, w in credit) / sum(w for _, w in credit)
            assert view[(code, standard)] == pytest.approx(expected), (code, standard)


def test_rank_needs_only_the_standards_a_round_asks_about(tmp_path):
    """A round whose questionnaire covers four standards ranks councils evidenced on all four."""
    from lib.scoring import views as scoring
    from tests.fixtures import question

    asked = [question("q1a", 1), question("q3", 3), question("q4", 4), question("q5", 5)]
    asked += [question(f"q{n}", n, asked_from=2016) for n in (2, 6, 7, 8, 9)]
    con = fixture_database(tmp_path, questions="\n".join(asked))
    try:
        assert scoring.standards_needed_for_rank(con, 2015) == (4, 4)
        df = con.execute("SELECT authority_code, standards_evidenced, standards_answered, ranked, rank "
                         "FROM overall_scores ORDER BY authority_code").df()
        # Alpha: q1a available, q3 not available, q4 and q5 available -> answers on all 4: ranked 1st.
        # Beta: q1a don't know (an answer, no evidence), q3 missing, q4 and q5 in development ->
        # evidence on 2, answers on 3 of the 4 standards: not ranked.
        assert df["standards_evidenced"].tolist() == [4, 2]
        assert df["standards_answered"].tolist() == [4, 3]
        assert df["ranked"].tolist() == [True, False]
        assert df["rank"].iloc[0] == 1
    finally:
        con.close()


def test_band_follows_the_shown_score_in_the_views(con):
    """With "meets" starting at 63, Alpha's standard 1 (exactly 62.5, shown 63) meets it: the
    band is judged on the number shown, not on the exact mean."""
    con.execute("UPDATE bands SET min_score = 63 WHERE key = 'meets'")
    try:
        s = _standard(con, "E06000001", 1)
        assert s["score_unrounded"] == pytest.approx(62.5) and s["score"] == 63
        assert s["band"] == "meets"
        # Beta's standard 1 is exactly 75 and still meets; nothing else moved.
        assert _standard(con, "E06000002", 1)["band"] == "meets"
    finally:
        con.execute("UPDATE bands SET min_score = 75 WHERE key = 'meets'")
