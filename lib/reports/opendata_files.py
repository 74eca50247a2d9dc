"""The open datasets as files people download: CSV, Excel (with a sheet describing every column)
or Parquet, their file names and media types, what the Download page offers for a round, and a
page's "download what I see" file.

The rows are lib.reports.opendata's (the same as the API serves); the bytes are written by
lib.base.exports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from lib.base import exports
from lib.reports.opendata import (
    DATASETS,
    DOWNLOADS,
    BadParameter,
    api_path,
    query,
    withheld_message,
    withheld_rounds,
)
from lib.reports.opendata_dictionary import dictionary


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
            entry["note"] = (f"Councils' own answers are left out for {', '.join(str(y) for y in withheld)}: those "
                             "rounds' answers are not published.")
        out.append(entry)
    return out


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
