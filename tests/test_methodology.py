"""lib.analysis.methodology reads every rule it explains from the database (loaded from standards/*.toml)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lib.analysis import methodology as meth
from lib.scoring.standards import load_config


def test_bands_are_read_from_the_database(repo_con) -> None:
    stored = repo_con.execute("SELECT key, label, min_score, description FROM bands ORDER BY min_score DESC").fetchall()
    bands = meth.bands(repo_con)
    assert list(bands[["key", "label", "min_score", "description"]].itertuples(index=False, name=None)) == stored
    # And the database holds what scoring.toml says.
    config = load_config()
    assert sorted(b.min for b in config.bands) == sorted(r[2] for r in stored)
    # Each band's range of shown (whole-number) scores runs up to one below the next band's minimum.
    top, *rest = bands.itertuples()
    assert meth.band_range_text(top.min_score, top.below) == f"{top.min_score:g} to 100"
    for upper, lower in zip([top, *rest], rest, strict=False):
        assert meth.band_range_text(lower.min_score, lower.below) == f"{lower.min_score:g} to {upper.min_score - 1:g}"


def test_answer_credits_and_settings_from_the_database(repo_con) -> None:
    options = meth.scored_answer_options(repo_con)
    stored = repo_con.execute("SELECT answer_set, value, score FROM answer_options WHERE score IS NOT NULL").fetchall()
    assert {(r.answer_set, r.value): r.score for r in options.itertuples()} == {(a, v): s for a, v, s in stored}
    scored_sets = {r[0] for r in repo_con.execute("SELECT DISTINCT answer_set FROM questions WHERE scored").fetchall()}
    assert set(options["answer_set"]) >= scored_sets
    settings = meth.settings(repo_con)
    assert settings["min_standards_for_rank"] == repo_con.execute(
        "SELECT value FROM scoring_settings WHERE key = 'min_standards_for_rank'").fetchone()[0]


def test_questions_cite_their_origin_and_answers_in_words(repo_con) -> None:
    qs = meth.questions(repo_con)
    assert len(qs) == repo_con.execute("SELECT count(*) FROM questions").fetchone()[0]
    new = qs[qs["report_ref"] == "new"]
    assert len(new) and (new["origin"] == "New: not asked in the 2015 survey").all()
    old = qs[qs["report_ref"] != "new"]
    assert all(o == f"Report 2015, {r}" for o, r in zip(old["origin"], old["report_ref"], strict=True))
    # Answers are labels, never keys.
    assert not qs["answers"].str.contains("not_available|dont_know|in_development").any()
    assert set(qs["audience_label"]) <= {"Employers", "Personal assistants", "Council"}
    assert meth.new_question_count(repo_con) == (len(new[new["scored"]]), int(qs["scored"].sum()))


def test_rounds_provenance_and_respondents(repo_con) -> None:
    rounds = meth.rounds(repo_con).set_index("year")
    for year, respondents, councils in repo_con.execute(
            "SELECT round_year, respondents, councils FROM scope_coverage WHERE scope = 'england'").fetchall():
        assert rounds.loc[year, "respondents"] == respondents
        assert rounds.loc[year, "councils"] == councils
    assert rounds["provenance"].str.len().gt(0).all()


def test_answer_quality_equals_direct_counts(repo_con) -> None:
    quality = meth.answer_quality(repo_con).set_index("round_year")
    year = int(quality.index.max())
    dont_know = repo_con.execute(
        """SELECT count(*) FROM responses r JOIN questions q ON q.id = r.question_id
           JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer
           WHERE r.round_year = ? AND q.scored AND o.is_unknown AND q.asked_from <= r.round_year""",
        [year]).fetchone()[0]
    assert quality.loc[year, "dont_know"] == dont_know
    no_evidence = repo_con.execute(
        "SELECT count(*) FILTER (WHERE NOT evidence) FROM standard_scores WHERE round_year = ? AND questions > 0",
        [year]).fetchone()[0]
    assert quality.loc[year, "no_evidence"] == no_evidence


def test_rank_rule_lists_the_standards_each_round_asks_about(repo_con) -> None:
    rule = meth.rank_rule(repo_con).set_index("round_year")
    for _year, row in rule.iterrows():
        assert len(row["standards"]) == row["standards_asked"]
    early = rule[rule["standards_asked"] < 9]
    assert len(early) and all(list(s) == [1, 2, 5, 7] for s in early["standards"])


@pytest.mark.parametrize("code", ["E08000037", "E06000057", "E06000058", "E06000060", "E06000061", "E06000063",
                                  "E06000065", "E06000066", "E08000038", "E08000039"])
def test_reorganisations_since_the_earliest_round(repo_con, code) -> None:
    # The earliest demo round holds the councils of 1 April 2012, so the 2013 recodes of
    # Gateshead and Northumberland are the first changes listed, and 2009's are not.
    lineage = meth.reorganisations(repo_con)
    assert code in set(lineage["successor_code"])
    assert lineage["effective_date"].min() == pd.Timestamp("2013-04-01")
    table = meth.reorganisation_table(lineage)
    assert not table.isna().any().any()
    assert set(table["Change"]) <= set(meth.KIND_LABELS.values())
    assert "2020 (Buckinghamshire)" in meth.reorganisation_years(lineage)
    assert "2019 (Bournemouth, Christchurch and Poole; Dorset)" in meth.reorganisation_years(lineage)


def _credit_phrases(text: str) -> list[tuple[str, str]]:
    """'A or B = full credit, C = half' -> [('A or B', 'full credit'), ('C', 'half')]."""
    words = "|".join(re.escape(w) for w in meth.CREDIT_WORDS.values())
    return re.findall(rf"(.+?) = ({words})(?:, |$)", text)


def test_credit_summary_names_the_common_answers_with_their_credit(repo_con) -> None:
    options = meth.scored_answer_options(repo_con)
    phrases = _credit_phrases(meth.credit_summary(repo_con))
    by_words = dict((w, labels) for labels, w in phrases)
    # Every answer of the answer set behind most scored questions is named with its credit.
    biggest = options[options["scored_questions"] == options["scored_questions"].max()]
    for label, score in zip(biggest["label"], biggest["score"], strict=True):
        assert label in by_words[meth.CREDIT_WORDS[float(score)]], (label, score, phrases)
    # Highest credit first.
    credit = {w: s for s, w in meth.CREDIT_WORDS.items()}
    shown = [credit[w] for _, w in phrases]
    assert shown == sorted(shown, reverse=True) and len(shown) == len(set(shown))


def test_changing_a_credit_in_a_copy_changes_the_summary(repo_con) -> None:
    from lib.scoring import views as scoring

    copy = scoring.scoring_copy(repo_con)
    try:
        before = meth.credit_summary(copy)
        old = copy.execute("SELECT score FROM answer_options WHERE answer_set = 'availability' "
                           "AND value = 'in_development'").fetchone()[0]
        label = copy.execute("SELECT label FROM answer_options WHERE answer_set = 'availability' "
                             "AND value = 'in_development'").fetchone()[0]
        new = 0.25 if old != 0.25 else 0.75
        copy.execute("UPDATE answer_options SET score = ? WHERE value = 'in_development'", [new])
        after = meth.credit_summary(copy)
    finally:
        copy.close()
    assert f"{label} = {meth.CREDIT_WORDS[float(old)]}" in before
    assert f"{label} = {meth.CREDIT_WORDS[new]}" in after
    assert after != before
    assert meth.credit_summary(repo_con) == before  # the app's database is untouched
