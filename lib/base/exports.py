"""Turn query results into files people download: CSV, XLSX and Parquet, safely labelled.

Every export of data that includes synthetic demonstration rounds carries a `data_note`
column saying so, and text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pandas as pd

DEMO_NOTE = "Synthetic demonstration data - not real council responses"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A formula start right after a separator some spreadsheet may split on (a comma, a semicolon in
#: continental locales, a tab) or a line break: opened with that separator, the text after it is a
#: new cell, which would start with the formula.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n])([=+\-@])")


def neutralise_text(value: str) -> str:
    """`value` with an apostrophe before each formula start (= + - @): at the start of the text,
    and right after a comma, semicolon, tab or line break, so the text stays inert in a
    spreadsheet whatever separator it splits cells on."""
    value = _FORMULA_AFTER_SEPARATOR.sub(r"\1'\2", value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Every text cell made inert for a spreadsheet (neutralise_text; formula injection)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: neutralise_text(v) if isinstance(v, str) else v)
    return out


def demo_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    """True while any synthetic demonstration round is in the database."""
    row = con.execute("SELECT count(*) FROM survey_rounds WHERE is_demo").fetchone()
    return bool(row and row[0])


def label_demo(df: pd.DataFrame, is_demo: bool) -> pd.DataFrame:
    """Add the data_note column to an export when demonstration data is involved."""
    if not is_demo:
        return df
    out = df.copy()
    out["data_note"] = DEMO_NOTE
    return out


def to_csv_text(df: pd.DataFrame) -> str:
    """CSV text for people's spreadsheets: every text field quoted (so a separator or line break
    inside a comment cannot start a new cell), numbers left unquoted and numeric, and text that a
    spreadsheet would run as a formula prefixed with an apostrophe."""
    return neutralise_formulas(df).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (see to_csv_text) with a BOM so Excel opens accented names correctly."""
    return to_csv_text(df).encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, a sheet per DataFrame (sheet names cut to Excel's 31 characters)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            neutralise_formulas(df).to_excel(writer, sheet_name=name[:31], index=False)
    return buf.getvalue()


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()
