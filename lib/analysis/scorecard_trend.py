"""One council across survey rounds: its scores in every round, its like-for-like change since
the previous round, and which standards each round's questionnaire asked about.

Like lib.analysis.scorecard, every number comes from the scoring views in lib.scoring.views
(overall_scores, standard_scores, like_for_like_* ...); this module only selects the council's
rows (following it through reorganisations) and shapes them for the scorecard page's trend
charts and tables. Nothing here re-computes a score.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from lib.base.formatting import DASH, format_score, is_missing, rank_text
from lib.base.rounding import shown_change
from lib.reference import geography

# --------------------------------------------------------------------------------------------
# Which standards each round asked about
# --------------------------------------------------------------------------------------------

def round_standards(con: duckdb.DuckDBPyConnection) -> dict[int, list[int]]:
    """Which standards each round's questionnaire asked about (year -> standard numbers)."""
    rows = con.execute(
        """
        SELECT r.year, list(DISTINCT q.standard ORDER BY q.standard)
        FROM survey_rounds r JOIN round_questions q ON q.round_year = r.year
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
               EXISTS (SELECT 1 FROM round_questions q WHERE q.standard = st.number
                       AND q.round_year = p.round_year) AS asked,
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
    """The round a change from `year` is measured against (round_pairs), if any.

    Read from round_pairs, the pairs the like-for-like views compare, so it is None for a year
    that is not a round held (lib.analysis.national.previous_round answers any year)."""
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
        WHERE b.round_year = ? AND n.score IS NOT NULL AND p.score IS NOT NULL
        ORDER BY b.standard
        """,
        [code, code, code, year],
    ).df()
    df["change"] = [shown_change(a, b) for a, b in zip(df["score"], df["previous_score"], strict=True)]
    return df


def like_for_like_overall(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict[str, Any] | None:
    """The council's overall score in the round and the one before, like for like (the
    like_for_like_overall view): both on the standards both rounds asked about. None when the
    council did not answer both rounds or there is no earlier round.

    Keys: previous_year, previous_score, score, change (difference of the shown numbers),
    standards (those compared), left_out (standards the round asked about that are not
    compared), round_score (the round's own overall score, on all it asked).
    """
    row = con.execute(
        """
        SELECT n.compare_year, p.score, n.score, n.standards, o.score,
               (SELECT list(DISTINCT q.standard ORDER BY q.standard) FROM round_questions q
                WHERE q.round_year = n.round_year) AS asked
        FROM like_for_like_overall n
        JOIN like_for_like_overall p ON p.round_year = n.round_year AND p.authority_code = n.authority_code
         AND p.side = 'before'
        LEFT JOIN overall_scores o ON o.round_year = n.round_year AND o.authority_code = n.authority_code
        WHERE n.round_year = ? AND n.authority_code = ? AND n.side = 'now'
        """,
        [year, code],
    ).fetchone()
    if row is None:
        return None
    previous_year, before, now, standards, round_score, asked = row
    compared = [int(n) for n in standards]
    return {"previous_year": int(previous_year), "previous_score": before, "score": now,
            "change": shown_change(now, before), "standards": compared,
            "left_out": [int(n) for n in asked or [] if int(n) not in compared], "round_score": round_score}


def like_for_like_overall_text(lfl: dict[str, Any], year: int) -> str:
    """One sentence: 'Overall, like for like: 58 in 2014, 63 in 2015 (+5), on the 4 standards both
    rounds asked about (1, 2, 5 and 7); left out: 3, 4, 6, 8 and 9 (the 2015 overall on all nine is 62).'"""
    def listed(numbers: list[int]) -> str:
        names = [str(n) for n in numbers]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    prev, change = lfl["previous_year"], lfl["change"]
    change_text = "no change" if change == 0 else f"{int(change):+d}"
    n = len(lfl["standards"])
    text = (f"Overall, like for like: {format_score(lfl['previous_score'])} in {prev}, "
            f"{format_score(lfl['score'])} in {year} ({change_text}), on the {n} standard{'s' if n != 1 else ''} "
            f"both rounds asked about ({listed(lfl['standards'])})")
    if lfl["left_out"]:
        text += (f"; left out: {listed(lfl['left_out'])} (the {year} overall score on everything it asked is "
                 f"{format_score(lfl['round_score'])})")
    return text + "."


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
                row[key] = format_score(s.score)
        row["Note"] = str(o.lineage_note) if o.lineage_note else ""
        rows.append(row)
    return pd.DataFrame(rows)
