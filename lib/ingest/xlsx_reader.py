"""Reading an Excel workbook (.xlsx): the sheet holding the answers, within the size limits.

An XLSX is a zip: how far it unpacks and how many rows and columns its sheet really has are
checked from the archive before openpyxl builds a cell (a zip bomb is refused unopened).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from lib.ingest.fileformat import COUNCIL_HEADERS, SHEET_RESPONSES
from lib.ingest.sheet import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_PART_RATIO,
    MAX_ROWS,
    MAX_UNPACK_RATIO,
    Sheet,
    Unreadable,
    _cell_text,
    _sheet_from_rows,
    size_text,
)

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


#: Rows read at the top of each sheet to find its header when choosing the answers sheet.
HEADER_SEARCH_ROWS = 10
_STATES = {"hidden": "hidden", "veryHidden": "very hidden (unhidden only with the VBA editor)"}


def _looks_like_answers(ws: Any) -> bool:
    """A sheet named as the template names its answers sheet, or whose first filled row (within
    HEADER_SEARCH_ROWS) has a council column. Notes, instructions and the template's question
    list have neither."""
    if ws.title.strip().casefold() == SHEET_RESPONSES:
        return True
    try:
        ws.reset_dimensions()  # a stale stored <dimension> would hide the header's columns
        for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True):
            cells = [str(c).strip().casefold() for c in row if c is not None and str(c).strip()]
            if cells:
                return any(c in COUNCIL_HEADERS for c in cells)
    except Exception:  # noqa: BLE001 - a sheet that cannot be read is no answers sheet
        return False
    return False


def _state(ws: Any) -> str:
    return str(getattr(ws, "sheet_state", "visible") or "visible")


def _pick_sheet(wb: Any) -> tuple[Any, list[str]]:
    """The sheet holding the answers, decided by its name and its header, never by its position,
    and notes on the sheets left out. Refuses (naming each candidate and its state, and the fix)
    when the answers sheet is hidden or when more than one sheet looks like answers."""
    sheets = list(wb.worksheets)
    if not sheets:
        raise Unreadable("The Excel file has no worksheets.")
    candidates = [ws for ws in sheets if _looks_like_answers(ws)]
    hidden = [ws for ws in candidates if _state(ws) != "visible"]
    if hidden:
        names = "; ".join(f"'{ws.title}' ({_STATES.get(_state(ws), _state(ws))})" for ws in hidden)
        raise Unreadable(
            f"The workbook has answers on a sheet that is not shown: {names}. Nothing was read, because the "
            "answers someone checked on screen may not be the ones imported. Unhide the sheet in Excel "
            "(right-click a sheet tab, Unhide) and delete the copy that is not wanted, then save and try again.",
            damaged=False)
    if len(candidates) > 1:
        names = ", ".join(f"'{ws.title}'" for ws in candidates)
        raise Unreadable(
            f"The workbook has {len(candidates)} sheets that look like answers ({names}: each is named "
            f"'{SHEET_RESPONSES}' or has a council column), so it is not clear which to import. Keep the answers "
            f"on one sheet named '{SHEET_RESPONSES}' and delete or rename the others.", damaged=False)
    visible = [ws for ws in sheets if _state(ws) == "visible"]
    if candidates:
        chosen = candidates[0]
    elif len(visible) == 1:
        chosen = visible[0]  # no header found yet: the validation says what the header lacks
    else:
        names = ", ".join(f"'{ws.title}'" + ("" if ws in visible else f" ({_STATES.get(_state(ws), _state(ws))})")
                          for ws in sheets)
        raise Unreadable(f"The workbook has several sheets ({names}) and none is named '{SHEET_RESPONSES}' or has "
                         f"a council column, so it is not clear which holds the answers. Rename the sheet with the "
                         f"answers '{SHEET_RESPONSES}', or delete the others.", damaged=False)
    left_out = [ws.title for ws in sheets if ws is not chosen]
    notes = ([f"Read the answers from the sheet '{chosen.title}'; the other sheets ("
              + ", ".join(f"'{t}'" for t in left_out) + ") hold no answers and were left out."]
             if left_out else [])
    return chosen, notes


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
        ws, notes = _pick_sheet(wb)
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
    sheet = _sheet_from_rows(rows, "xlsx", dates, sheet_name=title)
    sheet.notes.extend(notes)
    return sheet
