"""Regional comparison: how each ADASS region does, and which of its councils lag on which standard.

Every figure here is read from the scoring views (overall_scores, standard_scores,
round_councils, bands); this module only groups them by region, optionally for one type of
council. Response coverage (councils responding / councils in the region) travels with every
regional figure, because a median over 4 of 12 councils says less than one over 11 of 12.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from lib.base.formatting import (
    DASH,
    NO_EVIDENCE,
    NOT_ASKED,
    council_type_text,
    format_percent,
    format_score,
    is_missing,
    rank_range_text,
    score_with_range,
)
from lib.base.rounding import shown_int

#: Council types a user can filter by, in the order offered (words: formatting.council_type_text).
TYPE_FILTERS = ("county", "unitary", "metropolitan district", "London borough")

#: What the region x standard heat map shows: the regional median score or the share meeting.
MEASURES = {"median": "Median score", "meeting": "Share of councils meeting the standard"}
OVERALL = "overall"


def parse_type(value: str | None) -> str | None:
    """A council type from the URL (?type=county), or None for all types or an unknown value."""
    if not value:
        return None
    lowered = {k.lower(): k for k in TYPE_FILTERS}
    return lowered.get(value.strip().lower())


def parse_standard(value: str | None, asked: list[int]) -> int | None:
    """?standard= as a standard number asked in the round, or None for the overall score."""
    text = (value or "").strip()
    if not re.fullmatch(r"[0-9]{1,2}", text):  # ASCII digits only: '²'.isdigit() is True
        return None
    number = int(text)
    return number if number in asked else None


def parse_measure(value: str | None) -> str:
    return value if value in MEASURES else "median"


# --------------------------------------------------------------------------------------------
# Reference lists
# --------------------------------------------------------------------------------------------

def standards_asked(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """The nine standards with whether the round's questionnaire asked about each.

    The 2012-2014 surveys covered four standards; the others have no evidence for anyone in
    those rounds, so pages leave them out rather than show nine columns of "No evidence".
    """
    return con.execute(
        """
        SELECT s.number AS standard, s.short_name,
               EXISTS (SELECT 1 FROM round_questions q
                       WHERE q.standard = s.number AND q.round_year = ?) AS asked
        FROM standards s ORDER BY s.number
        """,
        [year],
    ).df()


def regions(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Regions of the round's council set with councils, respondents and coverage (all types)."""
    return con.execute(
        "SELECT scope_code AS region_code, scope_name AS region_name, councils, respondents, coverage "
        "FROM scope_coverage WHERE round_year = ? AND scope = 'region' ORDER BY region_name",
        [year],
    ).df()


# --------------------------------------------------------------------------------------------
# The hex map
# --------------------------------------------------------------------------------------------

def map_cells(con: duckdb.DuckDBPyConnection, year: int, standard: int | None = None,
              council_type: str | None = None) -> pd.DataFrame:
    """Every council of the round's set with its hex cell, value, band and rank.

    The value is the overall score, or one standard's score when `standard` is given.
    `in_filter` marks councils of the chosen type (all councils when no type is chosen); ranks
    are among the ranked (overall) or scored (standard) councils inside the filter, so with
    no filter the overall rank is the view's national rank.
    """
    return con.execute(
        """
        WITH vals AS (
            SELECT authority_code, score AS value, band, ranked AS rankable
            FROM overall_scores WHERE round_year = $year AND $standard::INTEGER IS NULL
            UNION ALL
            SELECT authority_code, score, band, asked
            FROM standard_scores WHERE round_year = $year AND standard = $standard::INTEGER
        ), cells AS (
            SELECT c.authority_code AS code, c.display_name, c.region_code, c.region_name, c.type,
                   h.hex_col, h.hex_row,
                   c.responded, v.value, v.band, coalesce(b.label, '') AS band_label,
                   coalesce(v.rankable, false) AS rankable,
                   ($type::VARCHAR IS NULL OR c.type = $type::VARCHAR) AS in_filter
            FROM round_councils c
            JOIN round_hex_cells h USING (round_year, authority_code)
            LEFT JOIN vals v ON v.authority_code = c.authority_code
            LEFT JOIN bands b ON b.key = v.band
            WHERE c.round_year = $year
        )
        SELECT *,
               CASE WHEN rankable AND in_filter
                    THEN rank() OVER (PARTITION BY rankable AND in_filter ORDER BY value DESC)
               END AS rank,
               count(*) FILTER (WHERE rankable AND in_filter) OVER () AS n_ranked
        FROM cells
        WHERE hex_col IS NOT NULL AND hex_row IS NOT NULL
        ORDER BY display_name
        """,
        {"year": year, "standard": standard, "type": council_type},
    ).df()


def map_table(cells: pd.DataFrame, year: int) -> pd.DataFrame:
    """The map's text equivalent: one row per council with region, type, value and rank, in words."""
    def value_text(r: pd.Series) -> str:
        if not r["responded"]:
            return f"No response in {year}"
        if is_missing(r["value"]):
            return NO_EVIDENCE
        return f"{format_score(r['value'])} ({r['band_label']})" if r["band_label"] else format_score(r["value"])

    def rank_words(r: pd.Series) -> str:
        if not r["in_filter"]:
            return "Not in the filter"
        if is_missing(r["rank"]):
            return DASH if not r["responded"] else "Not ranked"
        return f"{int(r['rank'])} of {int(r['n_ranked'])}"

    out = pd.DataFrame({
        "Council": cells["display_name"],
        "Region": cells["region_name"],
        "Type": cells["type"].map(council_type_text),
        "Score and band": cells.apply(value_text, axis=1) if len(cells) else pd.Series(dtype=str),
        "Rank": cells.apply(rank_words, axis=1) if len(cells) else pd.Series(dtype=str),
    })
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Region league table
# --------------------------------------------------------------------------------------------

def region_league(con: duckdb.DuckDBPyConnection, year: int,
                  council_type: str | None = None) -> pd.DataFrame:
    """One row per region: overall median and quartiles, coverage, and standards most councils meet.

    Computed over the councils of `council_type` only when one is given (regions with no
    council of that type are left out). Medians and quartiles are over ranked respondents, as
    in the overall_summary view; the share meeting a standard is over respondents with evidence
    on it, as in standard_summary. `standards_met_by_most` lists the standards (asked in the
    round) that more than half of those councils meet. Ranked by median, highest first.
    """
    return con.execute(
        """
        WITH members AS (
            SELECT round_year, authority_code, region_code, region_name, type, responded
            FROM round_councils
            WHERE round_year = $year AND ($type::VARCHAR IS NULL OR type = $type::VARCHAR)
        ), overall AS (
            SELECT m.region_code, m.region_name,
                   count(*) AS councils,
                   count(*) FILTER (WHERE m.responded) AS respondents,
                   count(*) FILTER (WHERE o.ranked) AS ranked,
                   median(o.score) FILTER (WHERE o.ranked) AS median_score,
                   quantile_cont(o.score, 0.25) FILTER (WHERE o.ranked) AS q1_score,
                   quantile_cont(o.score, 0.75) FILTER (WHERE o.ranked) AS q3_score
            FROM members m
            LEFT JOIN overall_scores o
                   ON o.round_year = m.round_year AND o.authority_code = m.authority_code
            GROUP BY ALL
        ), per_standard AS (
            SELECT m.region_code, s.standard,
                   count(*) FILTER (WHERE s.band = (SELECT key FROM bands ORDER BY min_score DESC LIMIT 1))
                       / nullif(count(s.score), 0) AS share_meeting
            FROM members m
            JOIN standard_scores s ON s.round_year = m.round_year AND s.authority_code = m.authority_code
            JOIN (SELECT DISTINCT standard FROM round_questions WHERE round_year = $year) q
              ON q.standard = s.standard
            GROUP BY ALL
        ), met AS (
            SELECT region_code,
                   list(standard ORDER BY standard) FILTER (WHERE share_meeting > 0.5) AS standards_met_by_most,
                   count(*) AS standards_asked
            FROM per_standard GROUP BY region_code
        )
        SELECT o.*, o.respondents / o.councils AS coverage,
               coalesce(met.standards_met_by_most, []::INTEGER[]) AS standards_met_by_most,
               coalesce(met.standards_asked, 0) AS standards_asked,
               -- Regions shown at the same median share a position, as councils share a rank.
               rank() OVER (ORDER BY shown(o.median_score) DESC NULLS LAST) AS league_position
        FROM overall o LEFT JOIN met USING (region_code)
        ORDER BY o.median_score DESC NULLS LAST, o.region_name
        """,
        {"year": year, "type": council_type},
    ).df()


def england_overall(con: duckdb.DuckDBPyConnection, year: int,
                    council_type: str | None = None) -> dict[str, float | int | None]:
    """England's median overall score and coverage over the same councils as the league table."""
    row = con.execute(
        """
        SELECT median(o.score) FILTER (WHERE o.ranked), count(*) FILTER (WHERE c.responded), count(*)
        FROM round_councils c
        LEFT JOIN overall_scores o ON o.round_year = c.round_year AND o.authority_code = c.authority_code
        WHERE c.round_year = $year AND ($type::VARCHAR IS NULL OR c.type = $type::VARCHAR)
        """,
        {"year": year, "type": council_type},
    ).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return {"median_score": row[0], "respondents": int(row[1]), "councils": int(row[2])}


def league_export(league: pd.DataFrame, year: int, council_type: str | None) -> pd.DataFrame:
    """The league as downloaded, in the open data's column names (lib.reports.opendata_dictionary.MEANINGS): the
    whole numbers the page shows (half up), the exact medians in median_score_unrounded, and
    coverage as a fraction as in the API's summaries."""
    out = league.assign(
        standards_met_by_most=league["standards_met_by_most"].map(lambda s: ";".join(str(int(n)) for n in s)),
        council_type=council_type, round_year=year,
        median_score_unrounded=league["median_score"],
        region_n_ranked=league["ranked"], councils_in_scope=league["councils"],
    )
    for col in ("median_score", "q1_score", "q3_score"):
        out[col] = pd.array([shown_int(v) for v in league[col]], dtype="Int64")
    return out[["round_year", "council_type", "league_position", "region_code", "region_name", "median_score",
                "q1_score", "q3_score", "region_n_ranked", "respondents", "councils_in_scope", "coverage",
                "standards_met_by_most", "median_score_unrounded"]]


def league_table(league: pd.DataFrame) -> pd.DataFrame:
    """The league as people read it: words and whole numbers, no NaN."""
    def spread(r: pd.Series) -> str:
        if is_missing(r["q1_score"]):
            return DASH
        return f"{format_score(r['q1_score'])} to {format_score(r['q3_score'])}"

    def met(r: pd.Series) -> str:
        if not r["standards_asked"] or not r["respondents"]:
            return DASH
        items = [int(s) for s in r["standards_met_by_most"]]
        listed = ", ".join(str(s) for s in items) if items else "none"
        return f"{len(items)} of {int(r['standards_asked'])} ({listed})" if items else f"0 of {int(r['standards_asked'])}"

    return pd.DataFrame({
        "Position": league["league_position"],
        "Region": league["region_name"],
        "Median overall score": league["median_score"].map(format_score),
        "Middle half of councils": league.apply(spread, axis=1) if len(league) else [],
        "Councils responding": [f"{int(r)} of {int(c)} ({format_percent(v)})" for r, c, v in
                                zip(league["respondents"], league["councils"], league["coverage"], strict=True)],
        "Standards most councils meet": league.apply(met, axis=1) if len(league) else [],
    })


# --------------------------------------------------------------------------------------------
# Region x standard heat map
# --------------------------------------------------------------------------------------------

def region_standard_matrix(con: duckdb.DuckDBPyConnection, year: int,
                           council_type: str | None = None) -> pd.DataFrame:
    """Long table, one row per region and standard asked in the round: median score and share meeting.

    Same definitions as the standard_summary view (median over councils with evidence; share
    meeting over councils with evidence), restricted to one council type when given, with the
    region's councils, respondents and coverage on every row.
    """
    return con.execute(
        """
        WITH members AS (
            SELECT round_year, authority_code, region_code, region_name, responded
            FROM round_councils
            WHERE round_year = $year AND ($type::VARCHAR IS NULL OR type = $type::VARCHAR)
        ), cover AS (
            SELECT region_code, region_name, count(*) AS councils,
                   count(*) FILTER (WHERE responded) AS respondents
            FROM members GROUP BY ALL
        ), asked AS (
            SELECT s.number AS standard, s.short_name FROM standards s
            WHERE EXISTS (SELECT 1 FROM round_questions q WHERE q.standard = s.number
                          AND q.round_year = $year)
        ), scores AS (
            SELECT m.region_code, s.standard,
                   count(s.score) AS scored,
                   median(s.score) AS median_score,
                   count(*) FILTER (WHERE s.band = (SELECT key FROM bands ORDER BY min_score DESC LIMIT 1))
                       AS meeting
            FROM members m
            JOIN standard_scores s ON s.round_year = m.round_year AND s.authority_code = m.authority_code
            GROUP BY ALL
        )
        SELECT c.region_code, c.region_name, a.standard, a.short_name,
               c.councils, c.respondents, c.respondents / c.councils AS coverage,
               coalesce(s.scored, 0) AS scored, s.median_score,
               coalesce(s.meeting, 0) AS meeting,
               s.meeting / nullif(s.scored, 0) AS share_meeting
        FROM cover c CROSS JOIN asked a
        LEFT JOIN scores s ON s.region_code = c.region_code AND s.standard = a.standard
        ORDER BY c.region_name, a.standard
        """,
        {"year": year, "type": council_type},
    ).df()


def matrix_table(matrix: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The heat map's text equivalent: regions down, standards across, numbers in words."""
    if matrix.empty:
        return pd.DataFrame()
    def cell(r: pd.Series) -> str:
        if not r["scored"]:
            return "No response" if not r["respondents"] else NO_EVIDENCE
        if measure == "meeting":
            return f"{format_percent(r['share_meeting'])} ({int(r['meeting'])} of {int(r['scored'])})"
        return format_score(r["median_score"])

    shown = matrix.assign(
        cell=matrix.apply(cell, axis=1),
        column=[f"{n}. {name}" for n, name in zip(matrix["standard"], matrix["short_name"], strict=True)],
        Region=[f"{name} ({int(r)} of {int(c)} responded)" for name, r, c in
                zip(matrix["region_name"], matrix["respondents"], matrix["councils"], strict=True)],
    )
    order = list(dict.fromkeys(shown["column"]))
    wide = shown.pivot(index="Region", columns="column", values="cell")
    return wide[order].reset_index().rename_axis(columns=None)


# --------------------------------------------------------------------------------------------
# Councils in one region
# --------------------------------------------------------------------------------------------

def council_scores_long(con: duckdb.DuckDBPyConnection, year: int, *, region: str | None = None,
                        council_type: str | None = None, codes: list[str] | None = None) -> pd.DataFrame:
    """Long table: each council of a region (and type), or of a list of codes, and each standard
    asked in the round, with score, band and ranks straight from the views.

    Councils that did not respond appear once with responded = false and no standard rows.
    Best overall first. The peer comparison reads the same table for its councils.
    """
    return con.execute(
        """
        SELECT c.authority_code, c.display_name, c.region_name, c.type, c.responded,
               o.score AS overall_score, o.band AS overall_band, ob.label AS overall_band_label,
               o.ranked, o.rank, o.n_ranked, o.region_rank, o.region_n_ranked,
               o.standards_evidenced, o.score_low AS overall_score_low, o.score_high AS overall_score_high,
               o.rank_best, o.rank_worst,
               s.standard, s.short_name, s.score, s.band, sb.label AS band_label, s.asked,
               s.score_low, s.score_high
        FROM round_councils c
        LEFT JOIN overall_scores o ON o.round_year = c.round_year AND o.authority_code = c.authority_code
        LEFT JOIN bands ob ON ob.key = o.band
        LEFT JOIN standard_scores s
               ON s.round_year = c.round_year AND s.authority_code = c.authority_code
              AND s.standard IN (SELECT DISTINCT standard FROM round_questions
                                 WHERE round_year = $year)
        LEFT JOIN bands sb ON sb.key = s.band
        WHERE c.round_year = $year
          AND ($region::VARCHAR IS NULL OR c.region_code = $region::VARCHAR)
          AND ($type::VARCHAR IS NULL OR c.type = $type::VARCHAR)
          AND ($codes::VARCHAR[] IS NULL OR list_contains($codes::VARCHAR[], c.authority_code))
        ORDER BY o.rank NULLS LAST, c.display_name, s.standard
        """,
        {"year": year, "region": region, "type": council_type,
         "codes": None if codes is None else list(codes)},
    ).df()


def standard_cell(score: object, band_label: object, asked: object, low: object = None, high: object = None) -> str:
    """'62 · Partly meets', '48 (48–61) · Partly meets' where unknown or missing answers leave a
    range, or 'Not asked' - never NaN."""
    if is_missing(asked) or not bool(asked) or is_missing(score):
        return NOT_ASKED
    return f"{score_with_range(score, low, high)} · {band_label}"


def none_not_met(lowest_label: str | None) -> str:
    """What the 'Standards not met' cell says when no standard is in the lowest band: plain
    words, so it cannot be read as a missing value."""
    band = f"the '{lowest_label}' band" if lowest_label else "the lowest band"
    return f"None: no standard is in {band}"


def council_grid(long: pd.DataFrame, lowest_band: str,
                 lowest_label: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responding councils as rows and standards as columns, plus the band key of every cell.

    Returns (table, bands): `table` holds text cells ('62 Partly meets'), a 'Standards not met'
    column naming the standards in `lowest_band` (or saying in words that there are none, see
    none_not_met), and ranks; `bands` has the same shape with
    the band key (or None) per standard cell so a page can tint cells by band.
    """
    responded = long[long["responded"]]
    if responded.empty:
        return pd.DataFrame(), pd.DataFrame()
    # One pass over the rows (a council's rows are its standards), not a groupby with a frame per
    # council: at 100x data a region holds 2,000 councils and the per-group frames took 8 s.
    rows: dict[object, dict[str, object]] = {}
    band_rows: dict[object, dict[str, object]] = {}
    weakest: dict[object, list[int]] = {}
    for r in responded.itertuples(index=False):
        code = r.authority_code
        if code not in rows:
            row: dict[str, object] = {
                "Council": r.display_name,
                "Type": council_type_text(r.type),
                "Overall score": standard_cell(r.overall_score, r.overall_band_label, not is_missing(r.overall_score),
                                               r.overall_score_low, r.overall_score_high),
                "Rank in England": (f"{int(r.rank)} of {int(r.n_ranked)}" + rank_range_text(r.rank_best, r.rank_worst)
                                    if not is_missing(r.rank) else "Not ranked"),
                "Rank in region": (f"{int(r.region_rank)} of {int(r.region_n_ranked)}"
                                   if not is_missing(r.region_rank) else "Not ranked"),
                "Standards not met": None,
            }
            bands_row: dict[str, object] = {k: None for k in row}
            bands_row["Overall score"] = None if is_missing(r.overall_band) else r.overall_band
            rows[code], band_rows[code], weakest[code] = row, bands_row, []
        if r.band == lowest_band:
            weakest[code].append(int(r.standard))
        if is_missing(r.standard):
            continue
        column = f"{int(r.standard)}. {r.short_name}"
        rows[code][column] = standard_cell(r.score, r.band_label, r.asked, r.score_low, r.score_high)
        band_rows[code][column] = None if is_missing(r.band) else r.band
    for code, row in rows.items():
        row["Standards not met"] = (", ".join(str(s) for s in weakest[code]) if weakest[code]
                                    else none_not_met(lowest_label))
        row["code"] = code
        band_rows[code]["code"] = code
    table = pd.DataFrame(list(rows.values()))
    return table, pd.DataFrame(list(band_rows.values()))[table.columns]


def non_respondents(long: pd.DataFrame) -> list[str]:
    """Names of the region's councils (of the chosen type) that did not respond."""
    names = long.loc[~long["responded"], "display_name"].drop_duplicates()
    return sorted(str(n) for n in names)
