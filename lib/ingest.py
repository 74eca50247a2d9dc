"""Loading real survey responses safely: read a file, match councils, validate, preview, commit.

The survey administrator's path, used by the CLI (`python -m lib.cli import`) and the Data
management page:

    read_sheet   bytes of a CSV / XLSX / Parquet file -> a Sheet of text cells, each row
                 numbered as the user sees it in a spreadsheet (the header is row 1)
    validate     Sheet -> Report: every problem (row, column, value, reason), or the answer
                 records ready to write. Reading never raises: a file that cannot be read is
                 one problem in the report.
    preview      Report -> the scores the import would produce, computed by the scoring views
                 on a private in-memory copy (the app's database is not touched)
    import_file  all or nothing: on any problem nothing is written; on success the whole round
                 is written in one transaction with a submissions row and an audit_log entry.

Formats. Wide: one row per council, a `council` column (ONS code or name), one column per
question (its id, or its wording from questions.toml), optional `<id>__providers` (provider keys
or labels separated by ";"), optional `<id>__comment` and a general `comment`, optional `round`.
This is exactly what lib.whatif.to_wide writes and lib.template produces. Long: columns
council, question, answer[, providers][, comment][, round], one row per answer.

What "required" means. The questionnaire of a round is the set of scored questions the file
carries (a column in the wide layout, a row for any council in the long layout); questions
the file leaves out altogether were not asked that year and their standards show "no evidence"
(the report says which). Every council in the file must answer every such question: a blank
cell is a missing required answer. "Don't know" is an answer. Context (unscored) questions may
be left blank. A council row with no answers at all (as in an unfilled template row) is taken
as "did not respond" and skipped, and the report says how many were skipped.
"""

from __future__ import annotations

import csv
import difflib
import errno
import hashlib
import html
import io
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from lib import db, exports, geography, scoring
from lib.formatting import DASH, NO_EVIDENCE, band_text, format_percent, format_score, rank_text
from lib.whatif import PROVIDER_SUFFIX  # the what-if download is an import file

# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

#: Environment variable holding the largest file accepted, in megabytes (default 10).
MAX_MB_ENV = "PA_BENCHMARK_MAX_UPLOAD_MB"
DEFAULT_MAX_MB = 10.0
#: At most this many problems are listed; the report says how many more there were.
MAX_PROBLEMS = 500
#: Limits checked before a file is turned into cells, so a small crafted file cannot exhaust memory.
#: An XLSX is a zip: all its parts together may unpack to at most this many times the size limit,
MAX_UNPACK_RATIO = 5
#: and no part bigger than 1 MB may be compressed more than this many times.
MAX_PART_RATIO = 100
#: Data rows (the long layout has one row per answer: 153 councils x ~100 questions fits easily).
MAX_ROWS = 50_000
MAX_COLUMNS = 1_000
#: Rows x columns of the table read.
MAX_CELLS = 500_000
#: Characters in one cell.
MAX_CELL_CHARS = 10_000

COMMENT_SUFFIX = "__comment"
PROVIDER_SEPARATORS = re.compile(r"[;,]")
#: Survey years accepted: the first survey (2012) to next year (a round is prepared ahead).
EARLIEST_YEAR = 2012
LATEST_YEAR = date.today().year + 1
_YEAR_TEXT = re.compile(r"[0-9]{4}")

#: Header spellings accepted for the identifying columns (compared case-insensitively).
COUNCIL_HEADERS = {"council", "authority", "authority_code", "council_code", "ons_code", "code"}
NAME_HEADERS = {"council_name", "authority_name", "name"}
ROUND_HEADERS = {"round", "round_year", "year"}
COMMENT_HEADERS = {"comment", "comments"}
IGNORED_HEADERS = {"data_note"}
LONG_QUESTION, LONG_ANSWER, LONG_PROVIDERS = "question", "answer", "providers"

#: Short forms people use for a council whose official name is longer (normalised keys).
NAME_ALIASES = {
    "hull": "kingston upon hull",
    "newcastle": "newcastle upon tyne",
    "southend": "southend on sea",
    "stockton": "stockton on tees",
    "bcp": "bournemouth christchurch and poole",
}
# Words around a council's name that do not identify it (removed before matching).
_LEADING = ("the ", "london borough of ", "royal borough of ", "metropolitan borough of ",
            "borough of ", "city and county of ", "city of ", "county of ", "county ")
_TRAILING = (" metropolitan borough council", " metropolitan district council", " borough council",
             " district council", " county council", " city council", " unitary authority",
             " council", " mbc", " cc", " city of", " county of")

_DATE_TEXT = re.compile(
    r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[- ](jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?:[- ]\d{2,4})?"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[- ]\d{2,4})$",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CODE = re.compile(r"^[EWSN]\d{8}$", re.IGNORECASE)


def size_text(n: int) -> str:
    """A file size in plain words: '10 MB', '3.2 MB' or '512 KB'."""
    if n >= 1024 * 1024:
        mb = n / 1048576
        return f"{mb:.0f} MB" if abs(mb - round(mb)) < 0.05 else f"{mb:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def max_bytes() -> int:
    """The largest file accepted, from $PA_BENCHMARK_MAX_UPLOAD_MB (megabytes) or 10 MB."""
    raw = os.environ.get(MAX_MB_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int((mb if mb > 0 else DEFAULT_MAX_MB) * 1024 * 1024)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, located the way the user sees it in a spreadsheet."""

    row: int | None
    column: str | None
    value: str | None
    reason: str
    cell: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if self.cell:
            where.append(f"cell {self.cell}")
        value = f" {_shorten(self.value)!r}:" if self.value not in (None, "") else ""
        place = ", ".join(where) or "file"
        return f"{place[0].upper()}{place[1:]}:{value} {self.reason}"


@dataclass(frozen=True)
class Record:
    """One answer ready to write into `responses`."""

    authority_code: str
    question_id: str
    answer: str
    providers: tuple[str, ...] = ()
    comment: str | None = None


@dataclass
class Report:
    """What validation found: problems (nothing may be written) or the records to write."""

    file_name: str
    checksum: str
    size: int
    year: int | None = None
    file_type: str | None = None
    sheet: str | None = None
    layout: Literal["wide", "long"] | None = None
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    warnings: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    council_comments: dict[str, str] = field(default_factory=dict)
    councils: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    skipped_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    @property
    def source(self) -> str:
        """The file name, and for a workbook the sheet read: "answers.xlsx (sheet 'responses')"."""
        return f"{self.file_name} (sheet '{self.sheet}')" if self.sheet else self.file_name

    def summary(self) -> str:
        """One plain-English sentence on the outcome."""
        if self.problems:
            n = self.problem_count
            return (f"{self.source}: {n} problem{'s' if n != 1 else ''} found, so nothing can be "
                    "imported. Correct the file and try again.")
        return (f"{self.source}: {len(self.councils)} council{'s' if len(self.councils) != 1 else ''} "
                f"and {len(self.records)} answers for the {self.year} round, ready to import.")

    def problem_table(self) -> pd.DataFrame:
        """The problems as text for a table (Row, Column, Cell, Value, Problem), no blanks."""
        rows = [{
            "Row": str(p.row) if p.row is not None else DASH,
            "Column": p.column or DASH,
            "Cell": p.cell or DASH,
            "Value": _shorten(p.value) if p.value not in (None, "") else DASH,
            "Problem": p.reason,
        } for p in sorted(self.problems, key=lambda p: -1 if p.row is None else p.row)]
        return pd.DataFrame(rows, columns=["Row", "Column", "Cell", "Value", "Problem"])

    def lines(self) -> list[str]:
        """The report as text lines for the command line."""
        out = [self.summary()]
        out += [f"  - {p}" for p in self.problems]
        if self.more_problems:
            out.append(f"  ... and {self.more_problems} more problems")
        out += [f"  note: {w}" for w in self.warnings]
        return out


def _shorten(value: Any, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# Reading: bytes -> Sheet of text cells
# --------------------------------------------------------------------------------------------

@dataclass
class Sheet:
    """A file's table as text: header, rows numbered as in a spreadsheet, and typed-cell flags."""

    header: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]]
    file_type: str
    dates: set[tuple[int, int]] = field(default_factory=set)
    encoding: str | None = None
    sheet_name: str | None = None


class Unreadable(Exception):
    """The file cannot be read as a table; the message says why in plain English.

    `damaged` is False for a file refused for what it is rather than for being unreadable
    (empty, header only, too large). `rows` lists (row, reason) when the trouble is on
    particular rows (a CSV quote left open, a row with the wrong number of cells).
    """

    def __init__(self, message: str, damaged: bool = True,
                 rows: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.damaged = damaged
        self.rows = rows or []


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kind(data: bytes, file_name: str) -> str:
    """csv, xlsx, parquet or xls, from the file's first bytes (then its extension)."""
    ext = Path(file_name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if ext in (".xlsx", ".xlsm"):
        raise Unreadable("The file is named .xlsx but is not an Excel workbook (it may be damaged, "
                         "or another kind of file renamed). Open it in Excel and save it as .xlsx again.")
    if ext == ".parquet":
        raise Unreadable("The file is named .parquet but is not a Parquet file (it may be damaged).")
    return "csv"


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable("The file is saved as UTF-16 ('Unicode text'), which is not supported. "
                         "In Excel choose Save As > 'CSV UTF-8 (comma delimited)'.")
    if b"\x00" in data[:65536]:
        raise Unreadable("The file holds binary data, not text: it is not a CSV, XLSX or Parquet "
                         "file. Upload the answers as CSV, XLSX or Parquet.")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"The file's text encoding is not recognised (byte {exc.start + 1} cannot be read as "
            "UTF-8 or Windows-1252). Save it as 'CSV UTF-8' and try again.") from None


def _delimiter(header_line: str) -> str:
    """Comma, semicolon (Excel in some locales) or tab: whichever the header uses outside quotes."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _read_csv(data: bytes) -> Sheet:
    """Read CSV text strictly: a quote left open, a row with another number of cells than the
    header, or a row written with another separator is an error naming the row where it starts
    (never silently merged into the rows after it)."""
    text, encoding = _decode(data)
    if _CONTROL.search(text):
        raise Unreadable("The file holds control characters, so it is not a plain CSV text file. "
                         "Upload the answers as CSV, XLSX or Parquet.")
    delimiter = _delimiter(next((line for line in text.splitlines() if line.strip()), ""))
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, int, int, list[str]]] = []  # row, first line, last line, cells
    line = 1
    while True:
        row = len(records) + 1
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            where = f"row {row} (line {line} of the file)"
            if "field larger" in str(exc):
                reason = (f"{where}: a cell is longer than {MAX_CELL_CHARS:,} characters, or a quote opened "
                          "here is never closed. Shorten the cell, or close the quote.")
            else:
                reason = (f"{where}: a quote opened on this row is not closed where it should be ({exc}), "
                          "so the rows after it cannot be told apart. Close the quote (\"…\"), or remove it.")
            raise Unreadable(f"The CSV file cannot be read from {where} on.", rows=[(row, reason)]) from None
        if row > MAX_ROWS + 1:
            raise Unreadable(f"The file has more than {MAX_ROWS:,} rows; one row per council is expected.",
                             damaged=False)
        if len(rec) > MAX_COLUMNS + 1 and any(rec[MAX_COLUMNS + 1:]):
            raise Unreadable(f"The file has more than {MAX_COLUMNS:,} columns (row {row}).", damaged=False)
        records.append((row, line, reader.line_num, [c.strip() for c in rec]))
        line = reader.line_num + 1
    header = next((r for r in records if any(r[3])), None)
    if header is not None:
        width = len(header[3])
        anomalies: list[tuple[int, str]] = []
        name = _SEPARATOR_NAMES.get(delimiter, repr(delimiter))
        for row, first, last, cells in records:
            if row <= header[0] or not any(cells):
                continue
            swallowed = last > first and any(
                part.count(delimiter) >= max(2, (width - 1) // 2)
                for cell in cells for part in cell.splitlines()[1:])
            if swallowed:
                anomalies.append((row, f"unbalanced quote: a quote opened on row {row} (line {first} of the file) "
                                  f"is closed only on line {last}, so the rows in between were read as part of "
                                  f"one cell. Close the quote on row {row}, or remove it."))
                continue
            if len(cells) == width:
                continue
            if len(cells) > width and not any(cells[width:]):
                continue  # empty cells past the last column (a spreadsheet's trailing separators)
            if last > first:
                anomalies.append((row, f"unbalanced quote: a quote opened on row {row} (line {first} of the file) "
                                  f"runs to line {last}, so those lines were read as one row of {len(cells)} "
                                  f"cells (the header has {width}). Close the quote on row {row}, or remove it."))
                continue
            others = [n for d, n in _SEPARATOR_NAMES.items() if d != delimiter and d in " ".join(cells)]
            hint = (f" The row seems to use a {others[0]} as separator while the header uses a {name}: "
                    f"save the whole file with one separator." if others and len(cells) < width else
                    " A separator is missing or extra in this row (a stray separator, or a value with a "
                    f"{name} inside that needs quotes).")
            anomalies.append((row, f"wrong number of cells: row {row} has {len(cells)} cells but the header has "
                              f"{width}.{hint}"))
        if anomalies:
            raise Unreadable(f"The CSV file has rows that do not line up with the header "
                             f"(first: row {anomalies[0][0]}).", rows=anomalies)
    return _sheet_from_rows(((n, cells) for n, _, _, cells in records), "csv", set(), encoding)


def _sheet_from_rows(rows: Iterable[tuple[int, list[str]]], file_type: str,
                     dates: set[tuple[int, int]], encoding: str | None = None,
                     sheet_name: str | None = None) -> Sheet:
    header: list[str] | None = None
    header_row = 1
    body: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if number > MAX_ROWS + 1:
            raise Unreadable(f"The file has more than {MAX_ROWS:,} rows; one row per council is expected.")
        if header is None:
            if not any(cells):
                continue
            header, header_row = cells, number
            continue
        body.append((number, cells))
    if header is None:
        raise Unreadable("The file is empty: it has no header row and no answers.", damaged=False)
    # Columns run to the last one holding a header or any value; empty ones beyond are ignored.
    width = max([i + 1 for i, v in enumerate(header) if v]
                + [i + 1 for _, c in body for i, v in enumerate(c) if v] + [0])
    if width > MAX_COLUMNS:
        raise Unreadable(f"The file has more than {MAX_COLUMNS:,} columns.", damaged=False)
    if width * len(body) > MAX_CELLS:
        raise Unreadable(f"The file has more than {MAX_CELLS:,} cells ({len(body):,} rows x {width:,} columns); "
                         "an answer sheet holds one row per council.", damaged=False)
    for number, cells in body:
        for i, value in enumerate(cells):
            if len(value) > MAX_CELL_CHARS:
                raise Unreadable(f"Row {number}, column {column_letter(i)}: the cell holds {len(value):,} "
                                 f"characters; the most accepted is {MAX_CELL_CHARS:,}.", damaged=False,
                                 rows=[(number, f"the cell in column {column_letter(i)} holds {len(value):,} "
                                        f"characters; the most accepted is {MAX_CELL_CHARS:,}. Shorten it.")])
    header = (header + [""] * width)[:width]
    body = [(n, (c + [""] * width)[:width]) for n, c in body]
    # Trailing blank rows are ignored (blank rows in the middle are skipped later).
    while body and not any(body[-1][1]):
        body.pop()
    if not body:
        raise Unreadable("The file has a header row but no data rows: there are no answers to import.",
                         damaged=False)
    return Sheet(header, header_row, body, file_type, dates, encoding, sheet_name)


def _cell_text(value: Any) -> tuple[str, bool]:
    """Text of a spreadsheet cell and whether it held a date or time."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, datetime | date | time | timedelta):
        return (value.isoformat() if hasattr(value, "isoformat") else str(value)), True
    if isinstance(value, int):
        return str(value), False
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), False
    if isinstance(value, str):
        return value.strip(), False
    text = getattr(value, "text", None)  # openpyxl ArrayFormula
    return (str(text) if text is not None else str(value)).strip(), False


_XLSX_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_XLSX_ROW_REF = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"([0-9]{1,7})\"")
_XLSX_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _xlsx_extent(archive: zipfile.ZipFile, member: str) -> tuple[int, int] | None:
    """The real last row and column of a worksheet, from its cells' references (the stored
    <dimension> tag can be stale). None if some cell has no reference (rare writers)."""
    max_row = max_col = cells = refs = 0
    carry = b""
    with archive.open(member) as src:
        while True:
            chunk = src.read(1 << 20)
            text = carry + chunk
            keep = text.rfind(b"<") if chunk else -1
            # A tag cut at the chunk's end is kept for the next round, so each tag is seen once, whole.
            body, carry = (text, b"") if keep < 0 else (text[:keep], text[keep:])
            for m in _XLSX_CELL_REF.finditer(body):
                refs += 1
                max_col = max(max_col, _column_number(m.group(1)))
                max_row = max(max_row, int(m.group(2)))
            for m in _XLSX_ROW_REF.finditer(body):
                max_row = max(max_row, int(m.group(1)))
            cells += len(_XLSX_CELL_TAG.findall(body))
            if not chunk:
                break
    return (max_row, max_col) if refs == cells else None


def _pick_sheet(wb: Any) -> Any:
    """The sheet the template names ('responses'), else the only visible sheet; otherwise refuse
    and list the sheets (never a guess)."""
    from lib.template import SHEET_RESPONSES

    sheets = list(wb.worksheets)
    if not sheets:
        raise Unreadable("The Excel file has no worksheets.")
    named = [ws for ws in sheets if ws.title.strip().casefold() == SHEET_RESPONSES]
    if len(named) == 1:
        return named[0]
    visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if len(visible) == 1:
        return visible[0]
    names = ", ".join(f"'{ws.title}'" + ("" if ws in visible else " (hidden)") for ws in sheets)
    raise Unreadable(f"The workbook has several sheets ({names}) and none is named '{SHEET_RESPONSES}', so it is "
                     f"not clear which holds the answers. Rename the sheet with the answers '{SHEET_RESPONSES}', "
                     "or delete the others.", damaged=False)


def _read_xlsx(data: bytes, limit: int) -> Sheet:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Unreadable("The Excel file is damaged and cannot be opened (not a valid .xlsx). "
                         "Open it in Excel and save it again.") from None
    names = [i.filename for i in infos]
    if "xl/workbook.xml" not in names:
        raise Unreadable("The file is a zip archive but not an Excel workbook (.xlsx).")
    unpacked = sum(i.file_size for i in infos)
    packed_too_far = [i.filename for i in infos
                      if i.file_size > 1 << 20 and i.file_size > MAX_PART_RATIO * max(i.compress_size, 1)]
    if unpacked > MAX_UNPACK_RATIO * limit or packed_too_far:
        raise Unreadable(f"The Excel file unpacks to {size_text(unpacked)}, far more data than an answer sheet "
                         f"holds (the most accepted is {size_text(MAX_UNPACK_RATIO * limit)}, each part packed at "
                         f"most {MAX_PART_RATIO} times), so it was not opened.", damaged=False)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure in a damaged workbook is the same message
        raise Unreadable(f"The Excel file is damaged and cannot be opened ({type(exc).__name__}). "
                         "Open it in Excel and save it again.") from None
    try:
        ws = _pick_sheet(wb)
        member = getattr(ws, "_worksheet_path", None)
        extent = None
        if member in names:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                extent = _xlsx_extent(archive, member)
        if extent is not None:
            max_row, max_col = extent
            if max_row > MAX_ROWS + 1:
                raise Unreadable(f"The sheet '{ws.title}' has more than {MAX_ROWS:,} rows.", damaged=False)
            if max_col > MAX_COLUMNS:
                raise Unreadable(f"The sheet '{ws.title}' has more than {MAX_COLUMNS:,} columns.", damaged=False)
            if max_row * max_col > MAX_CELLS + max_col:
                raise Unreadable(f"The sheet '{ws.title}' has more than {MAX_CELLS:,} cells ({max_row:,} rows x "
                                 f"{max_col:,} columns); an answer sheet holds one row per council.", damaged=False)
        else:
            max_row, max_col = MAX_ROWS + 2, MAX_COLUMNS + 1
        # The stored <dimension> tag may be stale (it would cut rows or columns): read the real extent.
        ws.reset_dimensions()
        dates: set[tuple[int, int]] = set()
        rows: list[tuple[int, list[str]]] = []
        try:
            if max_row and max_col:
                for number, row in enumerate(ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col,
                                                          values_only=True), start=1):
                    if number > MAX_ROWS + 1:
                        raise Unreadable(f"The sheet '{ws.title}' has more than {MAX_ROWS:,} rows.", damaged=False)
                    cells = []
                    for col, value in enumerate(row):
                        text, is_date = _cell_text(value)
                        if is_date:
                            dates.add((number, col))
                        cells.append(text)
                    if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
                        raise Unreadable(f"The sheet '{ws.title}' has more than {MAX_COLUMNS:,} columns.",
                                         damaged=False)
                    rows.append((number, cells[:MAX_COLUMNS]))
        except Unreadable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise Unreadable(f"The Excel file is damaged and cannot be read ({type(exc).__name__}).") from None
        title = ws.title
    finally:
        wb.close()
    return _sheet_from_rows(rows, "xlsx", dates, sheet_name=title)


def _leaf_text_size(column: Any) -> tuple[int, int]:
    """(total characters, longest value) of a column read with dictionaries kept, without
    decoding it: a value repeated by a dictionary counts once per row that uses it."""
    import pyarrow.compute as pc

    total = longest = 0
    for chunk in column.chunks:
        arr = chunk
        while pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            arr = arr.flatten()
        if pa.types.is_dictionary(arr.type):
            sizes = pc.binary_length(arr.dictionary) if (pa.types.is_string(arr.dictionary.type)
                                                         or pa.types.is_binary(arr.dictionary.type)) else None
            if sizes is None:
                continue
            per_row = pc.take(sizes, arr.indices)
        elif pa.types.is_string(arr.type) or pa.types.is_binary(arr.type) or pa.types.is_large_string(arr.type):
            per_row = pc.binary_length(arr)
        else:
            continue
        total += int(pc.sum(per_row).as_py() or 0)
        longest = max(longest, int(pc.max(per_row).as_py() or 0))
    return total, longest


def _read_parquet(data: bytes, limit: int) -> Sheet:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.metadata
    except Exception as exc:  # noqa: BLE001
        raise Unreadable(f"The Parquet file cannot be read ({type(exc).__name__}); it may be damaged.") from None
    # Bounds from the metadata, before anything is decoded.
    if meta.num_rows > MAX_ROWS:
        raise Unreadable(f"The file has more than {MAX_ROWS:,} rows ({meta.num_rows:,}).", damaged=False)
    if meta.num_columns > MAX_COLUMNS:
        raise Unreadable(f"The file has more than {MAX_COLUMNS:,} columns.", damaged=False)
    leaf_values = sum(meta.row_group(g).column(c).num_values
                      for g in range(meta.num_row_groups) for c in range(meta.row_group(g).num_columns))
    uncompressed = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
    if meta.num_rows * meta.num_columns > MAX_CELLS or leaf_values > MAX_CELLS:
        raise Unreadable(f"The file has more than {MAX_CELLS:,} cells; an answer sheet holds one row per council.",
                         damaged=False)
    if uncompressed > MAX_UNPACK_RATIO * limit:
        raise Unreadable(f"The Parquet file unpacks to {size_text(uncompressed)}, far more than an answer sheet "
                         f"holds (the most accepted is {size_text(MAX_UNPACK_RATIO * limit)}).", damaged=False)
    text_paths = [meta.schema.column(i).path for i in range(meta.num_columns)
                  if meta.schema.column(i).physical_type in ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY")]
    try:
        table = pq.read_table(pa.BufferReader(data), read_dictionary=text_paths or None)
    except Exception as exc:  # noqa: BLE001
        raise Unreadable(f"The Parquet file cannot be read ({type(exc).__name__}); it may be damaged.") from None
    total = 0
    for name, column in zip(table.column_names, table.columns, strict=True):
        size, longest = _leaf_text_size(column)
        if longest > MAX_CELL_CHARS:
            raise Unreadable(f"Column {name}: a cell holds {longest:,} characters; the most accepted is "
                             f"{MAX_CELL_CHARS:,}.", damaged=False)
        total += size
    if total > MAX_UNPACK_RATIO * limit:
        raise Unreadable(f"The Parquet file holds {size_text(total)} of text, far more than an answer sheet holds "
                         f"(the most accepted is {size_text(MAX_UNPACK_RATIO * limit)}).", damaged=False)
    header = [str(n) for n in table.column_names]
    dates: set[tuple[int, int]] = set()
    columns: list[list[str]] = []
    for col, column in enumerate(table.columns):
        kind = column.type
        is_date = pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind)
        values = []
        for i, value in enumerate(column.to_pylist()):
            if isinstance(value, list | tuple):
                text = ";".join("" if v is None else str(v).strip() for v in value)
                flagged = False
            else:
                text, flagged = _cell_text(value)
            if (is_date or flagged) and text:
                dates.add((i + 2, col))
            values.append(text)
        columns.append(values)
    rows = [(1, header)] + [(i + 2, [c[i] for c in columns]) for i in range(table.num_rows)]
    return _sheet_from_rows(rows, "parquet", dates)


def read_sheet(data: bytes, file_name: str, limit: int | None = None) -> Sheet:
    """Read a CSV (UTF-8 with or without BOM, or Windows-1252), XLSX or Parquet file.

    Raises Unreadable with a plain-English reason; never anything else.
    """
    limit = max_bytes() if limit is None else limit
    if len(data) > limit:
        raise Unreadable(f"The file is too large: {size_text(len(data))}; the largest accepted is "
                         f"{size_text(limit)} ({MAX_MB_ENV} sets the limit).", damaged=False)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise Unreadable("The file is empty: it has no header row and no answers.", damaged=False)
    kind = _kind(data, file_name)
    if kind == "xls":
        raise Unreadable("The file is in the old Excel 97-2003 format (.xls). Save it as .xlsx or CSV.")
    try:
        if kind == "xlsx":
            return _read_xlsx(data, limit)
        if kind == "parquet":
            return _read_parquet(data, limit)
        return _read_csv(data)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        raise Unreadable(f"The file cannot be read ({type(exc).__name__}).") from None


# --------------------------------------------------------------------------------------------
# Matching councils, questions, answers and providers
# --------------------------------------------------------------------------------------------

def _plain(text: str) -> str:
    """Light normalisation (case, spaces, punctuation) that keeps every word."""
    t = unicodedata.normalize("NFKC", str(text)).casefold().replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[.,'\u2019()-]", " ", t)).strip()


def normalise_name(text: str) -> str:
    """A council name reduced to what identifies it: 'Bristol, City of' and 'Bristol City
    Council' both become 'bristol'; 'St. Helens' and 'St Helens' become 'st helens'."""
    t = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    t = t.replace("&", " and ")
    t = re.sub(r"[.'\u2019]", "", t)
    t = re.sub(r"[-,/()\u2013]", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"^saint ", "st ", t)
    changed = True
    while changed:
        changed = False
        for prefix in _LEADING:
            if t.startswith(prefix) and len(t) > len(prefix):
                t, changed = t[len(prefix):], True
        for suffix in _TRAILING:
            if t.endswith(suffix) and len(t) > len(suffix):
                t, changed = t[: -len(suffix)], True
        t = t.strip()
    return NAME_ALIASES.get(t, t)


class CouncilMatcher:
    """Find a council by ONS code or name in a round's council set, never by guessing."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.all = geography.load_authorities().set_index("code")
        self.members = set(geography.authorities_for_round(year)["code"])
        self.index: dict[str, set[str]] = {}
        for code, row in self.all.iterrows():
            for name in {row["name"], row["display_name"]}:
                self.index.setdefault(normalise_name(name), set()).add(code)
        #: Region names ("London"): a bare region name is never taken for a council in it.
        self.regions: dict[str, list[str]] = {}
        for code, row in self.all.iterrows():
            if code in self.members:
                self.regions.setdefault(_plain(row["region_name"]), []).append(code)

    def label(self, code: str) -> str:
        return f"{self.all.loc[code, 'display_name']} ({code})"

    def _set_rule(self) -> str:
        if geography.vintage_for_round(self.year) == "2015":
            return (f"the {self.year} round uses the councils of 1 April 2015 (every round up to "
                    f"{geography.LAST_2015_VINTAGE_YEAR})")
        return f"the {self.year} round uses today's councils (every round from {geography.LAST_2015_VINTAGE_YEAR + 1})"

    def _wrong_set(self, code: str) -> str:
        try:
            counterparts = geography.predecessors_in(code, self.year)
        except KeyError:
            counterparts = []
        hint = ""
        if counterparts:
            hint = (" In that set its area belongs to " + ", ".join(self.label(c) for c in counterparts)
                    + "; use that council's code.")
        return (f"council from the wrong council set: {self.label(code)} is not one of the councils "
                f"in this round ({self._set_rule()}).{hint}")

    def _suggest(self, key: str) -> str:
        names = {normalise_name(self.all.loc[c, "display_name"]): c for c in self.members}
        close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
        if not close:
            return " Use the council's ONS code (for example E10000023) or its name as ONS gives it."
        return " Did you mean " + " or ".join(self.label(names[k]) for k in close) + "?"

    def match(self, text: str) -> tuple[str | None, str | None]:
        """(ONS code, None) for a match, or (None, reason) for an unknown, ambiguous or
        wrong-set council."""
        value = text.strip()
        if _CODE.match(value):
            code = value.upper()
            if code in self.members:
                return code, None
            if code in self.all.index:
                return None, self._wrong_set(code)
            return None, "unknown council: no council has this ONS code." + self._suggest("")
        key = normalise_name(value)
        if not key:
            return None, "unknown council: the name is blank."
        region = self.regions.get(_plain(value))
        if region:
            named = sorted(self.index.get(key, set()) & self.members)
            listed = " or ".join(self.label(c) for c in named)
            return None, (f"ambiguous council name: '{value}' is the name of a region; it could be "
                          + (f"{listed} or " if listed else "")
                          + f"any of the {len(region)} councils in that region. Use the council's full name "
                          "or its ONS code.")
        codes = self.index.get(key, set())
        inside = sorted(codes & self.members)
        if len(inside) == 1:
            return inside[0], None
        if len(inside) > 1:
            return None, ("ambiguous council name: it matches " + " and ".join(self.label(c) for c in inside)
                          + ". Use the ONS code.")
        if codes:
            return None, self._wrong_set(sorted(codes)[0])
        pattern = re.compile(rf"\b{re.escape(key)}\b")
        partial = sorted(c for c in self.members
                         if pattern.search(normalise_name(self.all.loc[c, "display_name"])))
        if len(partial) > 1:
            return None, ("ambiguous council name: it could be " + " or ".join(self.label(c) for c in partial)
                          + ". Use the full name or the ONS code.")
        if len(partial) == 1:
            return None, f"unknown council: no council has exactly this name. Did you mean {self.label(partial[0])}?"
        return None, "unknown council: no council in this round's set has this name." + self._suggest(key)


def _option_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).casefold().replace("\u2019", "'")
    t = re.sub(r"[_\-']", " ", t).replace("  ", " ")
    return re.sub(r"\s+", " ", t).strip()


def _wording_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).casefold().replace("\u2019", "'")
    return re.sub(r"\s+", " ", t).strip().rstrip("?").strip()


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    scored: bool
    asked_from: int
    answer_set: str
    wording: str


class Questionnaire:
    """Questions, answer options and providers as the database holds them (from the TOML files)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.questions = {
            r[0]: QuestionInfo(r[0], bool(r[1]), int(r[2]), r[3], r[4])
            for r in con.execute("SELECT id, scored, asked_from, answer_set, wording FROM questions "
                                 "ORDER BY (NOT scored), standard NULLS LAST, position").fetchall()
        }
        self.by_wording = {_wording_key(q.wording): q.id for q in self.questions.values()}
        self.options: dict[str, dict[str, str]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.allows: dict[tuple[str, str], bool] = {}
        for answer_set, value, label, allows in con.execute(
                "SELECT answer_set, value, label, allows_providers FROM answer_options "
                "ORDER BY answer_set, position").fetchall():
            self.options.setdefault(answer_set, {})[_option_key(value)] = value
            self.options[answer_set].setdefault(_option_key(label), value)
            self.labels.setdefault(answer_set, {})[value] = label
            self.allows[(answer_set, value)] = bool(allows)
        self.provider_sets = {s for (s, _), a in self.allows.items() if a}
        self.providers: dict[str, str] = {}
        self.provider_labels = dict(con.execute("SELECT key, label FROM providers ORDER BY key").fetchall())
        for key, label in self.provider_labels.items():
            self.providers[_option_key(key)] = key
            self.providers.setdefault(_option_key(label), key)

    def find(self, header: str) -> str | None:
        """The question id a header names: its id or its wording (case and '?' ignored)."""
        text = header.strip()
        if text.casefold() in self.questions:
            return text.casefold()
        return self.by_wording.get(_wording_key(text))

    def suggest(self, header: str) -> str:
        ids = difflib.get_close_matches(header.strip().casefold(), list(self.questions), n=3, cutoff=0.6)
        if not ids:
            return ("Use a question id from the template (for example emp_payroll) or the question's "
                    "wording exactly.")
        return "Did you mean " + " or ".join(ids) + "?"

    def allowed_text(self, answer_set: str) -> str:
        return "; ".join(f"{label} ({value})" for value, label in self.labels.get(answer_set, {}).items())

    def answer(self, answer_set: str, text: str) -> str | None:
        return self.options.get(answer_set, {}).get(_option_key(text))

    def provider(self, text: str) -> str | None:
        return self.providers.get(_option_key(text))


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

#: HTML markup: '<' directly followed by a letter, '/', '!' or '?' (a tag, a comment, a declaration).
_MARKUP = re.compile(r"<\s*[a-z!/?]", re.IGNORECASE)
#: Addresses a browser runs as code, compared after HTML entities, spaces and controls are removed.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html", "data:image/svg", "data:application/")
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f\u00ad\u200b-\u200f\u2060\ufeff]+")


def _unsafe(text: str) -> str | None:
    """Why a text cell must not be stored (it could run in a spreadsheet or a browser), or None.

    One policy for every text cell and header: refused are formula starts (= + - @ tab CR), HTML
    markup (any '<' followed by a letter, '/', '!' or '?': <script>, <img onerror>, <svg onload>,
    <iframe>, <!-- -->), and script addresses (javascript:, vbscript:, livescript:, data:text/html,
    data:image/svg…), also when written with HTML entities (&#106;avascript:), mixed case, or
    spaces and invisible characters inside. A lone '<' (as in "< 5 councils") is fine.
    """
    if not text:
        return None
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return ("formula content: the cell starts with '" + text[0].replace("\t", "\\t").replace("\r", "\\r")
                + "', which a spreadsheet would run as a formula. Remove the leading character.")
    decoded = text
    for _ in range(3):  # &amp;#106; decodes in two steps
        step = html.unescape(decoded)
        if step == decoded:
            break
        decoded = step
    squashed = _INVISIBLE.sub("", decoded).casefold()
    if _MARKUP.search(decoded) or _MARKUP.search(squashed):
        return ("script content: the cell contains HTML markup (a '<' followed by a tag name, such as <script>, "
                "<img>, <svg> or <iframe>), which a browser could run. Remove the angle brackets.")
    scheme = next((s for s in _SCRIPT_SCHEMES if s in squashed), None)
    if scheme:
        return (f"script content: the cell contains the script address '{scheme}', which a browser could run. "
                "Remove it.")
    return None


@dataclass
class _Column:
    index: int
    header: str
    kind: str  # council, name, round, comment, ignore, answer, providers, qcomment, question, long_*
    question: str | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def qid(self) -> str:
        """The question of an answer, providers or qcomment column (always set for those kinds)."""
        assert self.question is not None, f"column {self.letter} ({self.kind}) has no question"
        return self.question


class _Validator:
    """Turns a Sheet into a Report for one round; one instance per file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sheet: Sheet, report: Report) -> None:
        self.sheet = sheet
        self.report = report
        self.q = Questionnaire(con)

    # -- cell helpers --------------------------------------------------------------------------
    def problem(self, row: int | None, col: _Column | None, value: str | None, reason: str) -> None:
        cell = f"{col.letter}{row}" if col is not None and row is not None else None
        self.report.add(Problem(row, col.header if col is not None else None, value, reason, cell))

    def is_date(self, row: int, col: _Column, text: str) -> bool:
        return (row, col.index) in self.sheet.dates or bool(_DATE_TEXT.match(text))

    def checked(self, row: int, col: _Column, text: str, *, dates_ok: bool = False) -> bool:
        """False (with a problem) for formula/script content or a date where text is expected."""
        if not text:
            return True
        reason = _unsafe(text)
        if reason:
            self.problem(row, col, text, reason)
            return False
        if not dates_ok and self.is_date(row, col, text):
            self.problem(row, col, text, "Excel date where text is expected: the cell holds a date, not "
                         "an answer. Excel may have turned the text into a date; format the column as "
                         "Text and type the answer again.")
            return False
        return True

    # -- columns -------------------------------------------------------------------------------
    def columns(self) -> list[_Column] | None:
        header = self.sheet.header
        keys = [h.strip().casefold() for h in header]
        long = LONG_QUESTION in keys and LONG_ANSWER in keys
        self.report.layout = "long" if long else "wide"
        cols: list[_Column] = []
        seen: dict[tuple[str, str | None], _Column] = {}
        hr = self.sheet.header_row
        for i, text in enumerate(header):
            col = _Column(i, text or f"(no header, column {column_letter(i)})", "")
            key = keys[i]
            if not text:
                if any(cells[i] for _, cells in self.sheet.rows):
                    self.problem(hr, col, None, "column with no header: it holds values but no question "
                                 "id. Add the question id in the header row or delete the column.")
                continue
            reason = _unsafe(text)
            if reason:
                self.problem(hr, col, text, reason)
                continue
            if key in COUNCIL_HEADERS:
                col.kind = "council"
            elif key in NAME_HEADERS:
                col.kind = "name"
            elif key in ROUND_HEADERS:
                col.kind = "round"
            elif key in IGNORED_HEADERS:
                col.kind = "ignore"
            elif long and key in (LONG_QUESTION, LONG_ANSWER, LONG_PROVIDERS):
                col.kind = f"long_{key}"
            elif key in COMMENT_HEADERS:
                col.kind = "comment"
            elif not long and key.endswith(PROVIDER_SUFFIX) and self.q.find(text[: -len(PROVIDER_SUFFIX)]):
                col.kind, col.question = "providers", self.q.find(text[: -len(PROVIDER_SUFFIX)])
            elif not long and key.endswith(COMMENT_SUFFIX) and self.q.find(text[: -len(COMMENT_SUFFIX)]):
                col.kind, col.question = "qcomment", self.q.find(text[: -len(COMMENT_SUFFIX)])
            elif not long and self.q.find(text):
                col.kind, col.question = "answer", self.q.find(text)
            else:
                hint = (self.q.suggest(text.split("__")[0]) if not long else
                        "A long-format file has the columns council, question, answer, providers and "
                        "comment.")
                self.problem(hr, col, text, f"unknown question (column): this header is not a question "
                             f"id, a question's wording or a known column. {hint}")
                continue
            ident = (col.kind, col.question)
            if ident in seen:
                first = seen[ident]
                what = f"question {col.question}" if col.question else f"the {col.kind} column"
                self.problem(hr, col, text, f"duplicate column: column {first.letter} ({first.header}) "
                             f"already holds {what}. Keep one of the two.")
                continue
            seen[ident] = col
            cols.append(col)
        kinds = {c.kind for c in cols}
        if "council" not in kinds:
            self.report.add(Problem(hr, None, None, "no council column: add a column headed 'council' "
                                    "holding each council's ONS code or name."))
            return None
        if long and not {"long_question", "long_answer"} <= kinds:
            return None
        if not long and "answer" not in kinds:
            self.report.add(Problem(hr, None, None, "no question columns: the header row must name the "
                                    "questions (ids such as emp_payroll, or their wording)."))
            return None
        return cols

    # -- the round -----------------------------------------------------------------------------
    def round_year(self, cols: list[_Column], year: int | None) -> int | None:
        col = next((c for c in cols if c.kind == "round"), None)
        values: dict[int, list[int]] = {}
        problems_before = self.report.problem_count
        if col is not None:
            for number, cells in self.sheet.rows:
                text = cells[col.index]
                if not text or not any(cells):
                    continue
                if not self.checked(number, col, text, dates_ok=False):
                    continue
                if not _YEAR_TEXT.fullmatch(text):
                    self.problem(number, col, text, "wrong round year: the round must be a whole year of four "
                                 "digits, such as 2016.")
                elif not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
                    self.problem(number, col, text, f"wrong round year: {text} is outside the survey years "
                                 f"{EARLIEST_YEAR} to {LATEST_YEAR}. Correct the round column.")
                else:
                    values.setdefault(int(text), []).append(number)
        if year is None and self.report.problem_count > problems_before:
            return None
        if year is None:
            if len(values) == 1:
                year = next(iter(values))
            elif not values:
                self.report.add(Problem(None, None, None, "the survey round is not given: choose the round "
                                        "(--round YEAR) or add a 'round' column."))
                return None
            else:
                self.report.add(Problem(None, col.header if col else None, None,
                                        "the round column holds several years ("
                                        + ", ".join(str(y) for y in sorted(values))
                                        + "); one file holds one round."))
                return None
        if isinstance(year, bool) or not isinstance(year, int) or not EARLIEST_YEAR <= year <= LATEST_YEAR:
            self.report.add(Problem(None, None, str(year), f"wrong round year: {year} is not a survey year; "
                                    f"choose a whole year from {EARLIEST_YEAR} to {LATEST_YEAR}."))
            return None
        if len(values) == 1 and year not in values:
            # One year throughout, just not the one chosen: one problem, not one per row.
            assert col is not None  # values are only read from the round column
            other, rows = next(iter(values.items()))
            self.report.add(Problem(None, col.header, str(other), f"wrong round year: every row of the file says "
                                    f"{other}, but it is being imported as the {year} round. Choose the "
                                    f"{other} round, or correct the round column."))
            return year
        for other, rows in sorted(values.items()):
            if other != year:
                for number in rows:
                    self.problem(number, col, str(other), f"wrong round year: this file is being imported "
                                 f"as the {year} round, but the row says {other}.")
        return year

    # -- the body --------------------------------------------------------------------------------
    def council(self, matcher: CouncilMatcher, number: int, col: _Column, text: str,
                cache: dict[str, tuple[str | None, str | None]]) -> str | None:
        if not text:
            self.problem(number, col, None, "missing required answer: every row needs a council (ONS code or name).")
            return None
        if not self.checked(number, col, text):
            return None
        if text not in cache:
            cache[text] = matcher.match(text)
        code, reason = cache[text]
        if code is None:
            self.problem(number, col, text, reason or "unknown council")
        return code

    def council_name(self, matcher: CouncilMatcher, number: int, council_col: _Column, name_col: _Column,
                     code: str, cells: list[str], cache: dict[str, tuple[str | None, str | None]]) -> str | None:
        """Check a council_name cell against the council matched from the council cell: when both
        are given they must name the same council (never guess which of the two is right)."""
        text = cells[name_col.index]
        if not text:
            return code
        if not self.checked(number, name_col, text):
            return None
        if text not in cache:
            cache[text] = matcher.match(text)
        named, reason = cache[text]
        if named == code:
            return code
        given = cells[council_col.index]
        said = matcher.label(named) if named else f"no single council ({reason})"
        self.problem(number, name_col, text, f"council and council_name disagree: the council column says "
                     f"'{given}', which is {matcher.label(code)}, but the council_name column says '{text}', which "
                     f"is {said}. Correct one of the two so they name the same council.")
        return None

    def answer(self, number: int, col: _Column, qid: str, text: str) -> str | None:
        info = self.q.questions[qid]
        if not self.checked(number, col, text):
            return None
        value = self.q.answer(info.answer_set, text)
        if value is None:
            self.problem(number, col, text, f"answer not among the options for {qid}. Allowed: "
                         f"{self.q.allowed_text(info.answer_set)}.")
        return value

    def providers(self, number: int, col: _Column, qid: str, answer: str | None, text: str) -> tuple[str, ...] | None:
        if not text or not self.checked(number, col, text):
            return () if not text else None
        info = self.q.questions[qid]
        keys: list[str] = []
        bad = False
        for part in (p.strip() for p in PROVIDER_SEPARATORS.split(text)):
            if not part:
                continue
            key = self.q.provider(part)
            if key is None:
                allowed = "; ".join(f"{k} ({v})" for k, v in self.q.provider_labels.items())
                self.problem(number, col, part, f"unknown provider. Allowed: {allowed}; separate several with ';'.")
                bad = True
            elif key not in keys:
                keys.append(key)
        if bad:
            return None
        if answer is not None and not self.q.allows.get((info.answer_set, answer), False):
            label = self.q.labels.get(info.answer_set, {}).get(answer, answer)
            self.problem(number, col, text, f"provider given with an answer that does not allow providers: "
                         f"the answer to {qid} is '{label}', so no one can be providing it. Clear the "
                         "providers or change the answer.")
            return None
        return tuple(sorted(keys))

    def comment(self, number: int, col: _Column, text: str) -> str | None:
        if not text:
            return None
        return text if self.checked(number, col, text, dates_ok=True) else None

    def asked(self, qid: str, year: int) -> bool:
        return self.q.questions[qid].asked_from <= year

    def not_asked(self, qid: str, year: int) -> str:
        return (f"question not in the {year} questionnaire: {qid} was first asked in "
                f"{self.q.questions[qid].asked_from}. Remove it or leave it blank.")

    def wide(self, cols: list[_Column], year: int) -> None:
        matcher = CouncilMatcher(year)
        council_col = next(c for c in cols if c.kind == "council")
        answers = [c for c in cols if c.kind == "answer"]
        by_q = {c.qid: c for c in answers}
        providers = {c.qid: c for c in cols if c.kind == "providers"}
        qcomments = {c.qid: c for c in cols if c.kind == "qcomment"}
        general = next((c for c in cols if c.kind == "comment"), None)
        name_col = next((c for c in cols if c.kind == "name"), None)
        for qid, col in list(providers.items()) + list(qcomments.items()):
            if qid not in by_q:
                self.problem(self.sheet.header_row, col, col.header, f"unknown question (column): there is "
                             f"no {qid} column for these {'providers' if col.kind == 'providers' else 'comments'}.")
        for qid, col in by_q.items():
            if not self.asked(qid, year) and any(cells[col.index] for _, cells in self.sheet.rows):
                self.problem(self.sheet.header_row, col, col.header, self.not_asked(qid, year))
        required = [c for c in answers if self.q.questions[c.qid].scored and self.asked(c.qid, year)]
        data_cols = answers + list(providers.values()) + list(qcomments.values()) + ([general] if general else [])
        seen: dict[str, int] = {}
        cache: dict[str, tuple[str | None, str | None]] = {}
        for number, cells in self.sheet.rows:
            if not any(cells):
                continue
            code = self.council(matcher, number, council_col, cells[council_col.index], cache)
            if code is not None and name_col is not None:
                code = self.council_name(matcher, number, council_col, name_col, code, cells, cache)
            if not any(cells[c.index] for c in data_cols):
                # "Did not respond" only for a row whose council is known and every answer blank.
                if code is not None:
                    self.report.skipped_rows += 1
                continue
            if code is not None:
                if code in seen:
                    self.problem(number, council_col, cells[council_col.index],
                                 f"duplicate council: {matcher.label(code)} is already on row {seen[code]}. "
                                 "One row per council.")
                    code = None
                else:
                    seen[code] = number
            row_records: list[Record] = []
            for col in answers:
                qid = col.qid
                text = cells[col.index]
                if not self.asked(qid, year):
                    continue
                if not text:
                    if col in required:
                        self.problem(number, col, None, f"missing required answer: {qid} is a scored question "
                                     "in this file, so every council must answer it ('Don't know' is an answer).")
                    pcol = providers.get(qid)
                    if pcol is not None and cells[pcol.index]:
                        self.problem(number, pcol, cells[pcol.index], "providers given for a question that is "
                                     "not answered. Give the answer too, or clear the providers.")
                    continue
                value = self.answer(number, col, qid, text)
                pcol = providers.get(qid)
                chosen = self.providers(number, pcol, qid, value, cells[pcol.index]) if pcol is not None else ()
                ccol = qcomments.get(qid)
                note = self.comment(number, ccol, cells[ccol.index]) if ccol is not None else None
                if code is not None and value is not None and chosen is not None:
                    row_records.append(Record(code, qid, value, chosen, note))
            note = self.comment(number, general, cells[general.index]) if general is not None else None
            if code is not None:
                self.report.records.extend(row_records)
                self.report.councils.append(code)
                if note:
                    self.report.council_comments[code] = note
        self.report.questions = [c.qid for c in answers if self.asked(c.qid, year)]

    def long(self, cols: list[_Column], year: int) -> None:
        matcher = CouncilMatcher(year)
        col = {c.kind: c for c in cols}
        council_col, question_col, answer_col = col["council"], col["long_question"], col["long_answer"]
        providers_col, comment_col = col.get("long_providers"), col.get("comment")
        cache: dict[str, tuple[str | None, str | None]] = {}
        seen: dict[tuple[str, str], int] = {}
        first_row: dict[str, int] = {}
        answered: dict[str, set[str]] = {}
        asked: list[str] = []
        for number, cells in self.sheet.rows:
            if not any(cells):
                continue
            code = self.council(matcher, number, council_col, cells[council_col.index], cache)
            qtext = cells[question_col.index]
            qid = None
            if not qtext:
                self.problem(number, question_col, None, "missing required answer: every row needs a question id.")
            elif self.checked(number, question_col, qtext):
                qid = self.q.find(qtext)
                if qid is None:
                    self.problem(number, question_col, qtext, "unknown question: not a question id or a "
                                 f"question's wording. {self.q.suggest(qtext)}")
                elif not self.asked(qid, year):
                    self.problem(number, question_col, qtext, self.not_asked(qid, year))
                    qid = None
            if code is not None:
                first_row.setdefault(code, number)
                answered.setdefault(code, set())
            if qid is not None and qid not in asked:
                asked.append(qid)
            text = cells[answer_col.index]
            ptext = cells[providers_col.index] if providers_col is not None else ""
            if qid is None:
                continue
            if code is not None and (code, qid) in seen:
                self.problem(number, question_col, qtext, f"duplicate answer: {matcher.label(code)} already "
                             f"answered {qid} on row {seen[(code, qid)]}.")
                continue
            if code is not None:
                seen[(code, qid)] = number
            if not text:
                if self.q.questions[qid].scored:
                    self.problem(number, answer_col, None, f"missing required answer: {qid} is a scored "
                                 "question, so it needs an answer ('Don't know' is an answer).")
                if ptext:
                    self.problem(number, providers_col, ptext, "providers given for a question that is not "
                                 "answered. Give the answer too, or clear the providers.")
                continue
            value = self.answer(number, answer_col, qid, text)
            chosen = self.providers(number, providers_col, qid, value, ptext) if providers_col is not None else ()
            note = self.comment(number, comment_col, cells[comment_col.index]) if comment_col is not None else None
            if code is not None and value is not None and chosen is not None:
                self.report.records.append(Record(code, qid, value, chosen, note))
                answered[code].add(qid)
        required = [q for q in asked if self.q.questions[q].scored]
        for code, number in first_row.items():
            for qid in required:
                if qid not in answered[code] and (code, qid) not in seen:
                    self.problem(number, council_col, code, f"missing required answer: no row answers {qid} "
                                 "for this council, though the file asks it of other councils.")
        self.report.councils = list(first_row)
        self.report.questions = asked

    def finish(self, year: int) -> None:
        if self.report.problems:
            self.report.records.clear()
            self.report.council_comments.clear()
            return
        if not self.report.records:
            self.report.add(Problem(None, None, None, "no answers in the file: every council row is blank "
                                    "apart from the council. Fill in the answers and try again."))
            return
        if self.report.skipped_rows:
            n = self.report.skipped_rows
            self.report.warnings.append(f"{n} row{'s' if n != 1 else ''} with a council but no answers "
                                        f"{'were' if n != 1 else 'was'} skipped (taken as not responding).")
        note_cols = [i for i, h in enumerate(self.sheet.header) if h.strip().casefold() in IGNORED_HEADERS]
        if any("synthetic" in cells[i].casefold() for i in note_cols for _, cells in self.sheet.rows):
            self.report.warnings.append("The file's data_note column says it is based on synthetic demonstration "
                                        "data. Import it only if these are a council's real answers.")
        missing = [q.id for q in self.q.questions.values()
                   if q.scored and q.asked_from <= year and q.id not in self.report.questions]
        if missing:
            self.report.warnings.append(
                f"{len(missing)} scored question{'s' if len(missing) != 1 else ''} of the {year} question bank "
                f"{'are' if len(missing) != 1 else 'is'} not in the file ({', '.join(missing)}); standards "
                "with no answered question will show 'no evidence'.")


def validate(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, year: int | None = None,
             limit: int | None = None) -> Report:
    """Read and check a file of answers for a round. Never raises for a bad file: every failure
    is a problem in the report. `year` None takes the round from the file's round column."""
    report = Report(file_name=str(file_name), checksum=checksum(data), size=len(data), year=year)
    try:
        sheet = read_sheet(data, file_name, limit)
    except Unreadable as exc:
        if exc.rows:
            for row, reason in exc.rows:
                report.add(Problem(row, None, None, reason))
        else:
            report.add(Problem(None, None, None, f"unreadable file: {exc}" if exc.damaged else str(exc)))
        return report
    report.file_type = sheet.file_type
    report.sheet = sheet.sheet_name
    checker = _Validator(con, sheet, report)
    cols = checker.columns()
    if cols is None:
        return report
    year = checker.round_year(cols, year)
    report.year = year
    if year is None:
        return report
    if report.layout == "long":
        checker.long(cols, year)
    else:
        checker.wide(cols, year)
    checker.finish(year)
    return report


# --------------------------------------------------------------------------------------------
# Preview: the scores the import would produce, on a private copy
# --------------------------------------------------------------------------------------------

def _records_table(records: list[Record], year: int, source: str, when: datetime) -> pa.Table:
    return pa.table({
        "round_year": pa.array([year] * len(records), pa.int32()),
        "authority_code": pa.array([r.authority_code for r in records], pa.string()),
        "question_id": pa.array([r.question_id for r in records], pa.string()),
        "answer": pa.array([r.answer for r in records], pa.string()),
        "providers": pa.array([list(r.providers) for r in records], pa.list_(pa.string())),
        "comment": pa.array([r.comment for r in records], pa.string()),
        "source": pa.array([source] * len(records), pa.string()),
        "submitted_at": pa.array([when] * len(records), pa.timestamp("us")),
    })


def _insert_records(con: duckdb.DuckDBPyConnection, records: list[Record], year: int, source: str,
                    when: datetime) -> None:
    name = f"_ingest_{uuid.uuid4().hex}"
    con.register(name, _records_table(records, year, source, when))
    try:
        con.execute(f"INSERT INTO responses SELECT * FROM {name}")  # noqa: S608 - generated name
    finally:
        con.unregister(name)


def private_copy(source: duckdb.DuckDBPyConnection, year: int, records: list[Record]) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the scoring rules, the councils and `records` as the round.

    The scoring views run on the copy (lib.scoring.scoring_copy), so the preview is computed
    by exactly the SQL that will score the imported round.
    """
    con = scoring.scoring_copy(source)
    with db.transaction(con):
        con.execute("INSERT INTO survey_rounds VALUES (?, ?, FALSE, ?, 'preview', now())",
                    [year, f"{year} (preview)", geography.vintage_for_round(year)])
        _insert_records(con, records, year, "preview", datetime.now().replace(microsecond=0))
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
    copy = private_copy(con, year, report.records)
    try:
        councils = copy.execute(
            """
            SELECT o.authority_code, o.display_name, o.region_name, o.score, o.band, b.label AS band_label,
                   o.ranked, o.rank, o.n_ranked, o.standards_evidenced, o.standards_total,
                   o.unknown_answers, o.missing_answers
            FROM overall_scores o LEFT JOIN bands b ON b.key = o.band
            WHERE o.round_year = ? ORDER BY o.rank NULLS LAST, o.display_name
            """, [year]).df()
        standards = copy.execute(
            """
            SELECT standard, short_name, respondents, evidenced, median_score, share_meeting
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
        "Overall score": [format_score(s) if e else NO_EVIDENCE
                          for s, e in zip(p.councils["score"], p.councils["standards_evidenced"], strict=True)],
        "Band": [band_text(b, {}, bool(e)) if pd.isna(b) else str(lab)
                 for b, lab, e in zip(p.councils["band"], p.councils["band_label"], p.councils["standards_evidenced"], strict=True)],
        "Rank": [rank_text(r) for r in p.councils[["ranked", "rank", "n_ranked"]].to_dict("records")],
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
        "Median score": [format_score(v) if int(e) else NO_EVIDENCE
                         for v, e in zip(p.standards["median_score"], p.standards["evidenced"], strict=True)],
        "Share meeting the standard": [format_percent(v) for v in p.standards["share_meeting"]],
    })
    return councils, standards


# --------------------------------------------------------------------------------------------
# Committing
# --------------------------------------------------------------------------------------------

class ImportRefused(Exception):
    """The import was not made (problems in the file, or the round exists without replace)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class StorageError(ImportRefused):
    """The disk is full or the database file cannot be written: nothing was changed."""


def storage_problem(exc: BaseException) -> str | None:
    """A plain description when `exc` means the disk is full or cannot be written, else None.

    OSError ENOSPC / EDQUOT, and DuckDB's IO errors (DuckDB reports a full disk as an IO error
    naming the file), are storage problems; a lock or a write conflict is not.
    """
    text = str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (no space left on the device). Free some space and try again"
    if "No space left" in text or "disk is full" in text.casefold() or "out of disk space" in text.casefold():
        return "the disk is full (no space left on the device). Free some space and try again"
    if isinstance(exc, duckdb.IOException) and "lock" not in text.casefold():
        return f"the database file could not be written ({_shorten(text, 200)}). Check the disk has space"
    if isinstance(exc, duckdb.FatalException):
        return f"the database stopped after a write failed ({_shorten(text, 200)}). Check the disk has space"
    return None


@dataclass(frozen=True)
class RoundState:
    """What the database holds for a round year before an import."""

    year: int
    exists: bool
    is_demo: bool
    submission_id: int | None
    checksum: str | None
    file_name: str | None
    respondents: int


@dataclass(frozen=True)
class ImportResult:
    status: Literal["imported", "replaced", "unchanged"]
    year: int
    submission_id: int | None
    councils: int
    rows: int
    message: str


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Add the tables a newer schema has (archive, council comments) to an older database file."""
    tables = set(db.table_names(con))
    if not set(db.TABLES) <= tables:
        db.create_schema(con)


def round_state(con: duckdb.DuckDBPyConnection, year: int) -> RoundState:
    row = con.execute("SELECT is_demo FROM survey_rounds WHERE year = ?", [year]).fetchone()
    sub = None
    if "submissions" in db.table_names(con):
        sub = con.execute("SELECT id, checksum, file_name FROM submissions WHERE round_year = ? "
                          "AND status = 'current' ORDER BY id DESC LIMIT 1", [year]).fetchone()
    count = con.execute("SELECT count(DISTINCT authority_code) FROM responses WHERE round_year = ?",
                        [year]).fetchone()
    assert count is not None  # an aggregate without GROUP BY always returns one row
    return RoundState(year, row is not None, bool(row[0]) if row else False,
                      int(sub[0]) if sub else None, sub[1] if sub else None, sub[2] if sub else None,
                      int(count[0]))


def import_file(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, year: int | None, *,
                replace: bool = False, by: str = "unknown", limit: int | None = None,
                report: Report | None = None) -> ImportResult:
    """Validate and write a whole round in one transaction, or write nothing and raise ImportRefused.

    The same file (same sha256) imported again for the same round is a no-op that says so.
    A round that already holds answers (real or demo) is replaced only with replace=True; the
    answers it held move to responses_archive with the replaced submission's id.
    """
    file_name = Path(str(file_name)).name or "upload"
    if report is None or report.checksum != checksum(data) or (year is not None and report.year != year):
        report = validate(con, data, file_name, year, limit)
    if not report.ok or report.year is None:
        raise ImportRefused(report.summary(), report)
    year = report.year
    state = round_state(con, year)
    if state.checksum == report.checksum:
        return ImportResult("unchanged", year, state.submission_id, len(report.councils), len(report.records),
                            f"This file ({file_name}) is already the {year} round (submission "
                            f"{state.submission_id}); nothing was changed.")
    if state.exists and not replace:
        what = "synthetic demonstration data" if state.is_demo else (
            f"answers from {state.file_name} (submission {state.submission_id})" if state.submission_id
            else "answers")
        raise ImportRefused(f"The {year} round already holds {what} for {state.respondents} councils. "
                            "Import again with replace to replace it; the current answers are archived "
                            "and can be recovered.", report)
    ensure_schema(con)
    now = datetime.now().replace(microsecond=0)
    who = (by or "unknown").strip()[:200] or "unknown"
    provenance = (f"Imported from {file_name} (sha256 {report.checksum[:16]}) by {who} on "
                  f"{now:%d %B %Y %H:%M}: {len(report.councils)} councils, {len(report.records)} answers.")
    try:
        with db.transaction(con):
            # Read again inside the transaction: what is replaced is exactly what is archived.
            state = round_state(con, year)
            if state.exists and not replace:
                raise ImportRefused(f"The {year} round was loaded by someone else a moment ago; look at "
                                    "it and import again with replace if needed.", report)
            inserted = con.execute(
                "INSERT INTO submissions (round_year, file_name, checksum, rows, councils, submitted_by, "
                "submitted_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'current') RETURNING id",
                [year, file_name, report.checksum, len(report.records), len(report.councils), who, now],
            ).fetchone()
            assert inserted is not None  # RETURNING gives the one row inserted
            sid = inserted[0]
            if state.exists:
                con.execute(
                    "INSERT INTO responses_archive SELECT ?, ?, ?, * FROM responses WHERE round_year = ?",
                    [state.submission_id, sid, now, year])
                con.execute("DELETE FROM responses WHERE round_year = ?", [year])
                con.execute("UPDATE submissions SET status = 'replaced' WHERE round_year = ? "
                            "AND status = 'current' AND id <> ?", [year, sid])
            con.execute("INSERT OR REPLACE INTO survey_rounds VALUES (?, ?, FALSE, ?, ?, ?)",
                        [year, f"{year} survey responses", geography.vintage_for_round(year), provenance, now])
            _insert_records(con, report.records, year, "import", now)
            if report.council_comments:
                con.executemany("INSERT INTO council_comments VALUES (?, ?, ?, ?)",
                                [[sid, year, code, text] for code, text in report.council_comments.items()])
            if state.exists:
                replaced = ("the synthetic demonstration round" if state.is_demo else
                            f"submission {state.submission_id}" if state.submission_id else "the previous answers")
                action, detail = "replace", (
                    f"Round {year} replaced: {replaced} ({state.respondents} councils) archived in "
                    f"responses_archive; now submission {sid} from {file_name} ({len(report.councils)} "
                    f"councils, {len(report.records)} answers, sha256 {report.checksum}).")
            else:
                action, detail = "import", (
                    f"Round {year} imported as submission {sid} from {file_name} ({len(report.councils)} "
                    f"councils, {len(report.records)} answers, sha256 {report.checksum}).")
            con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?, ?, ?, ?)",
                        [now, who, action, detail])
    except duckdb.TransactionException as exc:
        raise ImportRefused("Another change to the database was saved at the same moment, so nothing was "
                            f"imported. Try again. ({exc})", report) from None
    except (duckdb.Error, OSError) as exc:
        problem = storage_problem(exc)
        if problem is None:
            raise
        raise StorageError(f"Nothing was imported: {problem}.", report) from None
    status: Literal["imported", "replaced"] = "replaced" if state.exists else "imported"
    return ImportResult(status, year, int(sid), len(report.councils), len(report.records),
                        f"{'Replaced' if state.exists else 'Imported'} the {year} round: "
                        f"{len(report.councils)} councils, {len(report.records)} answers (submission {sid}).")


# --------------------------------------------------------------------------------------------
# History, recovery, export, snapshots and reset
# --------------------------------------------------------------------------------------------

def submissions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every submission, newest first, as text for a table."""
    df = con.execute(
        "SELECT id, round_year, file_name, councils, rows, submitted_by, submitted_at, status, checksum "
        "FROM submissions ORDER BY id DESC").df()
    return pd.DataFrame({
        "Submission": df["id"].astype(str),
        "Round": df["round_year"].astype(str),
        "File": df["file_name"].astype(str),
        "Councils": df["councils"].astype(str),
        "Answers": df["rows"].astype(str),
        "Loaded by": df["submitted_by"].astype(str),
        "Loaded at": [f"{t:%d %b %Y %H:%M}" for t in df["submitted_at"]],
        "Status": df["status"].map({"current": "Current", "replaced": "Replaced (archived)"}).fillna(DASH),
        "Checksum (sha256)": df["checksum"].str.slice(0, 16) + "…",
    })


def audit_log(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    df = con.execute("SELECT logged_at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?",
                     [limit]).df()
    return pd.DataFrame({
        "When": [f"{t:%d %b %Y %H:%M}" for t in df["logged_at"]],
        "Who": df["actor"].astype(str),
        "Action": df["action"].str.capitalize(),
        "Detail": df["detail"].astype(str),
    })


def archived_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Replaced versions of rounds that can be recovered: one row per replacement."""
    return con.execute(
        """
        SELECT a.replaced_by, a.round_year, any_value(a.replaced_submission) AS replaced_submission,
               any_value(s.file_name) AS file_name, bool_or(a.source = 'demo') AS was_demo,
               count(DISTINCT a.authority_code) AS councils, count(*) AS answers, max(a.archived_at) AS archived_at
        FROM responses_archive a LEFT JOIN submissions s ON s.id = a.replaced_submission
        GROUP BY a.replaced_by, a.round_year ORDER BY a.replaced_by DESC
        """).df()


def archived_responses(con: duckdb.DuckDBPyConnection, replaced_by: int) -> pd.DataFrame:
    """The answers a replacement took out, in the long import format (re-importable as is)."""
    return con.execute(
        """
        SELECT authority_code AS council, question_id AS question, answer,
               array_to_string(list_sort(providers), ';') AS providers, coalesce(comment, '') AS comment,
               round_year AS round
        FROM responses_archive WHERE replaced_by = ? ORDER BY authority_code, question_id
        """, [replaced_by]).df()


def export_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(set(db.table_names(con)) | set(db.view_names(con)))


def export_table(con: duckdb.DuckDBPyConnection, name: str, fmt: Literal["csv", "parquet"]) -> tuple[bytes, int]:
    """A table or view as CSV (formulas neutralised) or Parquet, with the synthetic-data note."""
    if name not in export_names(con):
        raise ValueError(f"unknown table or view {name!r}")
    df = con.execute(f'SELECT * FROM "{name}"').df()  # noqa: S608 - name checked against the catalogue
    df = exports.label_demo(df, exports.demo_loaded(con))
    return (exports.to_csv_bytes(df) if fmt == "csv" else exports.to_parquet_bytes(df)), len(df)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_into(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """ATTACH `target` and copy the whole database into it (one snapshot of the source)."""
    alias = f"copy_{uuid.uuid4().hex[:12]}"
    current = con.execute("SELECT current_database()").fetchone()
    assert current is not None  # a bare SELECT always returns one row
    source = current[0]
    literal = "'" + str(target).replace("'", "''") + "'"
    con.execute(f"ATTACH {literal} AS {alias}")
    try:
        con.execute(f"COPY FROM DATABASE {_quote(source)} TO {alias}")
    finally:
        con.execute(f"DETACH {alias}")


def copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Write a consistent copy of the whole database (tables, views, sequences) to a new file.

    Uses ATTACH + COPY FROM DATABASE, which reads one snapshot, so a copy taken while others
    read or write is never half-way through an import. The copy is written under a temporary
    name and renamed into place only when complete: a failure (a full disk) leaves no partial
    file behind, and raises StorageError when the disk is full or cannot be written.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        _copy_into(con, tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        problem = storage_problem(exc)
        if problem:
            raise StorageError(f"The copy {target.name} could not be written: {problem}. Nothing was "
                               "changed and no partial copy was left.") from None
        raise
    finally:
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return target


def database_bytes(con: duckdb.DuckDBPyConnection, scratch: Path) -> bytes:
    """The whole database as the bytes of a DuckDB file (for a download)."""
    path = Path(scratch) / f"export-{uuid.uuid4().hex}.duckdb"
    try:
        copy_database(con, path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
        Path(f"{path}.wal").unlink(missing_ok=True)


def snapshot_dir(db_path: Path) -> Path:
    """Where snapshots of a database file go: `snapshots/` beside it (data/snapshots/, git-ignored)."""
    return Path(db_path).resolve().parent / "snapshots"


def snapshot(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    """Save a copy of the database as it is now, named by date and time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(folder) / f"pa_benchmark-{stamp}.duckdb"
    n = 1
    while path.exists():
        n += 1
        path = Path(folder) / f"pa_benchmark-{stamp}-{n}.duckdb"
    return copy_database(con, path)


def reset_to_demo(con: duckdb.DuckDBPyConnection, folder: Path, by: str = "unknown") -> Path:
    """Snapshot the database, then rebuild its contents from the repository's files in one
    transaction (rules, councils, good practice, the synthetic demo rounds).

    The rebuild happens in place, so other sessions' connections stay valid and never see a
    half-reset database. The audit log is kept (with an entry for the reset); imported rounds,
    submissions and archives are gone from the database but kept in the snapshot.
    Returns the snapshot's path.
    """
    from lib import build
    from lib.paths import DATA_DIR, DEMO_DIR, STANDARDS_DIR
    from lib.standards import load_config

    config = load_config(STANDARDS_DIR)
    saved = snapshot(con, folder)
    ensure_schema(con)
    who = (by or "unknown").strip()[:200] or "unknown"
    with db.transaction(con):
        for table in db.TABLES:
            if table not in ("audit_log", "meta"):
                con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        build.load_config_tables(con, config)
        build.load_reference_tables(con, config, DATA_DIR)
        build.load_demo_rounds(con, DEMO_DIR)
        con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), ?, 'reset', ?)",
                    [who, f"Database reset to the synthetic demonstration data from the repository's files; "
                          f"the previous database was saved as {saved.name}."])
    db.install_views(con)
    return saved
