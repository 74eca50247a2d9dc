"""Administrators' sign-ins that outlast one browser session: a reload, a new tab, or the next
request landing on another replica.

The Data management page checks the password (lib.web.auth), then issues a one-time *ticket*
that the page's browser exchanges at once, through POST /auth/keep (lib.web.sign_in_routes), for a
*session* token set as an HttpOnly cookie. Every later page run finds the cookie and asks
`account_for`. Tokens hold 256 random bits; only their sha256 is stored, in the collection
database, which every replica shares. Signing out deletes the session, so a copied cookie stops
working too.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import sqlalchemy as sa

from lib.collection import store, tables

#: A ticket is exchanged by the page's own browser within moments of signing in.
TICKET_SECONDS = 60.0
#: A sign-in lasts a working day, then the password is asked for again.
SESSION_SECONDS = 8 * 3600.0

_S = tables.sign_ins


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _forget_expired(con: sa.Connection, now: float) -> None:
    con.execute(_S.delete().where(_S.c.expires_at < now))


def issue_ticket(working: Path, account: str, now: float) -> str:
    """A one-time ticket for `account`, to be exchanged within TICKET_SECONDS."""
    ticket = secrets.token_urlsafe(32)
    with store.transaction(working, rounds=False) as con:
        _forget_expired(con, now)
        con.execute(_S.insert().values(token_hash=_hash(ticket), kind="ticket", account=account[:200],
                                       expires_at=now + TICKET_SECONDS))
    return ticket


def redeem(working: Path, ticket: str, now: float) -> str | None:
    """Exchange a ticket (once) for a session token; None for an unknown, used or expired one."""
    if not ticket or len(ticket) > 100:
        return None
    with store.transaction(working, rounds=False) as con:
        row = con.execute(sa.select(_S.c.account, _S.c.expires_at).where(
            _S.c.token_hash == _hash(ticket), _S.c.kind == "ticket").with_for_update()).first()
        if row is None:
            return None
        con.execute(_S.delete().where(_S.c.token_hash == _hash(ticket)))
        account, expires_at = row
        if expires_at < now:
            return None
        token = secrets.token_urlsafe(32)
        con.execute(_S.insert().values(token_hash=_hash(token), kind="session", account=account,
                                       expires_at=now + SESSION_SECONDS))
    return token


def account_for(working: Path, token: str | None, now: float) -> str | None:
    """The account a session token signs in, or None (no token, unknown, signed out or expired)."""
    if not token or len(token) > 100:
        return None
    with store.reading(working, rounds=False) as con:
        row = con.execute(sa.select(_S.c.account, _S.c.expires_at).where(
            _S.c.token_hash == _hash(token), _S.c.kind == "session")).first()
    return str(row[0]) if row is not None and row[1] >= now else None


def end(working: Path, token: str | None) -> None:
    """Sign out: the session token stops working, wherever a copy of it is."""
    if not token:
        return
    with store.transaction(working, rounds=False) as con:
        con.execute(_S.delete().where(_S.c.token_hash == _hash(token)))
