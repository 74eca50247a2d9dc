"""The good-practice library: every example from the advice note and the 2015 report's case
studies, and the report's recommendations, filtered by standard, region, text and source.

Examples not tied to one council (a consortium, an unnamed council) fall under NO_COUNCIL in
the region filter.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

#: Region filter value for examples with no council (kept in the URL as ?region=none).
NO_COUNCIL = "none"
NO_COUNCIL_LABEL = "Not tied to one council"

SOURCES = {"advice_note": "Advice note", "report_2015": "Report 2015"}

_EXAMPLES_SQL = """
WITH region_of AS (
    SELECT code, any_value(region_code) AS region_code, any_value(region_name) AS region_name,
           any_value(display_name) AS display_name
    FROM authorities GROUP BY code
)
SELECT c.id, c.title, c.organisation, c.authority_code, list_sort(c.standards) AS standards,
       c.summary, c.source_document, c.source_ref, c.url, c.kind,
       r.display_name AS council_name, r.region_code, r.region_name,
       (SELECT list(s.short_name ORDER BY s.number) FROM standards s
        WHERE list_contains(c.standards, s.number)) AS standard_names
FROM case_studies c LEFT JOIN region_of r ON r.code = c.authority_code
"""


def source_label(source_document: str, source_ref: str) -> str:
    """'Advice note, standard 4' or 'Report 2015, page 54' (chapter 6 when no page is given)."""
    if source_document == "advice_note":
        number = re.search(r"\d+", source_ref or "")
        return f"Advice note, standard {number.group()}" if number else "Advice note"
    page = re.search(r"p\.\s*(\d+)", source_ref or "")
    if page:
        return f"Report 2015, page {page.group(1)}"
    return f"Report 2015, {source_ref.lower()}" if source_ref else "Report 2015"


def find_examples(con: duckdb.DuckDBPyConnection, *, standards: list[int] | None = None,
                  regions: list[str] | None = None, text: str | None = None,
                  sources: list[str] | None = None) -> pd.DataFrame:
    """Examples matching every filter given (an empty or None filter matches everything).

    standards: any of them illustrated; regions: the council's region code, or NO_COUNCIL for
    examples with no council; text: every word appears in the title, organisation or summary
    (case-insensitive); sources: 'advice_note' / 'report_2015'.
    """
    where: list[str] = []
    params: list[str | list[int] | list[str]] = []
    if standards:
        where.append("list_has_any(c.standards, ?::INTEGER[])")
        params.append([int(n) for n in standards])
    if regions:
        codes = [r for r in regions if r != NO_COUNCIL]
        parts = []
        if codes:
            parts.append("list_contains(?, r.region_code)")
            params.append(codes)
        if NO_COUNCIL in regions:
            parts.append("c.authority_code IS NULL")
        where.append("(" + " OR ".join(parts) + ")")
    for word in (text or "").split():
        where.append("contains(lower(c.title || ' ' || c.organisation || ' ' || c.summary), lower(?))")
        params.append(word)
    if sources:
        where.append("list_contains(?, c.source_document)")
        params.append(list(sources))
    sql = _EXAMPLES_SQL + (" WHERE " + " AND ".join(where) if where else "")
    df = con.execute(sql + " ORDER BY c.source_document, list_min(c.standards), c.id", params).df()
    df["source_label"] = [source_label(d, r) for d, r in zip(df["source_document"], df["source_ref"], strict=True)]
    return df


def region_options(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Region code -> name for regions with at least one example, then 'Not tied to one council'."""
    rows = con.execute(
        _EXAMPLES_SQL + " WHERE r.region_code IS NOT NULL"
    ).df()[["region_code", "region_name"]].drop_duplicates().sort_values("region_name")
    return {**dict(zip(rows["region_code"], rows["region_name"], strict=True)), NO_COUNCIL: NO_COUNCIL_LABEL}


def standard_names(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return dict(con.execute("SELECT number, short_name FROM standards ORDER BY number").fetchall())


def recommendations(con: duckdb.DuckDBPyConnection, standards: list[int] | None = None) -> pd.DataFrame:
    """The report's recommendations with their themes and the standards they bear on.

    With `standards`, only those bearing on any of them (by the recommendation's own list).
    """
    sql = """
        SELECT r.number, r.theme, r.summary, list_sort(r.standards) AS standards,
               coalesce((SELECT list(s.short_name ORDER BY s.number) FROM standards s
                         WHERE list_contains(r.standards, s.number)), []) AS standard_names,
               min(r.number) OVER (PARTITION BY r.theme) AS theme_order
        FROM recommendations r
    """
    params: list = []
    if standards:
        sql += " WHERE list_has_any(r.standards, ?::INTEGER[])"
        params.append([int(n) for n in standards])
    return con.execute(sql + " ORDER BY theme_order, r.number", params).df()


def standards_text(numbers: list[int], names: list[str]) -> str:
    """'1. Practical help with employing; 5. Training and ...' for a card."""
    if not numbers:
        return "none of the nine directly"
    return "; ".join(f"{n}. {name}" for n, name in zip(numbers, names, strict=True))
