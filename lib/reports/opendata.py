"""Open data: the datasets anyone may download or fetch from the API.

One definition per dataset (its SQL, its filters, its order), shared by the Download page and
the HTTP API (lib.api.routes), so a file and an API response of the same data have the same columns.
Every survey dataset carries the round, its council set, its provenance and a `data_note`
column naming synthetic demonstration data where it applies (empty for real rounds).

Councils' own answers (the `answers` dataset) are served only for rounds whose
`survey_rounds.published_detail` is true; scores and summaries are always open.

This module holds the datasets, the checking of request parameters, reading a dataset and the
API addresses. Their data dictionary is lib.reports.opendata_dictionary; the files people
download (CSV, XLSX, Parquet) are built in lib.reports.opendata_files.

No Streamlit here: this module is data code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

import duckdb
import pandas as pd

from lib.base import exports

DEMO_NOTE = exports.DEMO_NOTE


def council_set_sql(rounds_alias: str = "r") -> str:
    """SQL for a round's council set, read from survey_rounds (alias `rounds_alias`): its
    council-set day as ISO text ('2015-04-01': the councils valid on 1 April 2015)."""
    return f"strftime({rounds_alias}.council_set_on, '%Y-%m-%d')"


def _round_columns(alias: str = "r") -> str:
    """The provenance columns every survey dataset ends with."""
    return (f"{alias}.provenance, CASE WHEN {alias}.is_demo THEN '{DEMO_NOTE}' END AS data_note")


# --------------------------------------------------------------------------------------------
# The datasets
# --------------------------------------------------------------------------------------------

_SCORES_SQL = f"""
SELECT o.round_year, {council_set_sql()} AS council_set, o.authority_code,
       o.display_name AS authority_name, o.region_code, o.region_name, o.type AS council_type,
       'overall' AS level, CAST(NULL AS INTEGER) AS standard, 'Overall' AS standard_name,
       CAST(o.score AS INTEGER) AS score, o.band, b.label AS band_label,
       round(o.score_unrounded, 9) AS score_unrounded,
       CAST(o.score_low AS INTEGER) AS score_low, CAST(o.score_high AS INTEGER) AS score_high,
       o.standards_evidenced > 0 AS evidence,
       CAST(o.standards_evidenced AS INTEGER) AS standards_evidenced,
       CAST(o.standards_total AS INTEGER) AS standards_total,
       CAST(o.scored_questions AS INTEGER) AS questions, CAST(a.answered AS INTEGER) AS answered,
       CAST(o.unknown_answers AS INTEGER) AS unknown, CAST(o.missing_answers AS INTEGER) AS missing,
       o.ranked, CAST(o.rank AS INTEGER) AS rank, CAST(o.n_ranked AS INTEGER) AS n_ranked,
       CAST(o.region_rank AS INTEGER) AS region_rank,
       CAST(o.region_n_ranked AS INTEGER) AS region_n_ranked,
       CAST(o.rank_best AS INTEGER) AS rank_best, CAST(o.rank_worst AS INTEGER) AS rank_worst,
       {_round_columns()}
FROM overall_scores o
JOIN survey_rounds r ON r.year = o.round_year
LEFT JOIN bands b ON b.key = o.band
LEFT JOIN (SELECT round_year, authority_code, sum(answered) AS answered
           FROM standard_scores GROUP BY ALL) a USING (round_year, authority_code)
UNION ALL
SELECT s.round_year, {council_set_sql()} AS council_set, s.authority_code,
       c.display_name AS authority_name, c.region_code, c.region_name, c.type AS council_type,
       'standard' AS level, CAST(s.standard AS INTEGER) AS standard, s.short_name AS standard_name,
       CAST(s.score AS INTEGER) AS score, s.band, b.label AS band_label,
       round(s.score_unrounded, 9) AS score_unrounded,
       CAST(s.score_low AS INTEGER) AS score_low, CAST(s.score_high AS INTEGER) AS score_high, s.evidence,
       CAST(NULL AS INTEGER) AS standards_evidenced, CAST(NULL AS INTEGER) AS standards_total,
       CAST(s.questions AS INTEGER) AS questions, CAST(s.answered AS INTEGER) AS answered,
       CAST(s.unknown AS INTEGER) AS unknown, CAST(s.missing AS INTEGER) AS missing,
       CAST(NULL AS BOOLEAN) AS ranked, CAST(NULL AS INTEGER) AS rank,
       CAST(NULL AS INTEGER) AS n_ranked, CAST(NULL AS INTEGER) AS region_rank,
       CAST(NULL AS INTEGER) AS region_n_ranked,
       CAST(NULL AS INTEGER) AS rank_best, CAST(NULL AS INTEGER) AS rank_worst,
       {_round_columns()}
FROM standard_scores s
JOIN round_councils c USING (round_year, authority_code)
JOIN survey_rounds r ON r.year = s.round_year
LEFT JOIN bands b ON b.key = s.band
"""  # noqa: S608 - fixed SQL built from this module's constants

_ANSWERS_SQL = f"""
SELECT x.round_year, {council_set_sql()} AS council_set, x.authority_code,
       c.display_name AS authority_name, c.region_code, c.region_name, c.type AS council_type,
       x.question_id, q.standard, q.topic, x.answer, o.label AS answer_label, o.outcome,
       o.score AS answer_score, array_to_string(list_sort(x.providers), ';') AS providers,
       {_round_columns()}
FROM responses x
JOIN survey_rounds r ON r.year = x.round_year
JOIN round_councils c ON c.round_year = x.round_year AND c.authority_code = x.authority_code
JOIN questions q ON q.id = x.question_id
LEFT JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = x.answer
WHERE r.published_detail
"""  # noqa: S608 - fixed SQL built from this module's constants

_SUMMARY_SQL = f"""
SELECT s.round_year, {council_set_sql()} AS council_set, s.scope, s.scope_code, s.scope_name,
       s.question_id, s.standard, s.topic, s.scored,
       CAST(s.respondents AS INTEGER) AS respondents, CAST(s.answered AS INTEGER) AS answered,
       CAST(s.missing AS INTEGER) AS missing, CAST(coalesce(s.unknown, 0) AS INTEGER) AS unknown,
       s.share_available, s.share_in_development, s.share_not_available, s.share_dont_know,
       s.mean_score, CAST(s.councils_in_scope AS INTEGER) AS councils_in_scope, s.coverage,
       {_round_columns()}
FROM question_summary s
JOIN survey_rounds r ON r.year = s.round_year
"""  # noqa: S608 - fixed SQL built from this module's constants

_ROUNDS_SQL = f"""
SELECT r.year AS round_year, r.label, r.is_demo, {council_set_sql()} AS council_set,
       r.published_detail,
       CAST((SELECT count(*) FROM respondents p WHERE p.round_year = r.year) AS INTEGER) AS respondents,
       CAST((SELECT count(*) FROM round_councils c WHERE c.round_year = r.year) AS INTEGER) AS councils,
       {_round_columns()}
FROM survey_rounds r
"""  # noqa: S608 - fixed SQL built from this module's constants

_COUNCILS_SQL = """
SELECT a.code AS authority_code, a.display_name AS authority_name, a.name AS official_name,
       a.region_code, a.region_name, a.type AS council_type, a.valid_from, a.valid_to
FROM authorities a
"""

_STANDARDS_SQL = """
SELECT number AS standard, short_name AS standard_name, statement, looks_like, weight, source
FROM standards
"""

_QUESTIONS_SQL = """
SELECT q.id AS question_id, q.standard, q.audience, q.topic, q.wording, q.answer_set,
       (SELECT array_to_string(list(o.value ORDER BY o.position), ';') FROM answer_options o
        WHERE o.answer_set = q.answer_set) AS answer_values,
       q.scored, q.weight, q.asked_from, q.report_ref
FROM questions q
"""

_GOOD_PRACTICE_SQL = """
WITH region_of AS (
    SELECT code, any_value(region_code) AS region_code, any_value(region_name) AS region_name,
           any_value(display_name) AS display_name
    FROM authorities GROUP BY code
)
SELECT c.id AS example_id, c.title, c.organisation, c.authority_code,
       r.display_name AS authority_name, r.region_code, r.region_name,
       array_to_string(list_sort(c.standards), ';') AS standards, c.summary,
       c.source_document, c.source_ref, c.url
FROM case_studies c LEFT JOIN region_of r ON r.code = c.authority_code
"""


#: The council filter: one or more ONS codes (a list parameter; `council=A,B` in the API).
_COUNCILS = "list_contains(?, authority_code)"
#: At most this many councils in one `council` parameter (England has about 150).
MAX_COUNCILS = 200


@dataclass(frozen=True)
class Dataset:
    """One open dataset: `sql` selects every row (no parameters; DESCRIBE reads its columns);
    `filters` are the parameters it accepts, each a SQL condition with one `?`."""

    name: str
    title: str
    description: str
    sql: str
    order: str
    filters: Mapping[str, str] = field(default_factory=dict)
    per_round: bool = True  # a survey dataset: carries round, council set, provenance, data_note
    endpoint: str = ""  # the API path under /api/v1/ serving it


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("overall_scores", "Overall scores",
            "Each responding council's overall score, band and ranks, one row per council.",
            f"SELECT * FROM ({_SCORES_SQL}) WHERE level = 'overall'",  # noqa: S608 - constants
            "round_year DESC, rank NULLS LAST, authority_name",
            {"round": "round_year = ?", "council": _COUNCILS, "region": "region_code = ?",
             "type": "council_type = ?"}, endpoint="scores"),
    Dataset("standard_scores", "Standard scores",
            "Each responding council's score and band on each of the nine standards.",
            f"SELECT * FROM ({_SCORES_SQL}) WHERE level = 'standard'",  # noqa: S608 - constants
            "round_year DESC, authority_name, standard",
            {"round": "round_year = ?", "council": _COUNCILS, "region": "region_code = ?",
             "type": "council_type = ?"}, endpoint="scores"),
    Dataset("scores", "Overall and standard scores",
            "Overall and per-standard rows together (level says which); the API's scores.",
            _SCORES_SQL, "round_year DESC, authority_name, standard NULLS FIRST",
            {"round": "round_year = ?", "council": _COUNCILS, "region": "region_code = ?",
             "type": "council_type = ?", "level": "level = ?"}, endpoint="scores"),
    Dataset("answers", "Councils' answers",
            "Each council's answer to each question (question-level detail), only for rounds "
            "whose answers may be published.",
            _ANSWERS_SQL, "round_year DESC, authority_name, standard NULLS LAST, question_id",
            {"round": "round_year = ?", "council": _COUNCILS, "region": "region_code = ?",
             "type": "council_type = ?", "question": "question_id = ?"}, endpoint="answers"),
    Dataset("question_summary", "Question summaries",
            "Per question: the share of responding councils with each kind of answer, for "
            "England, each region and each council type.",
            _SUMMARY_SQL, "round_year DESC, scope, scope_code, standard NULLS LAST, question_id",
            {"round": "round_year = ?", "region": "(scope = 'region' AND scope_code = ?)",
             "type": "(scope = 'type' AND scope_code = ?)", "scope": "scope = ?"},
            endpoint="summary"),
    Dataset("rounds", "Survey rounds", "The survey rounds held and where each came from.",
            _ROUNDS_SQL, "round_year DESC", endpoint="rounds"),
    Dataset("councils", "Councils",
            "Councils with adult social services duties, with the dates each code was valid.",
            _COUNCILS_SQL, "authority_name, valid_from NULLS FIRST",
            {"on": "(valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)"},
            per_round=False, endpoint="councils"),
    Dataset("standards", "Standards", "The nine minimum standards.", _STANDARDS_SQL, "standard",
            per_round=False, endpoint="standards"),
    Dataset("questions", "Questions", "The survey questions and the standard each evidences.",
            _QUESTIONS_SQL, "standard NULLS LAST, question_id", per_round=False, endpoint="questions"),
    Dataset("good_practice", "Good practice",
            "Examples of good practice from the advice note and the 2015 report.",
            _GOOD_PRACTICE_SQL, "source_document, standards, example_id",
            {"standard": "list_contains(string_split(standards, ';'), CAST(? AS VARCHAR))"},
            per_round=False, endpoint="good-practice"),
)}

#: The datasets the Download page offers per round, in its order.
DOWNLOADS = ("overall_scores", "standard_scores", "answers", "question_summary")


class BadParameter(ValueError):
    """A request parameter that cannot be used; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class DetailWithheld(LookupError):
    """Councils' own answers were asked for a round whose policy keeps them unpublished."""


# --------------------------------------------------------------------------------------------
# Checking parameters (the API's and the page's)
# --------------------------------------------------------------------------------------------

_YEAR = re.compile(r"[0-9]{4}")
_CODE = re.compile(r"[A-Za-z0-9]{1,12}")
_STANDARD = re.compile(r"[0-9]{1,2}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def round_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [int(y) for (y,) in con.execute("SELECT year FROM survey_rounds ORDER BY year DESC").fetchall()]


def first_column(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    """The first value of every row `sql` returns."""
    return [v for (v,) in con.execute(sql).fetchall()]


def _check_round(con: duckdb.DuckDBPyConnection, raw: str) -> int:
    text = raw.strip()
    years = round_years(con)
    if not _YEAR.fullmatch(text):
        raise BadParameter("round", f"round must be a survey year of four digits; rounds held: "
                                    f"{', '.join(map(str, years)) or 'none'}.")
    if int(text) not in years:
        raise BadParameter("round", f"there is no {text} round; rounds held: "
                                    f"{', '.join(map(str, years)) or 'none'}.")
    return int(text)


def _check_code(con: duckdb.DuckDBPyConnection, name: str, raw: str, sql: str, what: str) -> str:
    text = raw.strip()
    known = set(first_column(con, sql))
    if not _CODE.fullmatch(text) or text.upper() not in {str(k).upper() for k in known}:
        raise BadParameter(name, f"{name} must be {what}; {_quote(text)} is not one.")
    return next(str(k) for k in known if str(k).upper() == text.upper())


def _quote(text: str, limit: int = 40) -> str:
    """Untrusted text echoed in a message: cut short and shown by repr (control characters escaped)."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def check_params(con: duckdb.DuckDBPyConnection, dataset: str, params: Mapping[str, str]
                 ) -> dict[str, Any]:
    """The filters of a request for `dataset`, checked against the data. Raises BadParameter
    naming the first parameter that is unknown or cannot be used."""
    spec = DATASETS[dataset]
    out: dict[str, Any] = {}
    for name, raw in params.items():
        if name not in spec.filters:
            allowed = ", ".join(spec.filters) or "none"
            raise BadParameter(name, f"{_quote(name)} is not a parameter of {spec.endpoint or dataset}; "
                                     f"its parameters are: {allowed}.")
        if raw is None or not str(raw).strip():
            raise BadParameter(name, f"{name} is empty; give a value or leave the parameter out.")
        raw = str(raw)
        if name == "round":
            out[name] = _check_round(con, raw)
        elif name == "council":
            parts = [part.strip() for part in raw.split(",")]
            if len(parts) > MAX_COUNCILS:
                raise BadParameter("council", f"council takes at most {MAX_COUNCILS} codes.")
            if any(not part for part in parts):
                raise BadParameter("council", "council has an empty code; separate codes with single commas.")
            codes = [_check_code(con, "council", part, "SELECT code FROM authorities",
                                 "a council's ONS code, or several separated by commas "
                                 "(e.g. E10000023; see /api/v1/councils)") for part in parts]
            out[name] = list(dict.fromkeys(codes))
        elif name == "question":
            text = raw.strip()
            known = set(first_column(con, "SELECT id FROM questions"))
            if text not in known:
                raise BadParameter("question", f"question must be a question's identifier (see "
                                               f"/api/v1/questions); {_quote(text)} is not one.")
            out[name] = text
        elif name == "region":
            out[name] = _check_code(con, "region", raw, "SELECT DISTINCT region_code FROM authorities",
                                    "an ONS region code (e.g. E12000004)")
        elif name == "type":
            types = first_column(con, "SELECT DISTINCT type FROM authorities ORDER BY 1")
            match = next((t for t in types if t.lower() == raw.strip().lower()), None)
            if match is None:
                raise BadParameter("type", f"type must be one of: {', '.join(types)}.")
            out[name] = match
        elif name == "level":
            if raw.strip() not in ("overall", "standard"):
                raise BadParameter("level", "level must be overall or standard.")
            out[name] = raw.strip()
        elif name == "scope":
            if raw.strip() not in ("england", "region", "type"):
                raise BadParameter("scope", "scope must be england, region or type.")
            out[name] = raw.strip()
        elif name == "standard":
            numbers = first_column(con, "SELECT number FROM standards ORDER BY number")
            text = raw.strip()
            if not _STANDARD.fullmatch(text) or int(text) not in numbers:
                raise BadParameter("standard", f"standard must be a standard's number, "
                                               f"{min(numbers)} to {max(numbers)}.")
            out[name] = int(text)
        elif name == "on":
            text = raw.strip()
            try:
                if not _DATE.fullmatch(text):
                    raise ValueError
                out[name] = date.fromisoformat(text)
            except ValueError:
                raise BadParameter("on", "on must be a date written YYYY-MM-DD, e.g. 2015-04-01.") from None
    if "round" in out and "council" in out:
        members = {str(c) for (c,) in con.execute(
            "SELECT authority_code FROM round_councils WHERE round_year = ?", [out["round"]]).fetchall()}
        outside = [c for c in out["council"] if c not in members]
        if outside:
            raise BadParameter("council", f"{', '.join(outside)} is not a council of the {out['round']} round's "
                                          "council set (councils are merged, split and recoded over time).")
    return out


# --------------------------------------------------------------------------------------------
# Reading a dataset
# --------------------------------------------------------------------------------------------

def withheld_rounds(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Rounds whose councils' own answers may not be published (newest first)."""
    return [int(y) for (y,) in con.execute(
        "SELECT year FROM survey_rounds WHERE NOT published_detail ORDER BY year DESC").fetchall()]


def withheld_message(year: int) -> str:
    return (f"Councils' own answers in the {year} round are not published (the round's publication "
            "policy keeps them private). Its scores and question summaries are open: use the "
            "scores and summary data instead.")


def query(con: duckdb.DuckDBPyConnection, dataset: str, filters: Mapping[str, Any] | None = None
          ) -> pd.DataFrame:
    """The rows of `dataset` matching checked `filters` (see check_params), in the dataset's order.
    A single council code is taken as a list of one.

    Asking for the answers of a round whose answers are withheld raises DetailWithheld; without
    a round, the answers of withheld rounds are left out (withheld_rounds names them)."""
    spec = DATASETS[dataset]
    filters = dict(filters or {})
    if isinstance(filters.get("council"), str):
        filters["council"] = [filters["council"]]
    if dataset == "answers" and "round" in filters and filters["round"] in withheld_rounds(con):
        raise DetailWithheld(withheld_message(int(filters["round"])))
    where: list[str] = []
    params: list[Any] = []
    if dataset == "councils" and "on" not in filters:
        filters["on"] = date.today()
    for name, value in filters.items():
        condition = spec.filters[name]
        where.append(condition)
        params += [value] * condition.count("?")
    sql = f"SELECT * FROM ({spec.sql}) AS d"  # noqa: S608 - fixed SQL; values are parameters
    if where:
        sql += " WHERE " + " AND ".join(where)
    return con.execute(f"{sql} ORDER BY {spec.order}", params).df()


# --------------------------------------------------------------------------------------------
# API addresses
# --------------------------------------------------------------------------------------------

def api_path(dataset: str, year: int | None, fmt: str | None = None) -> str:
    """The API address (from the server's root) that serves the same rows as a download."""
    spec = DATASETS[dataset]
    params: dict[str, str] = {}
    if year is not None:
        params["round"] = str(year)
    if dataset in ("overall_scores", "standard_scores"):
        params["level"] = "overall" if dataset == "overall_scores" else "standard"
    if fmt:
        params["format"] = fmt
    query_text = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/{spec.endpoint}" + (f"?{query_text}" if query_text else "")


def permalink(endpoint: str, **filters: object) -> str:
    """The API address for what a page shows: `permalink("scores", round=2015, council="E06000001")`
    is '/api/v1/scores?round=2015&council=E06000001' (a list of councils is joined with commas).
    None filters are left out; the names are
    the API's parameters (see DATASETS), so the link and the page's data agree."""
    allowed = {name for spec in DATASETS.values() if spec.endpoint == endpoint for name in spec.filters}
    unknown = sorted(set(filters) - allowed - {"format"})
    if not allowed or unknown:
        raise ValueError(f"the {endpoint!r} endpoint takes no parameter {', '.join(unknown) or '(unknown endpoint)'}")
    def text(value: object) -> str:
        if isinstance(value, list | tuple):
            return ",".join(quote(str(v)) for v in value)
        return quote(str(value))

    query_text = "&".join(f"{k}={text(v)}" for k, v in filters.items() if v is not None)
    return f"/api/v1/{endpoint}" + (f"?{query_text}" if query_text else "")
