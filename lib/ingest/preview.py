"""Previewing an import: the scores a valid report would produce, on a private copy.

The app's database is only read; the round is scored in memory by the same SQL views that
will score it once imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from lib.base.formatting import (
    DASH,
    NOT_ASKED,
    format_percent,
    format_score,
    rank_text,
    score_with_range,
)
from lib.ingest import commit
from lib.ingest.report import Record, Report
from lib.reference import geography
from lib.scoring import views as scoring
from lib.store import db


def _insert(con: duckdb.DuckDBPyConnection, records: list[Record], year: int, source: str,
            when: datetime) -> None:
    """lib.ingest.commit._insert_records, looked up when called so a test's stand-in is used."""
    commit._insert_records(con, records, year, source, when)


def private_copy(source: duckdb.DuckDBPyConnection, year: int, records: list[Record],
                 council_set_on: date | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the scoring rules, the councils and `records` as the round.

    The scoring views run on the copy (lib.scoring.views.scoring_copy), so the preview is computed
    by exactly the SQL that will score the imported round.
    """
    con = scoring.scoring_copy(source)
    with db.transaction(con):
        con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
                    "VALUES (?, ?, FALSE, ?, 'preview', now())",
                    [year, f"{year} (preview)", council_set_on or geography.council_set_on(source, year)])
        _insert(con, records, year, "preview", datetime.now().replace(microsecond=0))
    return con


@dataclass
class Preview:
    """Scores the import would produce: per council, per standard nationally, and overall."""

    year: int
    councils: pd.DataFrame
    standards: pd.DataFrame
    national: dict[str, Any]


def preview(con: duckdb.DuckDBPyConnection, report: Report) -> Preview:
    """Score the report's records on a private copy; the app's database is only read.

    councils: authority_code, display_name, region_name, score, band, band_label, ranked, rank,
    n_ranked, standards_evidenced, unknown_answers, missing_answers, current_score (the council's
    score in the round as the database holds it now, NaN if none).
    """
    if not report.ok or report.year is None:
        raise ValueError("only a report without problems can be previewed")
    year = report.year
    copy = private_copy(con, year, report.records, report.council_set_on)
    try:
        councils = copy.execute(
            """
            SELECT o.authority_code, o.display_name, o.region_name, o.score, o.band, b.label AS band_label,
                   o.ranked, o.rank, o.n_ranked, o.standards_evidenced, o.standards_total,
                   o.unknown_answers, o.missing_answers, o.score_low, o.score_high, o.rank_best, o.rank_worst
            FROM overall_scores o LEFT JOIN bands b ON b.key = o.band
            WHERE o.round_year = ? ORDER BY o.rank NULLS LAST, o.display_name
            """, [year]).df()
        standards = copy.execute(
            """
            SELECT standard, short_name, respondents, scored, evidenced, median_score, share_meeting
            FROM standard_summary WHERE round_year = ? AND scope = 'england' ORDER BY standard
            """, [year]).df()
        row = copy.execute(
            "SELECT respondents, ranked, median_score, q1_score, q3_score, councils_in_scope "
            "FROM overall_summary WHERE round_year = ? AND scope = 'england'", [year]).fetchone()
        national = dict(zip(["respondents", "ranked", "median_score", "q1_score", "q3_score", "councils"],
                            row or (0, 0, None, None, None, 0), strict=True))
    finally:
        copy.close()
    current = dict(con.execute("SELECT authority_code, score FROM overall_scores WHERE round_year = ?",
                               [year]).fetchall())
    councils["current_score"] = pd.Series([current.get(c) for c in councils["authority_code"]],
                                          index=councils.index, dtype="float64")
    return Preview(year, councils, standards, national)


def preview_tables(p: Preview) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The preview as text tables for the page and the CLI: never NaN or raw codes."""
    councils = pd.DataFrame({
        "Council": [f"{n} ({c})" for n, c in zip(p.councils["display_name"], p.councils["authority_code"], strict=True)],
        "Region": p.councils["region_name"].astype(str),
        "Overall score": [score_with_range(s, lo, hi) for s, lo, hi in
                          zip(p.councils["score"], p.councils["score_low"], p.councils["score_high"], strict=True)],
        "Band": [DASH if pd.isna(b) else str(lab) for b, lab in zip(p.councils["band"], p.councils["band_label"], strict=True)],
        "Rank": [rank_text(r) for r in
                 p.councils[["ranked", "rank", "n_ranked", "rank_best", "rank_worst"]].to_dict("records")],
        "Standards with evidence": [f"{int(e)} of {int(t)}" for e, t in
                                    zip(p.councils["standards_evidenced"], p.councils["standards_total"], strict=True)],
        "Score now in the database": [format_score(s) for s in p.councils["current_score"]],
    })
    if p.councils["current_score"].isna().all():
        councils = councils.drop(columns=["Score now in the database"])  # a new round: nothing to compare
    standards = pd.DataFrame({
        "Standard": [f"{int(n)}. {s}" for n, s in zip(p.standards["standard"], p.standards["short_name"], strict=True)],
        "Councils with evidence": [f"{int(e)} of {int(r)}" for e, r in
                                   zip(p.standards["evidenced"], p.standards["respondents"], strict=True)],
        "Median score": [format_score(v) if int(n) else NOT_ASKED
                         for v, n in zip(p.standards["median_score"], p.standards["scored"], strict=True)],
        "Share meeting the standard": [format_percent(v) for v in p.standards["share_meeting"]],
    })
    return councils, standards

