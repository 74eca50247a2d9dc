"""Looking after the working database: its history (submissions, audit log), replaced rounds
that can be recovered, table exports, whole-file copies and backups, and each round's
publication policy. (A *backup* is a saved copy of the working database; a *version* is a
published file: lib.store.versions.)
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from lib.base import exports
from lib.base.formatting import DASH
from lib.store import db
from lib.store.errors import StorageError, storage_problem


def submissions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every submission, newest first, as text for a table."""
    df = con.execute(
        "SELECT id, round_year, file_name, councils, rows, submitted_by, submitted_at, status, checksum "
        "FROM submissions ORDER BY id DESC").df()
    return pd.DataFrame({
        "Submission": df["id"].astype(str),
        "Round": df["round_year"].astype(str),
        "File": df["file_name"].astype(str),
        "Councils": df["councils"].astype(str),
        "Answers": df["rows"].astype(str),
        "Loaded by": df["submitted_by"].astype(str),
        "Loaded at": [f"{t:%d %b %Y %H:%M}" for t in df["submitted_at"]],
        "Status": df["status"].map({"current": "Current", "replaced": "Replaced (archived)"}).fillna(DASH),
        "Checksum (sha256)": df["checksum"].str.slice(0, 16) + "…",
    })


def audit_log(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    df = con.execute("SELECT logged_at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?",
                     [limit]).df()
    return pd.DataFrame({
        "When": [f"{t:%d %b %Y %H:%M}" for t in df["logged_at"]],
        "Who": df["actor"].astype(str),
        "Action": df["action"].str.capitalize(),
        "Detail": df["detail"].astype(str),
    })


def archived_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Replaced versions of rounds that can be recovered: one row per replacement."""
    return con.execute(
        """
        SELECT a.replaced_by, a.round_year, min(a.replaced_submission) AS replaced_submission,
               arg_min(s.file_name, a.replaced_submission) AS file_name, bool_or(a.source = 'demo') AS was_demo,
               count(DISTINCT a.authority_code) AS councils, count(*) AS answers, max(a.archived_at) AS archived_at
        FROM responses_archive a LEFT JOIN submissions s ON s.id = a.replaced_submission
        GROUP BY a.replaced_by, a.round_year ORDER BY a.replaced_by DESC
        """).df()


def archived_responses(con: duckdb.DuckDBPyConnection, replaced_by: int) -> pd.DataFrame:
    """The answers a replacement took out, in the long import format (re-importable as is)."""
    return con.execute(
        """
        SELECT authority_code AS council, question_id AS question, answer,
               array_to_string(list_sort(providers), ';') AS providers, coalesce(comment, '') AS comment,
               round_year AS round
        FROM responses_archive WHERE replaced_by = ? ORDER BY authority_code, question_id
        """, [replaced_by]).df()


def export_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(set(db.table_names(con)) | set(db.view_names(con)))


def export_table(con: duckdb.DuckDBPyConnection, name: str, fmt: Literal["csv", "parquet"]) -> tuple[bytes, int]:
    """A table or view as CSV (formulas neutralised) or Parquet, with the synthetic-data note."""
    if name not in export_names(con):
        raise ValueError(f"unknown table or view {name!r}")
    df = con.execute(f'SELECT * FROM "{name}"').df()  # noqa: S608 - name checked against the catalogue
    df = exports.label_demo(df, exports.demo_loaded(con))
    return (exports.to_csv_bytes(df) if fmt == "csv" else exports.to_parquet_bytes(df)), len(df)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_into(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """ATTACH `target` and copy the whole database into it (one consistent read of the source)."""
    alias = f"copy_{uuid.uuid4().hex[:12]}"
    current = con.execute("SELECT current_database()").fetchone()
    assert current is not None  # a bare SELECT always returns one row
    source = current[0]
    literal = "'" + str(target).replace("'", "''") + "'"
    con.execute(f"ATTACH {literal} AS {alias}")
    try:
        con.execute(f"COPY FROM DATABASE {_quote(source)} TO {alias}")
    finally:
        con.execute(f"DETACH {alias}")


def copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Write a consistent copy of the whole database (tables, views, sequences) to a new file.

    Uses ATTACH + COPY FROM DATABASE, which reads the database at one moment, so a copy taken while others
    read or write is never half-way through an import. The copy is written under a temporary
    name and renamed into place only when complete: a failure (a full disk) leaves no partial
    file behind, and raises StorageError when the disk is full or cannot be written.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        _copy_into(con, tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        problem = storage_problem(exc)
        if problem:
            raise StorageError(f"The copy {target.name} could not be written: {problem}. Nothing was "
                               "changed and no partial copy was left.") from None
        raise
    finally:
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return target


def database_bytes(con: duckdb.DuckDBPyConnection, scratch: Path) -> bytes:
    """The whole database as the bytes of a DuckDB file (for a download)."""
    path = Path(scratch) / f"export-{uuid.uuid4().hex}.duckdb"
    try:
        copy_database(con, path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
        Path(f"{path}.wal").unlink(missing_ok=True)


def backup_dir(db_path: Path) -> Path:
    """Where backups of a database file go: `backups/` beside it (data/backups/, git-ignored).
    Backups made by earlier versions of the tool stay in `snapshots/`, where they were saved."""
    return Path(db_path).resolve().parent / "backups"


def backup(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    """Save a copy of the database as it is now (a backup), named by date and time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(folder) / f"pa_benchmark-{stamp}.duckdb"
    n = 1
    while path.exists():
        n += 1
        path = Path(folder) / f"pa_benchmark-{stamp}-{n}.duckdb"
    return copy_database(con, path)


def publication_policies(con: duckdb.DuckDBPyConnection) -> list[tuple[int, bool]]:
    """Each round's publication policy, newest first: (year, whether each council's own answers
    may be published)."""
    rows = con.execute("SELECT year, published_detail FROM survey_rounds ORDER BY year DESC").fetchall()
    return [(int(year), bool(shown)) for year, shown in rows]


class PolicyRefused(Exception):
    """The publication policy of a round cannot be changed as asked (the message says why)."""


def set_published_detail(con: duckdb.DuckDBPyConnection, year: int, published: bool, by: str = "unknown") -> bool:
    """Say whether each council's own answers in round `year` may be published (open data and the
    API); scores are always published. One transaction, logged. Returns False, changing nothing,
    when the round already has that policy; raises PolicyRefused for a round not in the database."""
    with db.transaction(con):
        row = con.execute("SELECT published_detail FROM survey_rounds WHERE year = ?", [year]).fetchone()
        if row is None:
            known = ", ".join(str(r[0]) for r in con.execute("SELECT year FROM survey_rounds ORDER BY year").fetchall())
            raise PolicyRefused(f"there is no survey round {year} in the database (rounds: {known or 'none'})")
        if bool(row[0]) == published:
            return False
        con.execute("UPDATE survey_rounds SET published_detail = ? WHERE year = ?", [published, year])
        what = ("may now be published" if published else "are now withheld from the open data and the API")
        con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), ?, 'publication policy', ?)",
                    [(by or "unknown").strip()[:200] or "unknown",
                     f"Councils' own answers in the {year} round {what}; its scores stay published."])
    return True
