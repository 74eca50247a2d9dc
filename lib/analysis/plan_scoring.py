"""Scoring the improvement planner's candidate answer sheets, on a private copy of one round.

Nothing is scored here in Python. Candidate sheets are scored in bulk by the scoring views of
lib.scoring.views on a private copy of the round (`scoring.scoring_copy`): each sheet is entered as a
stand-in council inside a transaction that is always rolled back, so its score and band come
from exactly the SQL that scores the real councils (a council's score and band never depend on
other councils; only ranks do).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from lib.analysis import whatif
from lib.scoring import views as scoring

#: Sheets scored per SQL round trip.
BATCH = 1500
#: Stand-in councils for candidate sheets get codes starting with this (never an ONS code).
STANDIN_PREFIX = "~plan"


class SheetScorer:
    """Scores many answer sheets at once by the scoring views, on a private copy of one round."""

    def __init__(self, source: duckdb.DuckDBPyConnection, year: int) -> None:
        self.year = int(year)
        self._lock = threading.Lock()
        self.con = scoring.scoring_copy(source, self.year)

    def close(self) -> None:
        self.con.close()

    def score_sheets(self, code: str, base: whatif.Answers, sheets: list[dict[str, str]],
                     standard: int | None) -> list[tuple[float | None, float | None]]:
        """(shown score, unrounded score) on the target of each sheet: the council's answers
        `base` with the sheet's answers (question id -> option value) put in their place.

        Each sheet is entered as a stand-in council of the same region and type, all in one
        transaction that is rolled back, and read from standard_scores / overall_scores.
        """
        out: list[tuple[float | None, float | None]] = []
        for start in range(0, len(sheets), BATCH):
            out += self._score_batch(code, base, sheets[start:start + BATCH], standard)
        return out

    def _score_batch(self, code: str, base: whatif.Answers, sheets: list[dict[str, str]],
                     standard: int | None) -> list[tuple[float | None, float | None]]:
        if not sheets:
            return []
        codes = [f"{STANDIN_PREFIX}{i:06d}" for i in range(len(sheets))]
        rows: list[list[Any]] = []
        stamp = datetime(2000, 1, 1)
        for standin, sheet in zip(codes, sheets, strict=True):
            merged = {q: a.value for q, a in base.items()} | sheet
            rows += [[self.year, standin, q, v, [], None, "plan", stamp] for q, v in merged.items()]
        frame = pd.DataFrame(rows, columns=["round_year", "authority_code", "question_id", "answer",
                                            "providers", "comment", "source", "submitted_at"])
        frame["comment"] = frame["comment"].astype("string")
        if standard is None:
            query = ("SELECT authority_code, score, score_unrounded FROM overall_scores "
                     "WHERE round_year = ? AND starts_with(authority_code, ?)")
            params: list[Any] = [self.year, STANDIN_PREFIX]
        else:
            query = ("SELECT authority_code, score, score_unrounded FROM standard_scores "
                     "WHERE round_year = ? AND starts_with(authority_code, ?) AND standard = ?")
            params = [self.year, STANDIN_PREFIX, int(standard)]
        with self._lock:
            cur = self.con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    cur.execute(
                        "INSERT INTO authorities SELECT s.code, a.name, a.display_name, a.region_code, "
                        "a.region_name, a.type, a.valid_from, a.valid_to, NULL, NULL "
                        "FROM authorities a, (SELECT unnest(?::VARCHAR[]) AS code) s WHERE a.code = ?",
                        [codes, code])
                    cur.register("_plan_rows", frame)
                    try:
                        cur.execute("INSERT INTO responses SELECT round_year, authority_code, question_id, answer, "
                                    "CAST(providers AS VARCHAR[]), comment, source, submitted_at FROM _plan_rows")
                    finally:
                        cur.unregister("_plan_rows")
                    found = {c: (s, u) for c, s, u in cur.execute(query, params).fetchall()}
                finally:
                    cur.execute("ROLLBACK")
            finally:
                cur.close()
        return [tuple(None if whatif.is_missing(v) else float(v) for v in found.get(c, (None, None)))  # type: ignore[misc]
                for c in codes]
