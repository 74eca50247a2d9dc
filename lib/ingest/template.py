"""The downloadable answer template, generated from the questions and answer options in the database.

The database's questions and answer_options tables are loaded from standards/questions.toml and
standards/scoring.toml, and the importer (lib.ingest) checks files against the same tables, so
the template, the import and the scoring cannot drift apart.

Layout (the wide import format): one row per council of the round's council set, the columns
council (ONS code), council_name, round, then one column per question asked that round headed by
its id, each question that can name providers followed by `<id>__providers`, and a general
`comment` column. The XLSX adds a "questions" sheet explaining every column (wording, help,
allowed values and their labels) and drop-down lists of the answer labels on every question
column (typing the value instead is accepted too; Excel only warns).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from lib.analysis.whatif import questionnaire
from lib.base import exports
from lib.ingest.fileformat import (
    COMMENT_SUFFIX,
    PROVIDER_SUFFIX,
    SHEET_LISTS,
    SHEET_QUESTIONS,
    SHEET_RESPONSES,
)
from lib.reference import geography
from lib.scoring.answer_sets import answer_options, provider_labels

#: Extra blank rows with drop-downs under the councils, for councils added by hand.
SPARE_ROWS = 20


def default_year() -> int:
    """The round a template is for unless told otherwise: this calendar year's."""
    return date.today().year


def columns(con: duckdb.DuckDBPyConnection, year: int) -> list[str]:
    """The template's header row."""
    out = ["council", "council_name", "round"]
    for q in questionnaire(con, year).itertuples():
        out.append(q.id)
        if q.providers:
            out.append(f"{q.id}{PROVIDER_SUFFIX}")
    out.append("comment")
    return out


def frame(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """One row per council of the round's council set, answers blank."""
    councils = geography.round_members(con, year).sort_values("display_name")
    cols = columns(con, year)
    df = pd.DataFrame({c: pd.Series([""] * len(councils), dtype="object") for c in cols})
    df["council"] = list(councils["code"])
    df["council_name"] = list(councils["display_name"])
    df["round"] = str(int(year))
    return df


def guide(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """One row per template column: what it is, the question's wording, the values allowed."""
    opts = answer_options(con)
    providers = provider_labels(con)
    provider_text = "; ".join(f"{k} = {v}" for k, v in providers.items())
    rows = [
        {"column": "council", "standard": "", "question": "The council's ONS code (or its name).",
         "help": "Filled in: one row per council in the round's council set. Delete or leave blank the rows "
                 "of councils that did not respond.", "scored": "", "allowed values": "", "providers": ""},
        {"column": "council_name", "standard": "", "question": "The council's name, for reading only.",
         "help": "Not imported.", "scored": "", "allowed values": "", "providers": ""},
        {"column": "round", "standard": "", "question": "The survey year.",
         "help": f"Must be {year} for this template.", "scored": "", "allowed values": str(year),
         "providers": ""},
    ]
    for q in questionnaire(con, year).itertuples():
        set_opts = opts[opts["answer_set"] == q.answer_set]
        allowed = "; ".join(f"{v} = {lab}" for v, lab in zip(set_opts["value"], set_opts["label"], strict=True))
        with_providers = ", ".join(set_opts.loc[set_opts["allows_providers"], "label"])
        rows.append({
            "column": q.id,
            "standard": f"{int(q.standard)}. {q.short_name}" if pd.notna(q.standard) else "Context",
            "question": q.wording,
            "help": q.help,
            "scored": "Scored: every responding council must answer" if q.scored
                      else "Context only: may be left blank",
            "allowed values": allowed + ". Type the value or the label.",
            "providers": f"Column {q.id}{PROVIDER_SUFFIX}: with {with_providers}" if q.providers else "",
        })
        if q.providers:
            rows.append({
                "column": f"{q.id}{PROVIDER_SUFFIX}",
                "standard": rows[-1]["standard"],
                "question": f"Who provides it ({q.topic})?",
                "help": "Optional. One or more providers separated by ';'.",
                "scored": "Not scored", "allowed values": provider_text, "providers": "",
            })
    rows.append({"column": "comment", "standard": "", "question": "Any comment on the council's return.",
                 "help": f"Optional. Per-question comments go in a column named <id>{COMMENT_SUFFIX}.",
                 "scored": "Not scored", "allowed values": "Free text (must not start with = + - @)",
                 "providers": ""})
    return pd.DataFrame(rows)


def to_csv_bytes(con: duckdb.DuckDBPyConnection, year: int) -> bytes:
    """The template as UTF-8 CSV (with BOM, so Excel opens names correctly)."""
    return exports.to_csv_bytes(frame(con, year))


def to_xlsx_bytes(con: duckdb.DuckDBPyConnection, year: int) -> bytes:
    """The template as an Excel workbook: responses sheet with drop-downs, questions sheet, lists."""
    from openpyxl import Workbook

    data = exports.neutralise_formulas(frame(con, year))
    qs = questionnaire(con, year)
    opts = answer_options(con)

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_RESPONSES
    ws.append(list(data.columns))
    for row in data.itertuples(index=False):
        ws.append(list(row))
    _style_header(ws)
    ws.freeze_panes = "D2"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 8

    ranges = _answer_lists(wb, opts)
    _drop_downs(con, ws, data, qs, ranges)
    _questions_sheet(wb.create_sheet(SHEET_QUESTIONS, 1), exports.neutralise_formulas(guide(con, year)))

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _style_header(ws: Any) -> None:
    """Bold, shaded header cells on a sheet's first row."""
    from openpyxl.styles import Font, PatternFill

    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F2")


def _answer_lists(wb: Any, opts: pd.DataFrame) -> dict[str, str]:
    """The hidden lists sheet: one column per answer set, labels under a header naming the set.
    Returns each answer set's range of labels, for the drop-downs."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    lists = wb.create_sheet(SHEET_LISTS)
    ranges: dict[str, str] = {}
    for i, (answer_set, group) in enumerate(opts.groupby("answer_set", sort=True), start=1):
        letter = get_column_letter(i)
        lists.cell(row=1, column=i, value=answer_set).font = Font(bold=True)
        for j, label in enumerate(group["label"], start=2):
            lists.cell(row=j, column=i, value=str(label))
        ranges[answer_set] = f"'{SHEET_LISTS}'!${letter}$2:${letter}${len(group) + 1}"
    lists.sheet_state = "hidden"
    return ranges


def _drop_downs(con: duckdb.DuckDBPyConnection, ws: Any, data: pd.DataFrame, qs: pd.DataFrame,
                ranges: dict[str, str]) -> None:
    """On the responses sheet, down to the spare rows: a drop-down of its answer labels on every
    question column (with the wording as the header's note), a provider prompt on every
    providers column."""
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last_row = len(data) + 1 + SPARE_ROWS
    wording = dict(zip(qs["id"], qs["wording"], strict=True))
    answer_set = dict(zip(qs["id"], qs["answer_set"], strict=True))
    validations: dict[str, DataValidation] = {}
    provider_keys = [r[0] for r in con.execute("SELECT key FROM providers ORDER BY key").fetchall()]
    for col_index, name in enumerate(data.columns, start=1):
        letter = get_column_letter(col_index)
        if name in answer_set:
            key = answer_set[name]
            if key not in validations:
                dv = DataValidation(type="list", formula1=f"={ranges[key]}", allow_blank=True,
                                    showErrorMessage=True, errorStyle="warning",
                                    errorTitle="Not one of the answers",
                                    error="Choose an answer from the list (or type its value, e.g. not_available).")
                ws.add_data_validation(dv)
                validations[key] = dv
            validations[key].add(f"{letter}2:{letter}{last_row}")
            ws.cell(row=1, column=col_index).comment = Comment(str(wording[name]), "PA Support Benchmark")
            ws.column_dimensions[letter].width = 18
        elif name.endswith(PROVIDER_SUFFIX):
            dv = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="Who provides it?",
                                prompt=f"Optional: {'; '.join(provider_keys)} (separate with ;)")
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.column_dimensions[letter].width = 18


def _questions_sheet(guide_ws: Any, table: pd.DataFrame) -> None:
    """The questions sheet: the guide's table as text, wrapped, with the column's name frozen."""
    from openpyxl.styles import Alignment

    guide_ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        guide_ws.append([str(v) for v in row])
    _style_header(guide_ws)
    for letter, width in zip("ABCDEFG", (28, 30, 60, 50, 30, 60, 40), strict=True):
        guide_ws.column_dimensions[letter].width = width
    for row in guide_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide_ws.freeze_panes = "B2"
