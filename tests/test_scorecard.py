"""Unit tests of lib.analysis.scorecard (and scorecard_trend), lib.reports.scorecard_files and
lib.reports.briefing_html against the session database and small fixtures.

Every expectation is read from the scoring views (or worked from the hand-made fixture), never
typed in as a number.
"""

from __future__ import annotations

import html.parser
import io
import math

import pandas as pd
import pytest

from lib.analysis import scorecard, scorecard_trend
from lib.base import exports
from lib.base.formatting import format_score, ordinal, rank_range_text, score_with_range
from lib.reports import briefing_html, scorecard_files
from tests.fixtures import fixture_database

YEAR = 2015


def _ranked(con, year: int, offset: int = 0) -> str:
    """A ranked council from the middle of the table (so it has both gaps and strengths)."""
    ranked = con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = ? AND ranked ORDER BY rank, authority_code",
        [year]).fetchall()
    return ranked[len(ranked) // 2 + offset][0]


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    return a == pytest.approx(b)


# --------------------------------------------------------------------------------------------
# Headline and standard profile
# --------------------------------------------------------------------------------------------

def test_headline_matches_overall_scores(repo_con):
    code = _ranked(repo_con, YEAR)
    head = scorecard.headline(repo_con, code, YEAR)
    score, rank, n, rrank, rn, evidenced, low, high, best, worst = repo_con.execute(
        "SELECT score, rank, n_ranked, region_rank, region_n_ranked, standards_evidenced, "
        "score_low, score_high, rank_best, rank_worst "
        "FROM overall_scores WHERE round_year = ? AND authority_code = ?", [YEAR, code]).fetchone()
    assert head is not None and head.ranked
    # The rank and the score with the range the council's unknown answers leave, when they leave one.
    assert head.rank_text == f"{rank} of {n}" + ("" if best == worst else f" ({ordinal(best)}–{ordinal(worst)})")
    assert worst == rank and best <= rank
    assert head.region_rank_text == f"{rrank} of {rn}"
    assert head.score_text == format_score(score) + ("" if low == high else f" ({int(low)}–{int(high)})")
    assert low == score <= high
    assert head.evidenced == evidenced
    assert head.not_ranked_reason(YEAR) == ""


def test_headline_is_none_for_a_non_respondent(repo_con):
    code = repo_con.execute("SELECT authority_code FROM round_councils WHERE round_year = ? AND NOT responded "
                            "ORDER BY authority_code LIMIT 1", [YEAR]).fetchone()[0]
    assert scorecard.headline(repo_con, code, YEAR) is None
    assert not scorecard.council(repo_con, code, YEAR)["responded"]


def test_coverage_note_only_for_rounds_asking_fewer_standards(repo_con):
    code = repo_con.execute(
        "SELECT authority_code FROM respondents WHERE round_year = 2014 ORDER BY authority_code LIMIT 1").fetchone()[0]
    asked, total = repo_con.execute(
        "SELECT standards_asked, (SELECT count(*) FROM standards) FROM round_rank_rule WHERE round_year = 2014"
    ).fetchone()
    head = scorecard.headline(repo_con, code, 2014)
    note = head.coverage_note(2014)
    assert asked < total and f"only {asked} of the {total}" in note
    full = scorecard.headline(repo_con, _ranked(repo_con, YEAR), YEAR)
    assert full.standards_asked == full.standards_total and full.coverage_note(YEAR) == ""


def test_standard_profile_matches_the_views(repo_con):
    code = _ranked(repo_con, YEAR)
    profile = scorecard.standard_profile(repo_con, code, YEAR)
    n_standards = repo_con.execute("SELECT count(*) FROM standards").fetchone()[0]
    assert len(profile) == n_standards
    view = repo_con.execute(
        "SELECT standard, score, band, evidence, asked, score_low, score_high FROM standard_scores "
        "WHERE round_year = ? AND authority_code = ? ORDER BY standard", [YEAR, code]).df()
    assert list(profile["standard"]) == list(view["standard"])
    for mine, theirs in zip(profile.itertuples(), view.itertuples(), strict=True):
        assert _same(mine.score, theirs.score)
        assert bool(mine.evidence) == bool(theirs.evidence)
        range_text = ("" if theirs.score_low == theirs.score_high
                      else f" ({int(theirs.score_low)}–{int(theirs.score_high)})")
        assert mine.score_text == (format_score(theirs.score) + range_text if theirs.asked else scorecard.NOT_ASKED)
    assert not profile[["score_text", "band_text", "england_median_text", "standard_label"]].isna().any().any()


def test_medians_match_standard_summary(repo_con):
    code = _ranked(repo_con, YEAR, offset=3)
    me = scorecard.council(repo_con, code, YEAR)
    profile = scorecard.standard_profile(repo_con, code, YEAR).set_index("standard")
    for scope, scope_code, col in (("england", "E92000001", "england_median"),
                                   ("region", me["region_code"], "region_median"),
                                   ("type", me["type"], "type_median")):
        summary = repo_con.execute(
            "SELECT standard, median_score FROM standard_summary WHERE round_year = ? AND scope = ? "
            "AND scope_code = ?", [YEAR, scope, scope_code]).fetchall()
        assert summary
        for standard, median in summary:
            assert _same(profile.loc[standard, col], median), (scope, standard)
    diff = profile["score"] - profile["england_median"]
    assert all(_same(a, b) for a, b in zip(profile["diff_england"], diff, strict=True))


def test_profile_marks_standards_a_round_did_not_ask_about(repo_con):
    code = repo_con.execute(
        "SELECT authority_code FROM respondents WHERE round_year = 2012 ORDER BY authority_code LIMIT 1").fetchone()[0]
    profile = scorecard.standard_profile(repo_con, code, 2012)
    asked = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT standard FROM questions WHERE scored AND asked_from <= 2012").fetchall()}
    assert set(profile.loc[profile["asked"], "standard"]) == asked
    not_asked = profile[~profile["asked"]]
    assert len(not_asked) and (not_asked["score_text"] == scorecard.NOT_ASKED).all()
    assert scorecard.profile_table(profile, "Region", "county").notna().all().all()


# --------------------------------------------------------------------------------------------
# Questions and gaps
# --------------------------------------------------------------------------------------------

def test_question_answers_cover_the_round(repo_con):
    code = _ranked(repo_con, YEAR)
    questions = scorecard.question_answers(repo_con, code, YEAR)
    asked = repo_con.execute("SELECT count(*) FROM questions WHERE asked_from <= ?", [YEAR]).fetchone()[0]
    assert len(questions) == asked
    # Scored questions first, grouped by standard; context questions last.
    scored = list(questions["scored"])
    assert scored == sorted(scored, reverse=True)
    standards = list(questions.loc[questions["scored"], "standard"])
    assert standards == sorted(standards)
    # Each answer label is the answer option's label for the stored answer.
    stored = dict(repo_con.execute(
        "SELECT r.question_id, o.label FROM responses r JOIN questions q ON q.id = r.question_id "
        "JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer "
        "WHERE r.round_year = ? AND r.authority_code = ?", [YEAR, code]).fetchall())
    for row in questions.itertuples():
        assert row.answer_text == stored.get(row.question_id, scorecard.NOT_ANSWERED)
    # The England share is the view's.
    shares = dict(repo_con.execute(
        "SELECT question_id, share_available FROM question_summary WHERE round_year = ? AND scope = 'england'",
        [YEAR]).fetchall())
    for row in questions.itertuples():
        assert _same(row.england_share_top, shares.get(row.question_id))
    shown = scorecard.questions_table(questions)
    assert not shown.isna().any().any()
    assert not shown.isin(["not_available", "in_development", "la", "support_org", "dont_know"]).any().any()


def test_question_answers_on_a_hand_made_round(tmp_path):
    con = fixture_database(tmp_path)
    questions = scorecard.question_answers(con, "E06000001", 2015).set_index("question_id")
    assert questions.loc["q1a", "answer_text"] == "Available"
    assert questions.loc["q1a", "providers_shown"] == "Local authority"
    assert questions.loc["q1b", "answer_text"] == "In development"
    assert questions.loc["q1b", "providers_shown"] == scorecard.PROVIDERS_NOT_STATED
    assert questions.loc["ctx", "answer_text"] == "Yes" and not questions.loc["ctx", "scored"]
    assert questions.loc["ctx", "standard_label"] == "Context (not scored)"
    # A gap answer earns less than full credit: in development, don't know, not available.
    gaps = set(questions.index[questions["gap"]])
    assert gaps == {"q1b", "q2", "q3"}
    # Beta answered nothing for q3: it shows as not answered.
    beta = scorecard.question_answers(con, "E06000002", 2015).set_index("question_id")
    assert beta.loc["q3", "answer_text"] == scorecard.NOT_ANSWERED


def test_gaps_are_exactly_the_standards_below_the_top_band_or_without_evidence(repo_con):
    top = repo_con.execute("SELECT key FROM bands ORDER BY min_score DESC LIMIT 1").fetchone()[0]
    for offset in (0, 5, 20):
        code = _ranked(repo_con, YEAR, offset)
        expected = {r[0] for r in repo_con.execute(
            "SELECT standard FROM standard_scores WHERE round_year = ? AND authority_code = ? "
            "AND (NOT evidence OR band <> ?)", [YEAR, code, top]).fetchall()}
        gaps = scorecard.gaps(repo_con, code, YEAR)
        assert set(gaps["standard"]) == expected
        below = gaps[gaps["reason"] == scorecard.GAP_BELOW]
        assert list(below["score"]) == sorted(below["score"]), "weakest first"
        assert all(len(a) > 0 for a in gaps["actions"])
        actions = dict(repo_con.execute("SELECT number, actions FROM standards").fetchall())
        for row in gaps.itertuples():
            assert list(row.actions) == list(actions[row.standard])


def test_gaps_in_a_round_asking_fewer_standards_name_the_reason(repo_con):
    code = repo_con.execute(
        "SELECT authority_code FROM respondents WHERE round_year = 2013 ORDER BY authority_code LIMIT 1").fetchone()[0]
    gaps = scorecard.gaps(repo_con, code, 2013)
    not_asked = gaps[gaps["reason"] == scorecard.GAP_NOT_ASKED]
    asked = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT standard FROM questions WHERE scored AND asked_from <= 2013").fetchall()}
    all_standards = {r[0] for r in repo_con.execute("SELECT number FROM standards").fetchall()}
    assert set(not_asked["standard"]) == all_standards - asked
    assert list(gaps["reason"]).index(scorecard.GAP_NOT_ASKED) >= len(gaps) - len(not_asked), "not-asked last"
    assert all("did not ask" in t for t in not_asked["reason_text"])


def test_gap_questions_are_the_answers_short_of_full_credit(repo_con):
    code = _ranked(repo_con, YEAR)
    questions = scorecard.question_answers(repo_con, code, YEAR)
    for standard in scorecard.gaps(repo_con, code, YEAR)["standard"]:
        behind = scorecard.gap_questions(questions, int(standard))
        scores = dict(repo_con.execute(
            "SELECT question_id, score FROM question_scores WHERE round_year = ? AND authority_code = ? "
            "AND standard = ?", [YEAR, code, int(standard)]).fetchall())
        expected = {q for q, s in scores.items() if s is None or s < 1}
        assert set(behind["question_id"]) == expected


def test_recommendations_and_good_practice_for_a_standard(repo_con):
    region = repo_con.execute("SELECT region_code FROM authorities WHERE code = 'E10000023'").fetchone()[0]
    for standard in range(1, 10):
        recs = scorecard.recommendations_for(repo_con, standard)
        expected = {r[0] for r in repo_con.execute(
            "SELECT number FROM recommendations WHERE list_contains(standards, ?)", [standard]).fetchall()}
        assert set(recs["number"]) == expected
        examples = scorecard.good_practice(repo_con, standard, region, YEAR)
        ids = {r[0] for r in repo_con.execute(
            "SELECT id FROM case_studies WHERE list_contains(standards, ?)", [standard]).fetchall()}
        assert set(examples["id"]) == ids
        flags = list(examples["same_region"])
        assert flags == sorted(flags, reverse=True), "own region first"
        assert all(c.startswith(("Advice note, ", "2015 report, ")) for c in examples["citation"])


# --------------------------------------------------------------------------------------------
# Rounds and trend
# --------------------------------------------------------------------------------------------

def test_trend_follows_a_council_across_rounds(repo_con):
    code = repo_con.execute(
        "SELECT authority_code FROM respondents GROUP BY authority_code "
        "HAVING count(*) = (SELECT count(*) FROM survey_rounds) ORDER BY authority_code LIMIT 1").fetchone()[0]
    overall, standards = scorecard_trend.trend(repo_con, code)
    years = [r[0] for r in repo_con.execute("SELECT year FROM survey_rounds ORDER BY year").fetchall()]
    assert list(overall["round_year"]) == years
    assert (overall["authority_code"] == code).all() and not overall["via_lineage"].any()
    for row in overall.itertuples():
        score = repo_con.execute("SELECT score FROM overall_scores WHERE round_year = ? AND authority_code = ?",
                                 [row.round_year, code]).fetchone()[0]
        assert _same(row.score, score)
    n_standards = repo_con.execute("SELECT count(*) FROM standards").fetchone()[0]
    assert len(standards) == len(years) * n_standards
    table = scorecard_trend.trend_table(overall, standards)
    assert len(table) == len(years) and not table.isna().any().any()
    first = repo_con.execute("SELECT min(year) FROM survey_rounds").fetchone()[0]
    asked_first = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT standard FROM questions WHERE scored AND asked_from <= ?", [first]).fetchall()}
    missing = sorted(set(range(1, n_standards + 1)) - asked_first)
    if missing:
        assert table.iloc[0][f"Standard {missing[0]}"] == "Not asked"


@pytest.mark.parametrize("code", ["E06000059", "E06000058"])
def test_trend_for_a_current_council_goes_through_the_lineage(repo_con, code):
    from lib.reference import geography

    overall, standards = scorecard_trend.trend(repo_con, code)
    assert len(overall) and overall["via_lineage"].all()
    assert all("via lineage" in note for note in overall["lineage_note"])
    for row in overall.itertuples():
        assert row.authority_code in geography.predecessors_in(repo_con, code, int(row.round_year))
        if row.responded:
            score = repo_con.execute("SELECT score FROM overall_scores WHERE round_year = ? AND authority_code = ?",
                                     [row.round_year, row.authority_code]).fetchone()[0]
            assert _same(row.score, score)
    assert standards["via_lineage"].all()


def test_nearest_response_round(repo_con):
    row = repo_con.execute(
        """SELECT c.authority_code FROM round_councils c WHERE c.round_year = 2014 AND NOT c.responded
           AND EXISTS (SELECT 1 FROM respondents r WHERE r.authority_code = c.authority_code)
           ORDER BY c.authority_code LIMIT 1""").fetchone()
    assert row is not None
    code = row[0]
    rounds = [r[0] for r in repo_con.execute(
        "SELECT round_year FROM respondents WHERE authority_code = ? ORDER BY 1", [code]).fetchall()]
    assert scorecard.response_rounds(repo_con, code) == rounds
    expected = min(rounds, key=lambda y: (abs(y - 2014), -y))
    assert scorecard.nearest_response_round(repo_con, code, 2014) == expected
    never = repo_con.execute(
        "SELECT authority_code FROM round_councils c WHERE round_year = ? AND NOT EXISTS "
        "(SELECT 1 FROM respondents r WHERE r.authority_code = c.authority_code) ORDER BY 1 LIMIT 1",
        [YEAR]).fetchone()[0]
    assert scorecard.nearest_response_round(repo_con, never, YEAR) is None


def test_response_rounds_in_one_pass_agree_with_each_rounds_lineage(repo_con):
    """response_rounds reads the councils and the lineage once for every round (it was once per
    round, and the slowest part of a first scorecard view). For every council the database
    knows, and a code it does not, it must list exactly the rounds in which the council, or the
    council(s) covering its area in that round's set (geography.predecessors_in), responded."""
    from lib.reference import geography

    years = [y for (y,) in repo_con.execute("SELECT year FROM survey_rounds ORDER BY year").fetchall()]
    answered = set(repo_con.execute("SELECT round_year, authority_code FROM respondents").fetchall())
    codes = [c for (c,) in repo_con.execute("SELECT code FROM authorities ORDER BY code").fetchall()]
    assert len(codes) > 150 and len(years) >= 4
    through_lineage = 0
    for code in [*codes, "E99999999"]:
        expected = []
        for year in years:
            try:
                covering = geography.predecessors_in(repo_con, code, year) or [code]
            except KeyError:
                covering = [code]
            through_lineage += covering != [code]
            if any((year, c) in answered for c in covering):
                expected.append(year)
        assert scorecard.response_rounds(repo_con, code) == expected, code
    assert through_lineage > 0  # some council-rounds were found only through the lineage
    assert scorecard.response_rounds(repo_con, "E99999999") == []


def test_scorecard_links_for_many_councils_are_each_councils_own(repo_con):
    """Pages ask for all their examples' links at once; a batch must give every council the
    link it gets alone (one that answered, one that skipped the round, one that never answered,
    one known only through the lineage)."""
    codes = [c for (c,) in repo_con.execute("SELECT code FROM authorities ORDER BY code").fetchall()]
    batch = scorecard.scorecard_links(repo_con, tuple(codes), 2014)
    assert list(batch) == codes
    assert batch == {c: scorecard.scorecard_link(repo_con, c, 2014) for c in codes}
    kinds = {("same" if link.round == 2014 else "other" if link.round else "none") for link in batch.values()}
    assert kinds == {"same", "other", "none"}


def test_coverage_sentence_follows_the_question_bank(repo_con):
    coverage = scorecard_trend.round_standards(repo_con)
    for year, numbers in coverage.items():
        expected = [r[0] for r in repo_con.execute(
            "SELECT DISTINCT standard FROM questions WHERE scored AND asked_from <= ? ORDER BY 1", [year]).fetchall()]
        assert numbers == expected
    total = repo_con.execute("SELECT count(*) FROM standards").fetchone()[0]
    text = scorecard_trend.coverage_sentence(coverage, total)
    chunks = {}
    for part in text.split("; "):
        span, _, said = part.partition(": ")
        first, _, last = span.partition("-")
        for year in range(int(first), int(last or first) + 1):
            chunks[year] = said
    assert set(chunks) == set(coverage)
    for year, numbers in coverage.items():
        said = chunks[year]
        assert said == f"all {total} standards" if len(numbers) == total else said.startswith(f"{len(numbers)} standard")


# --------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------

def test_export_frames_have_the_four_sheets(repo_con):
    code = _ranked(repo_con, YEAR)
    frames = scorecard_files.export_frames(repo_con, code, YEAR)
    assert list(frames) == ["overall", "standards", "questions", "gaps"]
    assert len(frames["standards"]) == repo_con.execute("SELECT count(*) FROM standards").fetchone()[0]
    assert list(frames["gaps"]["standard"]) == list(scorecard.gaps(repo_con, code, YEAR)["standard"])
    labelled = {k: exports.label_demo(v, True) for k, v in frames.items()}
    book = pd.read_excel(io.BytesIO(exports.to_xlsx_bytes(labelled)), sheet_name=None)
    assert list(book) == ["overall", "standards", "questions", "gaps"]
    assert (book["standards"]["data_note"] == exports.DEMO_NOTE).all()
    assert scorecard_files.file_stem("Bath & North East Somerset", 2015) == "scorecard-bath-north-east-somerset-2015"


# The open data's names (lib.reports.opendata_dictionary.MEANINGS), as the API's overall rows have them.
OVERALL_COLUMNS = ["round_year", "council_set", "authority_code", "authority_name", "level", "score", "band",
                   "band_label", "score_unrounded", "score_low", "score_high", "ranked", "rank", "n_ranked",
                   "region_rank", "region_n_ranked", "rank_best", "rank_worst", "standards_evidenced",
                   "standards_total"]


def _sheet_text(value) -> str:
    return "–" if value is pd.NA else str(value)


def test_overall_sheet_is_the_scorecard_headline(repo_con):
    """The download's overall row says what the scorecard headline shows, as numbers."""
    # Every council in the session database ranks; the unranked row is checked from a headline below.
    for year, code in ((YEAR, _ranked(repo_con, YEAR)), (2012, _ranked(repo_con, 2012, 1))):
        head = scorecard.headline(repo_con, code, year)
        assert head is not None
        sheet = scorecard_files.export_frames(repo_con, code, year)["overall"]
        assert list(sheet.columns) == OVERALL_COLUMNS
        assert len(sheet) == 1
        row = sheet.iloc[0]
        assert row["authority_code"] == code
        assert row["authority_name"] == scorecard.council(repo_con, code, year)["display_name"]
        assert row["round_year"] == year
        assert score_with_range(row["score"], row["score_low"], row["score_high"]) == head.score_text
        assert row["score_unrounded"] == pytest.approx(head.overall["score_unrounded"])
        assert row["band_label"] == head.band_label and row["band"] == head.overall["band"]
        assert bool(row["ranked"]) is head.ranked
        assert row["standards_evidenced"] == head.evidenced
        assert row["n_ranked"] == int(head.overall["n_ranked"])
        assert row["region_n_ranked"] == int(head.overall["region_n_ranked"])
        if head.ranked:
            assert (f"{row['rank']} of {row['n_ranked']}"
                    + rank_range_text(row["rank_best"], row["rank_worst"])) == head.rank_text
            assert f"{row['region_rank']} of {row['region_n_ranked']}" == head.region_rank_text
        else:
            assert head.rank_text == head.region_rank_text == "Not ranked"
            assert row["rank"] is pd.NA and row["region_rank"] is pd.NA


def test_overall_sheet_for_a_council_that_did_not_respond():
    sheet = scorecard_files.overall_frame(None, {"authority_code": "E1", "authority_name": "Nowhere", "round_year": 2015})
    assert sheet.to_dict("records") == [{
        "authority_code": "E1", "authority_name": "Nowhere", "round_year": 2015, "level": "overall", "score": None,
        "band": None, "band_label": "No response", "score_unrounded": None, "score_low": None, "score_high": None,
        "ranked": False, "rank": None, "n_ranked": None, "region_rank": None, "region_n_ranked": None,
        "rank_best": None, "rank_worst": None, "standards_evidenced": None, "standards_total": None,
    }]


def test_overall_sheet_from_a_headline():
    head = scorecard.Headline(
        overall={"score": 92.5, "score_unrounded": 92.4999, "ranked": True, "rank": 3, "n_ranked": 95,
                 "region_rank": 1, "region_n_ranked": 9, "standards_evidenced": 10, "band": "meets",
                 "score_low": 92.5, "score_high": 97.2, "rank_best": 1, "rank_worst": 3},
        band_label="Meets", standards_asked=10, min_standards=7, standards_total=10)
    row = scorecard_files.overall_frame(head, {"authority_code": "E1", "authority_name": "Somewhere", "round_year": 2015})
    assert row.to_dict("records") == [{
        "authority_code": "E1", "authority_name": "Somewhere", "round_year": 2015, "level": "overall",
        "score": 93, "band": "meets", "band_label": "Meets", "score_unrounded": 92.4999,
        "score_low": 93, "score_high": 97, "ranked": True, "rank": 3, "n_ranked": 95, "region_rank": 1,
        "region_n_ranked": 9, "rank_best": 1, "rank_worst": 3, "standards_evidenced": 10, "standards_total": 10,
    }]


def test_overall_sheet_for_a_council_that_is_not_ranked():
    head = scorecard.Headline(
        overall={"score": 40.2, "score_unrounded": 40.2, "ranked": False, "rank": None, "n_ranked": 95,
                 "region_rank": None, "region_n_ranked": 9, "standards_evidenced": 4, "band": "partly"},
        band_label="Partly meets", standards_asked=10, min_standards=7, standards_total=10)
    row = scorecard_files.overall_frame(head, {"authority_code": "E1", "authority_name": "Somewhere", "round_year": 2015})
    assert row.to_dict("records") == [{
        "authority_code": "E1", "authority_name": "Somewhere", "round_year": 2015, "level": "overall",
        "score": 40, "band": "partly", "band_label": "Partly meets", "score_unrounded": 40.2,
        "score_low": None, "score_high": None, "ranked": False, "rank": None, "n_ranked": 95, "region_rank": None,
        "region_n_ranked": 9, "rank_best": None, "rank_worst": None, "standards_evidenced": 4, "standards_total": 10,
    }]


class _Parser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_briefing_is_self_contained_html(repo_con):
    code = _ranked(repo_con, YEAR)
    name = scorecard.council(repo_con, code, YEAR)["display_name"]
    doc = briefing_html.briefing_html(repo_con, code, YEAR, is_demo=True)
    assert doc.lstrip().lower().startswith("<!doctype html>")
    parser = _Parser()
    parser.feed(doc)
    parser.close()
    text = " ".join(parser.text)
    assert name in text and "Synthetic demonstration data" in text
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    lowered = doc.lower()
    assert "<script" not in lowered and "<link" not in lowered and 'src="http' not in lowered
    assert "@page" in doc and "a4" in lowered
    head = scorecard.headline(repo_con, code, YEAR)
    assert head.rank_text in text
    profile = scorecard.standard_profile(repo_con, code, YEAR)
    for label in profile["standard_label"]:
        assert label in text
    # The full detail (every gap with all its actions) is in the appendix (tests/test_briefing.py
    # checks the two-page briefing itself).
    full = briefing_html.briefing_html(repo_con, code, YEAR, is_demo=True, appendix=True)
    parser = _Parser()
    parser.feed(full)
    full_text = " ".join(parser.text)
    for row in scorecard.gaps(repo_con, code, YEAR).itertuples():
        assert f"Standard {row.standard}: {row.short_name}" in full_text
        for action in row.actions:
            assert action in full_text


def test_briefing_carries_the_synthetic_note_only_for_demo_rounds(repo_con):
    code = _ranked(repo_con, YEAR)
    assert "Synthetic demonstration data" in briefing_html.briefing_html(repo_con, code, YEAR, is_demo=True)
    assert "Synthetic demonstration data" not in briefing_html.briefing_html(repo_con, code, YEAR, is_demo=False)


def test_briefing_escapes_names_from_data(tmp_path):
    con = fixture_database(tmp_path)
    nasty = '<script>alert("x")</script> & Sons'
    con.execute("UPDATE authorities SET display_name = ? WHERE code = 'E06000001'", [nasty])
    con.execute("UPDATE standards SET short_name = '<b>bold</b>' WHERE number = 2")
    doc = briefing_html.briefing_html(con, "E06000001", 2015, is_demo=True)
    assert "<script" not in doc.lower() and "<b>bold" not in doc
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in doc
    parser = _Parser()
    parser.feed(doc)
    assert nasty in " ".join(parser.text), "the name must read correctly once unescaped"
    with pytest.raises(ValueError):
        briefing_html.briefing_html(con, "E10000003", 2015, is_demo=True)  # Gamma did not respond


def test_a_council_with_too_little_evidence_is_not_ranked_and_told_why(tmp_path):
    con = fixture_database(tmp_path)
    con.execute("INSERT INTO responses VALUES (2015, 'E10000003', 'q1a', 'available', ['la'], NULL, 'test', "
                "TIMESTAMP '2015-06-01 00:00:00')")
    needed = con.execute("SELECT min_standards FROM round_rank_rule WHERE round_year = 2015").fetchone()[0]
    head = scorecard.headline(con, "E10000003", 2015)
    assert head is not None and not head.ranked
    assert head.rank_text == "Not ranked" and head.region_rank_text == "Not ranked"
    reason = head.not_ranked_reason(2015)
    # Gamma answered one question (q1a, standard 1): answers on 1 standard, 5 needed.
    assert "it answered questions on 1 standard," in reason and f"at least {needed}" in reason
    doc = briefing_html.briefing_html(con, "E10000003", 2015, is_demo=False)
    assert "Not ranked" in doc and "Synthetic demonstration data" not in doc


def test_like_for_like_change_compares_the_same_questions(repo_con):
    code = repo_con.execute(
        "SELECT a.authority_code FROM respondents a JOIN respondents b USING (authority_code) "
        "WHERE a.round_year = 2015 AND b.round_year = 2014 ORDER BY 1 LIMIT 1").fetchone()[0]
    change = scorecard_trend.like_for_like_change(repo_con, code, 2015).set_index("standard")
    assert len(change) and set(change["previous_year"]) == {2014}
    own_2014 = dict(repo_con.execute(
        "SELECT standard, score FROM standard_scores WHERE round_year = 2014 AND authority_code = ? "
        "AND evidence", [code]).fetchall())
    for n, r in change.iterrows():
        # 2014 asked only questions 2015 also asked, so its side is 2014's own score ...
        assert r["previous_score"] == own_2014[n]
        # ... and each change is the difference of the two shown numbers.
        assert r["change"] == r["score"] - r["previous_score"]
    # Standard 2 gained questions in 2015, so it is compared on those 2014 asked.
    before = repo_con.execute("SELECT count(*) FROM questions WHERE scored AND standard = 2 "
                              "AND asked_from <= 2014").fetchone()[0]
    now = int(change.loc[2, "questions_now"])
    assert bool(change.loc[2, "questions_changed"]) and change.loc[2, "questions_common"] == before < now
    table = scorecard_trend.like_for_like_table(change.reset_index(), 2015)
    row = table[table["Standard"].str.startswith("2.")].iloc[0]
    assert row["Compared on"].startswith(f"{before} of its {now} questions, asked in both")


# ---- links that never land on an empty scorecard (issue 14, dead ends) ----------------------

def _answered(con, code: str) -> list[int]:
    return [int(r[0]) for r in con.execute(
        "SELECT round_year FROM respondents WHERE authority_code = ? ORDER BY round_year", [code]).fetchall()]


def test_a_link_to_a_council_that_answered_opens_that_round(repo_con):
    code = repo_con.execute("SELECT min(authority_code) FROM respondents WHERE round_year = 2015").fetchone()[0]
    assert scorecard.scorecard_link(repo_con, code, 2015) == scorecard.ScorecardLink(code, 2015, "")


def test_a_link_to_a_non_respondent_opens_the_nearest_round_it_answered(repo_con):
    rows = repo_con.execute(
        "SELECT a.code, a.display_name FROM round_councils c JOIN authorities a ON a.code = c.authority_code "
        "WHERE c.round_year = 2015 AND NOT c.responded ORDER BY a.code").fetchall()
    with_history = [(c, n) for c, n in rows if _answered(repo_con, c)]
    assert with_history, "the demo has 2015 non-respondents who answered an earlier round"
    code, name = with_history[0]
    nearest = max(_answered(repo_con, code))  # every other round is earlier than 2015: the latest is nearest
    link = scorecard.scorecard_link(repo_con, code, 2015)
    assert link.round == nearest
    assert link.note == (f"{name} did not answer the 2015 survey: the link opens its {nearest} scorecard, "
                         "the nearest round it answered.")


def test_a_link_to_a_council_that_never_answered_offers_no_scorecard(repo_con):
    rows = repo_con.execute("SELECT code, display_name FROM authorities ORDER BY code").fetchall()
    never = [(c, n) for c, n in rows if not scorecard.response_rounds(repo_con, c)]
    assert never, "the demo leaves some councils out of every round"
    code, name = never[0]
    link = scorecard.scorecard_link(repo_con, code, 2015)
    assert link.round is None
    assert link.note == (f"{name} has not answered any survey round held here, so it has no scorecard; its "
                         "self-assessment and peer comparison are open.")
