"""Bad files never crash the import and never change the database (table-driven, plus a property test).

Each case builds a file, imports it into a copy of the session database, and asserts the problem
the report names (row as the user sees it in a spreadsheet with the header as row 1, column,
reason) and that a checksum over a full export of every table is the same before and after.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import ingest
from lib.store import db
from tests.fixtures import copy_db
from tests.test_ingest import (
    NEW_YEAR,
    csv_bytes,
    db_checksum,
    respondents,
    wide_sheet,
    xlsx_bytes,
)


@pytest.fixture(scope="module")
def mod_con(repo_db_path, tmp_path_factory):
    con = db.connect(copy_db(repo_db_path, tmp_path_factory.mktemp("bad")))
    yield con
    con.close()


@pytest.fixture(scope="module")
def base(mod_con) -> pd.DataFrame:
    """A valid sheet of three councils for the 2016 round (rows 2, 3 and 4 of the file)."""
    return wide_sheet(mod_con, respondents(mod_con)[:3])


def _set(df: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    """Change one cell, `row` counted as in the spreadsheet (header = row 1)."""
    out = df.copy()
    if column not in out:
        out[column] = ""
    out[column] = out[column].astype(object)
    out.loc[row - 2, column] = value
    return out


def _xlsx_with(df: pd.DataFrame, row: int, column: str, value) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(df)))
    ws = wb["responses"]
    col = list(df.columns).index(column) + 1
    ws.cell(row=row, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _duplicate_column(df: pd.DataFrame, column: str, header: str) -> bytes:
    text = df.to_csv(index=False)
    lines = text.splitlines()
    values = df[column].tolist()
    lines[0] += f",{header}"
    for i, v in enumerate(values, start=1):
        lines[i] += f",{v}"
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class Case:
    """A bad file and the problem the report must name."""

    id: str
    build: Callable[[pd.DataFrame, object], bytes]
    reason: str
    row: int | None = None
    column: str | None = None
    file_name: str = "answers.csv"
    year: int | None = NEW_YEAR
    value: str | None = None


def _wording(con, qid: str) -> str:
    return con.execute("SELECT wording FROM questions WHERE id = ?", [qid]).fetchone()[0]


def _long(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in df.iterrows():
        for col in df.columns:
            if col in ("council", "round") or col.endswith("__providers") or not r[col]:
                continue
            rows.append({"council": r["council"], "question": col, "answer": r[col],
                         "providers": r.get(f"{col}__providers", "")})
    return pd.DataFrame(rows)


CASES = [
    Case("unknown council name", lambda b, c: csv_bytes(_set(b, 3, "council", "Atlantis")),
         "unknown council", 3, "council", value="Atlantis"),
    Case("unknown council code", lambda b, c: csv_bytes(_set(b, 2, "council", "E06999999")),
         "no council has this ONS code", 2, "council"),
    Case("ambiguous council name", lambda b, c: csv_bytes(_set(b, 4, "council", "Kingston")),
         "ambiguous council name", 4, "council"),
    Case("duplicate council", lambda b, c: csv_bytes(_set(b, 4, "council", b.loc[0, "council"])),
         "duplicate council", 4, "council"),
    Case("duplicate council by name and code",
         lambda b, c: csv_bytes(_set(b, 3, "council", c.execute(
             "SELECT name FROM authorities WHERE code = ?", [b.loc[0, "council"]]).fetchone()[0])),
         "is already on row 2", 3, "council"),
    Case("wrong vintage: Buckinghamshire unitary in a 2015-set round",
         lambda b, c: csv_bytes(_set(b, 2, "council", "E06000060")),
         "wrong council set", 2, "council"),
    Case("wrong vintage: Northamptonshire in a 2024 round",
         lambda b, c: csv_bytes(_set(_set(b, 2, "council", "E10000021"), 2, "round", 2024).assign(round=2024)),
         "wrong council set", 2, "council", year=2024),
    Case("wrong vintage by name: Cumberland in a 2016 round",
         lambda b, c: csv_bytes(_set(b, 3, "council", "Cumberland")), "wrong council set", 3, "council"),
    Case("unknown question column", lambda b, c: csv_bytes(b.rename(columns={"emp_payroll": "emp_payrol"})),
         "unknown question (column)", 1, "emp_payrol"),
    Case("providers column for no question",
         lambda b, c: csv_bytes(b.assign(emp_nothing__providers="")),
         "unknown question (column)", 1, "emp_nothing__providers"),
    Case("answer not among the options", lambda b, c: csv_bytes(_set(b, 2, "emp_payroll", "Availble")),
         "answer not among the options", 2, "emp_payroll", value="Availble"),
    Case("provider with an answer that allows none",
         lambda b, c: csv_bytes(_set(_set(b, 3, "emp_dbs", "not_available"), 3, "emp_dbs__providers", "la")),
         "does not allow providers", 3, "emp_dbs__providers"),
    Case("unknown provider", lambda b, c: csv_bytes(_set(_set(b, 2, "emp_pa_register", "available"), 2,
                                                         "emp_pa_register__providers", "la;the council")),
         "unknown provider", 2, "emp_pa_register__providers", value="the council"),
    Case("missing required answer", lambda b, c: csv_bytes(_set(b, 4, "emp_legal_info", "")),
         "missing required answer", 4, "emp_legal_info"),
    Case("providers without an answer",
         lambda b, c: csv_bytes(_set(_set(b, 2, "emp_payroll", ""), 2, "emp_payroll__providers", "la")),
         "providers given for a question that is not answered", 2, "emp_payroll__providers"),
    Case("wrong round year in the round column", lambda b, c: csv_bytes(_set(b, 3, "round", 2015)),
         "wrong round year", 3, "round", value="2015"),
    Case("round column says another year throughout", lambda b, c: csv_bytes(b),
         f"every row of the file says {NEW_YEAR}, but it is being imported as the 2017 round", None, "round",
         year=2017),
    Case("round not given anywhere", lambda b, c: csv_bytes(b.drop(columns=["round"])),
         "survey round is not given", year=None),
    Case("no council column", lambda b, c: csv_bytes(b.drop(columns=["council"])), "no council column", 1),
    Case("question not asked in the round (2014 questionnaire)",
         lambda b, c: csv_bytes(b.assign(round=2014)), "not in the 2014 questionnaire", 1, "appr_promoted",
         year=2014),
    Case("file too large (10 MB of rows)", lambda b, c: _ten_megabytes(b), "the largest accepted is 10 MB"),
    Case("empty file", lambda b, c: b"", "The file is empty"),
    Case("blank lines only", lambda b, c: b"\r\n\r\n  \n", "The file is empty"),
    Case("header only", lambda b, c: csv_bytes(b.iloc[0:0]), "header row but no data rows"),
    Case("binary junk", lambda b, c: bytes(range(256)) * 64, "unreadable file", file_name="answers.csv"),
    Case("UTF-16 that is not", lambda b, c: b"\xff\xfe" + "council,emp_payroll\n".encode("utf-16-le") + b"\x00",
         "The file says it is UTF-16 ('Unicode text') but byte"),
    Case("wrong encoding (neither UTF-8 nor Windows-1252)",
         lambda b, c: csv_bytes(b).replace(b"available", b"avail\x81able", 1), "text encoding is not recognised"),
    Case("corrupt XLSX", lambda b, c: xlsx_bytes(b)[:3000], "damaged", file_name="answers.xlsx"),
    Case("zip that is not a workbook", lambda b, c: _zip_of_text(), "not an Excel workbook",
         file_name="answers.xlsx"),
    Case("CSV renamed .xlsx", lambda b, c: csv_bytes(b), "not an Excel workbook", file_name="answers.xlsx"),
    Case("old .xls workbook", lambda b, c: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "97-2003",
         file_name="answers.xls"),
    Case("corrupt Parquet", lambda b, c: b"PAR1" + b"\x00\x01junk" * 50, "Parquet", file_name="answers.parquet"),
    Case("duplicate column (same id twice)", lambda b, c: _duplicate_column(b, "emp_payroll", "emp_payroll"),
         "duplicate column", 1, "emp_payroll"),
    Case("duplicate column (id and wording)",
         lambda b, c: _duplicate_column(b, "emp_payroll", '"' + _wording(c, "emp_payroll") + '"'),
         "already holds question emp_payroll", 1),
    Case("column with values but no header", lambda b, c: _duplicate_column(b, "emp_payroll", ""),
         "column with no header", 1),
    Case("formula in a comment (DDE)", lambda b, c: csv_bytes(_set(b, 2, "comment", "=cmd|' /C calc'!A0")),
         "formula content", 2, "comment", value="=cmd|' /C calc'!A0"),
    Case("formula in an answer cell", lambda b, c: csv_bytes(_set(b, 3, "emp_payroll", "@SUM(A1:A9)")),
         "formula content", 3, "emp_payroll"),
    Case("plus-formula in a council cell", lambda b, c: csv_bytes(_set(b, 2, "council", "+HYPERLINK(\"x\")")),
         "formula content", 2, "council"),
    Case("script in a question comment",
         lambda b, c: csv_bytes(_set(b, 4, "emp_payroll__comment", "ok <script>alert(1)</script>")),
         "script content", 4, "emp_payroll__comment"),
    Case("formula cell in XLSX", lambda b, c: _xlsx_with(b, 3, "emp_dbs", "=1+1"), "formula content", 3,
         "emp_dbs", file_name="answers.xlsx"),
    Case("Excel date in a text column (XLSX)",
         lambda b, c: _xlsx_with(b, 2, "emp_payroll", datetime(2015, 3, 1)), "Excel date where text is expected",
         2, "emp_payroll", file_name="answers.xlsx"),
    Case("date-like text in a CSV answer", lambda b, c: csv_bytes(_set(b, 4, "emp_dbs", "01/03/2015")),
         "Excel date where text is expected", 4, "emp_dbs"),
    Case("long format: duplicate answer", lambda b, c: csv_bytes(pd.concat([_long(b), _long(b).iloc[[5]]])),
         "duplicate answer", None, "question"),
    Case("long format: unknown question",
         lambda b, c: csv_bytes(_long(b).assign(question=lambda d: d["question"].replace("emp_dbs", "emp_dbz"))),
         "unknown question", None, "question"),
    # -- issue 10: CSV parse anomalies are errors naming the row where they start --------------
    Case("CSV quote never closed", lambda b, c: _csv_lines(b, {3: lambda line: line.replace(",", ',"', 1)}),
         "a quote opened on this row is not closed where it should be", 3),
    Case("CSV quote closed rows later swallows a row",
         lambda b, c: _csv_lines(b, {1: lambda line: line + ",comment", 2: lambda line: line + ",ok",
                                     3: lambda line: line + ',"starts here', 4: lambda line: line + ',ends here"'}),
         "unbalanced quote: a quote opened on row 3 (line 3 of the file) is closed only on line 4", 3),
    Case("CSV quote closed rows later, cell counts off",
         lambda b, c: _csv_lines(b, {3: lambda line: line + ',"x', 4: lambda line: 'y"'}),
         "unbalanced quote: a quote opened on row 3 (line 3 of the file) runs to line 4", 3),
    Case("CSV row with an extra cell", lambda b, c: _csv_lines(b, {4: lambda line: line + ",extra"}),
         "wrong number of cells: row 4 has", 4),
    Case("CSV row saved with another separator", lambda b, c: _csv_lines(b, {3: lambda line: line.replace(",", ";")}),
         "The row seems to use a semicolon as separator while the header uses a comma", 3),
    Case("blank row with an unknown council is not 'did not respond'",
         lambda b, c: csv_bytes(_blank_answers(_set(b, 3, "council", "Atlantis"), 3)), "unknown council", 3,
         "council", value="Atlantis"),
    # -- council code and name must agree; a region name is not a council ---------------------
    Case("council code and council_name disagree",
         lambda b, c: csv_bytes(_set(b, 2, "council_name", _name(c, b.loc[1, "council"]))),
         "council and council_name disagree: the council column says", 2, "council_name"),
    Case("long format: council code and council_name disagree",
         lambda b, c: csv_bytes(_long(b).assign(council_name=lambda d: [
             _name(c, b.loc[1, "council"]) if i == 0 else _name(c, code) for i, code in enumerate(d["council"])])),
         "council and council_name disagree: the council column says", 2, "council_name"),
    Case("council_name that is no council",
         lambda b, c: csv_bytes(_set(b, 4, "council_name", "Atlantis")),
         "but the council_name column says 'Atlantis', which is no single council", 4, "council_name"),
    Case("bare London", lambda b, c: csv_bytes(_set(b, 3, "council", "London")),
         "ambiguous council name: 'London' is the name of a region; it could be City of London (E09000001) or "
         "any of the 33 councils in that region", 3, "council", value="London"),
    # -- round years ---------------------------------------------------------------------------
    Case("round inf", lambda b, c: csv_bytes(_set(b, 3, "round", "inf")),
         "wrong round year: the round must be a whole year of four digits", 3, "round", value="inf", year=None),
    Case("round 2016.9", lambda b, c: csv_bytes(_set(b, 2, "round", "2016.9")),
         "wrong round year: the round must be a whole year of four digits", 2, "round", value="2016.9"),
    Case("round 2061 (typo)", lambda b, c: csv_bytes(b.assign(round="2061")),
         "wrong round year: 2061 is outside the survey years 2012 to", 2, "round", value="2061", year=None),
    # -- bounds before materialising -------------------------------------------------------------
    Case("CSV with too many rows", lambda b, c: b"council,emp_payroll\n" + b"E06000001,available\n" * 50_001,
         "more than 50,000 rows"),
    Case("CSV cell too long", lambda b, c: csv_bytes(_set(b, 2, "comment", "x" * 10_001)),
         "a cell is longer than 10,000 characters", 2),
    Case("Parquet claiming many rows", lambda b, c: _parquet(pa.table({"council": pa.nulls(60_000, pa.string())})),
         "more than 50,000 rows (60,000)", file_name="answers.parquet"),
    Case("Parquet dictionary bomb", lambda b, c: _parquet(pa.table({"council": ["E" * 9_000] * 40_000})),
         "of text, far more than an answer sheet holds", file_name="answers.parquet"),
    Case("Parquet cell too long", lambda b, c: _parquet(pa.table({"council": ["E" * 20_000]})),
         "a cell holds 20,000 characters; the most accepted is 10,000", file_name="answers.parquet"),
    Case("XLSX zip bomb", lambda b, c: _xlsx_bomb(), "far more data than an answer sheet holds",
         file_name="answers.xlsx"),
    Case("XLSX cell far down", lambda b, c: _xlsx_edit(b, lambda ws: ws.cell(row=60_000, column=1, value="x")),
         "has more than 50,000 rows", file_name="answers.xlsx"),
    Case("XLSX with several sheets, none named responses nor with a council column",
         lambda b, c: _xlsx_edit(b, lambda ws: (ws.delete_rows(1), ws.parent.create_sheet("Notes")), title="Answers"),
         "The workbook has several sheets ('Answers', 'Notes') and none is named 'responses' or has a council column",
         file_name="answers.xlsx"),
    Case("XLSX with two sheets of answers",
         lambda b, c: _xlsx_edit(b, lambda ws: ws.parent.copy_worksheet(ws), title="Answers"),
         "The workbook has 2 sheets that look like answers ('Answers', 'Answers Copy'",
         file_name="answers.xlsx"),
    Case("XLSX whose answers sheet is hidden behind a visible copy",
         lambda b, c: _xlsx_edit(b, _hide_and_copy("hidden")),
         "The workbook has answers on a sheet that is not shown: 'responses' (hidden)",
         file_name="answers.xlsx"),
    Case("XLSX whose answers sheet is very hidden",
         lambda b, c: _xlsx_edit(b, _hide_and_copy("veryHidden")),
         "'responses' (very hidden (unhidden only with the VBA editor))",
         file_name="answers.xlsx"),
    # -- one markup/script policy ------------------------------------------------------------------
    Case("img onerror", lambda b, c: csv_bytes(_set(b, 2, "comment", "see <img src=x onerror=alert(1)>")),
         "script content: the cell contains HTML markup", 2, "comment"),
    Case("svg onload", lambda b, c: csv_bytes(_set(b, 3, "emp_payroll__comment", "<svg/onload=alert(1)>")),
         "script content: the cell contains HTML markup", 3, "emp_payroll__comment"),
    Case("iframe", lambda b, c: csv_bytes(_set(b, 4, "comment", "< iframe src=//x>")),
         "script content: the cell contains HTML markup", 4, "comment"),
    Case("javascript: with tab and case", lambda b, c: csv_bytes(_set(b, 2, "comment", "go JaVa\tScRiPt:alert(1)")),
         "script content: the cell contains the script address 'javascript:'", 2, "comment"),
    Case("javascript: as HTML entities", lambda b, c: csv_bytes(_set(b, 3, "comment", "&#106;avascript&colon;x")),
         "script content: the cell contains the script address 'javascript:'", 3, "comment"),
    Case("data:text/html address", lambda b, c: csv_bytes(_set(b, 4, "comment", "data:text/html;base64,PHNjcmlwdD4=")),
         "script content: the cell contains the script address 'data:text/html'", 4, "comment"),
]


def _csv_lines(df: pd.DataFrame, edits: dict) -> bytes:
    """The sheet as CSV with some physical lines edited (line 1 = the header)."""
    lines = df.to_csv(index=False).splitlines()
    for number, edit in edits.items():
        lines[number - 1] = edit(lines[number - 1])
    return ("\n".join(lines) + "\n").encode()


def _blank_answers(df: pd.DataFrame, row: int) -> pd.DataFrame:
    out = df.copy().astype(object)
    for col in out.columns:
        if col not in ("council", "council_name", "round"):
            out.loc[row - 2, col] = ""
    return out


def _name(con, code: str) -> str:
    return con.execute("SELECT display_name FROM authorities WHERE code = ?", [code]).fetchone()[0]


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _xlsx_bomb() -> bytes:
    """A small zip whose worksheet unpacks to 20 MB (packed over 100 times)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + "<row/>" * 3_500_000 + "</sheetData></worksheet>")
    return buf.getvalue()


def _hide_and_copy(state: str):
    """An edit that keeps a visible copy of the answers sheet and hides the original ('hidden', or
    'veryHidden', which Excel's menus cannot unhide): an old copy kept out of sight."""
    def edit(ws):
        ws.parent.copy_worksheet(ws).title = "Edited answers"
        ws.parent.active = 1
        ws.sheet_state = state
    return edit


def _xlsx_edit(df: pd.DataFrame, edit, title: str = "responses") -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(df, title)))
    edit(wb.worksheets[0])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ten_megabytes(df: pd.DataFrame) -> bytes:
    """The header, then the data rows repeated until the file is just over 10 MB."""
    header, *rows = csv_bytes(df).splitlines(keepends=True)
    body = b"".join(rows)
    return header + body * (10 * 1024 * 1024 // len(body) + 1)


def _zip_of_text() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    return buf.getvalue()


def test_there_are_at_least_25_distinct_bad_inputs():
    assert len({c.id for c in CASES}) == len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_and_nothing_changes(mod_con, base, case):
    data = case.build(base, mod_con)
    before = db_checksum(mod_con)
    with pytest.raises(ingest.ImportRefused) as info:
        ingest.import_file(mod_con, data, case.file_name, case.year, by="tester")
    assert db_checksum(mod_con) == before
    report = info.value.report
    assert report is not None and not report.ok
    hits = [p for p in report.problems if case.reason in p.reason
            and (case.row is None or p.row == case.row)
            and (case.column is None or p.column == case.column)
            and (case.value is None or p.value == case.value)]
    assert hits, "\n".join(report.lines())
    # The table shown on the page has no blanks and names the same problem.
    table = report.problem_table()
    assert not table.isna().any().any() and (table["Problem"] == hits[0].reason).any()


def test_suggestions_point_at_the_right_fix(mod_con, base):
    report = ingest.validate(mod_con, csv_bytes(base.rename(columns={"emp_payroll": "emp_payrol"})), "a.csv", NEW_YEAR)
    assert any("Did you mean emp_payroll" in p.reason for p in report.problems)
    report = ingest.validate(mod_con, csv_bytes(_set(base, 2, "council", "Bristoll")), "a.csv", NEW_YEAR)
    assert any("Bristol (E06000023)" in p.reason for p in report.problems)
    report = ingest.validate(mod_con, csv_bytes(_set(base, 2, "council", "E06000060")), "a.csv", NEW_YEAR)
    assert any("Buckinghamshire (E10000002)" in p.reason for p in report.problems)
    report = ingest.validate(mod_con, csv_bytes(_set(base, 2, "emp_payroll", "maybe")), "a.csv", NEW_YEAR)
    assert any("Available (available)" in p.reason and "Don't know (dont_know)" in p.reason for p in report.problems)


# --------------------------------------------------------------------------------------------
# Inputs that look odd but are fine
# --------------------------------------------------------------------------------------------

GOOD = {
    "UTF-8 with BOM": lambda b: csv_bytes(b, "utf-8-sig"),
    "trailing blank rows": lambda b: csv_bytes(b) + b"\n\n,,,,\n" + b"," * (len(b.columns) - 1) + b"\n\n",
    "Windows-1252 curly apostrophe": lambda b: csv_bytes(
        _set(_set(b, 2, "emp_payroll", "Don\u2019t know"), 2, "emp_payroll__providers", ""), "cp1252"),
    "unfilled template rows are skipped": lambda b: csv_bytes(pd.concat(
        [b, pd.DataFrame([{"council": "E06000001", "round": NEW_YEAR}])], ignore_index=True).fillna("")),
    "CRLF line ends and padded cells": lambda b: b"\r\n".join(
        line.replace(b",", b" , ") if i else line for i, line in enumerate(csv_bytes(b).split(b"\n"))),
    "a comment over several lines, with commas, in quotes": lambda b: csv_bytes(
        _set(b, 3, "comment", "Line one, with a comma.\nLine two; and three.")),
    "a lone '<' and the word data: in a comment": lambda b: csv_bytes(
        _set(b, 2, "comment", "Fewer than < 5 PAs; data: from our payroll team")),
    "XLSX whose stored dimension is stale": lambda b: _stale_dimension(xlsx_bytes(b)),
    "Excel's sep=; first line with semicolons": lambda b: b"sep=;\r\n" + _semicolons(b),
    "Excel's Unicode text (UTF-16, tabs)": lambda b: b.to_csv(index=False, sep="\t").encode("utf-16"),
    "XLSX with one visible sheet, not named responses, and a hidden one": lambda b: _xlsx_edit(
        b, _add_hidden_sheet, title="Sheet1"),
    "council_name agreeing with the code": lambda b: csv_bytes(b.assign(
        council_name=["Hartlepool", "Middlesbrough", "Redcar and Cleveland"][: len(b)])),
    "long format with council_name agreeing with the code": lambda b: csv_bytes(_long(b).assign(
        council_name=lambda d: d["council"].map(dict(zip(b["council"], ["Hartlepool", "Middlesbrough",
                                                                          "Redcar and Cleveland"], strict=False))))),
}


def _add_hidden_sheet(ws) -> None:
    hidden = ws.parent.create_sheet("lists")
    hidden.sheet_state = "hidden"


def _stale_dimension(data: bytes) -> bytes:
    """The workbook with its sheet's <dimension> tag saying A1:B2 (as some writers leave it)."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', body)
                assert n == 1
            dst.writestr(info, body)
    return out.getvalue()


def test_a_sep_line_sets_the_separator_and_rows_are_numbered_as_excel_shows_them(mod_con, base):
    # Excel hides its `sep=` line, so the header is row 1 and the second council is row 3.
    data = b"sep=;\r\n" + _semicolons(_set(base, 3, "emp_payroll", "sometimes"))
    report = ingest.validate(mod_con, data, "answers.csv", NEW_YEAR)
    assert any("first line 'sep=;' (Excel writes it) set the separator (semicolon)" in w for w in report.warnings)
    assert [(p.row, p.column) for p in report.problems if p.value == "sometimes"] == [(3, "emp_payroll")]


def test_a_control_character_is_refused_naming_its_row_and_column(mod_con, base):
    sheet = _set(base, 3, "comment", "we run a\x07 PA forum")
    data = csv_bytes(sheet)
    before = db_checksum(mod_con)
    with pytest.raises(ingest.ImportRefused) as info:
        ingest.import_file(mod_con, data, "answers.csv", NEW_YEAR, by="tester")
    assert db_checksum(mod_con) == before
    (problem,) = info.value.report.problems
    assert problem.row == 3
    assert problem.reason == ("row 3, column 'comment' (column {}): the cell holds a control character (\\x07), which a "
                              "spreadsheet does not show: 'we run a\\x07 PA forum'. Delete it from the cell (retype the "
                              "text if it cannot be seen) and save again.").format(_letter(sheet, "comment"))


def test_after_a_sep_line_file_lines_count_it():
    # An open quote on row 2, which is the file's line 3 (line 1 is `sep=;`).
    from lib.ingest.csv_reader import _read_csv
    from lib.ingest.sheet import Unreadable

    with pytest.raises(Unreadable) as info:
        _read_csv(b'sep=;\ncouncil;comment\nE06000001;"open\nE06000002;x\n')
    assert "row 2 (line 3 of the file)" in info.value.rows[0][1]


def test_a_control_character_in_a_header_is_shown_escaped():
    from lib.ingest.csv_reader import _read_csv
    from lib.ingest.sheet import Unreadable

    with pytest.raises(Unreadable) as info:
        _read_csv(b"council,com\x07ment\nE06000001,x\n")
    (row, reason), = info.value.rows
    assert row == 1 and "column 'com\\x07ment' (column B)" in reason and "\x07" not in reason


def test_an_answers_sheet_with_a_stale_dimension_is_still_found(base):
    # The stored <dimension> says A1 only; the council column is in B. A notes sheet beside it.
    data = _stale_dimension_to(_xlsx_edit(base[["round", "council", "emp_payroll"]],
                                          lambda ws: ws.parent.create_sheet("Notes"), title="Answers"), "A1")
    sheet = ingest.read_sheet(data, "answers.xlsx")
    assert sheet.sheet_name == "Answers" and sheet.header[:2] == ["round", "council"]


def _stale_dimension_to(data: bytes, ref: str) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body)
            dst.writestr(info, body)
    return out.getvalue()


def _semicolons(df: pd.DataFrame) -> bytes:
    """The sheet as a continental Excel saves CSV: semicolons between cells, quotes where a cell has one."""
    return df.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8")


def _letter(df: pd.DataFrame, column: str) -> str:
    from lib.ingest.sheet import column_letter

    return column_letter(list(df.columns).index(column))


def test_sheets_that_hold_no_answers_are_left_out_with_a_note(mod_con, base):
    # Instructions first, a notes sheet after: the answers sheet is chosen by its council column.
    def edit(ws):
        ws.parent.create_sheet("Read me", 0).append(["Fill in one row per council."])
        ws.parent.create_sheet("Notes").append(["checked by", "A. Analyst"])
    data = _xlsx_edit(base, edit, title="Our answers")
    before = db_checksum(mod_con)
    report = ingest.validate(mod_con, data, "answers.xlsx", NEW_YEAR)
    assert report.ok, "\n".join(report.lines())
    assert report.sheet == "Our answers" and len(report.councils) == 3
    assert ("Read the answers from the sheet 'Our answers'; the other sheets ('Read me', 'Notes') hold no "
            "answers and were left out.") in report.warnings
    assert any(line.startswith("  note: Read the answers from the sheet") for line in report.lines())
    assert db_checksum(mod_con) == before  # validating writes nothing


@pytest.mark.parametrize("name", list(GOOD))
def test_odd_but_valid_files_import(repo_db_path, tmp_path, base, name):
    con = db.connect(copy_db(repo_db_path, tmp_path))
    try:
        data = GOOD[name](base)
        report = ingest.validate(con, data, "answers.csv", NEW_YEAR)
        assert report.ok, "\n".join(report.lines())
        # Every column and row was read (a stale XLSX dimension would have cut them).
        assert sorted(report.questions) == sorted(c for c in base.columns if c in report.questions or (
            c not in ("council", "round", "comment") and "__" not in c))
        result = ingest.import_file(con, data, "answers.csv", NEW_YEAR)
        assert result.status == "imported" and result.councils == 3
        assert respondents(con, NEW_YEAR) == sorted(base["council"])
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Property: any sheet either imports or fails with a report, and a failure changes nothing
# --------------------------------------------------------------------------------------------

#: Questions of every kind of answer set, with answers a council could give (values and labels).
VALID = {
    "emp_payroll": ["available", "Available", "IN DEVELOPMENT", "not_available", "Don't know", "dont_know"],
    "emp_dbs": ["available", "in_development", "Not available", "don't know"],
    "appr_promoted": ["yes", "No", "in development", "Don't know"],
    "sf_approach": ["same_offer", "Directed to a support organisation", "none", "online_info"],
    "emp_qa_safeguarding": ["required", "voluntary", "In development", "not_available"],
    "dbs_route": ["la", "The employer", "dont_know", ""],
    "pay_rate_10_plus": ["selected", "Not selected", ""],
}
JUNK = st.sampled_from(["", "maybe", "=1+1", "01/02/2015", "<script>", "yes please", "-", "@x", "0"])
PROVIDERS = st.sampled_from(["", "la", "support_org;other_cvo", "Local authority", "nobody", "la;la", "@x"])
COUNCILS = st.sampled_from(["E06000001", "E06000002", "E06000003", "Bristol", "St. Helens", "Hull City Council",
                            "E08000015", "Kingston", "Atlantis", "E06000060", "", "E10000023"])


GOOD_COUNCILS = ["E06000001", "E06000002", "E06000003", "Bristol", "St. Helens", "Hull City Council", "E08000015"]


@st.composite
def sheets(draw) -> bytes:
    """A random answer sheet; about half are drawn clean (valid answers, distinct councils)."""
    clean = draw(st.booleans())
    n = draw(st.integers(min_value=1, max_value=4))
    questions = draw(st.lists(st.sampled_from(list(VALID)), min_size=1, max_size=len(VALID), unique=True))
    with_providers = [q for q in questions if q in ("emp_payroll", "emp_dbs") and draw(st.booleans())]
    councils = (draw(st.lists(st.sampled_from(GOOD_COUNCILS), min_size=n, max_size=n, unique=True)) if clean
                else [draw(COUNCILS) for _ in range(n)])
    rows = []
    for council in councils:
        row = {"council": council}
        for q in questions:
            valid = st.sampled_from(VALID[q])
            row[q] = draw(valid if clean else st.one_of(valid, valid, valid, JUNK))
        for q in with_providers:
            if clean:
                allows = row[q].replace("_", " ").lower() in ("available", "in development")
                row[f"{q}__providers"] = draw(st.sampled_from(["", "la", "support_org;other_cvo"])) if allows else ""
            else:
                row[f"{q}__providers"] = draw(PROVIDERS)
        rows.append(row)
    fmt = draw(st.sampled_from(["csv", "xlsx"]))
    df = pd.DataFrame(rows).fillna("")
    return xlsx_bytes(df) if fmt == "xlsx" else df.to_csv(index=False).encode("utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=sheets())
def test_random_sheets_import_or_fail_cleanly(mod_con, data):
    before = db_checksum(mod_con)
    try:
        name = "random.xlsx" if data.startswith(b"PK") else "random.csv"
        result = ingest.import_file(mod_con, data, name, NEW_YEAR, replace=True, by="hypothesis")
    except ingest.ImportRefused as exc:
        assert exc.report is not None and not exc.report.ok
        assert db_checksum(mod_con) == before
        return
    stored = mod_con.execute("SELECT count(*), count(DISTINCT authority_code) FROM responses WHERE round_year = ?",
                             [NEW_YEAR]).fetchone()
    if result.status == "unchanged":
        assert db_checksum(mod_con) == before
    else:
        assert stored == (result.rows, result.councils)


def test_the_sheet_read_is_named_in_every_report(mod_con, base):
    good = ingest.validate(mod_con, xlsx_bytes(base), "answers.xlsx", NEW_YEAR)
    assert good.ok and good.summary().startswith("answers.xlsx (sheet 'responses'): 3 councils and ")
    bad = ingest.validate(mod_con, xlsx_bytes(_set(base, 2, "emp_payroll", "maybe"), "Sheet1"), "answers.xlsx",
                          NEW_YEAR)
    assert bad.lines()[0] == ("answers.xlsx (sheet 'Sheet1'): 1 problem found, so nothing can be imported. "
                              "Correct the file and try again.")
    assert ingest.validate(mod_con, csv_bytes(base), "answers.csv", NEW_YEAR).summary().startswith("answers.csv: ")


def test_a_stale_dimension_would_have_dropped_rows_and_columns(base):
    """The stale file really is stale: openpyxl's read-only mode trusting the tag sees 2 x 2 cells."""
    data = _stale_dimension(xlsx_bytes(base))
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert [len(r) for r in wb["responses"].iter_rows(values_only=True)] == [2, 2]
    sheet = ingest.read_sheet(data, "answers.xlsx")
    assert len(sheet.rows) == 3 and len(sheet.header) == len(base.columns)


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<iframe src=x>",
                                  "<script>x</script>", "< a href=x>", "<!-- x -->", "JAVASCRIPT:alert(1)",
                                  "java\nscript:alert(1)", "&#x6A;avascript:alert(1)", "&amp;#106;avascript:x",
                                  "vbscript:msgbox", "data:image/svg+xml,<svg>", "java\u200bscript:x",
                                  "&lt;img src=x onerror=alert(1)&gt;"])
def test_one_markup_policy_refuses_every_variant(text):
    assert ingest._unsafe(text).startswith("script content: ")


@pytest.mark.parametrize("text", ["Fewer than < 5 PAs", "score <5", "a -> b", "data: payroll", "I <3 PAs",
                                  "see www.example.org", "Javascript is not used"])
def test_one_markup_policy_keeps_plain_text(text):
    assert ingest._unsafe(text) is None
