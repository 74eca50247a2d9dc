"""Command line: `uv run python -m lib.cli COMMAND`.

build       create the database from the repository's own files (refuses to replace imported
            rounds unless --force, which keeps a backup first)
refresh     reload standards, questions, scoring rules and reference data, keeping every round,
            submission, archived answer and the audit log
scores      CSV of every council's standard scores for a round, to standard output
export      write a table or view to CSV or Parquet
import      load a round of real answers from a CSV, XLSX or Parquet file (all or nothing);
            with --council-update, replace only the one council's answers in a loaded round
validate    check a file of answers without writing anything, and preview its scores
template    write the answer template (CSV or XLSX) for a round
rounds      list the survey rounds in the database, their council sets and where each came from
councils    CSV of the councils valid on a day (--on YYYY-MM-DD, default today), to standard output
reset-demo  back up the database, then rebuild it with the synthetic demonstration data
detail      open or withhold councils' own answers of a round in the open data (scores stay open)
publish     publish the working database as a new version (after a publication that failed)
versions    list the published versions kept, and which one the dashboard shows
rollback    publish an earlier version again (default: the one before the current one)
admin-hash  make the password hash that enables the Data management page
collection  run a survey round in the tool: open, invite, revoke, tracker, close, publish
            (its data is kept in `<name>.collection.duckdb` beside the database, never published)

Writes go to the working database (--db) and are then published: copied to a new, numbered,
read-only version in the `<name>.published/` folder beside it, which the dashboard and the read
commands (scores, export, validate, template, rounds) open. So the read commands work while
the dashboard runs, and the dashboard keeps serving while a write runs.

Exit status: 0 done, 1 the file has problems or the import was refused (nothing written),
2 bad arguments, or a database or output path that cannot be used (missing, locked by another
program, from a newer version, a full disk). Every failure prints a message, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import os
import re
import shutil
import sys
import time
import unicodedata
import uuid
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from lib import collection, ingest
from lib.base import exports, passwords
from lib.base.formatting import format_score, shorten
from lib.base.paths import default_db_path
from lib.ingest import template
from lib.reference import build, geography, schema
from lib.reference.build import (
    RefreshRefused,
    build_database,
    ensure_database,
    imported_data,
    refresh_database,
)
from lib.reports import opendata
from lib.scoring import views as scoring
from lib.scoring.config import StandardsConfigError
from lib.store import db, publish, upkeep, versions
from lib.store.errors import StorageError, storage_problem


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


#: A command meeting another program's lock on the database tries again this many times ...
LOCK_RETRIES = 8
#: ... this many seconds apart (about two seconds in all), then gives up with exit status 2.
LOCK_PAUSE_SECONDS = 0.25

_YEAR = re.compile(r"[0-9]{4}")


def round_year(text: str) -> int:
    """argparse type for --round: a whole year of four ASCII digits within the survey's range."""
    value = str(text).strip()
    if not _YEAR.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{_safe(value)!r} is not a year: give the survey year as four digits, e.g. 2016")
    year = int(value)
    if not ingest.EARLIEST_YEAR <= year <= ingest.LATEST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{year} is outside the survey years {ingest.EARLIEST_YEAR} to {ingest.LATEST_YEAR}: check the year")
    return year


def version_number(text: str) -> int:
    """argparse type for --to: a published version number (ASCII digits)."""
    value = str(text).strip()
    if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{_safe(value)!r} is not a version number: see `versions` for them")
    return int(value)


def _safe(text: object) -> str:
    """Text from the database or a file made safe for a terminal: control characters (escape codes,
    bidirectional overrides) are shown as \\x1b or \\u202e instead of being sent raw."""
    out = []
    for ch in str(text):
        if ch in "\n" or not unicodedata.category(ch).startswith("C"):
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def _say(text: object, stream=None) -> None:
    print(_safe(text), file=stream or sys.stdout)


def _is_lock(exc: BaseException) -> bool:
    text = str(exc).casefold()
    return isinstance(exc, duckdb.IOException) and "lock" in text


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the database, waiting briefly if another program holds its lock; CliError otherwise."""
    if not path.exists():
        raise CliError(f"no database at {path}: run `uv run python -m lib.cli build` first")
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a database file")
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return schema.store(path).connect(path, read_only=read_only)
        except db.SchemaError as exc:
            raise CliError(f"{path}: {exc}") from None
        except duckdb.Error as exc:
            if _is_lock(exc) and attempt < LOCK_RETRIES:
                time.sleep(LOCK_PAUSE_SECONDS)
                continue
            if _is_lock(exc):
                raise CliError(
                    f"the database {path} is in use by another program (another command, or a change being "
                    f"saved from the dashboard); waited {LOCK_RETRIES * LOCK_PAUSE_SECONDS:.0f} seconds for it. Let "
                    "it finish, then try again. Nothing was changed.") from None
            problem = storage_problem(exc) if not isinstance(exc, duckdb.IOException) else None
            raise CliError(f"the database {path} cannot be opened: "
                           f"{problem or shorten(str(exc), 300)}") from None
    raise AssertionError("unreachable")


def _open_working_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return _connect(Path(path), True)


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    """The published version of the database at `path`, opened read-only (publishing one first if
    nothing has been published yet, or if it was made by another version of the app)."""
    path = Path(path)
    if not path.exists():
        raise CliError(f"no database at {path}: run `uv run python -m lib.cli build` first")
    if path.is_dir():
        raise CliError(f"{path} is a folder, not a database file")
    try:
        snap = schema.store(path).ensure_published(opener=lambda p: _connect(p, read_only=False))
    except publish.PublishError as exc:
        raise CliError(str(exc)) from None
    try:
        return schema.store(path).connect(snap.path, read_only=True)
    except db.SchemaError as exc:
        raise CliError(f"{snap.path}: {exc}") from None
    except duckdb.Error as exc:
        raise CliError(f"the published version {snap.path} cannot be opened: "
                       f"{storage_problem(exc) or shorten(str(exc), 300)}") from None


def _publish(con: duckdb.DuckDBPyConnection, path: Path, reason: str, by: str, done: str) -> None:
    """Publish after a write. `done` says what was written; if publishing fails it is still
    said, with what is missing and how to finish, and the command exits 2."""
    try:
        snap = schema.store(path).publish(con, reason, by)
    except publish.PublishError as exc:
        raise CliError(f"{done.rstrip('.')}. But it is not published yet: {exc} Run `uv run python -m lib.cli publish` "
                       "when the problem is fixed.") from None
    _say(done)
    _say(f"Published as version {snap.version} ({snap.path.name}); the dashboard shows it from its next page view.")


def _open_for_writing(path: Path) -> duckdb.DuckDBPyConnection:
    return _connect(Path(path), read_only=False)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _out_path(text: str, db_path: Path) -> Path:
    """Check an --out path before anything is computed: a file name in a folder that exists, and
    never the database file itself (or its write-ahead log)."""
    out = Path(text).expanduser()
    if out.is_dir():
        raise CliError(f"--out {out} is a folder: give a file name inside it, e.g. {out / 'export.csv'}")
    if not out.parent.exists():
        raise CliError(f"folder {out.parent} does not exist")
    db_path = Path(db_path)
    wal = db_path.with_name(db_path.name + ".wal")
    if _same_file(out, db_path) or _same_file(out, wal):
        raise CliError(f"--out {out} is the database file itself: writing there would destroy the database. "
                       "Choose another file name.")
    if versions.is_inside_published(out, db_path):
        raise CliError(f"--out {out} is in the published versions' folder {versions.folder_for(db_path)}, whose "
                       "files are never written. Choose a file name elsewhere.")
    return out


def _write_out(out: Path, data: bytes) -> None:
    """Write an output file; a full disk or an unwritable path is a clear message (exit 2)."""
    created = not out.exists()
    try:
        with open(out, "wb") as handle:
            handle.write(data)
            handle.flush()
    except OSError as exc:
        if created and out.is_file():
            out.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise CliError(f"could not write {out}: the disk is full (no space left on the device)") from None
        raise CliError(f"could not write {out}: {exc.strerror or exc}") from None


def _raw_backup(path: Path) -> Path:
    """Copy a database file DuckDB cannot open into backups/ (temporary name, then renamed)."""
    folder = upkeep.backup_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"pa_benchmark-{datetime.now():%Y%m%d-%H%M%S}-unreadable.duckdb"
    tmp = folder / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"could not keep a copy of {path} before rebuilding: "
                       f"{storage_problem(exc) or exc}; nothing was changed") from None
    return target


def cmd_build(args: argparse.Namespace) -> int:
    path = Path(args.db)
    saved: Path | None = None
    old: duckdb.DuckDBPyConnection | None = None
    if path.exists():
        try:
            old = _open_for_writing(path)
        except CliError as exc:
            if "in use by another program" in str(exc) or not args.force:
                if "in use" in str(exc) or "newer version" in str(exc) or "unknown schema" in str(exc):
                    raise
                raise CliError(f"{exc}. `build --force` rebuilds it (a copy of the file is kept first)") from None
            saved = _raw_backup(path)
    try:
        if old is not None:
            lost = imported_data(old)
            if lost and not args.force:
                raise CliError(
                    f"{path} holds data a rebuild would lose: {'; '.join(lost)}. Nothing was changed. Use "
                    "`refresh` to reload the standards and reference data and keep them, or `build --force` "
                    "to rebuild anyway (a backup of the database is kept first).")
            if lost:
                saved = upkeep.backup(old, upkeep.backup_dir(path))
        # The old file stays open (and so locked against other writers) until the new one has
        # replaced it: nothing can be written to the old file in between and then lost.
        try:
            report = build_database(path)
        except StandardsConfigError as exc:
            raise CliError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CliError(f"a reference file is missing: {exc.filename}") from exc
    finally:
        if old is not None:
            old.close()
    if saved is not None:
        _say(f"Saved the previous database as {saved}")
    con = _open_for_writing(path)
    try:
        _publish(con, path, "build from the repository's files", _who(getattr(args, "by", None)),
                 "\n".join(report.lines()))
    finally:
        con.close()
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    con = _open_for_writing(Path(args.db))
    try:
        try:
            report = refresh_database(con, by=_who(args.by))
            con.execute("CHECKPOINT")
        except StandardsConfigError as exc:
            raise CliError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CliError(f"a reference file is missing: {exc.filename}; nothing was changed") from exc
        except RefreshRefused as exc:
            raise CliError(str(exc)) from exc
        lines = report.lines()
        lines[0] = (f"Refreshed {args.db}: standards, questions, scoring rules and reference data reloaded; "
                    "rounds, answers, submissions, archive and audit log kept")
        _publish(con, Path(args.db), "refresh of the standards, rules and reference data", _who(args.by),
                 "\n".join(lines))
    finally:
        con.close()
    return 0


def cmd_scores(args: argparse.Namespace) -> int:
    """The API's scores for a round as CSV: the same rows and columns as /api/v1/scores (and the
    Download page's files), read from the published version."""
    con = _open(args.db)
    try:
        years = scoring.rounds(con)["year"].tolist()
        if args.round not in years:
            known = ", ".join(str(y) for y in sorted(years)) or "none"
            raise CliError(f"no survey round {args.round} in the database (rounds: {known})")
        given = {"round": str(args.round), "council": args.council, "region": args.region, "type": args.type,
                 "level": args.level}
        try:
            filters = opendata.check_params(con, "scores", {k: v for k, v in given.items() if v is not None})
        except opendata.BadParameter as exc:
            raise CliError(f"--{exc.parameter}: {exc}") from None
        df = opendata.query(con, "scores", filters)
    finally:
        con.close()
    sys.stdout.write(exports.to_csv_text(df))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    out = _out_path(args.out, args.db)
    con = _open_working_read_only(args.db) if args.working else _open(args.db)
    try:
        allowed = set(db.table_names(con)) | set(db.view_names(con))
        if args.table not in allowed:
            raise CliError(f"unknown table or view '{args.table}'. Choose from: {', '.join(sorted(allowed))}")
        df = con.execute(f'SELECT * FROM "{args.table}"').df()  # noqa: S608 - name checked above
        df = exports.label_demo(df, exports.demo_loaded(con))
    finally:
        con.close()
    data = exports.to_csv_bytes(df) if args.format == "csv" else exports.to_parquet_bytes(df)
    _write_out(out, data)
    _say(f"Wrote {len(df)} rows of {args.table} to {out} ({args.format})")
    return 0


class FileTooLarge(Exception):
    """The input file is over the size limit (checked before reading it)."""


def _read_input(path_text: str) -> tuple[bytes, str]:
    path = Path(path_text)
    if not path.is_file():
        raise CliError(f"no file at {path}")
    size, limit = path.stat().st_size, ingest.max_bytes()
    if size > limit:
        raise FileTooLarge(f"{path.name}: the file is too large: {ingest.size_text(size)}; "
                           f"the largest accepted is {ingest.size_text(limit)} ({ingest.MAX_MB_ENV} sets the "
                           "limit). Nothing was imported.")
    return path.read_bytes(), path.name


def _who(name: str | None) -> str:
    if name and name.strip():
        return name.strip()
    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:  # noqa: BLE001 - no user name available
        return "command line"


def _print_report(report: ingest.Report, stream) -> None:
    for line in report.lines():
        _say(line, stream)


def _check_council_update_flags(args: argparse.Namespace) -> None:
    """--council-update keeps the round as it is apart from one council: no replace, no new set day."""
    if getattr(args, "replace", False):
        raise CliError("--council-update and --replace cannot be used together: --replace makes the file the "
                       "whole round, --council-update replaces only the one council's answers in it. Choose one.")
    if args.council_set_on is not None:
        raise CliError("--council-set-on cannot be used with --council-update: a council update keeps the "
                       "round's own council set. Leave --council-set-on out.")


def _validate_council_update(args: argparse.Namespace, data: bytes, name: str) -> int:
    con = _open(args.db)
    try:
        report = ingest.validate_council_update(con, data, name, args.round)
        if not report.ok:
            _print_report(report, sys.stderr)
            return 1
        _print_report(report, sys.stdout)
        preview = ingest.council_preview(con, report)
    finally:
        con.close()
    print(f"Preview: {preview.headline()}")
    print(preview.overall_table().to_string(index=False))
    print(preview.standards_table().to_string(index=False))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    data, name = _read_input(args.file)
    if args.council_update:
        _check_council_update_flags(args)
        return _validate_council_update(args, data, name)
    con = _open(args.db)
    try:
        report = ingest.validate(con, data, name, args.round, council_set_on=args.council_set_on)
        if not report.ok:
            _print_report(report, sys.stderr)
            return 1
        _print_report(report, sys.stdout)
        preview = ingest.preview(con, report)
        _, standards = ingest.preview_tables(preview)
        assert report.year is not None  # preview() refuses a report without a round
        state = ingest.round_state(con, report.year)
    finally:
        con.close()
    nat = preview.national
    print(f"Preview: {nat['respondents']} responding councils, {nat['ranked']} ranked, median overall "
          f"score {format_score(nat['median_score'])}.")
    print(standards.to_string(index=False))
    if state.checksum == report.checksum:
        print(f"This file is already the {report.year} round; importing it again changes nothing.")
    elif state.exists:
        kind = "synthetic demonstration data" if state.is_demo else "answers"
        print(f"The {report.year} round already holds {kind} for {state.respondents} councils: import with "
              "--replace to replace it.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    data, name = _read_input(args.file)
    if args.council_update:
        _check_council_update_flags(args)
    con = _open_for_writing(args.db)
    try:
        try:
            if args.council_update:
                result = ingest.import_council_update(con, data, name, args.round, by=_who(args.by))
            else:
                result = ingest.import_file(con, data, name, args.round, replace=args.replace, by=_who(args.by),
                                            council_set_on=args.council_set_on)
        except StorageError as exc:
            raise CliError(str(exc)) from None
        except ingest.ImportRefused as exc:
            if exc.report is not None and not exc.report.ok:
                _print_report(exc.report, sys.stderr)
            else:
                _say(f"error: {exc}", sys.stderr)
            return 1
        if result.status == "unchanged":  # nothing was written: nothing new to publish
            _say(result.message)
            return 0
        what = "council update" if args.council_update else "import"
        _publish(con, Path(args.db), f"{what} of {name} into the {args.round} round", _who(args.by),
                 result.message)
    finally:
        con.close()
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    out = _out_path(args.out, args.db)
    year = args.round if args.round is not None else template.default_year()
    con = _open(args.db)
    try:
        data = template.to_xlsx_bytes(con, year) if args.format == "xlsx" else template.to_csv_bytes(con, year)
        n = len(template.frame(con, year))
    finally:
        con.close()
    _write_out(out, data)
    _say(f"Wrote the {year} answer template ({n} councils) to {out} ({args.format})")
    return 0


def _day(text: str) -> date:
    """A YYYY-MM-DD argument (argparse type)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD, for example 2027-04-01") from None


def cmd_councils(args: argparse.Namespace) -> int:
    if not Path(args.db).exists() and Path(args.db) == default_db_path():
        ensure_database(Path(args.db))  # as the dashboard does: the demo database on first use
    con = _open(args.db)
    try:
        councils = geography.members_on(con, args.on or date.today())
    finally:
        con.close()
    if councils.empty:
        raise CliError(f"No councils were valid on {args.on}: the reference data starts later.")
    out = councils[["code", "name", "region_code", "region_name", "type"]]
    sys.stdout.write(out.to_csv(index=False, lineterminator="\n"))
    return 0


def cmd_rounds(args: argparse.Namespace) -> int:
    con = _open(args.db)
    try:
        df = scoring.rounds(con)
        withheld = {int(r[0]) for r in con.execute(
            "SELECT year FROM survey_rounds WHERE NOT published_detail").fetchall()}
        # A round's current submissions, oldest first: the whole-round import (a whole-round import
        # marks every earlier one replaced), then any council updates since.
        subs: dict[int, list[tuple]] = {}
        if "submissions" in db.table_names(con):
            for r in con.execute("SELECT round_year, file_name, submitted_by, submitted_at FROM submissions "
                                 "WHERE status = 'current' ORDER BY id").fetchall():
                subs.setdefault(int(r[0]), []).append(r[1:])
    finally:
        con.close()
    if df.empty:
        print("No survey rounds in the database.")
        return 0
    for r in df.itertuples():
        kind = "synthetic demonstration data" if r.is_demo else "survey responses"
        day = geography.describe_day(pd.Timestamp(r.council_set_on).date())
        line = f"{r.year}: {r.respondents} of {r.councils} councils responded ({kind}; councils of {day})"
        if int(r.year) in withheld:
            line += "; councils' own answers withheld from the open data"
        current = subs.get(int(r.year), [])
        if current and not r.is_demo:  # a demo round's current submissions are all council updates
            file_name, who, when = current[0]
            line += f"; imported from {file_name} by {who} on {when:%d %b %Y %H:%M}"
        updates = current[1:] if current and not r.is_demo else current
        if updates:
            file_name, who, when = updates[-1]
            line += (f"; {len(updates)} council update{'s' if len(updates) != 1 else ''}, the latest from "
                     f"{file_name} by {who} on {when:%d %b %Y %H:%M}")
        _say(line)
    return 0


def cmd_reset_demo(args: argparse.Namespace) -> int:
    path = Path(args.db)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("reset-demo replaces every imported round with the demonstration data: pass --yes "
                           "to confirm")
        answer = input("This replaces every imported round with the demonstration data (a backup is kept). "
                       "Type RESET to go on: ")
        if answer.strip() != "RESET":
            raise CliError("not confirmed; nothing was changed")
    if not path.exists():
        return cmd_build(args)
    con = _open_for_writing(path)
    try:
        saved = build.reset_to_demo(con, upkeep.backup_dir(path), by=_who(args.by))
        con.execute("CHECKPOINT")
        _say(f"Saved the previous database as {saved}")
        _publish(con, path, "reset to the demonstration data", _who(args.by),
                 f"Reset {path} to the synthetic demonstration data")
    finally:
        con.close()
    return 0


def cmd_detail(args: argparse.Namespace) -> int:
    path = Path(args.db)
    published = args.policy == "open"
    con = _open_for_writing(path)
    try:
        try:
            changed = upkeep.set_published_detail(con, args.round, published, by=_who(args.by))
        except upkeep.PolicyRefused as exc:
            raise CliError(str(exc)) from None
        state = "open" if published else "withheld"
        if not changed:
            _say(f"Councils' own answers in the {args.round} round are already {state}; nothing was changed.")
            return 0
        _publish(con, path, f"councils' answers in the {args.round} round {state}", _who(args.by),
                 f"Councils' own answers in the {args.round} round are now {state} in the open data and the "
                 "API; its scores stay published")
    finally:
        con.close()
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    con = _open_for_writing(Path(args.db))
    try:
        _publish(con, Path(args.db), args.reason or "published from the command line", _who(args.by),
                 f"Published the working database {args.db}")
    finally:
        con.close()
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    path = Path(args.db)
    kept = schema.store(path).versions()
    cur = versions.current(path)
    if not kept:
        print(f"Nothing has been published from {path} yet: the first page view, read command or write publishes it.")
        return 0
    _say(f"Published versions of {path} (in {versions.folder_for(path)}), newest first:")
    for snap in reversed(kept):
        mark = "* " if cur is not None and snap.version == cur.version else "  "
        _say(f"{mark}{snap.version}: {snap.published_at:%d %b %Y %H:%M}, {snap.reason}, by {snap.by}; "
             f"{snap.rounds_text()}")
    _say("* the version the dashboard and the read commands show. `rollback --to N` publishes version N again.")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    path = Path(args.db)
    try:
        target = publish.rollback_target(path, args.to)  # refuse before taking the write lock
    except publish.RollbackRefused as exc:
        raise CliError(str(exc)) from None
    before = versions.current(path)
    con = _open_for_writing(path)
    try:
        saved = upkeep.backup(con, upkeep.backup_dir(path))
        try:
            restored, new = schema.store(path).rollback(con, target.version, _who(args.by))
        except publish.NotPublished as exc:
            raise CliError(f"{exc} The working database as it was is saved in {saved}.") from None
        except publish.PublishError as exc:
            raise CliError(f"the rollback could not be done: {exc}") from None
    finally:
        con.close()
    _say(f"Saved the working database as it was in {saved}")
    undo = f" `rollback --to {before.version}` undoes this." if before is not None else ""
    _say(f"Published version {restored.version} ({restored.reason}; {restored.rounds_text()}) again as "
         f"version {new.version}.{undo}")
    return 0


def cmd_admin_hash(args: argparse.Namespace) -> int:
    first = getpass.getpass("New administrator password: ")
    if len(first) < 12:
        raise CliError("use a password of at least 12 characters")
    second = getpass.getpass("Type it again: ")
    if first != second:
        raise CliError("the two passwords differ; nothing was made")
    encoded = passwords.hash_password(first)
    print(encoded)
    print(f"Put this in .streamlit/secrets.toml as {passwords.HASH_SECRET} = \"...\" or in the environment "
          f"variable {passwords.HASH_ENV}, then restart the dashboard.", file=sys.stderr)
    return 0


DEFAULT_BASE_URL = "http://localhost:8501"


def _collection(func):
    """Run a collection step: a refusal is exit status 1 with its message, a busy file exit 2."""
    def run(args: argparse.Namespace) -> int:
        if not Path(args.db).exists():
            raise CliError(f"no database at {args.db}: run `uv run python -m lib.cli build` first")
        try:
            return int(func(args))
        except collection.CollectionBusy as exc:
            raise CliError(str(exc)) from None
        except collection.CollectionError as exc:
            _say(f"error: {exc}", sys.stderr)
            return 1
    return run


def _round_text(r: collection.CollectionRound) -> str:
    closes = geography.describe_day(r.closes_on) if r.closes_on else "no closing date"
    extra = f", published {'provisionally ' if r.provisional else ''}{r.published_at:%d %b %Y %H:%M}" if r.published_at else ""
    return (f"Round {r.year}: {r.status}, councils of {geography.describe_day(r.council_set_on)}, "
            f"{len(r.questions)} questions, {closes}{extra}")


@_collection
def cmd_collection_open(args: argparse.Namespace) -> int:
    questions = [q.strip() for q in args.questions.split(",") if q.strip()] if args.questions else None
    r = collection.open_round(Path(args.db), args.round, council_set_on=args.council_set_on, closes_on=args.closes,
                              questions=questions, by=_who(args.by))
    _say(f"Opened. {_round_text(r)}")
    return 0


@_collection
def cmd_collection_invite(args: argparse.Namespace) -> int:
    path = Path(args.db)
    if args.all:
        if args.council or args.contact_name or args.contact_email:
            raise CliError("--all invites every council not yet invited: give it without --council or contacts")
        if not args.out:
            raise CliError("--all writes the mail-merge CSV: give --out FILE.csv")
        out = _out_path(args.out, path)
        made = collection.invite_all(path, args.round, by=_who(args.by))
        _write_out(out, collection.mail_merge_csv(made, args.base_url))
        _say(f"Invited {len(made)} councils; their links are in {out} (shown only there: keep it safe).")
        return 0
    if not args.council:
        raise CliError("give --council CODE_OR_NAME, or --all --out FILE.csv")
    inv = collection.invite(path, args.round, args.council, contact_name=args.contact_name,
                            contact_email=args.contact_email, by=_who(args.by))
    assert inv.token is not None  # just issued
    _say(f"{inv.council_name} ({inv.council_code})")
    _say(collection.respond_link(args.base_url, inv.token))
    _say("This link is shown only once; an earlier link of this council no longer works.", sys.stderr)
    return 0


@_collection
def cmd_collection_revoke(args: argparse.Namespace) -> int:
    collection.revoke(Path(args.db), args.round, args.council, by=_who(args.by))
    _say(f"Revoked the link of {args.council.strip().upper()} in the {args.round} round.")
    return 0


@_collection
def cmd_collection_tracker(args: argparse.Namespace) -> int:
    table = collection.tracker(Path(args.db), args.round)
    sys.stdout.write(_safe(collection.tracker_csv(table).decode("utf-8")))
    return 0


@_collection
def cmd_collection_close(args: argparse.Namespace) -> int:
    r = collection.close_round(Path(args.db), args.round, by=_who(args.by))
    _say(f"Closed. {_round_text(r)}")
    return 0


@_collection
def cmd_collection_reopen(args: argparse.Namespace) -> int:
    r = collection.reopen_round(Path(args.db), args.round, by=_who(args.by))
    _say(f"Reopened. {_round_text(r)}")
    return 0


@_collection
def cmd_collection_publish(args: argparse.Namespace) -> int:
    _say(collection.publish_round(Path(args.db), args.round, provisional=args.provisional, by=_who(args.by)))
    return 0


@_collection
def cmd_collection_archive(args: argparse.Namespace) -> int:
    collection.archive_round(Path(args.db), args.round, by=_who(args.by))
    _say(f"Archived the {args.round} round: contact details and links deleted.")
    return 0


@_collection
def cmd_collection_rounds(args: argparse.Namespace) -> int:
    rounds = collection.list_rounds(Path(args.db))
    if not rounds:
        _say("No round is being collected.")
    for r in rounds:
        _say(_round_text(r))
    return 0


def _collection_parser(sub) -> None:
    p = sub.add_parser("collection", help="run a survey round in the tool (open, invite, tracker, close, publish)")
    steps = p.add_subparsers(dest="step", required=True)

    def step(name: str, help_text: str, func, round_required: bool = True) -> argparse.ArgumentParser:
        q = steps.add_parser(name, help=help_text)
        if round_required:
            q.add_argument("--round", type=round_year, required=True, help="survey year, e.g. 2027")
        q.add_argument("--by", help="who, for the audit (default: your user name)")
        q.set_defaults(func=func)
        return q

    q = step("open", "open a round for collection", cmd_collection_open)
    q.add_argument("--council-set-on", type=_day, default=None, metavar="YYYY-MM-DD",
                   help="the round's councils are those valid on this day (default 1 April of its year)")
    q.add_argument("--closes", type=_day, default=None, metavar="YYYY-MM-DD", help="closing date")
    q.add_argument("--questions", default=None, metavar="ID,ID,...",
                   help="the question ids to ask (default: every question of the bank asked that year)")
    q = step("invite", "issue a council's private link (or every council's, --all)", cmd_collection_invite)
    q.add_argument("--council", help="ONS code or name")
    q.add_argument("--contact-name")
    q.add_argument("--contact-email")
    q.add_argument("--all", action="store_true", help="invite every council not yet invited")
    q.add_argument("--out", help="with --all: the mail-merge CSV to write")
    q.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"the dashboard's address (default {DEFAULT_BASE_URL})")
    q = step("revoke", "stop a council's link working", cmd_collection_revoke)
    q.add_argument("--council", required=True, help="ONS code")
    step("tracker", "CSV of every council's progress", cmd_collection_tracker)
    step("close", "stop edits", cmd_collection_close)
    step("reopen", "allow edits again (unless published as final)", cmd_collection_reopen)
    q = step("publish", "publish the submitted answers as the round's responses", cmd_collection_publish)
    q.add_argument("--provisional", action="store_true", help="publish while collecting; publish again later")
    step("archive", "delete contact details and links after the final publication", cmd_collection_archive)
    step("rounds", "list the rounds being collected", cmd_collection_rounds, round_required=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: data/pa_benchmark.duckdb or $PA_BENCHMARK_DB)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="create or rebuild the database from the repo's files")
    p.add_argument("--force", action="store_true",
                   help="rebuild even if the database holds imported rounds (a backup is kept first)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("refresh", help="reload standards, questions, rules and reference data; keep every round")
    p.add_argument("--by", help="who is refreshing, for the audit log")
    p.set_defaults(func=cmd_refresh)
    p = sub.add_parser("scores", help="CSV of one round's overall and standard scores (the API's scores)")
    p.add_argument("--round", type=round_year, required=True, help="survey year, e.g. 2015")
    p.add_argument("--level", choices=["overall", "standard"], help="only overall or only standard rows")
    p.add_argument("--council", help="only these councils: ONS codes separated by commas")
    p.add_argument("--region", help="only this region (ONS region code)")
    p.add_argument("--type", help="only this council type, e.g. unitary")
    p.set_defaults(func=cmd_scores)
    p = sub.add_parser("export", help="write a table or view to a file")
    p.add_argument("table")
    p.add_argument("--format", choices=["csv", "parquet"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--working", action="store_true",
                   help="read the working database (e.g. the latest audit log) instead of the published version")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("import", help="load a round of answers from a file (all or nothing)")
    p.add_argument("file", help="CSV, XLSX or Parquet file, wide or long format")
    p.add_argument("--round", type=round_year, required=True, help="survey year the answers are for, e.g. 2016")
    p.add_argument("--replace", action="store_true",
                   help="replace the round if it already holds answers (they are archived)")
    p.add_argument("--council-update", action="store_true",
                   help="replace only the one council's answers in the file, in a round already loaded; every "
                        "other council's answers stay (the file must hold exactly one council; its answers "
                        "held now are archived)")
    p.add_argument("--by", help="who is loading it, for the audit log (default: your user name)")
    p.add_argument("--council-set-on", type=_day, default=None, metavar="YYYY-MM-DD",
                   help="a new round's council-set day: its councils are those valid then (default 1 April "
                        "of the round's year; a round that exists keeps its own)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("validate", help="check a file of answers without writing anything")
    p.add_argument("file")
    p.add_argument("--round", type=round_year, default=None,
                   help="survey year (default: the file's round column)")
    p.add_argument("--council-update", action="store_true",
                   help="check the file as a council update (one council's answers in a round already loaded) "
                        "and preview that council's scores before and after")
    p.add_argument("--council-set-on", type=_day, default=None, metavar="YYYY-MM-DD",
                   help="a new round's council-set day: its councils are those valid then (default 1 April "
                        "of the round's year; a round that exists keeps its own)")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("template", help="write the answer template for a round")
    p.add_argument("--format", choices=["csv", "xlsx"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--round", type=round_year, default=None, help="survey year (default: this year)")
    p.set_defaults(func=cmd_template)
    sub.add_parser("rounds", help="list the survey rounds").set_defaults(func=cmd_rounds)
    p = sub.add_parser("councils", help="CSV of the councils valid on a day")
    p.add_argument("--on", type=_day, default=None, help="the day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_councils)
    p = sub.add_parser("reset-demo", help="back up, then rebuild with the demonstration data")
    p.add_argument("--yes", action="store_true", help="confirm without being asked")
    p.add_argument("--by", help="who is resetting, for the audit log")
    p.set_defaults(func=cmd_reset_demo)
    p = sub.add_parser("detail", help="open or withhold councils' own answers of a round in the open data")
    p.add_argument("policy", choices=["open", "withhold"],
                   help="open: councils' answers may be downloaded and fetched; withhold: scores only")
    p.add_argument("--round", type=round_year, required=True, help="survey year, e.g. 2016")
    p.add_argument("--by", help="who decided, for the audit log (default: your user name)")
    p.set_defaults(func=cmd_detail)
    p = sub.add_parser("publish", help="publish the working database as a new version")
    p.add_argument("--reason", help="why, for the list of versions")
    p.add_argument("--by", help="who is publishing (default: your user name)")
    p.set_defaults(func=cmd_publish)
    sub.add_parser("versions", help="list the published versions kept").set_defaults(func=cmd_versions)
    p = sub.add_parser("rollback", help="publish an earlier version again")
    p.add_argument("--to", type=version_number, default=None,
                   help="the version number to go back to (see `versions`; default: the one before the current one)")
    p.add_argument("--by", help="who is rolling back, for the audit log (default: your user name)")
    p.set_defaults(func=cmd_rollback)
    sub.add_parser("admin-hash", help="make the administrator password hash").set_defaults(func=cmd_admin_hash)
    _collection_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is None:
        args.db = default_db_path()
    try:
        return args.func(args)
    except CliError as exc:
        _say(f"error: {exc}", sys.stderr)
        return 2
    except FileTooLarge as exc:
        _say(str(exc), sys.stderr)
        return 1
    except StorageError as exc:
        _say(f"error: {exc}", sys.stderr)
        return 2
    except duckdb.Error as exc:
        problem = storage_problem(exc)
        _say(f"error: the database {args.db} could not be used: {problem or exc}. Nothing was changed.",
             sys.stderr)
        return 2
    except OSError as exc:
        problem = storage_problem(exc)
        _say(f"error: {problem or exc}", sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
