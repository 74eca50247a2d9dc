"""Survey rounds being collected: open, close, reopen, archive; read them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import sqlalchemy as sa

from lib import ingest
from lib.collection import store, tables
from lib.collection.errors import CollectionError
from lib.reference import geography


@dataclass(frozen=True)
class CollectionRound:
    year: int
    council_set_on: date
    closes_on: date | None
    status: str  # 'collecting' | 'closed' | 'published' | 'archived'
    questions: tuple[str, ...]
    opened_at: datetime
    published_at: datetime | None
    provisional: bool

    @property
    def editable(self) -> bool:
        """Respondents may change answers: collecting, and the closing date not passed."""
        return self.status == "collecting" and (self.closes_on is None or self.closes_on >= date.today())


_R = tables.rounds
_COLUMNS = (_R.c.year, _R.c.council_set_on, _R.c.closes_on, _R.c.status, _R.c.questions, _R.c.opened_at,
            _R.c.published_at, _R.c.provisional)


def _round(row: tuple) -> CollectionRound:
    year, day, closes, status, questions, opened, published_at, provisional = row
    return CollectionRound(int(year), day, closes, str(status), tuple(questions or ()), opened, published_at,
                           bool(provisional))


def read_round(con: sa.Connection, year: int, *, lock: bool = False) -> CollectionRound | None:
    """The round of `year`; with `lock`, its row stays locked to this transaction (PostgreSQL;
    SQLite's write transactions hold the whole database already), so changes to one round queue."""
    query = sa.select(*_COLUMNS).where(_R.c.year == int(year))
    row = con.execute(query.with_for_update() if lock else query).first()
    return _round(tuple(row)) if row is not None else None


def need_round(con: sa.Connection, year: int, *, lock: bool = False) -> CollectionRound:
    found = read_round(con, year, lock=lock)
    if found is None:
        raise CollectionError(f"no {year} round is being collected: open it first "
                              f"(`collection open --round {year}`)")
    return found


def question_bank(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """The questions a round can ask, in the bank's order: (id, topic, first year asked)."""
    rows = con.execute("SELECT id, topic, asked_from FROM questions ORDER BY position").fetchall()
    return [(str(q), str(topic), int(asked)) for q, topic, asked in rows]


def open_round(working: Path, year: int, *, council_set_on: date | None = None, closes_on: date | None = None,
               questions: list[str] | None = None, by: str = "unknown") -> CollectionRound:
    """Open a round for collection.

    The questions default to every question asked that year (asked_from <= year). A round the
    working database holds already keeps its council-set day; a new one gets `council_set_on`
    (default 1 April of its year). Refused: a year outside the survey years, a year already
    published (imported, or collected and published final) or already being collected, a
    closing date in the past, unknown question ids or ones not asked that year (named).
    A synthetic demonstration round may be collected again: publication replaces it.
    """
    year = int(year)
    if not ingest.EARLIEST_YEAR <= year <= ingest.LATEST_YEAR:
        raise CollectionError(f"{year} is outside the survey years {ingest.EARLIEST_YEAR} to {ingest.LATEST_YEAR}")
    if closes_on is not None and closes_on < date.today():
        raise CollectionError(f"the closing date {geography.describe_day(closes_on)} is in the past: give a day "
                              "from today on")
    ref = store.reference(working)
    asked = ref.questions[ref.questions["asked_from"] <= year]
    if questions is None:
        chosen = list(asked.sort_values(["position", "id"])["id"])
    else:
        chosen = list(dict.fromkeys(str(q).strip() for q in questions))
        unknown = [q for q in chosen if q not in set(ref.questions["id"])]
        if unknown:
            raise CollectionError("unknown question ids: " + ", ".join(unknown) + ". See standards/questions.toml.")
        late = [q for q in chosen if q not in set(asked["id"])]
        if late:
            raise CollectionError(f"not asked in {year} (asked_from is later): " + ", ".join(late))
    if not chosen:
        raise CollectionError(f"no questions to ask in {year}")
    existing = ref.rounds[ref.rounds["year"] == year]
    if not existing.empty:
        stored_day = existing.iloc[0]["council_set_on"]
        stored_day = stored_day.date() if hasattr(stored_day, "date") else stored_day
        if council_set_on is not None and council_set_on != stored_day:
            raise CollectionError(f"the {year} round already uses the councils of {geography.describe_day(stored_day)};"
                                  " a round keeps its council set")
        day = stored_day
    else:
        day = council_set_on or geography.default_council_set_on(year)
    if store.members(ref, day).empty:
        raise CollectionError(f"no councils were valid on {geography.describe_day(day)}")
    with store.transaction(working) as con:
        found = read_round(con, year, lock=True)
        if found is not None:
            if found.status in ("published", "archived"):
                raise CollectionError(f"the {year} round was collected and published as final on "
                                      f"{found.published_at:%d %B %Y}; it cannot be opened again")
            raise CollectionError(f"the {year} round is already open for collection ({found.status})"
                                  + ("; `collection reopen` opens it for edits again" if found.status == "closed" else ""))
        if not existing.empty and not bool(existing.iloc[0]["is_demo"]):
            raise CollectionError(f"the {year} round is already published in the working database (imported); "
                                  "it cannot be collected again")
        opened = store.now()
        con.execute(_R.insert().values(year=year, council_set_on=day, closes_on=closes_on, status="collecting",
                                       questions=chosen, opened_at=opened, opened_by=store.who(by),
                                       published_at=None, provisional=False))
        store.event(con, year, None, "round opened",
                    f"Round {year} opened for collection: councils of {geography.describe_day(day)}, "
                    f"{len(chosen)} questions, closing "
                    + (geography.describe_day(closes_on) if closes_on else "when closed") + ".", store.who(by))
        made = read_round(con, year)
    assert made is not None
    return made


def get_round(working: Path, year: int) -> CollectionRound | None:
    with store.reading(working) as con:
        return read_round(con, year)


def list_rounds(working: Path) -> list[CollectionRound]:
    with store.reading(working) as con:
        rows = con.execute(sa.select(*_COLUMNS).order_by(_R.c.year)).fetchall()
    return [_round(tuple(r)) for r in rows]


def close_round(working: Path, year: int, by: str = "unknown") -> CollectionRound:
    """Stop edits: links still open, read-only. Closing a closed round changes nothing."""
    with store.transaction(working) as con:
        found = need_round(con, year, lock=True)
        if found.status in ("published", "archived"):
            raise CollectionError(f"the {year} round is already published as final")
        if found.status == "collecting":
            con.execute(_R.update().where(_R.c.year == year).values(status="closed"))
            store.event(con, year, None, "round closed", f"Round {year} closed: no more edits.", store.who(by))
        out = read_round(con, year)
    assert out is not None
    return out


def reopen_round(working: Path, year: int, by: str = "unknown") -> CollectionRound:
    """Allow edits again, unless the round was published as final."""
    with store.transaction(working) as con:
        found = need_round(con, year, lock=True)
        if found.status in ("published", "archived"):
            raise CollectionError(f"the {year} round was published as final; it cannot be reopened")
        if found.closes_on is not None and found.closes_on < date.today():
            raise CollectionError(f"the {year} round's closing date "
                                  f"{geography.describe_day(found.closes_on)} has passed")
        if found.status == "closed":
            con.execute(_R.update().where(_R.c.year == year).values(status="collecting"))
            store.event(con, year, None, "round reopened", f"Round {year} reopened for edits.", store.who(by))
        out = read_round(con, year)
    assert out is not None
    return out


def archive_round(working: Path, year: int, by: str = "unknown") -> None:
    """After the final publication: delete every contact's name and e-mail and every token hash."""
    with store.transaction(working) as con:
        found = need_round(con, year, lock=True)
        if found.status != "published":
            raise CollectionError(f"the {year} round is {found.status}: only a round published as final can be "
                                  "archived")
        inv = tables.invitations
        con.execute(inv.update().where(inv.c.year == year).values(contact_name=None, contact_email=None,
                                                                  token_hash=None))
        con.execute(_R.update().where(_R.c.year == year).values(status="archived"))
        store.event(con, year, None, "round archived",
                    f"Round {year} archived: contact details and links deleted.", store.who(by))
