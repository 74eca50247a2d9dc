"""Ranges and comparisons a director can defend: how they are written, how a comparison with a
median allows for them, and a round scored only on the questions it asked. Expected numbers are
worked by hand in the comments."""

from __future__ import annotations

import pytest

from lib.analysis import comparison, scorecard
from lib.base.formatting import (
    ordinal,
    rank_range_text,
    rank_text,
    score_range_text,
    score_with_range,
)
from lib.reports import opendata
from tests.fixtures import fixture_database


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                          (12, "12th"), (13, "13th"), (21, "21st"), (97, "97th"), (102, "102nd"),
                                          (111, "111th"), (153, "153rd")])
def test_ordinals(n, text):
    assert ordinal(n) == text


def test_a_range_is_written_only_when_it_is_more_than_one_value():
    assert score_with_range(48, 48, 61) == "48 (48–61)"
    assert score_with_range(48.4, 48.4, 48.49) == "48"  # both ends shown as 48: one value
    assert score_with_range(None, None, None) == "–"
    assert score_range_text(60.5, 61.4) == ""  # 61 and 61
    assert rank_range_text(71, 97) == " (71st–97th)"
    assert rank_range_text(5, 5) == ""
    assert rank_text({"ranked": True, "rank": 97, "n_ranked": 150, "rank_best": 71, "rank_worst": 97}) \
        == "97 of 150 (71st–97th)"
    assert rank_text({"ranked": False, "rank": None, "n_ranked": 150}) == "Not ranked"


@pytest.mark.parametrize(("low", "high", "median", "verdict"), [
    (61, 70, 60, "higher"),        # the whole range above 60
    (61, 61, 60, "higher"),
    (40, 59, 60, "lower"),         # the whole range below 60
    (60, 60, 60, "similar"),       # every answer known, and level
    (48, 61, 60, "cannot tell"),   # known answers could put it either side
    (60, 75, 60, "cannot tell"),   # at the median now, above it with better answers
    (59.5, 59.6, 60, "similar"),   # both ends shown as 60
    (None, None, 60, None),
])
def test_a_comparison_is_made_only_when_the_whole_range_is_clear_of_the_median(low, high, median, verdict):
    assert comparison.compare_with(low, high, median) == verdict


def test_the_profile_sentence_says_cannot_tell_where_the_range_straddles_the_median(tmp_path):
    con = fixture_database(tmp_path)
    try:
        profile = scorecard.standard_profile(con, "E06000002", 2015)
        # Two respondents, so each England median is the mean of Alpha's and Beta's scores.
        # Beta S1: 75 (75-100), median of 63 and 75 = 69: above, whatever q1a's answer.
        # Beta S2: 100, Alpha's "Don't know" 0: median 50: above.
        # Beta S3: blank, 0 (0-100); Alpha 0: median 0: known answers could only lift it -> cannot tell.
        # Beta S4-S9: 50 against Alpha's 100: median 75: below.
        text = scorecard.profile_summary(profile)
        assert text.startswith("The council is above the England median on 2 standards (1 and 2); "
                               "below it on 6 standards (4, 5, 6, 7, 8 and 9).")
        assert "On standard 3 it cannot be told" in text
        assert "Every answer on standard 3 was \"Don't know\" or blank, which scores 0." in text
        row = profile.set_index("standard").loc[3]
        assert row["score_text"] == "0 (0–100)"
    finally:
        con.close()


def test_a_question_nobody_was_asked_counts_for_nobody(tmp_path):
    # A round's file without q1a: it was not asked that round. Alpha S1 is then q1b alone,
    # in development: 50. Beta S1: q1b available: 100. Neither loses credit for a question
    # nobody was asked, and the round's questionnaire has nine scored questions, not ten.
    con = fixture_database(tmp_path)
    try:
        con.execute("DELETE FROM responses WHERE question_id = 'q1a'")
        s1 = dict(con.execute("SELECT authority_code, score FROM standard_scores WHERE standard = 1").fetchall())
        assert s1 == {"E06000001": 50, "E06000002": 100}
        assert con.execute("SELECT count(*) FROM round_questions WHERE round_year = 2015").fetchone() == (9,)
        # Put back for Beta only: now it was asked, and Alpha's blank counts as the worst answer:
        # (0 x 1 + 0.5 x 3) / 4 = 37.5, shown 38, with the range up to (1 + 1.5) / 4 = 62.5 -> 63.
        con.execute("INSERT INTO responses VALUES (2015, 'E06000002', 'q1a', 'available', ['la'], NULL, 'test', "
                    "TIMESTAMP '2015-06-01 00:00:00')")
        row = con.execute("SELECT score, score_low, score_high FROM standard_scores "
                          "WHERE authority_code = 'E06000001' AND standard = 1").fetchone()
        assert row == (38, 38, 63)
    finally:
        con.close()


def test_the_scores_dataset_carries_the_ranges(tmp_path):
    con = fixture_database(tmp_path)
    try:
        df = opendata.query(con, "scores", {"round": 2015})
        overall = df[df["level"] == "overall"].set_index("authority_code")
        # From tests/test_scoring.py: Alpha 66 (66-76), 1st (1st-1st); Beta 48 (48-70), 2nd (1st-2nd).
        assert overall.loc["E06000001", ["score", "score_low", "score_high", "rank_best", "rank_worst"]].tolist() \
            == [66, 66, 76, 1, 1]
        assert overall.loc["E06000002", ["score", "score_low", "score_high", "rank_best", "rank_worst"]].tolist() \
            == [48, 48, 70, 1, 2]
        standard = df[(df["level"] == "standard") & (df["authority_code"] == "E06000002") & (df["standard"] == 3)]
        assert standard[["score", "score_low", "score_high"]].iloc[0].tolist() == [0, 0, 100]
        assert standard["rank_best"].isna().all()
    finally:
        con.close()


def test_the_overall_change_is_like_for_like_and_says_what_it_leaves_out(tmp_path):
    from lib.analysis import scorecard_trend

    con = fixture_database(tmp_path)
    try:
        # A 2014 round that asked about standards 1-3 only (q1a, q1b, q2, q3); Alpha answered it.
        con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
                    "VALUES (2014, '2014 test', FALSE, DATE '2014-04-01', 'test fixture', now())")
        for qid, answer in (("q1a", "not_available"), ("q1b", "available"), ("q2", "available"),
                            ("q3", "in_development")):
            con.execute("INSERT INTO responses VALUES (2014, 'E06000001', ?, ?, [], NULL, 'test', "
                        "TIMESTAMP '2014-06-01 00:00:00')", [qid, answer])
        lfl = scorecard_trend.like_for_like_overall(con, "E06000001", 2015)
        # 2014: S1 (0 x 1 + 1 x 3) / 4 = 75, S2 100, S3 50 (weight 2) -> (75 + 100 + 100) / 4 = 68.75 -> 69.
        # 2015 on the same questions: S1 62.5, S2 0 ("Don't know"), S3 0 -> 62.5 / 4 = 15.6 -> 16.
        # Change 16 - 69 = -53; standards 4-9 were not asked in 2014 and are left out; the 2015
        # overall on all nine standards is 66 (tests/test_scoring.py).
        assert lfl is not None
        assert (lfl["previous_score"], lfl["score"], lfl["change"]) == (69, 16, -53)
        assert lfl["standards"] == [1, 2, 3] and lfl["left_out"] == [4, 5, 6, 7, 8, 9]
        assert scorecard_trend.like_for_like_overall_text(lfl, 2015) == (
            "Overall, like for like: 69 in 2014, 16 in 2015 (-53), on the 3 standards both rounds asked "
            "about (1, 2 and 3); left out: 4, 5, 6, 7, 8 and 9 (the 2015 overall score on everything it "
            "asked is 66).")
        # Beta did not answer 2014: no change to show.
        assert scorecard_trend.like_for_like_overall(con, "E06000002", 2015) is None
    finally:
        con.close()


@pytest.mark.parametrize(("low", "high", "median", "sentence"), [
    (48, 61, 55, "Against England's median overall score, 55: cannot tell. Its \"Don't know\" and unanswered "
                 "questions leave it between 48 and 61, on either side of the median."),
    (48, 52, 55, "Against England's median overall score, 55: lower, whatever its unknown answers were."),
    (60, 60, 55, "Against England's median overall score, 55: higher."),
    (55, 55, 55, "Against England's median overall score, 55: level with it."),
    (48, 61, None, ""),
])
def test_the_headline_compares_the_overall_score_with_england_allowing_for_the_range(low, high, median, sentence):
    head = scorecard.Headline(overall={"score": low, "score_low": low, "score_high": high, "ranked": True},
                              band_label="Partly meets", standards_asked=9, min_standards=5, standards_total=9)
    assert head.against_england(median) == sentence
