"""Failed administrator sign-ins, counted in the collection database so that every server process
of a deployment (replicas behind a load balancer) sees the same count and the same delay.

lib.web.auth decides what a count means (the delay before the next attempt); this module only
keeps the counts: each failure is a row of `failures` (kind SIGN_IN, the account as `client`),
and a successful sign-in deletes them. Rows older than KEEP_SECONDS are deleted as new ones
arrive, so a forgotten count does not grow for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lib.collection import store, tables

SIGN_IN = "sign-in"
#: Longer than the longest delay lib.web.auth imposes, so a delay is never forgotten early.
KEEP_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Count:
    """Failures in a row and the time (seconds since the epoch) of the latest."""

    failures: int = 0
    last: float = 0.0


def _count(con: sa.Connection, account: str | None) -> Count:
    f = tables.failures
    query = sa.select(sa.func.count(), sa.func.max(f.c.failed_at)).where(f.c.kind == SIGN_IN)
    if account is not None:
        query = query.where(f.c.client == account)
    n, last = con.execute(query).one()
    return Count(int(n), float(last or 0.0))


def sign_in_counts(working: Path, account: str) -> tuple[Count, Count]:
    """(this account's failures, every account's) since the last successful sign-in."""
    with store.reading(working, rounds=False) as con:
        return _count(con, account.casefold()[:200]), _count(con, None)


def sign_in_failed(working: Path, account: str, now: float) -> tuple[Count, Count]:
    """Count one failure; the counts after it."""
    f = tables.failures
    with store.transaction(working, rounds=False) as con:
        con.execute(f.delete().where(f.c.kind == SIGN_IN, f.c.failed_at < now - KEEP_SECONDS))
        con.execute(f.insert().values(kind=SIGN_IN, client=account.casefold()[:200], failed_at=now))
        return _count(con, account.casefold()[:200]), _count(con, None)


def sign_in_succeeded(working: Path) -> None:
    """A successful sign-in clears every count (as the delay is per account and for everyone)."""
    f = tables.failures
    with store.transaction(working, rounds=False) as con:
        con.execute(f.delete().where(f.c.kind == SIGN_IN))
