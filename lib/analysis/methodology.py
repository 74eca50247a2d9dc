"""What the Methodology page explains, read from the database so it never drifts from the rules
in force: the standards, the question bank, the scoring rules loaded from standards/*.toml,
where each round's data came from, and how far the numbers can be trusted.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from lib.analysis.national import REPORT_COUNCIL_TOTAL
from lib.base.rounding import shown
from lib.demo import model as demo_model
from lib.reference import geography
from lib.scoring.config import AUDIENCE_LABELS

#: Full citations of the two source documents (the seeds the project is built from).
SOURCES = (
    "Skills for Care, in partnership with Learn to Care and the ADASS Workforce Development "
    "Network. *Support for individual employers and personal assistants* - the fourth annual "
    "survey of English councils (2015 survey; commissioned by the Department of Health; "
    "published by Skills for Care, Leeds). Cited here as \"Report 2015\" with its figure, "
    "chapter or page.",
    "Skills for Care, with Learn to Care and the Association of Directors of Adult Social "
    "Services. *Minimum standards of support for individual employers and personal "
    "assistants* - advice note for local authorities, drawing on the 2013 survey (64 councils "
    "responded). Cited here as \"Advice note\" with its standard number.",
)

#: Context for the council count: the report's base leaves out the Isles of Scilly (one number,
#: kept in lib.analysis.national).
REPORT_BASE = REPORT_COUNCIL_TOTAL


def standards(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The nine standards: short name, statement, what meeting it looks like, source, weight."""
    return con.execute(
        "SELECT number, short_name, statement, looks_like, source, weight FROM standards ORDER BY number"
    ).df()


def questions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every question with its standard, audience, answers offered, weight and origin, in order.

    `answers` lists the option labels of the question's answer set (never the raw keys);
    `origin` cites the report, or says a question marked "new" was not asked in 2015.
    """
    df = con.execute(
        """
        SELECT q.id, q.standard, s.short_name, q.audience, q.topic, q.wording, q.scored, q.weight,
               q.report_ref, q.asked_from, q.answer_set,
               (SELECT string_agg(o.label, ' / ' ORDER BY o.position) FROM answer_options o
                WHERE o.answer_set = q.answer_set) AS answers
        FROM questions q LEFT JOIN standards s ON s.number = q.standard
        ORDER BY q.standard NULLS LAST, q.position
        """
    ).df()
    df["audience_label"] = df["audience"].map(lambda a: AUDIENCE_LABELS.get(a, str(a).capitalize()))
    df["role"] = df["scored"].map({True: "Scored", False: "Context only"})
    df["origin"] = [("New: not asked in the 2015 survey" if ref == "new" else f"Report 2015, {ref}")
                    for ref in df["report_ref"]]
    return df


def scored_answer_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The answer options that carry a credit (the scored ones): the credit each answer earns,
    whether it counts as unknown, whether the council also names who provides the support, its
    outcome and that outcome's label, and how many scored questions use its answer set."""
    return con.execute(
        """
        SELECT o.answer_set, o.value, o.label, o.score, o.is_unknown, o.allows_providers, o.position,
               o.outcome, oc.label AS outcome_label,
               (SELECT count(*) FROM questions q WHERE q.answer_set = o.answer_set AND q.scored) AS scored_questions
        FROM answer_options o
        LEFT JOIN outcomes oc ON oc.key = o.outcome
        WHERE o.score IS NOT NULL
        ORDER BY o.answer_set, o.position
        """
    ).df()


#: Credits said in words; any other credit is given as a number from 0 to 1.
CREDIT_WORDS = {1.0: "full credit", 0.75: "three quarters", 0.5: "half", 0.25: "a quarter", 0.0: "none"}


def _either(labels: list[str]) -> str:
    """'A', 'A or B', 'A, B or C'."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" or {labels[-1]}"


def credit_summary(con: duckdb.DuckDBPyConnection, share: float = 0.1) -> str:
    """The credit the common answers earn, in words, e.g. 'Available or Yes = full credit,
    In development = half, Not available, No or Don't know = none'.

    Read from answer_options (standards/scoring.toml), so a changed credit changes the words.
    Covers the answer sets behind at least `share` of the scored questions (the Methodology
    page lists every set); each answer is named once, highest credit first, "don't know" last.
    """
    options = scored_answer_options(con)
    sets = options.drop_duplicates("answer_set")
    common = set(sets.loc[sets["scored_questions"] >= share * sets["scored_questions"].sum(), "answer_set"])
    shown = options[options["answer_set"].isin(common)].sort_values(
        ["score", "is_unknown", "scored_questions", "position"], ascending=[False, True, False, True])
    parts = []
    for score, group in shown.groupby("score", sort=False):
        words = CREDIT_WORDS.get(float(score), f"{float(score):g}")
        parts.append(f"{_either(list(dict.fromkeys(group['label'])))} = {words}")
    return ", ".join(parts)


def bands(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Bands from highest to lowest, each with its minimum and the next band's minimum above it."""
    return con.execute(
        """
        SELECT key, label, min_score, description, position,
               lag(min_score) OVER (ORDER BY min_score DESC) AS below
        FROM bands ORDER BY min_score DESC
        """
    ).df()


def band_range_text(min_score: float, below: float | None) -> str:
    """The shown (whole-number) scores in a band: '75 to 100', '40 to 74'. Bands follow the
    shown score, so a band whose next one starts at 75 ends at 74 (74.5 is shown as 75)."""
    low = f"{min_score:g}"
    if below is None or pd.isna(below):
        return f"{low} to 100"
    return f"{low} to {math.ceil(float(below)) - 1:g}"


def rounding_examples() -> list[tuple[float, int]]:
    """(exact score, shown score) pairs that show the half-up rule, worked by lib.base.rounding."""
    return [(v, int(shown(v) or 0)) for v in (12.5, 37.5, 62.5, 74.5, 74.49)]


def settings(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    return dict(con.execute("SELECT key, value FROM scoring_settings").fetchall())


def rank_rule(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per round: the standards its questionnaire asks about and how many a council needs to be ranked."""
    return con.execute(
        """
        SELECT rr.round_year, rr.standards_asked, rr.min_standards,
               (SELECT list(DISTINCT q.standard ORDER BY q.standard) FROM round_questions q
                WHERE q.round_year = rr.round_year) AS standards
        FROM round_rank_rule rr ORDER BY rr.round_year
        """
    ).df()


def rounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every round's provenance with its respondents and coverage of the council set, and the
    council set in words (`council_set`: 'Councils of 1 April 2015')."""
    df = con.execute(
        """
        SELECT r.year, r.label, r.is_demo, r.council_set_on, r.provenance, r.loaded_at,
               c.respondents, c.councils, c.coverage
        FROM survey_rounds r
        LEFT JOIN scope_coverage c ON c.round_year = r.year AND c.scope = 'england'
        ORDER BY r.year
        """
    ).df()
    df["council_set"] = [f"Councils of {geography.describe_day(pd.Timestamp(d).date())}" for d in df["council_set_on"]]
    return df


def answer_quality(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per round: scored answers expected, "don't know" and missing answers, and standards with
    no evidence - the numbers behind the limitations."""
    return con.execute(
        """
        WITH o AS (
            SELECT round_year, count(*) AS respondents, sum(scored_questions) AS expected,
                   sum(unknown_answers) AS dont_know, sum(missing_answers) AS missing
            FROM overall_scores GROUP BY round_year
        ), s AS (
            -- Only standards the round asked about: the others have no evidence by design.
            SELECT round_year, count(*) FILTER (WHERE NOT evidence) AS no_evidence,
                   count(*) AS standard_cells
            FROM standard_scores WHERE questions > 0 GROUP BY round_year
        )
        SELECT o.round_year, o.respondents, o.expected, o.dont_know, o.missing,
               s.no_evidence, s.standard_cells
        FROM o JOIN s USING (round_year) ORDER BY o.round_year
        """
    ).df()


def reorganisations(con: duckdb.DuckDBPyConnection, since: str | None = None) -> pd.DataFrame:
    """Council changes (merges, splits, recodes) after `since`, oldest first; by default after
    the earliest round's council-set day (all of them when there is no round)."""
    if since is None:
        first = con.execute("SELECT min(council_set_on) FROM survey_rounds").fetchone()
        since = first[0].isoformat() if first and first[0] else "1900-01-01"
    return con.execute(
        """
        SELECT effective_date, kind, predecessor_code, predecessor_name, successor_code,
               successor_name, note
        FROM authority_lineage WHERE effective_date > CAST(? AS DATE)
        ORDER BY effective_date, successor_name, predecessor_name
        """,
        [since],
    ).df()


KIND_LABELS = {"merge": "Merged", "split": "Split", "recode": "New code, same area"}


def reorganisation_table(lineage: pd.DataFrame) -> pd.DataFrame:
    """reorganisations() for reading: names with their codes, the kind in words."""
    return pd.DataFrame({
        "Date": pd.to_datetime(lineage["effective_date"]).dt.strftime("%-d %B %Y"),
        "Change": lineage["kind"].map(KIND_LABELS),
        "Council before": [f"{n} ({c})" for n, c in zip(lineage["predecessor_name"], lineage["predecessor_code"], strict=True)],
        "Council after": [f"{n} ({c})" for n, c in zip(lineage["successor_name"], lineage["successor_code"], strict=True)],
        "What happened": lineage["note"].fillna(""),
    })


def reorganisation_years(lineage: pd.DataFrame) -> str:
    """'2019 (Bournemouth, Christchurch and Poole; Dorset), 2020 (Buckinghamshire), ...'."""
    if lineage.empty:
        return ""
    years = pd.to_datetime(lineage["effective_date"]).dt.year
    parts = []
    for year, group in lineage.groupby(years, sort=True):
        names = sorted(dict.fromkeys(group["successor_name"]))
        parts.append(f"{year} ({'; '.join(names)})")
    return ", ".join(parts)


def new_question_count(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(scored questions marked new, all scored questions)."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE report_ref = 'new'), count(*) FROM questions WHERE scored"
    ).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return int(row[0]), int(row[1])


def demo_assumptions() -> tuple[str, ...]:
    """The patterns of the synthetic demonstration rounds that are the generator's own choices."""
    return demo_model.ASSUMPTIONS


def demo_effects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stated regional and council-type parts of the demo's council readiness, with the
    2015 average overall score they lead to (read from the scoring views)."""
    regions = con.execute(
        "SELECT DISTINCT region_code, region_name FROM round_councils ORDER BY region_name").df()
    effects = demo_model.region_effects(list(regions["region_code"]))
    rows = [("Region", r.region_name, effects[r.region_code], r.region_code) for r in regions.itertuples()]
    rows += [("Council type", t, e, t) for t, e in demo_model.TYPE_EFFECTS.items() if t != "other"]
    out = pd.DataFrame(rows, columns=["kind", "group", "effect", "key"])
    means = con.execute(
        """
        SELECT 'Region' AS kind, region_code AS key, avg(score) AS mean_score FROM overall_scores
        WHERE round_year = (SELECT max(year) FROM survey_rounds WHERE is_demo) GROUP BY ALL
        UNION ALL
        SELECT 'Council type', type, avg(score) FROM overall_scores
        WHERE round_year = (SELECT max(year) FROM survey_rounds WHERE is_demo) GROUP BY ALL
        """).df()
    return out.merge(means, on=["kind", "key"], how="left").drop(columns="key")
