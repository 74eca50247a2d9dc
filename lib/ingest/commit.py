"""Writing a validated round into the database: all of it in one transaction, or nothing.

Also what the database holds for a round before an import (RoundState), and how a full or
unwritable disk stops an import (ImportNotStored).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from lib.ingest.report import Record, Report
from lib.ingest.sheet import checksum
from lib.ingest.validation import validate
from lib.reference import geography
from lib.store import db
from lib.store.errors import StorageError, storage_problem


def _records_table(records: list[Record], year: int, source: str, when: datetime) -> pa.Table:
    return pa.table({
        "round_year": pa.array([year] * len(records), pa.int32()),
        "authority_code": pa.array([r.authority_code for r in records], pa.string()),
        "question_id": pa.array([r.question_id for r in records], pa.string()),
        "answer": pa.array([r.answer for r in records], pa.string()),
        "providers": pa.array([list(r.providers) for r in records], pa.list_(pa.string())),
        "comment": pa.array([r.comment for r in records], pa.string()),
        "source": pa.array([source] * len(records), pa.string()),
        "submitted_at": pa.array([when] * len(records), pa.timestamp("us")),
    })


def _insert_records(con: duckdb.DuckDBPyConnection, records: list[Record], year: int, source: str,
                    when: datetime) -> None:
    name = f"_ingest_{uuid.uuid4().hex}"
    con.register(name, _records_table(records, year, source, when))
    try:
        con.execute(f"INSERT INTO responses SELECT * FROM {name}")  # noqa: S608 - generated name
    finally:
        con.unregister(name)


class ImportRefused(Exception):
    """The import was not made (problems in the file, or the round exists without replace)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class ImportNotStored(ImportRefused, StorageError):
    """An import met a full or unwritable disk: nothing was imported."""


@contextmanager
def write_refusals(report: Report) -> Iterator[None]:
    """A failed import write as the importer's refusals, each with its true cause: a full or
    unwritable disk (ImportNotStored), a write that met another at the same moment (ImportRefused:
    try again), or another failure to commit (ImportRefused, naming it). Either way the transaction
    inside has rolled back, so nothing was imported; any other error is raised."""
    try:
        yield
    except (duckdb.Error, OSError) as exc:
        # A full disk often shows only at COMMIT, as a TransactionException naming the WAL file it
        # could not write: the storage cause is told first, and only a real conflict is "try again".
        problem = storage_problem(exc)
        if problem is not None:
            raise ImportNotStored(f"Nothing was imported: {problem}.", report) from None
        if not isinstance(exc, duckdb.TransactionException):
            raise
        text = str(exc).casefold()
        # Two imports of one new round committing at once meet on the round's key: also a conflict.
        if "conflict" in text or "duplicate key" in text or "constraint violation" in text:
            raise ImportRefused("Another change to the database was saved at the same moment, so nothing was "
                                f"imported. Try again. ({exc})", report) from None
        raise ImportRefused(f"The database could not save the import, so nothing was imported: {exc}",
                            report) from None


@dataclass(frozen=True)
class RoundState:
    """What the database holds for a round year before an import.

    submission_id and file_name are the round's latest current submission's. checksum is that
    file's sha256 only when the file is the whole round (it holds as many councils as the round
    does): after a council update of a larger round no one file is the round, so importing the
    update's file as a whole round is never taken for "the same file again".
    """

    year: int
    exists: bool
    is_demo: bool
    submission_id: int | None
    checksum: str | None
    file_name: str | None
    respondents: int


@dataclass(frozen=True)
class ImportResult:
    status: Literal["imported", "replaced", "updated", "unchanged"]
    year: int
    submission_id: int | None
    councils: int
    rows: int
    message: str


def round_state(con: duckdb.DuckDBPyConnection, year: int) -> RoundState:
    row = con.execute("SELECT is_demo FROM survey_rounds WHERE year = ?", [year]).fetchone()
    sub = None
    if "submissions" in db.table_names(con):
        sub = con.execute("SELECT id, checksum, file_name, councils FROM submissions WHERE round_year = ? "
                          "AND status = 'current' ORDER BY id DESC LIMIT 1", [year]).fetchone()
    count = con.execute("SELECT count(DISTINCT authority_code) FROM responses WHERE round_year = ?",
                        [year]).fetchone()
    assert count is not None  # an aggregate without GROUP BY always returns one row
    whole = sub is not None and int(sub[3]) == int(count[0])
    name = sub[2] if sub else None
    if sub is not None and not whole:
        # The round came from an earlier file plus council updates: name that file, not the latest
        # update's (which holds one council, not the round's).
        first, updates = con.execute(
            "SELECT arg_min(file_name, id), count(*) - 1 FROM submissions WHERE round_year = ? "
            "AND status = 'current'", [year]).fetchone() or (None, 0)
        if updates:
            name = f"{first} and {updates} council update{'s' if updates != 1 else ''}"
    return RoundState(year, row is not None, bool(row[0]) if row else False,
                      int(sub[0]) if sub else None, sub[1] if sub and whole else None, name,
                      int(count[0]))


def import_file(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, year: int | None, *,
                replace: bool = False, by: str = "unknown", limit: int | None = None,
                report: Report | None = None, council_set_on: date | None = None) -> ImportResult:
    """Validate and write a whole round in one transaction, or write nothing and raise ImportRefused.

    The same file (same sha256) imported again for the same round is a no-op that says so.
    A round that already holds answers (real or demo) is replaced only with replace=True; the
    answers it held move to responses_archive with the replaced submission's id. A new round
    holds the councils of `council_set_on` (default 1 April of its year); a round that exists
    keeps its council-set day.
    """

    file_name = Path(str(file_name)).name or "upload"
    if (report is None or report.checksum != checksum(data) or (year is not None and report.year != year)
            or (council_set_on is not None and report.council_set_on != council_set_on)):
        report = validate(con, data, file_name, year, limit, council_set_on)
    if not report.ok or report.year is None:
        raise ImportRefused(report.summary(), report)
    year = report.year
    state = round_state(con, year)
    if state.checksum == report.checksum:
        return ImportResult("unchanged", year, state.submission_id, len(report.councils), len(report.records),
                            f"This file ({file_name}) is already the {year} round (submission "
                            f"{state.submission_id}); nothing was changed.")
    if state.exists and not replace:
        what = "synthetic demonstration data" if state.is_demo else (
            f"answers from {state.file_name} (submission {state.submission_id})" if state.submission_id
            else "answers")
        raise ImportRefused(f"The {year} round already holds {what} for {state.respondents} councils. "
                            "Import again with replace to replace it; the current answers are archived "
                            "and can be recovered.", report)
    db.ensure_schema(con)
    now = datetime.now().replace(microsecond=0)
    who = (by or "unknown").strip()[:200] or "unknown"
    with write_refusals(report), db.transaction(con):
        state, sid = _write_round(con, report, year, file_name, who, now, replace)
    status: Literal["imported", "replaced"] = "replaced" if state.exists else "imported"
    return ImportResult(status, year, int(sid), len(report.councils), len(report.records),
                        f"{'Replaced' if state.exists else 'Imported'} the {year} round: "
                        f"{len(report.councils)} councils, {len(report.records)} answers (submission {sid}).")


def _write_round(con: duckdb.DuckDBPyConnection, report: Report, year: int, file_name: str, who: str,
                 now: datetime, replace: bool) -> tuple[RoundState, int]:
    """The writes of import_file, inside its transaction: the submission, the archived answers of
    a replaced round, the round, its answers and comments, and the audit entry. Returns the
    round's state as read inside the transaction and the new submission's id."""
    provenance = (f"Imported from {file_name} (sha256 {report.checksum[:16]}) by {who} on "
                  f"{now:%d %B %Y %H:%M}: {len(report.councils)} councils, {len(report.records)} answers.")
    # Read again inside the transaction: what is replaced is exactly what is archived.
    state = round_state(con, year)
    if state.exists and not replace:
        raise ImportRefused(f"The {year} round was loaded by someone else a moment ago; look at "
                            "it and import again with replace if needed.", report)
    if state.exists and geography.council_set_on(con, year) != report.council_set_on:
        raise ImportRefused(f"The {year} round's council set changed while the file was checked; "
                            "check it again and import again.", report)
    inserted = con.execute(
        "INSERT INTO submissions (round_year, file_name, checksum, rows, councils, submitted_by, "
        "submitted_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'current') RETURNING id",
        [year, file_name, report.checksum, len(report.records), len(report.councils), who, now],
    ).fetchone()
    assert inserted is not None  # RETURNING gives the one row inserted
    sid = inserted[0]
    if state.exists:
        _archive_round(con, year, sid, state, now)
    # A round keeps its council-set day and publication policy when its answers are replaced.
    con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
                "VALUES (?, ?, FALSE, ?, ?, ?) ON CONFLICT (year) DO UPDATE SET label = excluded.label, "
                "is_demo = excluded.is_demo, provenance = excluded.provenance, loaded_at = excluded.loaded_at",
                [year, f"{year} survey responses", report.council_set_on, provenance, now])
    _insert_records(con, report.records, year, "import", now)
    if report.council_comments:
        con.executemany("INSERT INTO council_comments VALUES (?, ?, ?, ?)",
                        [[sid, year, code, text] for code, text in report.council_comments.items()])
    action, detail = _audit_entry(con, report, year, sid, state, file_name)
    con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?, ?, ?, ?)",
                [now, who, action, detail])
    return state, sid


def _archive_round(con: duckdb.DuckDBPyConnection, year: int, sid: int, state: RoundState,
                   now: datetime) -> None:
    """Move a replaced round's answers to responses_archive and mark its submissions replaced."""
    # Each row is archived under the submission it came from (rows and submission share
    # the load time): after a council update, that council's rows came from the update
    # and the others from the whole-round file; demo rows (loaded by a build) have none.
    con.execute(
        "INSERT INTO responses_archive SELECT coalesce((SELECT max(s.id) FROM submissions s WHERE "
        "s.round_year = r.round_year AND s.submitted_at = r.submitted_at AND s.status = 'current' "
        "AND s.id <> ?), CASE WHEN r.source <> 'demo' THEN ? END), ?, ?, r.* FROM responses r "
        "WHERE r.round_year = ?",
        [sid, state.submission_id, sid, now, year])
    con.execute("DELETE FROM responses WHERE round_year = ?", [year])
    con.execute("UPDATE submissions SET status = 'replaced' WHERE round_year = ? "
                "AND status = 'current' AND id <> ?", [year, sid])


def _audit_entry(con: duckdb.DuckDBPyConnection, report: Report, year: int, sid: int, state: RoundState,
                 file_name: str) -> tuple[str, str]:
    """The audit_log action and detail of an import: 'import', or 'replace' naming what was archived."""
    if state.exists:
        # The submissions whose rows were archived (a council update's and the whole round's).
        ids = [str(r[0]) for r in con.execute(
            "SELECT DISTINCT replaced_submission FROM responses_archive WHERE replaced_by = ? "
            "AND replaced_submission IS NOT NULL ORDER BY 1", [sid]).fetchall()]
        replaced = ("the synthetic demonstration round" if state.is_demo else
                    f"submission{'s' if len(ids) > 1 else ''} {' and '.join(ids)}" if ids
                    else "the previous answers")
        return "replace", (
            f"Round {year} replaced: {replaced} ({state.respondents} councils) archived in "
            f"responses_archive; now submission {sid} from {file_name} ({len(report.councils)} "
            f"councils, {len(report.records)} answers, sha256 {report.checksum}).")
    return "import", (
        f"Round {year} imported as submission {sid} from {file_name} ({len(report.councils)} "
        f"councils, {len(report.records)} answers, sha256 {report.checksum}).")
