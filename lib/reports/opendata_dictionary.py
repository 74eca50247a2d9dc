"""The open data's data dictionary: every column of every dataset of lib.reports.opendata, with
its meaning, type, unit and allowed values.

The dictionary is generated: column types come from DuckDB (`DESCRIBE` of each dataset's
query on the published database), allowed values from the tables loaded from
`standards/*.toml` (answer options, bands, outcomes, providers) and the reference data, so it
cannot drift from the files. Only the meanings are written here, one per column name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from lib.reference import geography
from lib.reports.opendata import DATASETS, DEMO_NOTE, first_column, round_years

#: Each column's meaning and unit, once per column name. Types and allowed values are not
#: written here: they are read from the database (see dictionary()).
MEANINGS: dict[str, tuple[str, str]] = {
    "round_year": ("The survey round (the year it was asked)", "year"),
    "council_set": ("The day whose councils the round is held against: those valid on that day "
                    "(councils are merged, split and recoded over time)", "date (YYYY-MM-DD)"),
    "authority_code": ("The council's ONS code", "ONS code"),
    "authority_name": ("The council's name as shown on the dashboard", ""),
    "official_name": ("The council's name as the ONS writes it", ""),
    "region_code": ("The council's ADASS/ONS region", "ONS code"),
    "region_name": ("The region's name", ""),
    "council_type": ("The kind of council (in a row summarising several councils: the kind "
                     "summarised, empty for every kind)", ""),
    "level": ("Whether the row is the council's overall score or one standard's score", ""),
    "standard": ("The standard's number (empty for an overall row, or a question that scores no "
                 "standard)", "number"),
    "standards": ("The standards an example illustrates, separated by ;", "numbers"),
    "standard_name": ("The standard's short name ('Overall' for an overall row)", ""),
    "score": ("The score every page shows: a whole number rounded half up. A \"Don't know\" or missing "
              "answer counts as the question's worst answer. Empty for a standard the round did not ask about",
              "points out of 100"),
    "band": ("The band the shown score falls in (key); empty for a standard the round did not ask about", ""),
    "band_label": ("The band in words", ""),
    "score_unrounded": ("The weighted mean behind the shown score, to 9 decimal places (so that every "
                        "file and answer of a published version has the same digits)", "points out of 100"),
    "score_low": ("The lowest score the council's \"Don't know\" and missing answers allow: the score itself, "
                  "as each of them already counts as the worst answer", "points out of 100"),
    "score_high": ("The highest score they allow: the score if each \"Don't know\" or missing answer had been "
                   "the best answer (equal to score when every answer is known)", "points out of 100"),
    "evidence": ("Whether any known answer stands behind the score", "true/false"),
    "standards_evidenced": ("How many standards have evidence (overall rows)", "standards"),
    "standards_total": ("How many standards there are (overall rows)", "standards"),
    "questions": ("Scored questions behind the score", "questions"),
    "answered": ("Of those, how many were answered (in a summary: how many councils answered)",
                 "questions or councils"),
    "unknown": ("Answers that say the council does not know (scored as the worst answer, counted)",
                "questions or councils"),
    "missing": ("Questions left unanswered (in a summary: councils that left it unanswered)",
                "questions or councils"),
    "ranked": ("Whether the council answered questions on enough standards to be ranked (overall rows; "
               "\"Don't know\" counts as an answer)",
               "true/false"),
    "rank": ("Rank in England by shown score; councils shown at the same score share a rank", "rank"),
    "n_ranked": ("How many councils were ranked in England", "councils"),
    "region_rank": ("Rank in the council's region", "rank"),
    "region_n_ranked": ("How many councils were ranked in the region", "councils"),
    "rank_best": ("The best rank in England the council's \"Don't know\" and missing answers allow: its rank "
                  "if each had been the best answer, every other council as it is (overall rows)", "rank"),
    "rank_worst": ("The worst rank they allow: the rank the council has, as each already counts as the worst "
                   "answer (overall rows)", "rank"),
    "provenance": ("Where the round's answers came from", ""),
    "data_note": ("Says so when the row is synthetic demonstration data; empty for real responses", ""),
    "question_id": ("The question's identifier (see the questions data)", ""),
    "topic": ("What the question asks about, in a few words", ""),
    "answer": ("The answer given (code)", ""),
    "answer_label": ("The answer in words", ""),
    "outcome": ("What the answer means for counting councils with the support", ""),
    "answer_score": ("The answer's score", "0 to 1"),
    "providers": ("Who provides the support, separated by ;", ""),
    "scope": ("The comparison group of a summary row", ""),
    "scope_code": ("The group's code: E92000001 for England, a region's ONS code, or a council type", ""),
    "scope_name": ("The group's name", ""),
    "scored": ("Whether the question counts towards a standard's score", "true/false"),
    "respondents": ("Councils that responded to the round (in the scope)", "councils"),
    "share_available": ("Share of responding councils whose answer means they have the support",
                        "fraction 0 to 1"),
    "share_in_development": ("Share whose answer means the support is partly there or in development",
                             "fraction 0 to 1"),
    "share_not_available": ("Share whose answer means they lack the support", "fraction 0 to 1"),
    "share_dont_know": ("Share who answered that they do not know", "fraction 0 to 1"),
    "mean_score": ("Mean answer score of the councils that answered", "0 to 1"),
    "councils_in_scope": ("Councils in the scope, responding or not", "councils"),
    "coverage": ("Share of the scope's councils that responded", "fraction 0 to 1"),
    "label": ("The round's name", ""),
    "is_demo": ("Whether the round is synthetic demonstration data", "true/false"),
    "published_detail": ("Whether councils' own answers in the round may be published", "true/false"),
    "councils": ("Councils in the round's council set", "councils"),
    "valid_from": ("First day the council code was in use (empty: before the records start)", "date"),
    "valid_to": ("First day the code was no longer in use (empty: still in use)", "date"),
    "statement": ("The standard as the advice note states it", ""),
    "looks_like": ("What meeting the standard looks like", ""),
    "weight": ("Weight in the mean it belongs to (the overall score, or its standard)", "weight"),
    "source": ("Where the standard comes from", ""),
    "audience": ("Whose support the question is about", ""),
    "wording": ("The question as asked", ""),
    "answer_set": ("The set of answers the question offers", ""),
    "answer_values": ("The answer codes it offers, separated by ;", ""),
    "asked_from": ("First survey round that asked the question", "year"),
    "report_ref": ("Where the question comes from in the 2015 report, or that it is new", ""),
    "example_id": ("The example's identifier", ""),
    "title": ("The example's title", ""),
    "organisation": ("Who runs it", ""),
    "summary": ("What the example does", ""),
    "source_document": ("Which document it comes from", ""),
    "source_ref": ("Where in that document", ""),
    "url": ("A link to read more, where there is one", "web address"),
    # Columns only in the pages' own "download what I see" files (the scorecard's, the regional
    # league's); every other column of those files is one of the API's above.
    "england_median": ("Median score on the standard of England's councils with evidence, as shown",
                       "points out of 100"),
    "region_median": ("Median score on the standard of the region's councils with evidence, as shown",
                      "points out of 100"),
    "type_median": ("Median score on the standard of councils of the same type with evidence, as shown",
                    "points out of 100"),
    "difference_from_england": ("The council's shown score minus the shown England median", "points"),
    "providers_label": ("Who provides the support, in words", ""),
    "england_share_available": ("Share of England's responding councils whose answer means they have "
                                "the support", "fraction 0 to 1"),
    "questions_behind_gap": ("The questions where the council falls short on the standard, with its answers", ""),
    "actions": ("Suggested actions for the standard, separated by |", ""),
    "league_position": ("The region's place in the league, by median overall score", "position"),
    "median_score": ("Median overall score of the region's ranked councils, as shown", "points out of 100"),
    "median_score_unrounded": ("The exact median behind median_score", "points out of 100"),
    "q1_score": ("Lower quartile of those overall scores, as shown", "points out of 100"),
    "q3_score": ("Upper quartile of those overall scores, as shown", "points out of 100"),
    "standards_met_by_most": ("Standards that more than half of the region's responding councils with "
                              "evidence meet, separated by ;", "numbers"),
}


def _joined(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def council_set_label(council_set: str) -> str:
    """Words for a council-set value ('2015-04-01'), for the page and the dictionary."""
    try:
        return f"the councils of {geography.describe_day(date.fromisoformat(str(council_set)))}"
    except ValueError:
        return str(council_set)


def allowed_values(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The allowed values of the columns that have a fixed set, read from the published database:
    the answer options, bands, outcomes and providers come from standards/scoring.toml, the rest
    from the reference data and the scoring views."""
    answers = con.execute(
        "SELECT answer_set, string_agg(value || ' (' || label || ')', ', ' ORDER BY position) "
        "FROM answer_options GROUP BY answer_set ORDER BY answer_set").fetchall()
    labels = con.execute(
        "SELECT string_agg(DISTINCT label, ', ' ORDER BY label) FROM answer_options").fetchone()
    bands = con.execute(
        "SELECT string_agg(key || ' (from ' || CAST(min_score AS VARCHAR) || ')', ', ' "
        "ORDER BY min_score DESC) FROM bands").fetchone()
    sets = first_column(con, "SELECT DISTINCT strftime(council_set_on, '%Y-%m-%d') FROM survey_rounds ORDER BY 1")
    years = round_years(con)
    return {
        "round_year": _joined(sorted(years)),
        "asked_from": f"a year from {min(years)}" if years else "",
        "council_set": "; ".join(f"{s}: {council_set_label(s)}" for s in sets),
        "council_type": _joined(first_column(con, "SELECT DISTINCT type FROM authorities ORDER BY 1")),
        "region_code": _joined(first_column(con, "SELECT DISTINCT region_code FROM authorities ORDER BY 1")),
        "level": "overall, standard",
        "standard": _joined(first_column(con, "SELECT number FROM standards ORDER BY 1")),
        "band": bands[0] if bands else "",
        "band_label": _joined(first_column(con, "SELECT label FROM bands ORDER BY position")),
        "score": "0 to 100", "score_unrounded": "0 to 100",
        "answer": "; ".join(f"{s}: {v}" for s, v in answers),
        "answer_label": labels[0] if labels else "",
        "answer_set": _joined(first_column(con, "SELECT DISTINCT answer_set FROM answer_options ORDER BY 1")),
        "outcome": _joined(first_column(con, "SELECT key || ' (' || label || ')' FROM outcomes ORDER BY key")),
        "providers": _joined(first_column(con, "SELECT key || ' (' || label || ')' FROM providers ORDER BY key")),
        "audience": _joined(first_column(con, "SELECT DISTINCT audience FROM questions ORDER BY 1")),
        "scope": "england, region, type",
        "source_document": _joined(first_column(con, "SELECT DISTINCT source_document FROM case_studies ORDER BY 1")),
        "data_note": f"{DEMO_NOTE}, or empty",
        "answer_score": "0 to 1", "mean_score": "0 to 1",
    }


def columns(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a dataset, from DESCRIBE of its query."""
    return [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {DATASETS[dataset].sql}").fetchall()]


def dictionary(con: duckdb.DuckDBPyConnection, datasets: list[str] | None = None) -> pd.DataFrame:
    """Every column of every dataset (or of `datasets`): meaning, type, unit, allowed values.
    A column with no meaning written in MEANINGS shows an empty meaning (a test forbids it)."""
    allowed = allowed_values(con)
    rows: list[dict[str, str]] = []
    for name in datasets or list(DATASETS):
        for column, kind in columns(con, name):
            meaning, unit = MEANINGS.get(column, ("", ""))
            rows.append({"dataset": name, "column": column, "meaning": meaning, "type": kind,
                         "unit": unit, "allowed_values": allowed.get(column, "")})
    return pd.DataFrame(rows, columns=["dataset", "column", "meaning", "type", "unit", "allowed_values"])


def page_only_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The columns that only the pages' own downloads have (a chart's medians, the league's
    quartiles), with meaning and unit: MEANINGS entries that no open dataset uses."""
    used = {column for name in DATASETS for column, _ in columns(con, name)}
    rows = [{"column": c, "meaning": m, "unit": u} for c, (m, u) in MEANINGS.items() if c not in used]
    return pd.DataFrame(rows, columns=["column", "meaning", "unit"])
