"""Gaps: where support is missing, nationally and by council, set against the published figures.

A "measure" names one national share the 2015 report publishes, in the same words as
data/published_figures.csv: `answer:v1|v2` is the share of responding councils giving any of
those answers, `provider:key` the share naming that kind of provider.
"""

from __future__ import annotations

import duckdb


def parse_measure(measure: str) -> tuple[str, list[str]]:
    """Split 'answer:available|in_development' into ('answer', ['available', 'in_development'])."""
    kind, _, rest = measure.partition(":")
    values = [v for v in rest.split("|") if v]
    if kind not in ("answer", "provider") or not values or (kind == "provider" and len(values) > 1):
        raise ValueError(f"measure {measure!r} must look like 'answer:v1|v2' or 'provider:key'")
    return kind, values


def measure_share(con: duckdb.DuckDBPyConnection, year: int, question_id: str, measure: str,
                  scope: str = "england", scope_code: str = "E92000001") -> float | None:
    """The share (0-1) of responding councils in a scope matching a measure, or None if not asked."""
    kind, values = parse_measure(measure)
    if kind == "answer":
        row = con.execute(
            "SELECT sum(share), count(*) FROM answer_shares WHERE round_year = ? AND question_id = ? "
            "AND scope = ? AND scope_code = ? AND list_contains(?, answer)",
            [year, question_id, scope, scope_code, values],
        ).fetchone()
    else:
        row = con.execute(
            "SELECT sum(share), count(*) FROM provider_shares WHERE round_year = ? AND question_id = ? "
            "AND scope = ? AND scope_code = ? AND list_contains(?, provider)",
            [year, question_id, scope, scope_code, values],
        ).fetchone()
    if row is None or not row[1]:
        return None
    return float(row[0])
