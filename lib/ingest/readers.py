"""Reading an uploaded file into a Sheet of text cells, within size limits.

A file's kind is told from its first bytes (then its name); CSV text is decoded as UTF-8 or
Windows-1252 and read strictly, so a stray quote or separator is reported on its row rather
than silently merged. Every limit is checked before the cells are built, so a small crafted
file (a zip bomb, a huge dictionary-encoded Parquet column) cannot exhaust memory. All
failures are `Unreadable` with a plain-English message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from lib.ingest.fileformat import SHEET_RESPONSES

#: Environment variable holding the largest file accepted, in megabytes (default 10).
MAX_MB_ENV = "PA_BENCHMARK_MAX_UPLOAD_MB"
DEFAULT_MAX_MB = 10.0
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

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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

