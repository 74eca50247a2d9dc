"""Command line: `uv run python -m lib.cli COMMAND`.

build    create or rebuild the database from the repository's own files
scores   CSV of every council's standard scores for a round, to standard output
export   write a table or view to CSV or Parquet
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib import db, exports, scoring
from lib.build import build_database
from lib.paths import default_db_path
from lib.standards import StandardsConfigError


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def _open(path: Path, read_only: bool = True):
    if not path.exists():
        raise CliError(f"no database at {path}: run `uv run python -m lib.cli build` first")
    return db.connect(path, read_only=read_only)


def cmd_build(args: argparse.Namespace) -> int:
    try:
        report = build_database(args.db)
    except StandardsConfigError as exc:
        raise CliError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise CliError(f"a reference file is missing: {exc.filename}") from exc
    print("\n".join(report.lines()))
    return 0


def cmd_scores(args: argparse.Namespace) -> int:
    con = _open(args.db)
    try:
        years = scoring.rounds(con)["year"].tolist()
        if args.round not in years:
            known = ", ".join(str(y) for y in sorted(years)) or "none"
            raise CliError(f"no survey round {args.round} in the database (rounds: {known})")
        is_demo = bool(con.execute("SELECT is_demo FROM survey_rounds WHERE year = ?", [args.round]).fetchone()[0])
        df = exports.label_demo(scoring.scores_for_export(con, args.round), is_demo)
    finally:
        con.close()
    sys.stdout.write(exports.neutralise_formulas(df).to_csv(index=False))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    con = _open(args.db)
    try:
        allowed = set(db.table_names(con)) | set(db.view_names(con))
        if args.table not in allowed:
            raise CliError(f"unknown table or view '{args.table}'. Choose from: {', '.join(sorted(allowed))}")
        df = con.execute(f'SELECT * FROM "{args.table}"').df()  # noqa: S608 - name checked above
        df = exports.label_demo(df, exports.demo_loaded(con))
    finally:
        con.close()
    out = Path(args.out)
    if not out.parent.exists():
        raise CliError(f"folder {out.parent} does not exist")
    data = exports.to_csv_bytes(df) if args.format == "csv" else exports.to_parquet_bytes(df)
    out.write_bytes(data)
    print(f"Wrote {len(df)} rows of {args.table} to {out} ({args.format})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: data/pa_benchmark.duckdb or $PA_BENCHMARK_DB)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="create or rebuild the database from the repo's files").set_defaults(func=cmd_build)
    p = sub.add_parser("scores", help="CSV of standard scores for one round")
    p.add_argument("--round", type=int, required=True, help="survey year, e.g. 2015")
    p.set_defaults(func=cmd_scores)
    p = sub.add_parser("export", help="write a table or view to a file")
    p.add_argument("table")
    p.add_argument("--format", choices=["csv", "parquet"], required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is None:
        args.db = default_db_path()
    try:
        return args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
