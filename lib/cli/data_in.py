"""Commands that take a file of answers in: validate (check and preview, writes nothing) and
import (all or nothing, then publish), each also as a one-council update. Each command's
arguments are added by the add_* function beside it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib import ingest
from lib.base.formatting import format_score
from lib.cli.shared import (
    CliError,
    _day,
    _open,
    _open_for_writing,
    _publish,
    _say,
    _who,
    round_year,
)
from lib.store.errors import StorageError


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


def add_validate(sub) -> None:
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


def add_import(sub) -> None:
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
