"""One council's scorecard: what a director of adult social services needs about their council.

Every number comes from the scoring views in lib.scoring.views (standard_scores, overall_scores,
standard_summary, question_summary, round_rank_rule ...); this module only selects one
council's rows, joins the labels people read (bands, answer options, providers) and shapes
them for the page, the downloads and the briefing. Nothing here re-computes a score.

The council across rounds (its trend, like-for-like change) is lib.analysis.scorecard_trend;
the files people download are built from these queries in lib.reports.scorecard_files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from lib.analysis.comparison import (
    COMPARE_HIGHER,
    COMPARE_LOWER,
    COMPARE_SIMILAR,
    COMPARE_UNSURE,
    compare_with,
)
from lib.analysis.headline import Headline, headline  # noqa: F401 - part of this module's interface
from lib.base.formatting import (
    DASH,
    NOT_ASKED,
    council_type_text,
    format_percent,
    format_points,
    format_score,
    is_missing,
    score_with_range,
)
from lib.base.rounding import shown_change
from lib.reference import geography
from lib.scoring import views as scoring

NOT_ANSWERED = "Not answered"
PROVIDERS_NOT_STATED = "Not stated"

SOURCE_DOCUMENTS = {
    "advice_note": "Skills for Care, Minimum standards of support for individual employers and PAs (advice note)",
    "report_2015": "Skills for Care, Support for individual employers and PAs, 2015 survey report",
}
SOURCE_SHORT = {"advice_note": "Advice note", "report_2015": "2015 report"}

#: Reasons a standard is on the gap list.
GAP_BELOW = "below"
GAP_NO_EVIDENCE = "no_evidence"
GAP_NOT_ASKED = "not_asked"


# --------------------------------------------------------------------------------------------
# Who the council is, and whether it answered
# --------------------------------------------------------------------------------------------

def council(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict[str, Any] | None:
    """The council as it stood in the round's council set (names, region, type, responded)."""
    row = con.execute(
        "SELECT authority_code, display_name, name, region_code, region_name, type, responded "
        "FROM round_councils WHERE round_year = ? AND authority_code = ?",
        [year, code],
    ).df()
    return None if row.empty else row.iloc[0].to_dict()


def response_rounds(con: duckdb.DuckDBPyConnection, code: str) -> list[int]:
    """Every round in the database in which the council (or the council covering its area then)
    responded, oldest first."""
    return response_rounds_for(con, [code])[code]


def response_rounds_for(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, list[int]]:
    """response_rounds for several councils, with one read of the answers, councils and lineage."""
    answered = {(int(y), str(c)) for y, c in con.execute(
        "SELECT DISTINCT round_year, authority_code FROM respondents").fetchall()}
    return {code: [year for year, covering in by_round.items()
                   if any((year, c) in answered for c in (covering or [code]))]
            for code, by_round in geography.counterparts_by_round_for(con, list(codes)).items()}


def nearest_of(rounds: list[int], year: int) -> int | None:
    """The round of `rounds` closest to `year`, other than `year` (the later one on a tie)."""
    others = [r for r in rounds if r != year]
    return min(others, key=lambda r: (abs(r - year), -r)) if others else None


def nearest_response_round(con: duckdb.DuckDBPyConnection, code: str, year: int) -> int | None:
    """The round closest to `year` in which the council responded (the later one on a tie)."""
    return nearest_of(response_rounds(con, code), year)


@dataclass(frozen=True)
class ScorecardLink:
    """Where a link to a council's scorecard should go so that it never lands on an empty page:
    the round asked for when the council answered it, else the nearest round it answered (with a
    note saying so), else no scorecard at all (round None; the note offers what is open)."""

    code: str
    round: int | None
    note: str


def scorecard_link(con: duckdb.DuckDBPyConnection, code: str, year: int) -> ScorecardLink:
    """The scorecard a link to council `code` from a page showing round `year` should open."""
    return scorecard_links(con, (code,), year)[code]


def scorecard_links(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...] | list[str],
                    year: int) -> dict[str, ScorecardLink]:
    """scorecard_link for every council of `codes` (a page's examples), in one pass."""
    codes = list(dict.fromkeys(codes))
    names = dict(con.execute("SELECT code, display_name FROM authorities WHERE list_contains(?, code)",
                             [codes]).fetchall())
    out = {}
    for code, rounds in response_rounds_for(con, codes).items():
        name = str(names.get(code, code))
        nearest = nearest_of(rounds, year)
        if year in rounds:
            out[code] = ScorecardLink(code, year, "")
        elif nearest is None:
            out[code] = ScorecardLink(code, None, f"{name} has not answered any survey round held here, so it "
                                                  "has no scorecard; its self-assessment and peer comparison are open.")
        else:
            out[code] = ScorecardLink(code, nearest, f"{name} did not answer the {year} survey: the link opens its "
                                                     f"{nearest} scorecard, the nearest round it answered.")
    return out


# --------------------------------------------------------------------------------------------
# Standard by standard, against England, the region and councils of the same type
# --------------------------------------------------------------------------------------------

def standard_profile(con: duckdb.DuckDBPyConnection, code: str, year: int) -> pd.DataFrame:
    """Nine rows, one per standard: the council's score and band, and the England, region and
    same-type medians from standard_summary.

    `asked` says whether the round's questionnaire asked about the standard at all; `score_text`
    and `band_text` are never blank ("No evidence" / "Not asked this round").
    """
    df = con.execute(
        """
        WITH me AS (SELECT region_code, type FROM round_councils WHERE round_year = ? AND authority_code = ?),
        asked AS (SELECT standard, count(*) AS asked_questions FROM round_questions
                  WHERE round_year = ? GROUP BY standard),
        summary AS (SELECT * FROM standard_summary WHERE round_year = ?)
        SELECT st.number AS standard, st.short_name,
               s.score, s.score_unrounded, s.band, b.label AS band_label, s.score_low, s.score_high,
               coalesce(s.evidence, FALSE) AS evidence,
               coalesce(a.asked_questions, 0) > 0 AS asked,
               s.questions, s.answered, s.unknown, s.missing,
               e.median_score AS england_median, r.median_score AS region_median,
               t.median_score AS type_median,
               e.scored AS england_n, r.scored AS region_n, t.scored AS type_n
        FROM standards st
        LEFT JOIN standard_scores s
               ON s.round_year = ? AND s.authority_code = ? AND s.standard = st.number
        LEFT JOIN bands b ON b.key = s.band
        LEFT JOIN asked a ON a.standard = st.number
        LEFT JOIN summary e ON e.scope = 'england' AND e.standard = st.number
        LEFT JOIN summary r ON r.scope = 'region' AND r.scope_code = (SELECT region_code FROM me)
                           AND r.standard = st.number
        LEFT JOIN summary t ON t.scope = 'type' AND t.scope_code = (SELECT type FROM me)
                           AND t.standard = st.number
        ORDER BY st.number
        """,
        [year, code, year, year, year, code],
    ).df()
    df["standard_label"] = [f"{n}. {name}" for n, name in zip(df["standard"], df["short_name"], strict=True)]
    # The difference of the two numbers shown (the council's score and the shown median), so the
    # three always add up on screen.
    df["diff_england"] = pd.array([shown_change(v, m) for v, m in zip(df["score"], df["england_median"], strict=True)],
                                  dtype="Float64")
    df["score_text"] = [score_with_range(s, lo, hi) if a else NOT_ASKED
                        for s, lo, hi, a in zip(df["score"], df["score_low"], df["score_high"], df["asked"], strict=True)]
    df["band_text"] = [str(lab) if a and not is_missing(lab) else NOT_ASKED
                       for lab, a in zip(df["band_label"], df["asked"], strict=True)]
    for col in ("england_median", "region_median", "type_median"):
        df[f"{col}_text"] = [format_score(v) for v in df[col]]
    df["diff_england_text"] = [format_points(v) for v in df["diff_england"]]
    return df


def profile_summary(profile: pd.DataFrame) -> str:
    """One sentence saying where the council sits against the England median on each standard:
    above or below it only where the whole range its unknown answers allow is."""
    scored = profile[profile["asked"] & profile["england_median"].notna()]
    verdict = [compare_with(lo, hi, m) for lo, hi, m in
               zip(scored["score_low"], scored["score_high"], scored["england_median"], strict=True)]

    def which(word: str) -> list[int]:
        return [int(n) for n, v in zip(scored["standard"], verdict, strict=True) if v == word]

    no_evidence = profile.loc[~profile["evidence"] & profile["asked"], "standard"].tolist()
    not_asked = profile.loc[~profile["asked"], "standard"].tolist()

    def listed(numbers: list[int]) -> str:
        names = [str(int(n)) for n in numbers]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    parts = []
    for numbers, words in ((which(COMPARE_HIGHER), "above the England median on"),
                           (which(COMPARE_SIMILAR), "level with it on"),
                           (which(COMPARE_LOWER), "below it on")):
        if numbers:
            parts.append(f"{words} {len(numbers)} standard{'s' if len(numbers) != 1 else ''} ({listed(numbers)})")
    unsure = which(COMPARE_UNSURE)
    text = (("The council is " + "; ".join(parts) + ".") if parts
            else ("" if unsure else "The council has no scored standards."))
    if unsure:
        text += (f" On standard{'s' if len(unsure) != 1 else ''} {listed(unsure)} it cannot be told: its "
                 "\"Don't know\" or unanswered questions could put it on either side of the median.")
    if no_evidence:
        text += (f" Every answer on standard{'s' if len(no_evidence) != 1 else ''} {listed(no_evidence)} was "
                 "\"Don't know\" or blank, which scores 0.")
    if not_asked:
        text += f" The round did not ask about standard{'s' if len(not_asked) != 1 else ''} {listed(not_asked)}."
    return text.strip()


def profile_table(profile: pd.DataFrame, region_name: str, council_type: str) -> pd.DataFrame:
    """The chart's table equivalent: every cell text, named for people, never NaN."""
    return pd.DataFrame({
        "Standard": profile["standard_label"],
        "Council score": profile["score_text"],
        "Band": profile["band_text"],
        "England median": profile["england_median_text"],
        f"{region_name} median": profile["region_median_text"],
        f"{council_type_text(council_type, 'group')} median": profile["type_median_text"],
        "Difference from England (points)": profile["diff_england_text"],
    })


# --------------------------------------------------------------------------------------------
# Question by question: the drill-down behind every standard score
# --------------------------------------------------------------------------------------------

def question_answers(con: duckdb.DuckDBPyConnection, code: str, year: int) -> pd.DataFrame:
    """Every question asked in the round with the council's answer, who provides it, its weight
    and the share of responding councils in England giving the top answer.

    Scored questions come first, by standard, then the context questions. `gap` marks a scored
    question whose answer earns less than full credit (including "Don't know" and not answered).
    """
    df = con.execute(
        """
        SELECT q.id AS question_id, q.standard, st.short_name, q.scored, q.topic, q.wording,
               q.audience, q.weight, q.position,
               r.answer, o.label AS answer_label, o.score, coalesce(o.is_unknown, FALSE) AS is_unknown,
               coalesce(o.allows_providers, FALSE) AS allows_providers,
               (SELECT string_agg(p.label, '; ' ORDER BY p.label) FROM providers p
                 WHERE list_contains(r.providers, p.key)) AS providers_text,
               array_to_string(list_sort(r.providers), ';') AS providers,
               qs.share_available AS england_share_top,
               q.scored AND coalesce(o.outcome, '') <> 'has' AS gap,
               coalesce(o.outcome = 'has', FALSE) AS has_it
        FROM questions q
        LEFT JOIN standards st ON st.number = q.standard
        LEFT JOIN responses r ON r.round_year = ? AND r.authority_code = ? AND r.question_id = q.id
        LEFT JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer
        LEFT JOIN question_summary qs
               ON qs.round_year = ? AND qs.scope = 'england' AND qs.question_id = q.id
        WHERE q.asked_from <= ?
        ORDER BY (NOT q.scored), q.standard NULLS LAST, q.position
        """,
        [year, code, year, year],
    ).df()
    df["answer_text"] = [NOT_ANSWERED if is_missing(lab) else str(lab) for lab in df["answer_label"]]
    df["providers_shown"] = [
        (str(p) if not is_missing(p) else (PROVIDERS_NOT_STATED if allows else DASH))
        for p, allows in zip(df["providers_text"], df["allows_providers"], strict=True)
    ]
    df["standard_label"] = [
        f"{int(n)}. {name}" if not is_missing(n) else "Context (not scored)"
        for n, name in zip(df["standard"], df["short_name"], strict=True)
    ]
    df["england_share_text"] = [format_percent(v) for v in df["england_share_top"]]
    df["compared"] = [
        _stand_out(bool(has), share, scored)
        for has, share, scored in zip(df["has_it"], df["england_share_top"], df["scored"], strict=True)
    ]
    return df


def _stand_out(has_it: bool, share: Any, scored: bool) -> str:
    """Where the council stands out: it lacks what most have, or has what most lack. Both sides
    are judged by the answer's outcome (scoring.toml), as the England share is."""
    if not scored or is_missing(share):
        return ""
    if has_it and float(share) < 0.5:
        return "Ahead: fewer than half of councils have this"
    if not has_it and float(share) >= 0.5:
        return "Behind: most councils have this"
    return ""


def questions_table(questions: pd.DataFrame, with_standard: bool = True) -> pd.DataFrame:
    """The question table as shown: text cells, named for people ("Standard 2", never a code)."""
    table = pd.DataFrame({
        "Standard": [f"Standard {int(n)}" if not is_missing(n) else "Context" for n in questions["standard"]],
        "Question": questions["topic"],
        "Council's answer": questions["answer_text"],
        "Who provides it": questions["providers_shown"],
        "Weight": [f"{w:g}" if s else "Not scored" for w, s in zip(questions["weight"], questions["scored"], strict=True)],
        "England: top answer": questions["england_share_text"],
        "Stands out": questions["compared"],
    })
    return table if with_standard else table.drop(columns=["Standard"])


# --------------------------------------------------------------------------------------------
# Gaps, with actions, recommendations and good practice
# --------------------------------------------------------------------------------------------

def gaps(con: duckdb.DuckDBPyConnection, code: str, year: int) -> pd.DataFrame:
    """Every standard the council does not meet: below the top band, or with no evidence.

    Weakest first: standards it was asked about but gave no evidence on, then by score, lowest
    first, then standards the round's questionnaire did not ask about. Each row carries the
    standard's actions (standards.actions).
    """
    return gaps_from_profile(con, standard_profile(con, code, year), year)


def gaps_from_profile(con: duckdb.DuckDBPyConnection, profile: pd.DataFrame, year: int) -> pd.DataFrame:
    """`gaps` for a standard_profile() already in hand (so a caller computes it once)."""
    top, _, _ = scoring.top_band(con)
    actions = dict(con.execute("SELECT number, actions FROM standards").fetchall())
    rows = profile[(profile["band"] != top) | ~profile["evidence"]].copy()
    rows["reason"] = [
        GAP_BELOW if e else (GAP_NO_EVIDENCE if a else GAP_NOT_ASKED)
        for e, a in zip(rows["evidence"], rows["asked"], strict=True)
    ]
    order = {GAP_NO_EVIDENCE: 0, GAP_BELOW: 1, GAP_NOT_ASKED: 2}
    rows["_order"] = rows["reason"].map(order)
    rows["_score"] = rows["score"].astype("float64").fillna(-1.0)
    rows = rows.sort_values(["_order", "_score", "standard"]).drop(columns=["_order", "_score"])
    rows["actions"] = [list(actions.get(int(n)) or []) for n in rows["standard"]]
    rows = rows.reset_index(drop=True)
    rows["reason_text"] = [gap_reason_text(r, year) for _, r in rows.iterrows()]
    return rows


def gap_reason_text(row: pd.Series, year: int) -> str:
    """Why a standard is on the gap list, in a sentence."""
    if row["reason"] == GAP_NOT_ASKED:
        return f"The {year} questionnaire did not ask about this standard, so there is no evidence either way."
    if row["reason"] == GAP_NO_EVIDENCE:
        return ("Every answer for this standard was \"Don't know\" or blank, so it scores "
                f"{format_score(row['score'])}: an unknown answer counts as the worst one. Known answers could "
                f"put it anywhere from {format_score(row['score_low'])} to {format_score(row['score_high'])}.")
    text = f"Score {score_with_range(row['score'], row['score_low'], row['score_high'])} out of 100 ({row['band_text']})"
    if not is_missing(row.get("england_median")):
        text += f"; the England median is {format_score(row['england_median'])}"
    return text + "."


def gap_questions(questions: pd.DataFrame, standard: int) -> pd.DataFrame:
    """The questions behind a gap: scored answers in that standard that earn less than full credit."""
    part = questions[(questions["standard"] == standard) & questions["gap"]]
    return part[["question_id", "topic", "wording", "answer_text", "weight", "england_share_text"]]


def recommendations_for(con: duckdb.DuckDBPyConnection, standard: int) -> pd.DataFrame:
    """The 2015 report's recommendations that bear on a standard (number, theme, summary)."""
    return con.execute(
        "SELECT number, theme, summary FROM recommendations WHERE list_contains(standards, ?) ORDER BY number",
        [standard],
    ).df()


def good_practice(con: duckdb.DuckDBPyConnection, standard: int, region_code: str | None,
                  year: int) -> pd.DataFrame:
    """Good-practice examples for a standard, examples from the council's own region first.

    `in_round` says whether the example's council is in the round's council set (so the page
    can link to its scorecard); `citation` names the source document and place.
    """
    df = con.execute(
        """
        SELECT cs.id, cs.title, cs.organisation, cs.authority_code, cs.summary, cs.source_document,
               cs.source_ref, cs.url, cs.kind,
               a.display_name AS council_name, a.region_code, a.region_name,
               coalesce(a.region_code = ?, FALSE) AS same_region,
               rc.authority_code IS NOT NULL AS in_round
        FROM case_studies cs
        LEFT JOIN authorities a ON a.code = cs.authority_code
        LEFT JOIN round_councils rc ON rc.round_year = ? AND rc.authority_code = cs.authority_code
        WHERE list_contains(cs.standards, ?)
        ORDER BY same_region DESC, cs.source_document, cs.title
        """,
        [region_code, year, standard],
    ).df()
    df["citation"] = [citation(d, r) for d, r in zip(df["source_document"], df["source_ref"], strict=True)]
    return df


def citation(source_document: str, source_ref: str) -> str:
    """'Advice note, standard 2' or '2015 report, chapter 6, p. 41'."""
    ref = str(source_ref)
    ref = ref[:1].lower() + ref[1:] if ref else ref
    return f"{SOURCE_SHORT.get(source_document, source_document)}, {ref}"
