"""lib.analysis.gaps against the session database: every figure the Gap finder shows is checked against
the scoring views or a direct count of the responses."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.analysis import gap_tables, gaps
from lib.analysis.gaps import measure_share, parse_measure
from lib.base import exports
from lib.base.rounding import shown_int
from lib.reports import opendata

YEAR = 2015
LONDON = "E12000007"


# ---- measures (kept from the first version) ---------------------------------------------------

def test_parse_measure() -> None:
    assert parse_measure("answer:available|in_development") == ("answer", ["available", "in_development"])
    assert parse_measure("provider:la") == ("provider", ["la"])
    for bad in ("provider:la|support_org", "answer:", "share:available"):
        with pytest.raises(ValueError):
            parse_measure(bad)


# ---- heat map ----------------------------------------------------------------------------------

def test_heatmap_frame_is_respondents_by_nine_standards_and_matches_view(repo_con, latest_year) -> None:
    frame = gaps.heatmap_frame(repo_con, latest_year)
    respondents = repo_con.execute(
        "SELECT count(*) FROM respondents WHERE round_year = ?", [latest_year]).fetchone()[0]
    standards = repo_con.execute("SELECT count(*) FROM standards").fetchone()[0]
    assert len(frame) == respondents * standards
    assert frame["authority_code"].nunique() == respondents
    view = repo_con.execute(
        "SELECT authority_code, standard, score, band FROM standard_scores WHERE round_year = ?", [latest_year]).df()
    merged = frame.merge(view, on=["authority_code", "standard"], suffixes=("", "_view"), validate="one_to_one")
    assert len(merged) == len(frame)
    both = merged["score"].notna()
    assert (both == merged["score_view"].notna()).all()
    assert (merged.loc[both, "score"] - merged.loc[both, "score_view"]).abs().max() < 1e-9
    assert (merged.loc[~both, "band_label"] == "No evidence").all()


def test_heatmap_default_order_is_overall_score(repo_con, latest_year) -> None:
    frame = gaps.heatmap_frame(repo_con, latest_year).drop_duplicates("authority_code").sort_values("row")
    scores = frame["overall_score"].dropna().tolist()
    assert scores == sorted(scores, reverse=True)


def test_heatmap_sort_by_one_standard_puts_no_evidence_last(repo_con, latest_year) -> None:
    frame = gaps.heatmap_frame(repo_con, latest_year, sort="9")
    s9 = frame[frame["standard"] == 9].sort_values("row")
    known = s9["score"].notna().tolist()
    assert known == sorted(known, reverse=True), "councils without evidence on the standard come last"
    scores = s9["score"].dropna().tolist()
    assert scores == sorted(scores, reverse=True)
    top = repo_con.execute(
        "SELECT max(score) FROM standard_scores WHERE round_year = ? AND standard = 9", [latest_year]).fetchone()[0]
    assert s9["score"].iloc[0] == pytest.approx(top)


def test_heatmap_sort_by_name_and_unknown_sort(repo_con, latest_year) -> None:
    names = gaps.heatmap_frame(repo_con, latest_year, sort="name").drop_duplicates("authority_code")["display_name"].tolist()
    assert names == sorted(names)
    nine = range(1, 10)
    assert gaps.valid_sort("bogus", nine) == "overall"
    assert gaps.valid_sort("10", nine) == "overall"
    assert gaps.valid_sort("3", nine) == "3"
    # The standards are counted, not assumed: with ten, "10" is a standard.
    assert gaps.valid_sort("10", range(1, 11)) == "10"


def test_heatmap_filters_by_region_and_type(repo_con, latest_year) -> None:
    frame = gaps.heatmap_frame(repo_con, latest_year, region=LONDON, council_type="London borough", sort="region")
    expected = set(r[0] for r in repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = ? AND responded AND region_code = ? "
        "AND type = 'London borough'", [latest_year, LONDON]).fetchall())
    assert set(frame["authority_code"]) == expected and expected
    assert gaps.heatmap_frame(repo_con, latest_year, region=LONDON, council_type="county").empty


def test_heatmap_table_has_bands_and_no_nan(repo_con, latest_year) -> None:
    frame = gaps.heatmap_frame(repo_con, latest_year)
    table = gap_tables.heatmap_table(frame)
    assert len(table) == frame["authority_code"].nunique()
    assert not table.isna().any().any()
    assert not table.astype(str).apply(lambda c: c.str.contains("nan|None")).any().any()
    labels = {r[0] for r in repo_con.execute("SELECT label FROM bands").fetchall()}
    first = frame[frame["row"] == 0].set_index("standard")
    row = table.iloc[0]
    for n, cell in first.iterrows():
        text = row[f"{n}. {cell['short_name']}"]
        if cell["asked"]:  # every standard the round asked about has a score, "Don't know" counting 0
            assert text == f"{cell['score']:.0f} ({cell['band_label']})" and cell["band_label"] in labels
        else:
            assert text == gaps.NOT_ASKED
    missing = frame[~frame["asked"]]
    if len(missing):
        one = missing.iloc[0]
        line = table[table["Council"] == one["display_name"]].iloc[0]
        assert line[f"{one['standard']}. {one['short_name']}"] == gaps.NOT_ASKED


# ---- questions most often unmet ------------------------------------------------------------------

def _direct_shares(con, year: int, question_id: str, region: str | None = None) -> dict[str, float]:
    rows = con.execute(
        """
        SELECT coalesce(r.answer, 'missing') AS answer, count(*) AS n
        FROM round_councils c
        LEFT JOIN responses r ON r.round_year = c.round_year AND r.authority_code = c.authority_code
                             AND r.question_id = ?
        WHERE c.round_year = ? AND c.responded AND (CAST(? AS VARCHAR) IS NULL OR c.region_code = ?)
        GROUP BY ALL
        """, [question_id, year, region, region]).fetchall()
    total = sum(n for _, n in rows)
    return {a: n / total for a, n in rows} | {"_total": total}


@pytest.mark.parametrize("region", [None, LONDON])
def test_unmet_shares_equal_direct_counts(repo_con, latest_year, region) -> None:
    qid = "emp_pa_register"
    df = gaps.unmet_questions(repo_con, latest_year, *(("region", region) if region else ()))
    row = df.set_index("question_id").loc[qid]
    direct = _direct_shares(repo_con, latest_year, qid, region)
    assert row["respondents"] == direct["_total"]
    assert row["share_available"] == pytest.approx(direct.get("available", 0))
    assert row["share_in_development"] == pytest.approx(direct.get("in_development", 0))
    assert row["share_not_available"] == pytest.approx(direct.get("not_available", 0))
    assert row["share_dont_know"] == pytest.approx(direct.get("dont_know", 0))
    assert row["share_missing"] == pytest.approx(direct.get("missing", 0))
    assert row["share_without"] == pytest.approx(1 - direct.get("available", 0))


def test_unmet_questions_cover_scored_questions_worst_first(repo_con, latest_year) -> None:
    df = gaps.unmet_questions(repo_con, latest_year)
    scored = repo_con.execute(
        "SELECT count(*) FROM questions WHERE scored AND asked_from <= ?", [latest_year]).fetchone()[0]
    assert len(df) == scored
    assert df["share_without"].tolist() == sorted(df["share_without"], reverse=True)
    parts = df[["share_available", "share_in_development", "share_not_available", "share_dont_know",
                "share_missing", "share_other"]].sum(axis=1)
    assert (parts - 1).abs().max() < 1e-9
    # The self-funder question's partial answers (directed to a support organisation, information
    # online, plans in development) all have the outcome "partly" in scoring.toml, so they count
    # with "in development" and nothing is left unclassified.
    sf = df.set_index("question_id").loc["sf_approach"]
    direct = _direct_shares(repo_con, latest_year, "sf_approach")
    assert sf["share_in_development"] == pytest.approx(
        direct.get("support_org", 0) + direct.get("online_info", 0) + direct.get("in_development", 0))
    assert sf["share_available"] == pytest.approx(direct.get("same_offer", 0))
    assert sf["share_other"] == pytest.approx(0)


# ---- which councils lack X ---------------------------------------------------------------------

@pytest.mark.parametrize("region", [None, LONDON])
def test_councils_lacking_equals_direct_query(repo_con, latest_year, region) -> None:
    qid = "emp_pa_register"
    lacking = gaps.councils_lacking(repo_con, latest_year, qid, region=region)
    expected = {r[0] for r in repo_con.execute(
        """
        SELECT c.authority_code FROM round_councils c
        LEFT JOIN responses r ON r.round_year = c.round_year AND r.authority_code = c.authority_code
                             AND r.question_id = ?
        WHERE c.round_year = ? AND c.responded AND (r.answer IS NULL OR r.answer <> 'available')
          AND (CAST(? AS VARCHAR) IS NULL OR c.region_code = ?)
        """, [qid, latest_year, region, region]).fetchall()}
    assert set(lacking["authority_code"]) == expected
    assert len(lacking) == len(expected) > 0
    labels = {r[0] for r in repo_con.execute(
        "SELECT label FROM answer_options WHERE answer_set = 'availability' AND value <> 'available'").fetchall()}
    assert set(lacking["answer_label"]) <= labels | {gaps.NOT_ANSWERED}
    assert "Available" not in set(lacking["answer_label"])
    if region:
        assert set(lacking["region_name"]) == {"London"}


def test_support_labels_name_the_answers_that_count_as_having_it(repo_con) -> None:
    assert gaps.support_labels(repo_con, "emp_pa_register") == ["Available"]
    assert gaps.support_labels(repo_con, "emp_qa_safeguarding") == [
        "Available and required", "Available, taken up voluntarily"]


def test_non_respondents_are_the_rest_of_the_council_set(repo_con, latest_year) -> None:
    missing = gaps.non_respondents(repo_con, latest_year)
    councils, respondents = repo_con.execute(
        "SELECT councils, respondents FROM scope_coverage WHERE round_year = ? AND scope = 'england'",
        [latest_year]).fetchone()
    assert len(missing) == councils - respondents
    answered = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT authority_code FROM responses WHERE round_year = ?", [latest_year]).fetchall()}
    assert not set(missing["authority_code"]) & answered


def test_lacking_export_is_labelled_synthetic(repo_con, latest_year) -> None:
    qid = "emp_pa_register"
    lacking = gaps.councils_lacking(repo_con, latest_year, qid)
    question = gaps.scored_questions(repo_con, latest_year).set_index("question_id").loc[qid].copy()
    question["question_id"] = qid
    out = exports.label_demo(gaps.lacking_export(lacking, question, latest_year), True)
    assert len(out) == len(lacking)
    assert (out["data_note"] == exports.DEMO_NOTE).all()
    assert (out["question_id"] == qid).all()
    text = exports.to_csv_bytes(out).decode("utf-8-sig")
    # The answer in words beside the API's code, for every council on the list.
    assert list(out["answer_label"]) == list(lacking["answer_label"])
    assert exports.DEMO_NOTE in text


def test_lacking_export_has_the_apis_answers_for_the_same_councils(repo_con, latest_year) -> None:
    """Every column of the gap list that the API's answers also have holds the API's value."""
    qid = "emp_pa_register"
    lacking = gaps.councils_lacking(repo_con, latest_year, qid)
    question = gaps.scored_questions(repo_con, latest_year).set_index("question_id").loc[qid].copy()
    question["question_id"] = qid
    out = gaps.lacking_export(lacking, question, latest_year).set_index("authority_code")
    api = opendata.query(repo_con, "answers", {"round": latest_year, "question": qid}).set_index("authority_code")
    answered = out[out["answer"].notna()]
    assert len(answered) > 5 and set(answered.index) <= set(api.index)
    shared = [c for c in out.columns if c in api.columns]
    assert {"answer", "answer_label", "providers", "authority_name", "council_type", "standard"} <= set(shared)
    for column in shared:
        assert list(answered[column].astype(str)) == list(api.loc[answered.index, column].astype(str)), column
    # The councils the API says lack the support (an outcome other than having it) are the list's.
    assert set(api.index[api["outcome"] != gaps.HAS_SUPPORT]) == set(answered.index)


# ---- change since the previous round and the published figures ----------------------------------

def test_change_since_previous_equals_direct_counts(repo_con, latest_year) -> None:
    change = gaps.change_since_previous(repo_con, latest_year).set_index("question_id")
    prev = int(change["previous_year"].iloc[0])
    assert prev == repo_con.execute("SELECT max(year) FROM survey_rounds WHERE year < ?", [latest_year]).fetchone()[0]
    qid = "emp_peer_support"
    now = _direct_shares(repo_con, latest_year, qid)
    before = _direct_shares(repo_con, prev, qid)
    row = change.loc[qid]
    assert row["available_or_dev"] == pytest.approx(100 * (now.get("available", 0) + now.get("in_development", 0)))
    assert row["previous_available_or_dev"] == pytest.approx(
        100 * (before.get("available", 0) + before.get("in_development", 0)))
    # The change is the difference of the two whole percentages shown (half up), so it adds up.
    assert row["available_or_dev_change"] == (shown_int(row["available_or_dev"])
                                              - shown_int(row["previous_available_or_dev"]))
    asked_both = repo_con.execute(
        "SELECT count(*) FROM questions WHERE scored AND asked_from <= ?", [prev]).fetchone()[0]
    assert len(change) == asked_both


def test_change_is_empty_for_the_first_round(repo_con) -> None:
    first = repo_con.execute("SELECT min(year) FROM survey_rounds").fetchone()[0]
    assert gaps.change_since_previous(repo_con, first).empty


def test_published_comparison_one_row_per_mapped_figure(repo_con) -> None:
    mapped = repo_con.execute(
        "SELECT figure_id, percent, question_id, measure FROM published_figures WHERE year = ? AND kind = 'level' "
        "AND question_id IS NOT NULL AND measure IS NOT NULL", [YEAR]).df()
    out = gaps.published_comparison(repo_con, YEAR)
    assert sorted(out["figure_id"]) == sorted(mapped["figure_id"])
    for row in out.itertuples():
        share = measure_share(repo_con, YEAR, row.question_id, row.measure)
        assert row.database == pytest.approx(100 * share)
        assert row.difference == shown_int(row.published) - shown_int(100 * share)
    published = mapped.set_index("figure_id")["percent"]
    assert (out.set_index("figure_id")["published"] == published.reindex(out["figure_id"])).all()


def test_published_comparison_2014_uses_levels_implied_by_changes(repo_con) -> None:
    out = gaps.published_comparison(repo_con, YEAR - 1)
    changes = repo_con.execute(
        """SELECT c.figure_id, l.percent - c.percent AS implied, c.question_id, c.measure
           FROM published_figures c JOIN published_figures l
             ON l.year = c.year AND l.kind = 'level' AND l.question_id = c.question_id AND l.measure = c.measure
           WHERE c.kind = 'change' AND c.year = ?""", [YEAR]).df()
    assert len(out) == len(changes) > 0
    implied = changes.set_index("figure_id")["implied"]
    for row in out.itertuples():
        assert row.published == pytest.approx(implied[row.figure_id])
        assert row.difference == shown_int(row.published) - shown_int(
            100 * measure_share(repo_con, YEAR - 1, row.question_id, row.measure))
        assert row.basis.startswith("Implied")
        assert ":" not in row.answer


def test_published_comparison_empty_for_years_the_report_does_not_cover(repo_con) -> None:
    assert gaps.report_years(repo_con) == [2014, 2015]
    assert gaps.published_comparison(repo_con, 2013).empty


def test_published_changes_set_against_this_database(repo_con) -> None:
    out = gaps.published_changes(repo_con, YEAR)
    n = repo_con.execute(
        "SELECT count(*) FROM published_figures WHERE kind = 'change' AND year = ? AND question_id IS NOT NULL",
        [YEAR]).fetchone()[0]
    assert len(out) == n > 0
    for row in out.itertuples():
        measure = repo_con.execute("SELECT measure FROM published_figures WHERE figure_id = ?",
                                   [row.figure_id]).fetchone()[0]
        now = measure_share(repo_con, YEAR, row.question_id, measure)
        before = measure_share(repo_con, row.previous_year, row.question_id, measure)
        # Differences of shown whole percentages: they add up with the figures beside them.
        assert row.database_change == shown_int(100 * now) - shown_int(100 * before)
        assert row.difference == shown_int(row.published_change) - row.database_change


def test_display_tables_have_no_missing_values(repo_con, latest_year) -> None:
    england = gaps.unmet_questions(repo_con, latest_year)
    london = gaps.unmet_questions(repo_con, latest_year, "region", LONDON)
    for table in (gap_tables.unmet_table(london, england),
                  gap_tables.published_table(gaps.published_comparison(repo_con, YEAR)),
                  gap_tables.published_changes_table(gaps.published_changes(repo_con, YEAR))):
        assert isinstance(table, pd.DataFrame) and len(table)
        assert not table.isna().any().any()


def test_heatmap_marks_standards_a_round_did_not_ask_about(repo_con) -> None:
    first = repo_con.execute("SELECT min(year) FROM survey_rounds").fetchone()[0]
    asked = {r[0] for r in repo_con.execute(
        "SELECT DISTINCT standard FROM questions WHERE scored AND asked_from <= ?", [first]).fetchall()}
    frame = gaps.heatmap_frame(repo_con, first)
    assert gaps.standards_not_asked(frame) == sorted(set(range(1, 10)) - asked)
    assert (frame.loc[~frame["standard"].isin(asked), "band_label"] == gaps.NOT_ASKED).all()
    assert gaps.NOT_ASKED not in set(frame.loc[frame["standard"].isin(asked), "band_label"])
    assert gaps.standards_not_asked(gaps.heatmap_frame(repo_con, YEAR)) == []
