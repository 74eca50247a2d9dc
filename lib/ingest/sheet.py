"""What every reader hands back, and the size limits they all keep.

A `Sheet` is a file's table as text cells, each row numbered as the user sees it in a
spreadsheet (the header is row 1). `Unreadable` is every failure to read one, with a
plain-English message. The limits are checked before the cells are built, so a small crafted
file cannot exhaust memory; `_sheet_from_rows` checks the ones every format shares.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

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
    #: What the reader met and did that the person should know (shown with the preview).
    notes: list[str] = field(default_factory=list)


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
