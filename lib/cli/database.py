"""Commands that look after the database: build, refresh, reset-demo, detail, publish, versions
and rollback. Each command's arguments are added by the add_* function beside it."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from lib.cli.shared import (
    CliError,
    DatabaseInUse,
    FileFromAnotherApp,
    _open_for_writing,
    _publish,
    _safe,
    _say,
    _who,
    round_year,
)
from lib.reference import build, schema
from lib.reference.build import RefreshRefused, build_database, imported_data, refresh_database
from lib.scoring.config import StandardsConfigError
from lib.store import publish, upkeep, versions
from lib.store.errors import storage_problem


def version_number(text: str) -> int:
    """argparse type for --to: a published version number (ASCII digits)."""
    value = str(text).strip()
    if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{_safe(value)!r} is not a version number: see `versions` for them")
    return int(value)


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
        except DatabaseInUse:
            raise  # even with --force: the other program may be writing to it
        except CliError as exc:
            if not args.force:
                if isinstance(exc, FileFromAnotherApp):
                    raise  # only the app that wrote it can read it: no offer of --force
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


def add_build(sub) -> None:
    p = sub.add_parser("build", help="create or rebuild the database from the repo's files")
    p.add_argument("--force", action="store_true",
                   help="rebuild even if the database holds imported rounds (a backup is kept first)")
    p.set_defaults(func=cmd_build)


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


def add_refresh(sub) -> None:
    p = sub.add_parser("refresh", help="reload standards, questions, rules and reference data; keep every round")
    p.add_argument("--by", help="who is refreshing, for the audit log")
    p.set_defaults(func=cmd_refresh)


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


def add_reset_demo(sub) -> None:
    p = sub.add_parser("reset-demo", help="back up, then rebuild with the demonstration data")
    p.add_argument("--yes", action="store_true", help="confirm without being asked")
    p.add_argument("--by", help="who is resetting, for the audit log")
    p.set_defaults(func=cmd_reset_demo)


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


def add_detail(sub) -> None:
    p = sub.add_parser("detail", help="open or withhold councils' own answers of a round in the open data")
    p.add_argument("policy", choices=["open", "withhold"],
                   help="open: councils' answers may be downloaded and fetched; withhold: scores only")
    p.add_argument("--round", type=round_year, required=True, help="survey year, e.g. 2016")
    p.add_argument("--by", help="who decided, for the audit log (default: your user name)")
    p.set_defaults(func=cmd_detail)


def cmd_publish(args: argparse.Namespace) -> int:
    con = _open_for_writing(Path(args.db))
    try:
        _publish(con, Path(args.db), args.reason or "published from the command line", _who(args.by),
                 f"Published the working database {args.db}")
    finally:
        con.close()
    return 0


def add_publish(sub) -> None:
    p = sub.add_parser("publish", help="publish the working database as a new version")
    p.add_argument("--reason", help="why, for the list of versions")
    p.add_argument("--by", help="who is publishing (default: your user name)")
    p.set_defaults(func=cmd_publish)


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


def add_versions(sub) -> None:
    sub.add_parser("versions", help="list the published versions kept").set_defaults(func=cmd_versions)


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


def add_rollback(sub) -> None:
    p = sub.add_parser("rollback", help="publish an earlier version again")
    p.add_argument("--to", type=version_number, default=None,
                   help="the version number to go back to (see `versions`; default: the one before the current one)")
    p.add_argument("--by", help="who is rolling back, for the audit log (default: your user name)")
    p.set_defaults(func=cmd_rollback)
