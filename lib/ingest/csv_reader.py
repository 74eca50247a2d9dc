"""Reading a CSV file: its text decoded as UTF-8, Windows-1252 or UTF-16, then read strictly, so a stray
quote or separator is reported on its row rather than silently merged into the rows after it.
"""

from __future__ import annotations

import csv
import io
import re

from lib.base.formatting import shorten
from lib.ingest.cell_rules import CONTROL_CHARACTERS
from lib.ingest.sheet import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    Sheet,
    Unreadable,
    _sheet_from_rows,
    column_letter,
)

_CONTROL = CONTROL_CHARACTERS
#: Excel's first line naming the separator: `sep=;`, `sep=,` or `sep=` and a tab.
_SEP_LINE = re.compile(r"(?i)sep=([,;\t|])[ ]*\r?\n")


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text": UTF-16 with its byte-order mark, cells separated by tabs.
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise Unreadable(f"The file says it is UTF-16 ('Unicode text') but byte {exc.start + 1} cannot be read "
                             "as UTF-16. Save it again from Excel, or as 'CSV UTF-8'.") from None
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


def _separator(text: str) -> tuple[str, str, list[str]]:
    """(the text to read, its separator, notes). Excel writes a first line `sep=;` to say the
    separator and hides that line when it opens the file, so it is taken off and rows are
    numbered as Excel shows them (the header is row 1); otherwise the header's separator."""
    declared = _SEP_LINE.match(text)
    if declared is None:
        return text, _delimiter(next((line for line in text.splitlines() if line.strip()), "")), []
    delimiter = declared.group(1)
    written = "\\t" if delimiter == "\t" else delimiter
    return text[declared.end():], delimiter, [
        f"The file's first line 'sep={written}' (Excel writes it) set the separator "
        f"({_SEPARATOR_NAMES.get(delimiter, delimiter)}); it is not counted as a row, so rows are "
        "numbered as Excel shows them."]


def _read_csv(data: bytes) -> Sheet:
    """Read CSV text strictly: a quote left open, a row with another number of cells than the
    header, or a row written with another separator is an error naming the row where it starts
    (never silently merged into the rows after it)."""
    text, encoding = _decode(data)
    text, delimiter, notes = _separator(text)
    skipped = 1 if notes else 0  # the sep= line: file line numbers count it
    if encoding == "UTF-16":
        notes.append("The file is Excel's 'Unicode text' (UTF-16); it was read as such.")
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
            where = f"row {row} (line {line + skipped} of the file)"
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
        records.append((row, line + skipped, reader.line_num + skipped, [c.strip() for c in rec]))
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
    controls = _control_characters(records, header[3] if header is not None else [])
    if controls:
        raise Unreadable(f"The CSV file has control characters in its cells (first: row {controls[0][0]}).",
                         damaged=False, rows=controls)
    sheet = _sheet_from_rows(((n, cells) for n, _, _, cells in records), "csv", set(), encoding)
    sheet.notes.extend(notes)
    return sheet


def _control_characters(records: list[tuple[int, int, int, list[str]]], header: list[str]
                        ) -> list[tuple[int, str]]:
    """(row, reason) for each cell holding a control character, naming its column and showing
    the character as \\x.., so the person can find and delete it (one stray character in a
    comment is a fix of one cell, not a file that cannot be read)."""
    found = []
    for row, _, _, cells in records:
        for index, cell in enumerate(cells):
            hit = _CONTROL.search(cell)
            if hit is None:
                continue
            name = header[index] if index < len(header) and header[index] else f"column {column_letter(index)}"
            name = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", shorten(name, 60))
            code = f"\\x{ord(hit.group(0)):02x}"
            shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", shorten(cell, 60))
            found.append((row, f"row {row}, column '{name}' (column {column_letter(index)}): the cell holds a "
                               f"control character ({code}), which a spreadsheet does not show: '{shown}'. "
                               "Delete it from the cell (retype the text if it cannot be seen) and save again."))
    return found
