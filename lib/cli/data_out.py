"""Commands that read data out: scores, export, template, councils and rounds. They read the
published version (export --working reads the working database). Each command's arguments are
added by the add_* function beside it."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from lib.base import exports
from lib.base.paths import default_db_path
from lib.cli.shared import (
    CliError,
    _day,
    _open,
    _open_working_read_only,
    _out_path,
    _say,
    _write_out,
    round_year,
)
from lib.ingest import template
from lib.reference import geography
from lib.reference.build import ensure_database
from lib.reports import opendata
from lib.scoring import views as scoring
from lib.store import db


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


def add_scores(sub) -> None:
    p = sub.add_parser("scores", help="CSV of one round's overall and standard scores (the API's scores)")
    p.add_argument("--round", type=round_year, required=True, help="survey year, e.g. 2015")
    p.add_argument("--level", choices=["overall", "standard"], help="only overall or only standard rows")
    p.add_argument("--council", help="only these councils: ONS codes separated by commas")
    p.add_argument("--region", help="only this region (ONS region code)")
    p.add_argument("--type", help="only this council type, e.g. unitary")
    p.set_defaults(func=cmd_scores)


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


def add_export(sub) -> None:
    p = sub.add_parser("export", help="write a table or view to a file")
    p.add_argument("table")
    p.add_argument("--format", choices=["csv", "parquet"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--working", action="store_true",
                   help="read the working database (e.g. the latest audit log) instead of the published version")
    p.set_defaults(func=cmd_export)


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


def add_template(sub) -> None:
    p = sub.add_parser("template", help="write the answer template for a round")
    p.add_argument("--format", choices=["csv", "xlsx"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--round", type=round_year, default=None, help="survey year (default: this year)")
    p.set_defaults(func=cmd_template)


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


def add_councils(sub) -> None:
    p = sub.add_parser("councils", help="CSV of the councils valid on a day")
    p.add_argument("--on", type=_day, default=None, help="the day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_councils)


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


def add_rounds(sub) -> None:
    sub.add_parser("rounds", help="list the survey rounds").set_defaults(func=cmd_rounds)
