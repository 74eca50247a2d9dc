"""Gaps: where support is missing, nationally and by council, set against the published figures.

A "measure" names one national share the 2015 report publishes, in the same words as
data/published_figures.csv: `answer:v1|v2` is the share of responding councils giving any of
those answers, `provider:key` the share naming that kind of provider.

The queries are here; lib.analysis.gap_tables turns their frames into the page's tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

import duckdb
import pandas as pd

from lib.analysis.national import previous_round
from lib.base.rounding import shown_change


def parse_measure(measure: str) -> tuple[str, list[str]]:
    """Split 'answer:available|in_development' into ('answer', ['available', 'in_development'])."""
    kind, _, rest = measure.partition(":")
    values = [v for v in rest.split("|") if v]
    if kind not in ("answer", "provider") or not values or (kind == "provider" and len(values) > 1):
        raise ValueError(f"measure {measure!r} must look like 'answer:v1|v2' or 'provider:key'")
    return kind, values


def measure_shares(con: duckdb.DuckDBPyConnection, year: int, pairs: list[tuple[str, str]],
                   scope: str = "england", scope_code: str = "E92000001") -> list[float | None]:
    """measure_share for many (question_id, measure) pairs in one query (the published-figures
    check compares 60-odd at once). None where the round did not ask the question."""
    wanted = [(i, q, kind, v) for i, (q, m) in enumerate(pairs)
              for kind, values in [parse_measure(m)] for v in values]
    if not wanted:
        return []
    pair, question, kind, value = (list(col) for col in zip(*wanted, strict=True))
    rows = con.execute(
        """
        WITH w AS (SELECT unnest($pair) AS pair, unnest($question) AS question_id,
                          unnest($kind) AS kind, unnest($value) AS value)
        SELECT w.pair, sum(coalesce(a.share, p.share)) AS share,
               count(a.share) + count(p.share) AS found
        FROM w
        LEFT JOIN answer_shares a
               ON w.kind = 'answer' AND a.round_year = $year AND a.scope = $scope
              AND a.scope_code = $code AND a.question_id = w.question_id AND a.answer = w.value
        LEFT JOIN provider_shares p
               ON w.kind = 'provider' AND p.round_year = $year AND p.scope = $scope
              AND p.scope_code = $code AND p.question_id = w.question_id AND p.provider = w.value
        GROUP BY w.pair
        """,
        {"pair": pair, "question": question, "kind": kind, "value": value,
         "year": year, "scope": scope, "code": scope_code},
    ).fetchall()
    found = {int(pair): float(share) for pair, share, n in rows if n}
    return [found.get(i) for i in range(len(pairs))]


def measure_share(con: duckdb.DuckDBPyConnection, year: int, question_id: str, measure: str,
                  scope: str = "england", scope_code: str = "E92000001") -> float | None:
    """The share (0-1) of responding councils in a scope matching a measure, or None if not asked."""
    return measure_shares(con, year, [(question_id, measure)], scope, scope_code)[0]


# --------------------------------------------------------------------------------------------
# Filters shared by the Gap finder's sections
# --------------------------------------------------------------------------------------------

#: The outcome (scoring.toml: each answer option's `outcome`) that means a council has the
#: support; question_summary counts the same answers as share_available. Any other answer -
#: in development, not available, don't know, no answer - is a gap.
HAS_SUPPORT = "has"
NOT_ANSWERED = "Not answered"
#: A standard the round's questionnaire did not ask about (2012-2014 asked about four).
NOT_ASKED = "Not asked"

#: Heat-map orders other than "by one standard" (which is the standard's number, "1"-"9").
SORTS = {"overall": "Overall score (highest first)", "name": "Council name (A to Z)",
         "region": "Region, then overall score"}


def council_types(con: duckdb.DuckDBPyConnection, year: int) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT type FROM round_councils WHERE round_year = ? ORDER BY type", [year]
    ).fetchall()
    return [r[0] for r in rows]


class Coverage(TypedDict):
    councils: int
    respondents: int
    coverage: float
    scope_name: str


def coverage(con: duckdb.DuckDBPyConnection, year: int, scope: str = "england",
             scope_code: str = "E92000001") -> Coverage:
    """Councils, respondents and response coverage of one scope in a round."""
    row = con.execute(
        "SELECT councils, respondents, coverage, scope_name FROM scope_coverage "
        "WHERE round_year = ? AND scope = ? AND scope_code = ?",
        [year, scope, scope_code],
    ).fetchone()
    if row is None:
        return {"councils": 0, "respondents": 0, "coverage": 0.0, "scope_name": ""}
    return {"councils": int(row[0]), "respondents": int(row[1]), "coverage": float(row[2]),
            "scope_name": str(row[3])}


# --------------------------------------------------------------------------------------------
# 1. Councils x standards heat map
# --------------------------------------------------------------------------------------------

_HEATMAP_SQL = """
SELECT s.authority_code, c.display_name, c.region_code, c.region_name, c.type,
       s.standard, s.short_name, s.score, s.band, s.evidence,
       s.questions > 0 AS asked,
       CASE WHEN s.questions = 0 THEN ? ELSE coalesce(b.label, 'No evidence') END AS band_label,
       o.score AS overall_score, coalesce(ob.label, 'No evidence') AS overall_band_label,
       o.rank, o.n_ranked, o.ranked, o.standards_evidenced,
       k.score AS sort_score
FROM standard_scores s
JOIN round_councils c USING (round_year, authority_code)
JOIN overall_scores o USING (round_year, authority_code)
LEFT JOIN bands b ON b.key = s.band
LEFT JOIN bands ob ON ob.key = o.band
LEFT JOIN standard_scores k
       ON k.round_year = s.round_year AND k.authority_code = s.authority_code AND k.standard = ?
WHERE s.round_year = ?
  AND (CAST(? AS VARCHAR) IS NULL OR c.region_code = ?)
  AND (CAST(? AS VARCHAR) IS NULL OR c.type = ?)
"""

_HEATMAP_ORDER = {
    "overall": "o.score DESC NULLS LAST, c.display_name",
    "name": "c.display_name",
    "region": "c.region_name, o.score DESC NULLS LAST, c.display_name",
    "standard": "k.score DESC NULLS LAST, o.score DESC NULLS LAST, c.display_name",
}


def valid_sort(value: str | None, standard_numbers: Iterable[int]) -> str:
    """A ?sort= value the heat map understands ('overall' when it is missing or unknown): one of
    SORTS or the number of a standard in `standard_numbers` (the standards table's). Compared as
    text against the known values, so '²' or a 5,000-digit number is simply unknown."""
    if value in SORTS or (value is not None and value in {str(n) for n in standard_numbers}):
        return str(value)
    return "overall"


def heatmap_frame(con: duckdb.DuckDBPyConnection, year: int, *, region: str | None = None,
                  council_type: str | None = None, sort: str = "overall") -> pd.DataFrame:
    """One row per responding council and standard, councils in the chosen order.

    `sort` is 'overall', 'name', 'region' or a standard number ('1'-'9': that standard's score,
    highest first, councils with no evidence on it last). `row` numbers the councils in order.
    band_label is the band, "No evidence", or "Not asked" for a standard the round's
    questionnaire did not ask about.
    """
    sort = valid_sort(sort, [int(n) for (n,) in con.execute("SELECT number FROM standards").fetchall()])
    by_standard = sort.isdigit()
    order = _HEATMAP_ORDER["standard" if by_standard else sort]
    df = con.execute(
        _HEATMAP_SQL + f" ORDER BY {order}, s.standard",  # noqa: S608 - order chosen from a fixed dict
        [NOT_ASKED, int(sort) if by_standard else 0, year, region, region, council_type, council_type],
    ).df()
    codes = list(dict.fromkeys(df["authority_code"]))
    df["row"] = df["authority_code"].map({c: i for i, c in enumerate(codes)})
    return df.drop(columns="sort_score")


def standards_not_asked(frame: pd.DataFrame) -> list[int]:
    """Standards the round's questionnaire did not ask about (no council could have evidence)."""
    asked = frame.groupby("standard")["asked"].any()
    return [int(n) for n, a in asked.items() if not a]


# --------------------------------------------------------------------------------------------
# 2. Questions most often unmet
# --------------------------------------------------------------------------------------------

def unmet_questions(con: duckdb.DuckDBPyConnection, year: int, scope: str = "england",
                    scope_code: str = "E92000001") -> pd.DataFrame:
    """Each scored question's shares of responding councils without the support, worst first.

    Read from question_summary. share_without = 1 - share_available: in development, not
    available, don't know, not answered, and (for the self-funder question) partial answers.
    from_report is false for questions the 2015 survey did not ask (report_ref "new"): the
    standards call for that evidence, but the report has no figure for it.
    """
    return con.execute(
        """
        SELECT q.id AS question_id, q.topic, q.wording, q.standard, s.short_name, q.audience,
               q.report_ref <> 'new' AS from_report,
               qs.respondents, qs.councils_in_scope, qs.coverage, qs.scope_name,
               coalesce(qs.share_available, 0) AS share_available,
               coalesce(qs.share_in_development, 0) AS share_in_development,
               coalesce(qs.share_not_available, 0) AS share_not_available,
               coalesce(qs.share_dont_know, 0) AS share_dont_know,
               qs.missing / nullif(qs.respondents, 0) AS share_missing,
               greatest(1 - coalesce(qs.share_available, 0) - coalesce(qs.share_in_development, 0)
                          - coalesce(qs.share_not_available, 0) - coalesce(qs.share_dont_know, 0)
                          - coalesce(qs.missing / nullif(qs.respondents, 0), 0), 0) AS share_other,
               1 - coalesce(qs.share_available, 0) AS share_without
        FROM question_summary qs
        JOIN questions q ON q.id = qs.question_id
        JOIN standards s ON s.number = q.standard
        WHERE qs.round_year = ? AND qs.scope = ? AND qs.scope_code = ? AND q.scored
        ORDER BY share_without DESC, q.position
        """,
        [year, scope, scope_code],
    ).df()


# --------------------------------------------------------------------------------------------
# 3. Which councils lack X
# --------------------------------------------------------------------------------------------

def scored_questions(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Scored questions asked in the round, in questionnaire order, for the question picker."""
    return con.execute(
        """
        SELECT q.id AS question_id, q.topic, q.wording, q.standard, s.short_name, q.audience,
               q.answer_set, q.report_ref <> 'new' AS from_report
        FROM questions q JOIN standards s ON s.number = q.standard
        WHERE q.scored AND q.asked_from <= ? ORDER BY q.position
        """,
        [year],
    ).df()


def support_labels(con: duckdb.DuckDBPyConnection, question_id: str) -> list[str]:
    """Labels of the answers that mean a council has the support, for this question's answer set."""
    rows = con.execute(
        "SELECT o.label FROM questions q JOIN answer_options o ON o.answer_set = q.answer_set "
        "WHERE q.id = ? AND o.outcome = ? ORDER BY o.position",
        [question_id, HAS_SUPPORT],
    ).fetchall()
    return [r[0] for r in rows]


def councils_lacking(con: duckdb.DuckDBPyConnection, year: int, question_id: str, *,
                     region: str | None = None, council_type: str | None = None) -> pd.DataFrame:
    """Responding councils whose answer to a question is anything but having the support.

    Councils that answered 'in development', 'not available' or 'don't know', and those that
    left the question unanswered (labelled 'Not answered'), in answer order then by name.
    """
    return con.execute(
        """
        SELECT c.authority_code, c.display_name, c.region_code, c.region_name, c.type,
               r.answer, coalesce(o.label, ?) AS answer_label, coalesce(o.position, 999) AS answer_position,
               coalesce((SELECT string_agg(p.label, '; ' ORDER BY p.label) FROM providers p
                         WHERE list_contains(r.providers, p.key)), '') AS providers,
               array_to_string(list_sort(r.providers), ';') AS provider_keys
        FROM round_councils c
        JOIN questions q ON q.id = ?
        LEFT JOIN responses r ON r.round_year = c.round_year AND r.authority_code = c.authority_code
                             AND r.question_id = q.id
        LEFT JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer
        WHERE c.round_year = ? AND c.responded
          AND (r.answer IS NULL OR o.outcome IS DISTINCT FROM ?)
          AND (CAST(? AS VARCHAR) IS NULL OR c.region_code = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR c.type = ?)
        ORDER BY answer_position, c.display_name
        """,
        [NOT_ANSWERED, question_id, year, HAS_SUPPORT, region, region, council_type, council_type],
    ).df()


def non_respondents(con: duckdb.DuckDBPyConnection, year: int, *, region: str | None = None,
                    council_type: str | None = None) -> pd.DataFrame:
    """Councils in the round's set that sent no answers (so nothing is known about them)."""
    return con.execute(
        """
        SELECT authority_code, display_name, region_name, type FROM round_councils
        WHERE round_year = ? AND NOT responded
          AND (CAST(? AS VARCHAR) IS NULL OR region_code = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR type = ?)
        ORDER BY display_name
        """,
        [year, region, region, council_type, council_type],
    ).df()


def lacking_export(lacking: pd.DataFrame, question: pd.Series, year: int) -> pd.DataFrame:
    """The 'lacks X' list as a download, in the open data's column names (lib.reports.opendata_dictionary.MEANINGS;
    the API's answers have the same columns for the councils that answered), the question named
    on every row. A council that left the question unanswered has an empty answer."""
    return pd.DataFrame({
        "round_year": year,
        "authority_code": lacking["authority_code"],
        "authority_name": lacking["display_name"],
        "region_code": lacking["region_code"],
        "region_name": lacking["region_name"],
        "council_type": lacking["type"],
        "question_id": question["question_id"],
        "standard": int(question["standard"]),
        "topic": question["topic"],
        "answer": lacking["answer"],
        "answer_label": lacking["answer_label"],
        "providers": lacking["provider_keys"],
        "providers_label": lacking["providers"],
    })


# --------------------------------------------------------------------------------------------
# 4. Change since the previous round, and the published national figures
# --------------------------------------------------------------------------------------------

def change_since_previous(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Per scored question asked in both rounds: national shares now and in the previous round.

    Shares are of each round's responding councils (different councils answer each year), in
    percent; changes are in percentage points. Empty when there is no previous round.
    """
    prev = previous_round(con, year)
    if prev is None:
        return pd.DataFrame()
    df = con.execute(
        """
        WITH s AS (
            SELECT round_year, question_id, respondents,
                   100 * coalesce(share_available, 0) AS available,
                   100 * (coalesce(share_available, 0) + coalesce(share_in_development, 0)) AS available_or_dev
            FROM question_summary WHERE scope = 'england' AND round_year IN (?, ?)
        )
        SELECT q.id AS question_id, q.topic, q.standard, st.short_name,
               p.available AS previous_available, c.available,
               c.available - p.available AS available_change,
               p.available_or_dev AS previous_available_or_dev, c.available_or_dev,
               c.available_or_dev - p.available_or_dev AS available_or_dev_change,
               p.respondents AS previous_respondents, c.respondents,
               ? AS previous_year
        FROM questions q
        JOIN standards st ON st.number = q.standard
        JOIN s c ON c.question_id = q.id AND c.round_year = ?
        JOIN s p ON p.question_id = q.id AND p.round_year = ?
        WHERE q.scored
        ORDER BY available_or_dev_change DESC, q.position
        """,
        [year, prev, prev, year, prev],
    ).df()
    # Percentages are shown as whole numbers (half up) and a change is the difference of the
    # two shown percentages, so every row adds up as shown.
    for col in ("available", "available_or_dev"):
        df[f"{col}_change"] = [shown_change(a, b) for a, b in zip(df[col], df[f"previous_{col}"], strict=True)]
    return df.sort_values(["available_or_dev_change"], ascending=False, kind="stable").reset_index(drop=True)


def _mapped_figures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        SELECT f.figure_id, f.year, f.kind, f.audience, f.topic, f.answer, f.percent, f.base_n,
               f.source_ref, f.question_id, f.measure, f.note, q.standard
        FROM published_figures f JOIN questions q ON q.id = f.question_id
        WHERE f.question_id IS NOT NULL AND f.measure IS NOT NULL AND f.percent IS NOT NULL
        ORDER BY f.year, q.position, f.figure_id
        """
    ).df()


def report_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Round years the report's figures speak to: years with published levels, and the year
    before a published change (the change implies that year's level)."""
    figs = _mapped_figures(con)
    years = set(figs.loc[figs["kind"] == "level", "year"]) | set(figs.loc[figs["kind"] == "change", "year"] - 1)
    return sorted(int(y) for y in years)


def published_comparison(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Each published national percentage for a round set against this database's share.

    One row per published level figure for `year` that maps to a question and a measure, plus
    (for the year before a published change, e.g. 2014) the level the change implies:
    the later level less the change. difference = published - database, in points.
    """
    figs = _mapped_figures(con)
    levels = figs[figs["kind"] == "level"]
    rows = []
    for f in levels[levels["year"] == year].itertuples():
        rows.append({**f._asdict(), "published": float(f.percent), "basis": "Published",
                     "reference": f.source_ref})
    for c in figs[(figs["kind"] == "change") & (figs["year"] == year + 1)].itertuples():
        later = levels[(levels["year"] == c.year) & (levels["question_id"] == c.question_id)
                       & (levels["measure"] == c.measure)]
        if len(later):
            rows.append({**c._asdict(), "answer": str(c.answer).split(":")[0],
                         "published": float(later["percent"].iloc[0]) - float(c.percent),
                         "basis": f"Implied: {c.year} level less the published change",
                         "reference": f"{later['source_ref'].iloc[0]}; {c.source_ref}"})
    columns = ["figure_id", "question_id", "measure", "standard", "topic", "answer", "published",
               "database", "difference", "basis", "reference", "note"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    shares = measure_shares(con, year, list(zip(out["question_id"], out["measure"], strict=True)))
    out["database"] = [None if s is None else 100 * s for s in shares]
    out["difference"] = [shown_change(p, d) for p, d in zip(out["published"], out["database"], strict=True)]
    out["note"] = out["note"].where(out["note"].notna(), "")
    out["standard"] = out["standard"].astype("Int64")
    return out[columns].reset_index(drop=True)


def published_changes(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """The report's 'change since last year' figures for a round, against this database's change.

    database_change = this round's share less the previous round's, in points (None when the
    database has no previous round to compare with).
    """
    figs = _mapped_figures(con)
    changes = figs[(figs["kind"] == "change") & (figs["year"] == year)]
    columns = ["figure_id", "question_id", "topic", "answer", "published_change", "previous_year",
               "database_change", "difference", "reference", "note"]
    if changes.empty:
        return pd.DataFrame(columns=columns)
    prev = previous_round(con, year)
    pairs = list(zip(changes["question_id"], changes["measure"], strict=True))
    shares_now = measure_shares(con, year, pairs)
    shares_before = measure_shares(con, prev, pairs) if prev is not None else [None] * len(pairs)
    rows = []
    for c, now, before in zip(changes.itertuples(), shares_now, shares_before, strict=True):
        db_change = None if now is None or before is None else shown_change(100 * now, 100 * before)
        rows.append({"figure_id": c.figure_id, "question_id": c.question_id, "topic": c.topic,
                     "answer": c.answer, "published_change": float(c.percent), "previous_year": prev,
                     "database_change": db_change,
                     "difference": None if db_change is None else shown_change(float(c.percent), db_change),
                     "reference": c.source_ref, "note": c.note if isinstance(c.note, str) else ""})
    return pd.DataFrame(rows, columns=columns)
