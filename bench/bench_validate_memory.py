"""Peak memory of `validate` on the largest files the limits allow, and on crafted files meant to blow up.

Run: uv run python bench/bench_validate_memory.py
Each file is validated in a fresh subprocess, so its peak memory (VmHWM, Linux) is its own;
the baseline is the same subprocess after opening the database and reading the file's bytes. The
limits are those of lib/ingest.py (MAX_ROWS, MAX_COLUMNS, MAX_CELLS, MAX_CELL_CHARS,
MAX_UNPACK_RATIO, MAX_PART_RATIO) and the upload limit (10 MB unless PA_BENCHMARK_MAX_UPLOAD_MB).
Memory and timings are reported here, never asserted in tests.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, sys, time
from pathlib import Path
from lib import ingest
from lib.store import db

def hwm_kb():  # this process's peak RSS (VmHWM starts afresh at exec, unlike ru_maxrss)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

con = db.connect(sys.argv[1], read_only=True)
data = Path(sys.argv[2]).read_bytes()
base = hwm_kb()
start = time.perf_counter()
report = ingest.validate(con, data, Path(sys.argv[2]).name, 2016)
seconds = time.perf_counter() - start
peak = hwm_kb()
first = report.problems[0].reason if report.problems else report.summary()
print(json.dumps({"baseline_mb": base / 1024, "peak_mb": peak / 1024, "seconds": seconds, "ok": report.ok,
                  "outcome": first[:90]}))
"""


def _long_csv(limit: int) -> bytes:
    """Long layout: as many answer rows as allowed (MAX_ROWS), each with a long comment, to ~limit bytes.
    Real council codes and question ids (answers repeat after every council has answered every
    question, which validate reports as duplicates: the whole file is still read and checked)."""
    from datetime import date

    from lib import ingest
    from lib.reference import geography
    from lib.reference.build import load_councils
    from lib.scoring.standards import load_config
    from lib.store import db

    con = db.connect(":memory:")
    db.create_schema(con)
    load_councils(con)  # the councils of the repository's reference data, valid on 1 April 2016
    codes = list(geography.members_on(con, date(2016, 4, 1))["code"])
    con.close()
    questions = [q.id for q in load_config().questions]
    rows = ingest.MAX_ROWS
    comment = "c" * max(1, min(ingest.MAX_CELL_CHARS, limit // rows - 60))
    lines = ["council,question,answer,providers,comment"]
    lines += [f"{codes[i % len(codes)]},{questions[(i // len(codes)) % len(questions)]},dont_know,,{comment}"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()[: limit - 1]


def _wide_csv() -> bytes:
    """MAX_CELLS cells: 500 rows x 1,000 columns."""
    from lib import ingest

    cols = ingest.MAX_COLUMNS
    rows = ingest.MAX_CELLS // cols - 1
    header = ",".join(["council"] + [f"q{i}" for i in range(cols - 1)])
    body = "\n".join(",".join([f"E06{i:06d}"] + ["available"] * (cols - 1)) for i in range(rows))
    return (header + "\n" + body + "\n").encode()


def _wide_xlsx() -> bytes:
    """MAX_CELLS cells in a workbook (write-only mode keeps the generator itself small)."""
    import openpyxl

    from lib import ingest

    cols = ingest.MAX_COLUMNS
    rows = ingest.MAX_CELLS // cols - 1
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    ws.append(["council"] + [f"q{i}" for i in range(cols - 1)])
    for i in range(rows):
        ws.append([f"E06{i:06d}"] + ["available"] * (cols - 1))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _parquet_text(limit: int):
    """As much distinct text as allowed (MAX_UNPACK_RATIO x the limit), MAX_ROWS rows."""
    import pyarrow as pa

    from lib import ingest

    rows = ingest.MAX_ROWS
    width = min(ingest.MAX_CELL_CHARS, int(ingest.MAX_UNPACK_RATIO * limit * 0.95) // rows // 2 - 8)
    return pa.table({"council": [f"{i:08d}" + "x" * width for i in range(rows)],
                     "comment": [f"{i:08d}" + "y" * width for i in range(rows)]})


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + "<row/>" * 20_000_000 + "</sheetData></worksheet>")
    return buf.getvalue()


def _stale_far_cell() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "responses"
    ws.append(["council", "emp_payroll"])
    ws.cell(row=1_000_000, column=16_000, value="x")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def scenarios(limit: int) -> Iterator[tuple[str, Callable[[], bytes]]]:
    import pyarrow as pa

    yield "CSV, long layout, 50,000 rows, ~10 MB", lambda: _long_csv(limit)
    yield "CSV, wide, 500,000 cells", _wide_csv
    yield "XLSX, wide, 500,000 cells", _wide_xlsx
    yield "Parquet, 50,000 rows, ~50 MB of text", lambda: _parquet(_parquet_text(limit))
    yield "crafted: Parquet claiming 100M rows", lambda: _parquet(pa.table({"council": pa.nulls(100_000_000,
                                                                                                pa.string())}))
    yield "crafted: Parquet dictionary bomb", lambda: _parquet(pa.table({"council": ["E" * 9_000] * 49_000}))
    yield "crafted: XLSX zip bomb (120 MB unpacked)", _zip_bomb
    yield "crafted: XLSX with a cell at row 1M, column 16,000", _stale_far_cell


def main() -> None:
    from lib import ingest
    from lib.reference.build import build_database

    limit = ingest.max_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.duckdb"
        build_database(db_path)
        print(f"{'file':<52} {'size':>8} {'peak MB':>8} {'+MB':>7} {'s':>6}  outcome", flush=True)
        for name, make in scenarios(limit):
            data = make()
            path = Path(tmp) / ("f.parquet" if "Parquet" in name else "f.xlsx" if "XLSX" in name else "f.csv")
            path.write_bytes(data)
            out = subprocess.run([sys.executable, "-c", CHILD, str(db_path), str(path)], cwd=ROOT,
                                 capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"{name:<52} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(out.stdout)
            print(f"{name:<52} {ingest.size_text(len(data)):>8} {r['peak_mb']:>8.0f} "
                  f"{r['peak_mb'] - r['baseline_mb']:>7.0f} {r['seconds']:>6.2f}  {r['outcome']}", flush=True)


if __name__ == "__main__":
    main()
