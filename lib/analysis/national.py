"""The national picture for a round: response, standard-by-standard compliance, change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from lib.base.formatting import is_missing
from lib.base.rounding import shown_change

#: The report counts 151 councils: the 152 with adult social services duties less the Isles of Scilly.
REPORT_COUNCIL_TOTAL = 151
REPORT_FOOTNOTE = (
    "The 2015 report counts 151 councils in England, leaving out the Isles of Scilly; this "
    "dashboard counts all {councils} councils with adult social services duties in the round's "
    "council set, so its response rate is slightly lower than the report's."
)


@dataclass(frozen=True)
class ResponseSummary:
    year: int
    respondents: int
    councils: int
    previous_year: int | None
    previous_respondents: int | None

    @property
    def rate(self) -> float:
        return self.respondents / self.councils if self.councils else 0.0

    @property
    def report_rate(self) -> float:
        """Rate on the report's base of 151 (only meaningful for the 2015 council set)."""
        return self.respondents / REPORT_COUNCIL_TOTAL

    @property
    def footnote(self) -> str:
        return REPORT_FOOTNOTE.format(councils=self.councils)


def previous_round(con: duckdb.DuckDBPyConnection, year: int) -> int | None:
    """The latest round held before `year`, if any (also used by lib.analysis.gaps)."""
    row = con.execute("SELECT max(year) FROM survey_rounds WHERE year < ?", [year]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def response_summary(con: duckdb.DuckDBPyConnection, year: int) -> ResponseSummary:
    row = con.execute(
        "SELECT councils, respondents FROM scope_coverage WHERE round_year = ? AND scope = 'england'", [year]
    ).fetchone()
    assert row is not None, f"no England coverage for the {year} round"
    councils, respondents = row
    prev = previous_round(con, year)
    prev_n = None
    if prev is not None:
        prev_row = con.execute(
            "SELECT respondents FROM scope_coverage WHERE round_year = ? AND scope = 'england'", [prev]
        ).fetchone()
        assert prev_row is not None, f"no England coverage for the {prev} round"
        prev_n = prev_row[0]
    return ResponseSummary(year, int(respondents), int(councils), prev, prev_n)


def standards_by_band(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """For each standard, how many responding councils fall in each band ('not_asked' when the
    round's questionnaire did not ask about the standard)."""
    return con.execute(
        """
        WITH b AS (SELECT key, label, position FROM bands
                   UNION ALL SELECT 'not_asked', 'Not asked this round', 99)
        SELECT s.number AS standard, s.short_name, b.key AS band, b.label AS band_label, b.position,
               count(ss.authority_code) AS councils,
               (SELECT count(*) FROM respondents p WHERE p.round_year = ?) AS respondents
        FROM standards s CROSS JOIN b
        LEFT JOIN standard_scores ss
               ON ss.standard = s.number AND ss.round_year = ?
              AND coalesce(ss.band, 'not_asked') = b.key
        GROUP BY ALL ORDER BY s.number, b.position
        """,
        [year, year],
    ).df().assign(share=lambda d: d["councils"] / d["respondents"].where(d["respondents"] > 0))


def standard_medians(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """National median, quartiles and share meeting each standard."""
    return con.execute(
        """
        SELECT standard, short_name, median_score, q1_score, q3_score, share_meeting, scored, evidenced, respondents
        FROM standard_summary WHERE round_year = ? AND scope = 'england' ORDER BY standard
        """,
        [year],
    ).df()


def overall_median(con: duckdb.DuckDBPyConnection, year: int) -> float | None:
    """Median overall score of the ranked councils in England (None when nobody is ranked)."""
    row = con.execute(
        "SELECT median_score FROM overall_summary WHERE round_year = ? AND scope = 'england'", [year]
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def overall_distribution(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Overall score and band of each ranked council, for the distribution chart."""
    return con.execute(
        """
        SELECT o.authority_code, o.display_name, o.region_name, o.score, o.band,
               coalesce(b.label, 'No evidence') AS band_label, o.rank, o.n_ranked
        FROM overall_scores o LEFT JOIN bands b ON b.key = o.band
        WHERE o.round_year = ? AND o.ranked ORDER BY o.score DESC, o.authority_code
        """,
        [year],
    ).df()


def change_since_previous(con: duckdb.DuckDBPyConnection, year: int, scope: str = "england",
                          scope_code: str = "E92000001") -> pd.DataFrame:
    """Per standard: median and share meeting this round and the previous one, like for like
    (both rounds scored on the questions asked in both; empty when there is no earlier round).

    questions_now / questions_before / questions_common say how many scored questions each
    round asked about the standard and how many both did; questions_changed is true where the
    standard gained or lost questions, so the like-for-like figures differ from the round's
    own. The two rounds may have different respondents, so this compares pictures, not the
    same councils. Changes are differences of the shown (rounded) figures.
    """
    df = con.execute(
        """
        SELECT standard, short_name, compare_year AS previous_year, previous_median, median,
               previous_share_meeting, share_meeting, previous_scored, scored,
               questions_now, questions_before, questions_common, questions_changed
        FROM like_for_like_summary
        WHERE round_year = ? AND scope = ? AND scope_code = ?
        ORDER BY standard
        """,
        [year, scope, scope_code],
    ).df()
    if df.empty:
        return df
    df["median_change"] = [shown_change(a, b) for a, b in zip(df["median"], df["previous_median"], strict=True)]
    df["share_meeting_change"] = [
        None if is_missing(a) or is_missing(b) else shown_change(100 * a, 100 * b)
        for a, b in zip(df["share_meeting"], df["previous_share_meeting"], strict=True)
    ]
    return df


def questions_change_note(change: pd.DataFrame) -> str:
    """A sentence naming the standards whose questions differ between the two rounds."""
    if change.empty:
        return ""
    year_prev = int(change["previous_year"].iloc[0])
    gained = change[change["questions_changed"] & (change["questions_common"] > 0)]
    new = change[(change["questions_common"] == 0) & (change["questions_now"] > 0)]
    parts = []
    if len(gained):
        listed = "; ".join(
            f"standard {int(r.standard)} ({int(r.questions_common)} of its {int(r.questions_now)} questions)"
            for r in gained.itertuples())
        parts.append(f"Compared on the questions asked in both rounds only: {listed}. "
                     f"These standards gained or lost questions since {year_prev}, so their "
                     "“same questions” figures differ from the round's own figures shown above.")
    if len(new):
        listed = ", ".join(str(int(n)) for n in new["standard"])
        parts.append(f"No like-for-like comparison for standard(s) {listed}: {year_prev} asked no "
                     "question about them.")
    return " ".join(parts)


def map_values(con: duckdb.DuckDBPyConnection, year: int, standard: int | None = None) -> pd.DataFrame:
    """Every council of the round's council set with its hex cell and a value (overall or one standard).

    Councils that did not respond are included with no value, so the map shows them in grey.
    """
    value_sql = (
        "SELECT authority_code, score AS value, rank, n_ranked, band FROM overall_scores WHERE round_year = ?"
        if standard is None else
        """SELECT authority_code, score AS value,
                  rank() OVER (ORDER BY score DESC) AS rank,
                  count(*) OVER () AS n_ranked, band
           FROM standard_scores WHERE round_year = ? AND standard = ? AND asked"""
    )
    params = [year] if standard is None else [year, standard]
    return con.execute(
        f"""
        SELECT c.authority_code AS code, c.display_name, c.region_code, c.region_name, c.type,
               h.hex_col, h.hex_row, c.responded,
               v.value, v.rank, v.n_ranked, v.band
        FROM round_councils c
        JOIN round_hex_cells h USING (round_year, authority_code)
        LEFT JOIN ({value_sql}) v ON v.authority_code = c.authority_code
        WHERE c.round_year = ?
        ORDER BY c.display_name
        """,  # noqa: S608 - column names chosen above, values parameterised
        [*params, year],
    ).df()


def change_table(change: pd.DataFrame, year: int) -> pd.DataFrame:
    """change_since_previous() as text for display: whole points, "Not compared" where the two
    rounds share no question on the standard, never NaN or None. Changes are the differences
    of the numbers shown beside them."""
    from lib.base.formatting import DASH, format_percent, format_score, is_missing

    prev = int(change["previous_year"].iloc[0])

    def score(v: object) -> str:
        return "Not compared" if is_missing(v) else format_score(v)

    def points(v: Any) -> str:  # a cell of a numeric column, or a missing marker
        if is_missing(v):
            return DASH
        return "No change" if float(v) == 0 else f"{int(v):+d}"

    def share(v: object) -> str:
        return "Not compared" if is_missing(v) else format_percent(v)

    def basis(r: Any) -> str:
        if int(r.questions_now) == 0:
            return "Not asked in either round"
        if int(r.questions_common) == 0:
            return f"Not asked in {prev}"
        if r.questions_changed:
            return f"{int(r.questions_common)} of {int(r.questions_now)} questions (asked in both)"
        return f"All {int(r.questions_now)} questions"

    return pd.DataFrame({
        "Standard": [f"{int(n)}. {name}" for n, name in zip(change["standard"], change["short_name"], strict=True)],
        "Compared on": [basis(r) for r in change.itertuples()],
        f"Median {prev}": [score(v) for v in change["previous_median"]],
        f"Median {year}, same questions": [score(v) for v in change["median"]],
        "Change (points)": [points(v) for v in change["median_change"]],
        f"% meeting {prev}": [share(v) for v in change["previous_share_meeting"]],
        f"% meeting {year}, same questions": [share(v) for v in change["share_meeting"]],
        "Change (% points)": [points(v) for v in change["share_meeting_change"]],
    })


def ranking_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """overall_distribution() as text: the table behind the histogram and the map."""
    from lib.base.formatting import format_score

    return pd.DataFrame({
        "Rank": [f"{int(r)} of {int(n)}" for r, n in zip(ranked["rank"], ranked["n_ranked"], strict=True)],
        "Council": ranked["display_name"].astype(str),
        "Region": ranked["region_name"].astype(str),
        "Overall score": [format_score(v) for v in ranked["score"]],
        "Band": ranked["band_label"].astype(str),
    })
