"""Open data: the datasets anyone may download or fetch from the API, and their data dictionary.

One definition per dataset (its SQL, its filters, its order), shared by the Download page and
the HTTP API (lib.api.routes), so a file and an API response of the same data have the same columns.
Every survey dataset carries the round, its council set, its provenance and a `data_note`
column naming synthetic demonstration data where it applies (empty for real rounds).

Councils' own answers (the `answers` dataset) are served only for rounds whose
`survey_rounds.published_detail` is true; scores and summaries are always open.

The data dictionary is generated: column types come from DuckDB (`DESCRIBE` of each dataset's
query on the published database), allowed values from the tables loaded from
`standards/*.toml` (answer options, bands, outcomes, providers) and the reference data, so it
cannot drift from the files. Only the meanings are written here, one per column name.

No Streamlit here: this module is data code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

import duckdb
import pandas as pd

from lib.base import exports
from lib.reference import geography

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
       round(o.score_unrounded, 9) AS score_unrounded, o.standards_evidenced > 0 AS evidence,
       CAST(o.standards_evidenced AS INTEGER) AS standards_evidenced,
       CAST(o.standards_total AS INTEGER) AS standards_total,
       CAST(o.scored_questions AS INTEGER) AS questions, CAST(a.answered AS INTEGER) AS answered,
       CAST(o.unknown_answers AS INTEGER) AS unknown, CAST(o.missing_answers AS INTEGER) AS missing,
       o.ranked, CAST(o.rank AS INTEGER) AS rank, CAST(o.n_ranked AS INTEGER) AS n_ranked,
       CAST(o.region_rank AS INTEGER) AS region_rank,
       CAST(o.region_n_ranked AS INTEGER) AS region_n_ranked,
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
       round(s.score_unrounded, 9) AS score_unrounded, s.evidence,
       CAST(NULL AS INTEGER) AS standards_evidenced, CAST(NULL AS INTEGER) AS standards_total,
       CAST(s.questions AS INTEGER) AS questions, CAST(s.answered AS INTEGER) AS answered,
       CAST(s.unknown AS INTEGER) AS unknown, CAST(s.missing AS INTEGER) AS missing,
       CAST(NULL AS BOOLEAN) AS ranked, CAST(NULL AS INTEGER) AS rank,
       CAST(NULL AS INTEGER) AS n_ranked, CAST(NULL AS INTEGER) AS region_rank,
       CAST(NULL AS INTEGER) AS region_n_ranked,
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


def _values(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
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
    known = set(_values(con, sql))
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
            known = set(_values(con, "SELECT id FROM questions"))
            if text not in known:
                raise BadParameter("question", f"question must be a question's identifier (see "
                                               f"/api/v1/questions); {_quote(text)} is not one.")
            out[name] = text
        elif name == "region":
            out[name] = _check_code(con, "region", raw, "SELECT DISTINCT region_code FROM authorities",
                                    "an ONS region code (e.g. E12000004)")
        elif name == "type":
            types = _values(con, "SELECT DISTINCT type FROM authorities ORDER BY 1")
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
            numbers = _values(con, "SELECT number FROM standards ORDER BY number")
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


def council_set_label(council_set: str) -> str:
    """Words for a council-set value ('2015-04-01'), for the page and the dictionary."""
    try:
        return f"the councils of {geography.describe_day(date.fromisoformat(str(council_set)))}"
    except ValueError:
        return str(council_set)


def file_name(dataset: str, year: int | None, extension: str) -> str:
    return f"pa-benchmark-{dataset.replace('_', '-')}-{year if year else 'all-rounds'}.{extension}"


FORMATS = ("csv", "xlsx", "parquet")
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "parquet": "application/vnd.apache.parquet", "json": "application/json"}


def file_bytes(con: duckdb.DuckDBPyConnection, dataset: str, year: int | None, fmt: str) -> bytes:
    """A download of `dataset` for one round (or all rounds with None) in csv, xlsx or parquet.
    CSV and XLSX text that a spreadsheet would run as a formula is neutralised; the XLSX has a
    second sheet describing every column."""
    if fmt not in FORMATS:
        raise BadParameter("format", f"format must be one of: {', '.join(FORMATS)}.")
    df = query(con, dataset, {"round": year} if year else {})
    if fmt == "csv":
        return exports.to_csv_bytes(df)
    if fmt == "xlsx":
        return exports.to_xlsx_bytes({dataset: df, "columns": dictionary(con, [dataset])})
    return exports.to_parquet_bytes(df)


# --------------------------------------------------------------------------------------------
# The data dictionary
# --------------------------------------------------------------------------------------------

#: Each column's meaning and unit, once per column name. Types and allowed values are not
#: written here: they are read from the database (see dictionary()).
MEANINGS: dict[str, tuple[str, str]] = {
    "round_year": ("The survey round (the year it was asked)", "year"),
    "council_set": ("The day whose councils the round is held against: those valid on that day "
                    "(councils are merged, split and recoded over time)", "date (YYYY-MM-DD)"),
    "authority_code": ("The council's ONS code", "ONS code"),
    "authority_name": ("The council's name as shown on the dashboard", ""),
    "official_name": ("The council's name as the ONS writes it", ""),
    "region_code": ("The council's ADASS/ONS region", "ONS code"),
    "region_name": ("The region's name", ""),
    "council_type": ("The kind of council (in a row summarising several councils: the kind "
                     "summarised, empty for every kind)", ""),
    "level": ("Whether the row is the council's overall score or one standard's score", ""),
    "standard": ("The standard's number (empty for an overall row, or a question that scores no "
                 "standard)", "number"),
    "standards": ("The standards an example illustrates, separated by ;", "numbers"),
    "standard_name": ("The standard's short name ('Overall' for an overall row)", ""),
    "score": ("The score every page shows: a whole number rounded half up; empty with no evidence",
              "points out of 100"),
    "band": ("The band the shown score falls in (key); empty with no evidence", ""),
    "band_label": ("The band in words", ""),
    "score_unrounded": ("The weighted mean behind the shown score, to 9 decimal places (so that every "
                        "file and answer of a published version has the same digits)", "points out of 100"),
    "evidence": ("Whether any known answer stands behind the score", "true/false"),
    "standards_evidenced": ("How many standards have evidence (overall rows)", "standards"),
    "standards_total": ("How many standards there are (overall rows)", "standards"),
    "questions": ("Scored questions behind the score", "questions"),
    "answered": ("Of those, how many were answered (in a summary: how many councils answered)",
                 "questions or councils"),
    "unknown": ("Answers that say the council does not know (scored 0, counted)",
                "questions or councils"),
    "missing": ("Questions left unanswered (in a summary: councils that left it unanswered)",
                "questions or councils"),
    "ranked": ("Whether the council has enough evidenced standards to be ranked (overall rows)",
               "true/false"),
    "rank": ("Rank in England by shown score; councils shown at the same score share a rank", "rank"),
    "n_ranked": ("How many councils were ranked in England", "councils"),
    "region_rank": ("Rank in the council's region", "rank"),
    "region_n_ranked": ("How many councils were ranked in the region", "councils"),
    "provenance": ("Where the round's answers came from", ""),
    "data_note": ("Says so when the row is synthetic demonstration data; empty for real responses", ""),
    "question_id": ("The question's identifier (see the questions data)", ""),
    "topic": ("What the question asks about, in a few words", ""),
    "answer": ("The answer given (code)", ""),
    "answer_label": ("The answer in words", ""),
    "outcome": ("What the answer means for counting councils with the support", ""),
    "answer_score": ("The answer's score", "0 to 1"),
    "providers": ("Who provides the support, separated by ;", ""),
    "scope": ("The comparison group of a summary row", ""),
    "scope_code": ("The group's code: E92000001 for England, a region's ONS code, or a council type", ""),
    "scope_name": ("The group's name", ""),
    "scored": ("Whether the question counts towards a standard's score", "true/false"),
    "respondents": ("Councils that responded to the round (in the scope)", "councils"),
    "share_available": ("Share of responding councils whose answer means they have the support",
                        "fraction 0 to 1"),
    "share_in_development": ("Share whose answer means the support is partly there or in development",
                             "fraction 0 to 1"),
    "share_not_available": ("Share whose answer means they lack the support", "fraction 0 to 1"),
    "share_dont_know": ("Share who answered that they do not know", "fraction 0 to 1"),
    "mean_score": ("Mean answer score of the councils that answered", "0 to 1"),
    "councils_in_scope": ("Councils in the scope, responding or not", "councils"),
    "coverage": ("Share of the scope's councils that responded", "fraction 0 to 1"),
    "label": ("The round's name", ""),
    "is_demo": ("Whether the round is synthetic demonstration data", "true/false"),
    "published_detail": ("Whether councils' own answers in the round may be published", "true/false"),
    "councils": ("Councils in the round's council set", "councils"),
    "valid_from": ("First day the council code was in use (empty: before the records start)", "date"),
    "valid_to": ("First day the code was no longer in use (empty: still in use)", "date"),
    "statement": ("The standard as the advice note states it", ""),
    "looks_like": ("What meeting the standard looks like", ""),
    "weight": ("Weight in the mean it belongs to (the overall score, or its standard)", "weight"),
    "source": ("Where the standard comes from", ""),
    "audience": ("Whose support the question is about", ""),
    "wording": ("The question as asked", ""),
    "answer_set": ("The set of answers the question offers", ""),
    "answer_values": ("The answer codes it offers, separated by ;", ""),
    "asked_from": ("First survey round that asked the question", "year"),
    "report_ref": ("Where the question comes from in the 2015 report, or that it is new", ""),
    "example_id": ("The example's identifier", ""),
    "title": ("The example's title", ""),
    "organisation": ("Who runs it", ""),
    "summary": ("What the example does", ""),
    "source_document": ("Which document it comes from", ""),
    "source_ref": ("Where in that document", ""),
    "url": ("A link to read more, where there is one", "web address"),
    # Columns only in the pages' own "download what I see" files (the scorecard's, the regional
    # league's); every other column of those files is one of the API's above.
    "england_median": ("Median score on the standard of England's councils with evidence, as shown",
                       "points out of 100"),
    "region_median": ("Median score on the standard of the region's councils with evidence, as shown",
                      "points out of 100"),
    "type_median": ("Median score on the standard of councils of the same type with evidence, as shown",
                    "points out of 100"),
    "difference_from_england": ("The council's shown score minus the shown England median", "points"),
    "providers_label": ("Who provides the support, in words", ""),
    "england_share_available": ("Share of England's responding councils whose answer means they have "
                                "the support", "fraction 0 to 1"),
    "questions_behind_gap": ("The questions where the council falls short on the standard, with its answers", ""),
    "actions": ("Suggested actions for the standard, separated by |", ""),
    "league_position": ("The region's place in the league, by median overall score", "position"),
    "median_score": ("Median overall score of the region's ranked councils, as shown", "points out of 100"),
    "median_score_unrounded": ("The exact median behind median_score", "points out of 100"),
    "q1_score": ("Lower quartile of those overall scores, as shown", "points out of 100"),
    "q3_score": ("Upper quartile of those overall scores, as shown", "points out of 100"),
    "standards_met_by_most": ("Standards that more than half of the region's responding councils with "
                              "evidence meet, separated by ;", "numbers"),
}


def _joined(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def allowed_values(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The allowed values of the columns that have a fixed set, read from the published database:
    the answer options, bands, outcomes and providers come from standards/scoring.toml, the rest
    from the reference data and the scoring views."""
    answers = con.execute(
        "SELECT answer_set, string_agg(value || ' (' || label || ')', ', ' ORDER BY position) "
        "FROM answer_options GROUP BY answer_set ORDER BY answer_set").fetchall()
    labels = con.execute(
        "SELECT string_agg(DISTINCT label, ', ' ORDER BY label) FROM answer_options").fetchone()
    bands = con.execute(
        "SELECT string_agg(key || ' (from ' || CAST(min_score AS VARCHAR) || ')', ', ' "
        "ORDER BY min_score DESC) FROM bands").fetchone()
    sets = _values(con, "SELECT DISTINCT strftime(council_set_on, '%Y-%m-%d') FROM survey_rounds ORDER BY 1")
    years = round_years(con)
    return {
        "round_year": _joined(sorted(years)),
        "asked_from": f"a year from {min(years)}" if years else "",
        "council_set": "; ".join(f"{s}: {council_set_label(s)}" for s in sets),
        "council_type": _joined(_values(con, "SELECT DISTINCT type FROM authorities ORDER BY 1")),
        "region_code": _joined(_values(con, "SELECT DISTINCT region_code FROM authorities ORDER BY 1")),
        "level": "overall, standard",
        "standard": _joined(_values(con, "SELECT number FROM standards ORDER BY 1")),
        "band": bands[0] if bands else "",
        "band_label": _joined(_values(con, "SELECT label FROM bands ORDER BY position")),
        "score": "0 to 100", "score_unrounded": "0 to 100",
        "answer": "; ".join(f"{s}: {v}" for s, v in answers),
        "answer_label": labels[0] if labels else "",
        "answer_set": _joined(_values(con, "SELECT DISTINCT answer_set FROM answer_options ORDER BY 1")),
        "outcome": _joined(_values(con, "SELECT key || ' (' || label || ')' FROM outcomes ORDER BY key")),
        "providers": _joined(_values(con, "SELECT key || ' (' || label || ')' FROM providers ORDER BY key")),
        "audience": _joined(_values(con, "SELECT DISTINCT audience FROM questions ORDER BY 1")),
        "scope": "england, region, type",
        "source_document": _joined(_values(con, "SELECT DISTINCT source_document FROM case_studies ORDER BY 1")),
        "data_note": f"{DEMO_NOTE}, or empty",
        "answer_score": "0 to 1", "mean_score": "0 to 1",
    }


def columns(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a dataset, from DESCRIBE of its query."""
    return [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {DATASETS[dataset].sql}").fetchall()]


def dictionary(con: duckdb.DuckDBPyConnection, datasets: list[str] | None = None) -> pd.DataFrame:
    """Every column of every dataset (or of `datasets`): meaning, type, unit, allowed values.
    A column with no meaning written in MEANINGS shows an empty meaning (a test forbids it)."""
    allowed = allowed_values(con)
    rows: list[dict[str, str]] = []
    for name in datasets or list(DATASETS):
        for column, kind in columns(con, name):
            meaning, unit = MEANINGS.get(column, ("", ""))
            rows.append({"dataset": name, "column": column, "meaning": meaning, "type": kind,
                         "unit": unit, "allowed_values": allowed.get(column, "")})
    return pd.DataFrame(rows, columns=["dataset", "column", "meaning", "type", "unit", "allowed_values"])


def page_only_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The columns that only the pages' own downloads have (a chart's medians, the league's
    quartiles), with meaning and unit: MEANINGS entries that no open dataset uses."""
    used = {column for name in DATASETS for column, _ in columns(con, name)}
    rows = [{"column": c, "meaning": m, "unit": u} for c, (m, u) in MEANINGS.items() if c not in used]
    return pd.DataFrame(rows, columns=["column", "meaning", "unit"])


def catalogue(con: duckdb.DuckDBPyConnection, year: int | None) -> list[dict[str, Any]]:
    """What the Download page offers for one round (None: all rounds together): each dataset with
    its title, description, whether it can be downloaded, why not, and its API path."""
    withheld = withheld_rounds(con)
    out: list[dict[str, Any]] = []
    for name in DOWNLOADS:
        spec = DATASETS[name]
        entry: dict[str, Any] = {"dataset": name, "title": spec.title, "description": spec.description,
                                 "available": True, "note": "", "api": api_path(name, year)}
        if name == "answers" and year is not None and year in withheld:
            entry.update(available=False, note=withheld_message(year), api="")
        elif name == "answers" and year is None and withheld:
            entry["note"] = (f"Councils' own answers are left out for {_joined(withheld)}: those "
                             "rounds' answers are not published.")
        out.append(entry)
    return out


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


Builder = Callable[[duckdb.DuckDBPyConnection], bytes]


def shown(dataset: str, **filters: object) -> Builder:
    """A page's "download what I see" as a function of the connection: the rows of `dataset`
    the API serves for `filters` (the names of the API's parameters; None left out), as the
    API's CSV, so the file and the page's API link have the same columns and values."""
    given = {k: v for k, v in filters.items() if v is not None}
    unknown = sorted(set(given) - set(DATASETS[dataset].filters))
    if unknown:
        raise ValueError(f"{dataset} takes no parameter {', '.join(unknown)}")

    def build(con: duckdb.DuckDBPyConnection) -> bytes:
        return exports.to_csv_bytes(query(con, dataset, given))

    return build


def builder(dataset: str, year: int | None, fmt: str) -> Builder:
    """file_bytes for one dataset, round and format, as a function of the connection only (for
    a download built when it is pressed)."""
    return lambda con: file_bytes(con, dataset, year, fmt)
