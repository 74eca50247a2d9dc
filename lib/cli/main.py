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
            (kept in `<name>.collection.sqlite` beside the database, or $PA_COLLECTION_URL; never published)

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
import sys
from pathlib import Path

import duckdb

from lib.base.paths import default_db_path
from lib.cli import admin, collection_steps, data_in, data_out, database
from lib.cli.data_in import FileTooLarge
from lib.cli.shared import CliError, _say
from lib.store.errors import StorageError, storage_problem

#: The commands in the order `--help` lists them; each group's module adds its own.
COMMANDS = (
    database.add_build, database.add_refresh, data_out.add_scores, data_out.add_export,
    data_in.add_import, data_in.add_validate, data_out.add_template, data_out.add_rounds,
    data_out.add_councils, database.add_reset_demo, database.add_detail, database.add_publish,
    database.add_versions, database.add_rollback, admin.add_admin_hash, collection_steps.add_collection,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: data/pa_benchmark.duckdb or $PA_BENCHMARK_DB)")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
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
