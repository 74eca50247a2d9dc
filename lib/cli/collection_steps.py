"""`collection ...`: running a survey round in the tool, one subcommand per step (open, invite,
revoke, tracker, close, reopen, publish, archive, rounds, migrate). Their data is kept in the
collection database: `<name>.collection.sqlite` beside the database, or $PA_COLLECTION_URL
(lib.collection.database)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib import collection
from lib.cli.shared import CliError, _day, _out_path, _safe, _say, _who, _write_out, round_year
from lib.collection import legacy
from lib.reference import geography

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


@_collection
def cmd_collection_migrate(args: argparse.Namespace) -> int:
    old = Path(args.source)
    _say(legacy.migrate_from(Path(args.db), old, by=_who(args.by)).message(old))
    return 0


def add_collection(sub) -> None:
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
    q = step("migrate", "move the rounds an earlier release kept in a DuckDB file into the collection database",
             cmd_collection_migrate, round_required=False)
    q.add_argument("--from", dest="source", required=True, metavar="OLD.collection.duckdb",
                   help="the earlier release's collection file (left as it is)")
