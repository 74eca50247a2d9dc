"""Reading an uploaded file into a Sheet of text cells, within size limits.

A file's kind is told from its first bytes (then its name) and the file handed to its reader:
lib.ingest.csv_reader (CSV text decoded as UTF-8, Windows-1252 or UTF-16 and read strictly, so a stray
quote or separator is reported on its row rather than silently merged), lib.ingest.xlsx_reader
or lib.ingest.parquet_reader. Every limit (lib.ingest.sheet) is checked before the cells are
built, so a small crafted file (a zip bomb, a huge dictionary-encoded Parquet column) cannot
exhaust memory. All failures are `Unreadable` with a plain-English message.
"""

from __future__ import annotations

from pathlib import Path

from lib.ingest.csv_reader import _read_csv
from lib.ingest.parquet_reader import _read_parquet
from lib.ingest.sheet import MAX_MB_ENV, Sheet, Unreadable, max_bytes, size_text
from lib.ingest.xlsx_reader import _read_xlsx


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


def read_sheet(data: bytes, file_name: str, limit: int | None = None) -> Sheet:
    """Read a CSV (UTF-8 with or without BOM, Windows-1252, or UTF-16 'Unicode text'), XLSX or
    Parquet file.

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

