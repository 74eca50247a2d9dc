"""Reading a Parquet file: its size bounded from the metadata, and its text measured with the
dictionaries kept, before any value is decoded (a huge dictionary-encoded column is refused).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from lib.ingest.sheet import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNPACK_RATIO,
    Sheet,
    Unreadable,
    _cell_text,
    _sheet_from_rows,
    size_text,
)


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
