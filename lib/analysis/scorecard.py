"""One council's scorecard: what a director of adult social services needs about their council.

Every number comes from the scoring views in lib.scoring.views (standard_scores, overall_scores,
standard_summary, question_summary, round_rank_rule ...); this module only selects one
council's rows, joins the labels people read (bands, answer options, providers) and shapes
them for the page, the downloads and the briefing. Nothing here re-computes a score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from lib.base import exports
from lib.base.formatting import (
    DASH,
    NO_EVIDENCE,
    council_type_text,
    format_percent,
    format_score,
    is_missing,
    rank_text,
)
from lib.base.rounding import shown_change, shown_int
from lib.reference import geography
from lib.scoring import views as scoring

NOT_ANSWERED = "Not answered"
NOT_ASKED = "Not asked this round"
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
# Headline
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Headline:
    """The council's overall result in a round, with the rank rule that applied."""

    overall: dict[str, Any]
    band_label: str
    standards_asked: int
    min_standards: int
    standards_total: int

    @property
    def score_text(self) -> str:
        return format_score(self.overall.get("score"))

    @property
    def rank_text(self) -> str:
        """'12 of 95' among ranked councils in England, or 'Not ranked'."""
        return rank_text(self.overall)

    @property
    def region_rank_text(self) -> str:
        if not self.overall.get("ranked") or is_missing(self.overall.get("region_rank")):
            return "Not ranked"
        return f"{int(self.overall['region_rank'])} of {int(self.overall['region_n_ranked'])}"

    @property
    def evidenced(self) -> int:
        return int(self.overall.get("standards_evidenced") or 0)

    @property
    def unknown_answers(self) -> int:
        return int(self.overall.get("unknown_answers") or 0)

    @property
    def missing_answers(self) -> int:
        return int(self.overall.get("missing_answers") or 0)

    @property
    def ranked(self) -> bool:
        return bool(self.overall.get("ranked"))

    def coverage_note(self, year: int) -> str:
        """Say when the round's questionnaire could only evidence some standards."""
        if self.standards_asked >= self.standards_total:
            return ""
        return (f"The {year} questionnaire covered only {self.standards_asked} of the "
                f"{self.standards_total} standards, so the other {self.standards_total - self.standards_asked} "
                "have no evidence for any council that year.")

    def not_ranked_reason(self, year: int) -> str:
        """Plain-English reason a responding council has no rank (empty when it is ranked)."""
        if self.ranked:
            return ""
        if self.min_standards >= self.standards_asked:
            rule = f"evidence on every one of the {self.standards_asked} standards the {year} questionnaire asked about"
        else:
            rule = f"evidence on at least {self.min_standards} of the {self.standards_asked} standards asked about in {year}"
        return (f"Not ranked: it has evidence on {self.evidenced} standard{'s' if self.evidenced != 1 else ''}, "
                f"and a council needs {rule}. Standards where every answer was \"Don't know\" or missing "
                "have no evidence.")


def headline(con: duckdb.DuckDBPyConnection, code: str, year: int) -> Headline | None:
    """Overall score, band, ranks and completeness; None when the council did not respond."""
    row = con.execute(
        """
        SELECT o.*, coalesce(b.label, ?) AS band_label, rr.standards_asked, rr.min_standards
        FROM overall_scores o
        LEFT JOIN bands b ON b.key = o.band
        JOIN round_rank_rule rr USING (round_year)
        WHERE o.round_year = ? AND o.authority_code = ?
        """,
        [NO_EVIDENCE, year, code],
    ).df()
    if row.empty:
        return None
    overall = row.iloc[0].to_dict()
    return Headline(
        overall=overall, band_label=str(overall["band_label"]),
        standards_asked=int(overall["standards_asked"]), min_standards=int(overall["min_standards"]),
        standards_total=int(overall["standards_total"]),
    )


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
        asked AS (SELECT standard, count(*) AS asked_questions FROM questions
                  WHERE scored AND asked_from <= ? GROUP BY standard),
        summary AS (SELECT * FROM standard_summary WHERE round_year = ?)
        SELECT st.number AS standard, st.short_name,
               s.score, s.score_unrounded, s.band, b.label AS band_label,
               coalesce(s.evidence, FALSE) AS evidence,
               coalesce(a.asked_questions, 0) > 0 AS asked,
               s.questions, s.answered, s.unknown, s.missing,
               e.median_score AS england_median, r.median_score AS region_median,
               t.median_score AS type_median,
               e.evidenced AS england_n, r.evidenced AS region_n, t.evidenced AS type_n
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
    df["score_text"] = [_score_or_reason(s, e, a) for s, e, a in zip(df["score"], df["evidence"], df["asked"], strict=True)]
    df["band_text"] = [
        (str(lab) if e and not is_missing(lab) else (NO_EVIDENCE if a else NOT_ASKED))
        for lab, e, a in zip(df["band_label"], df["evidence"], df["asked"], strict=True)
    ]
    for col in ("england_median", "region_median", "type_median"):
        df[f"{col}_text"] = [format_score(v) for v in df[col]]
    df["diff_england_text"] = [_points(v) for v in df["diff_england"]]
    return df


def _score_or_reason(score: Any, evidence: Any, asked: Any) -> str:
    if bool(evidence) and not is_missing(score):
        return format_score(score)
    return NO_EVIDENCE if bool(asked) else NOT_ASKED


def _points(value: Any) -> str:
    """A difference in whole points: '+12', '-3', '0', or a dash."""
    if is_missing(value):
        return DASH
    rounded = shown_int(value)
    return "0" if rounded == 0 else f"{rounded:+d}"


def profile_summary(profile: pd.DataFrame) -> str:
    """One sentence saying where the council sits against the England median on each standard."""
    scored = profile[profile["evidence"] & profile["england_median"].notna()]
    diff = scored["diff_england"].astype("float64")
    above = scored.loc[diff > 0, "standard"].tolist()
    below = scored.loc[diff < 0, "standard"].tolist()
    level = scored.loc[diff == 0, "standard"].tolist()
    no_evidence = profile.loc[~profile["evidence"] & profile["asked"], "standard"].tolist()
    not_asked = profile.loc[~profile["asked"], "standard"].tolist()

    def listed(numbers: list[int]) -> str:
        names = [str(int(n)) for n in numbers]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    parts = []
    for numbers, words in ((above, "above the England median on"), (level, "level with it on"),
                           (below, "below it on")):
        if numbers:
            parts.append(f"{words} {len(numbers)} standard{'s' if len(numbers) != 1 else ''} ({listed(numbers)})")
    text = ("The council is " + "; ".join(parts) + ".") if parts else "The council has no scored standards."
    if no_evidence:
        text += f" No evidence on standard{'s' if len(no_evidence) != 1 else ''} {listed(no_evidence)}."
    if not_asked:
        text += f" The round did not ask about standard{'s' if len(not_asked) != 1 else ''} {listed(not_asked)}."
    return text


def round_standards(con: duckdb.DuckDBPyConnection) -> dict[int, list[int]]:
    """Which standards each round's questionnaire asked about (year -> standard numbers)."""
    rows = con.execute(
        """
        SELECT r.year, list(DISTINCT q.standard ORDER BY q.standard)
        FROM survey_rounds r JOIN questions q ON q.scored AND q.asked_from <= r.year
        GROUP BY r.year ORDER BY r.year
        """
    ).fetchall()
    return {int(y): [int(n) for n in ns] for y, ns in rows}


def coverage_sentence(coverage: dict[int, list[int]], total: int) -> str:
    """'2012-2014: 4 standards (1, 2, 5 and 7); 2015: all 9 standards', from the question bank."""
    groups: list[tuple[list[int], list[int]]] = []
    for year, numbers in sorted(coverage.items()):
        if groups and groups[-1][1] == numbers and groups[-1][0][-1] == year - 1:
            groups[-1][0].append(year)
        else:
            groups.append(([year], numbers))
    bits = []
    for years, numbers in groups:
        span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        if len(numbers) >= total:
            bits.append(f"{span}: all {total} standards")
        else:
            listed = ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])
            bits.append(f"{span}: {len(numbers)} standard{'s' if len(numbers) != 1 else ''} ({listed})")
    return "; ".join(bits)


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
        return "No evidence: every answer for this standard was \"Don't know\" or missing."
    text = f"Score {format_score(row['score'])} out of 100 ({row['band_text']})"
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


# --------------------------------------------------------------------------------------------
# Trend across rounds
# --------------------------------------------------------------------------------------------

def _trend_pairs(con: duckdb.DuckDBPyConnection, code: str) -> pd.DataFrame:
    """(round, council in that round's set, lineage note) for every round in the database."""
    rows = []
    authorities = geography.load_authorities(con)
    lineage = geography.Lineage(con, authorities)  # read once for every round
    for (year,) in con.execute("SELECT year FROM survey_rounds ORDER BY year").fetchall():
        year = int(year)
        for other, note in geography.trend_points(con, code, year, lineage, authorities):
            rows.append((year, other, note))
    return pd.DataFrame(rows, columns=["round_year", "authority_code", "lineage_note"])


def trend(con: duckdb.DuckDBPyConnection, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The council's overall and per-standard scores in every round in the database.

    A round whose council set does not hold `code` (a reorganisation) is taken from the
    council(s) that covered its area then, with `lineage_note` saying so. Rounds it did not
    answer are kept with responded = False. Returns (overall, standards); both carry the
    England median for that round and how many standards the round's questionnaire asked about.
    """
    pairs = _trend_pairs(con, code)
    if pairs.empty:
        return pd.DataFrame(), pd.DataFrame()
    params = [list(pairs["round_year"]), list(pairs["authority_code"]), list(pairs["lineage_note"])]
    overall = con.execute(
        """
        WITH p AS (SELECT unnest(?) AS round_year, unnest(?) AS authority_code, unnest(?) AS lineage_note)
        SELECT p.round_year, p.authority_code, c.display_name, p.lineage_note,
               coalesce(c.responded, FALSE) AS responded,
               o.score, o.band, b.label AS band_label, o.ranked, o.rank, o.n_ranked,
               o.standards_evidenced, rr.standards_asked, e.median_score AS england_median
        FROM p
        LEFT JOIN round_councils c USING (round_year, authority_code)
        LEFT JOIN overall_scores o USING (round_year, authority_code)
        LEFT JOIN bands b ON b.key = o.band
        LEFT JOIN round_rank_rule rr USING (round_year)
        LEFT JOIN overall_summary e ON e.round_year = p.round_year AND e.scope = 'england'
        ORDER BY p.round_year, c.display_name
        """,
        params,
    ).df()
    standards = con.execute(
        """
        WITH p AS (SELECT unnest(?) AS round_year, unnest(?) AS authority_code, unnest(?) AS lineage_note)
        SELECT p.round_year, p.authority_code, c.display_name, p.lineage_note, st.number AS standard,
               st.short_name, coalesce(c.responded, FALSE) AS responded,
               s.score, s.band, b.label AS band_label, coalesce(s.evidence, FALSE) AS evidence,
               EXISTS (SELECT 1 FROM questions q WHERE q.scored AND q.standard = st.number
                       AND q.asked_from <= p.round_year) AS asked,
               e.median_score AS england_median
        FROM p
        CROSS JOIN standards st
        LEFT JOIN round_councils c USING (round_year, authority_code)
        LEFT JOIN standard_scores s
               ON s.round_year = p.round_year AND s.authority_code = p.authority_code AND s.standard = st.number
        LEFT JOIN bands b ON b.key = s.band
        LEFT JOIN standard_summary e
               ON e.round_year = p.round_year AND e.scope = 'england' AND e.standard = st.number
        ORDER BY p.round_year, st.number, c.display_name
        """,
        params,
    ).df()
    overall["via_lineage"] = overall["lineage_note"] != ""
    standards["via_lineage"] = standards["lineage_note"] != ""
    standards["standard_label"] = [f"{n}. {s}" for n, s in zip(standards["standard"], standards["short_name"], strict=True)]
    return overall, standards


def previous_round(con: duckdb.DuckDBPyConnection, year: int) -> int | None:
    """The round a change from `year` is measured against (round_pairs), if any."""
    row = con.execute("SELECT compare_year FROM round_pairs WHERE round_year = ?", [year]).fetchone()
    return None if row is None else int(row[0])


def like_for_like_change(con: duckdb.DuckDBPyConnection, code: str, year: int) -> pd.DataFrame:
    """The council's change on each standard since the previous round, like for like: both rounds
    scored on the questions asked in both (the like_for_like_* views). Empty when the council did
    not answer both rounds or there is no earlier round.

    Columns: standard, short_name, previous_year, questions_now, questions_common,
    questions_changed, previous_score, score (shown, on the common questions), change (the
    difference of the two shown numbers) and round_score (the round's own score, on all its
    questions, for the note where they differ).
    """
    df = con.execute(
        """
        SELECT b.standard, b.short_name, b.compare_year AS previous_year, b.questions_now,
               b.questions_common, b.questions_changed,
               p.score AS previous_score, n.score AS score, own.score AS round_score
        FROM like_for_like_basis b
        JOIN like_for_like_standard_scores n
          ON n.round_year = b.round_year AND n.standard = b.standard AND n.side = 'now'
         AND n.authority_code = ?
        JOIN like_for_like_standard_scores p
          ON p.round_year = b.round_year AND p.standard = b.standard AND p.side = 'before'
         AND p.authority_code = ?
        LEFT JOIN standard_scores own
          ON own.round_year = b.round_year AND own.authority_code = ? AND own.standard = b.standard
        WHERE b.round_year = ? AND n.evidence AND p.evidence
        ORDER BY b.standard
        """,
        [code, code, code, year],
    ).df()
    df["change"] = [shown_change(a, b) for a, b in zip(df["score"], df["previous_score"], strict=True)]
    return df


def like_for_like_table(change: pd.DataFrame, year: int) -> pd.DataFrame:
    """like_for_like_change() in words: whole numbers, and which questions each row rests on."""
    prev = int(change["previous_year"].iloc[0]) if len(change) else year - 1

    def basis(r: Any) -> str:
        if r.questions_changed:
            return (f"{int(r.questions_common)} of its {int(r.questions_now)} questions, asked in both "
                    f"(the {year} score on all of them is {format_score(r.round_score)})")
        return f"All {int(r.questions_now)} questions"

    return pd.DataFrame({
        "Standard": [f"{int(n)}. {s}" for n, s in zip(change["standard"], change["short_name"], strict=True)],
        str(prev): [format_score(v) for v in change["previous_score"]],
        str(year): [format_score(v) for v in change["score"]],
        "Change (points)": ["No change" if c == 0 else f"{int(c):+d}" for c in change["change"]],
        "Compared on": [basis(r) for r in change.itertuples()],
    })


def trend_table(overall: pd.DataFrame, standards: pd.DataFrame) -> pd.DataFrame:
    """One row per round (and council, through a reorganisation): overall and each standard."""
    rows = []
    for o in overall.itertuples():
        row: dict[str, Any] = {
            "Round": str(o.round_year),
            "Council": str(o.display_name),
            "Standards asked": str(int(o.standards_asked)) if not is_missing(o.standards_asked) else DASH,
        }
        if not o.responded:
            row["Overall score"] = "No response"
        else:
            row["Overall score"] = format_score(o.score)
        row["Rank"] = rank_text(o._asdict()) if o.responded else DASH
        part = standards[(standards["round_year"] == o.round_year) & (standards["authority_code"] == o.authority_code)]
        for s in part.itertuples():
            key = f"Standard {int(s.standard)}"
            if not s.responded:
                row[key] = DASH
            elif not s.asked:
                row[key] = "Not asked"
            else:
                row[key] = format_score(s.score) if s.evidence else NO_EVIDENCE
        row["Note"] = str(o.lineage_note) if o.lineage_note else ""
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------

def export_frames(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict[str, pd.DataFrame]:
    """The council's data for download: sheets 'overall', 'standards', 'questions' and 'gaps'.

    Column names are the open data's (lib.reports.opendata.MEANINGS, the API's and the Download page's
    vocabulary): a column the API also has holds the same values, and the rest (the medians
    beside the council, the actions) are described in the data dictionary too."""
    me = council(con, code, year) or {}
    name = str(me.get("display_name", code))
    profile = standard_profile(con, code, year)
    questions = question_answers(con, code, year)
    gap_rows = gaps_from_profile(con, profile, year)
    row = con.execute("SELECT strftime(council_set_on, '%Y-%m-%d') FROM survey_rounds WHERE year = ?",
                      [year]).fetchone()
    ident = {"round_year": int(year), "council_set": row[0] if row else None,
             "authority_code": code, "authority_name": name}

    def with_ident(n: int, columns: dict[str, Any]) -> pd.DataFrame:
        return pd.DataFrame({**{k: [v] * n for k, v in ident.items()}, **columns})

    overall_sheet = overall_frame(headline(con, code, year), ident)
    standards_sheet = with_ident(len(profile), {
        "standard": profile["standard"].astype("int64"),
        "standard_name": profile["short_name"],
        "evidence": profile["evidence"].astype(bool),
        "score": _whole(profile["score"]),
        "band": profile["band"],
        "band_label": profile["band_label"],
        "score_unrounded": profile["score_unrounded"].astype("float64").round(9),  # as the open data
        "answered": profile["answered"],
        "unknown": profile["unknown"],
        "missing": profile["missing"],
        "england_median": _whole(profile["england_median"]),
        "region_median": _whole(profile["region_median"]),
        "type_median": _whole(profile["type_median"]),
        "difference_from_england": _whole(profile["diff_england"]),
    })
    questions_sheet = with_ident(len(questions), {
        "standard": questions["standard"],
        "question_id": questions["question_id"],
        "topic": questions["topic"],
        "wording": questions["wording"],
        "answer": questions["answer"],
        "answer_label": questions["answer_text"],
        "providers": questions["providers"],
        "providers_label": questions["providers_shown"],
        "scored": questions["scored"],
        "weight": questions["weight"],
        "england_share_available": questions["england_share_top"].astype("float64").round(3),
    })
    gaps_sheet = with_ident(len(gap_rows), {
        "standard": gap_rows["standard"].astype("int64"),
        "standard_name": gap_rows["short_name"],
        "score": _whole(gap_rows["score"]),
        "band": gap_rows["band"],
        "band_label": gap_rows["band_label"],
        "questions_behind_gap": [
            "; ".join(f"{t} ({a})" for t, a in gap_questions(questions, int(n))[["topic", "answer_text"]].itertuples(index=False))
            for n in gap_rows["standard"]
        ],
        "actions": [" | ".join(a) for a in gap_rows["actions"]],
    })
    return {"overall": overall_sheet, "standards": standards_sheet, "questions": questions_sheet,
            "gaps": gaps_sheet}


def overall_frame(head: Headline | None, ident: dict[str, Any]) -> pd.DataFrame:
    """The 'overall' sheet: one row with the headline's score, band and ranks as numbers.

    A rank is empty when the council is not ranked; every figure is empty (band_label "No
    response") when it did not respond. The score is the whole number the scorecard shows.
    """
    o: dict[str, Any] = head.overall if head is not None else {}
    ranked = bool(o.get("ranked"))

    def rank(key: str) -> int | None:
        return int(o[key]) if ranked and not is_missing(o.get(key)) else None

    def count(key: str) -> int | None:
        return None if head is None or is_missing(o.get(key)) else int(o[key])

    unrounded = o.get("score_unrounded")
    band = o.get("band")
    return pd.DataFrame({
        **{k: [v] for k, v in ident.items()},
        "level": ["overall"],
        "score": pd.array([shown_int(o.get("score"))], dtype="Int64"),
        "band": [None if band is None or is_missing(band) else str(band)],
        "band_label": [head.band_label if head is not None else "No response"],
        "score_unrounded": pd.array([None if unrounded is None or is_missing(unrounded) else round(float(unrounded), 9)],
                                    dtype="Float64"),
        "ranked": [ranked],
        "rank": pd.array([rank("rank")], dtype="Int64"),
        "n_ranked": pd.array([count("n_ranked")], dtype="Int64"),
        "region_rank": pd.array([rank("region_rank")], dtype="Int64"),
        "region_n_ranked": pd.array([count("region_n_ranked")], dtype="Int64"),
        "standards_evidenced": pd.array([count("standards_evidenced")], dtype="Int64"),
        "standards_total": pd.array([None if head is None else int(head.standards_total)], dtype="Int64"),
    })


def _whole(values: pd.Series) -> pd.Series:
    """Scores, medians and differences as the whole numbers every page shows (half up)."""
    return pd.Series([shown_int(v) for v in values], dtype="Int64", index=values.index)


def answers_csv(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool) -> bytes:
    """The "questions" sheet of export_frames as the CSV people download (labelled if demo)."""
    return exports.to_csv_bytes(exports.label_demo(export_frames(con, code, year)["questions"], is_demo))


def data_xlsx(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool) -> bytes:
    """Every sheet of export_frames as the workbook people download (labelled if demo)."""
    frames = {k: exports.label_demo(v, is_demo) for k, v in export_frames(con, code, year).items()}
    return exports.to_xlsx_bytes(frames)


def file_stem(display_name: str, year: int) -> str:
    """'scorecard-north-yorkshire-2015' for download file names."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(display_name).lower()).strip("-") or "council"
    return f"scorecard-{slug}-{year}"
