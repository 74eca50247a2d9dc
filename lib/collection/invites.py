"""Invitations (private links), and turning a link's token back into a respondent's session.

A token is `secrets.token_urlsafe(32)` (256 bits), shown once when issued; only its sha256 is
stored. The events name the invitation's id, never the token or its hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lib.base import exports
from lib.collection import store, tables
from lib.collection.errors import BadToken, CollectionError
from lib.collection.rounds import CollectionRound, need_round, read_round
from lib.ingest import CouncilMatcher, _unsafe


@dataclass(frozen=True)
class Invitation:
    id: int
    year: int
    council_code: str
    council_name: str
    contact_name: str | None
    contact_email: str | None
    token: str | None  # set only when just issued (shown once)
    status: str  # 'invited' | 'revoked'


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """256 bits from the operating system's secure source."""
    return secrets.token_urlsafe(32)


_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+")


def _contact(name: str | None, email: str | None) -> tuple[str | None, str | None]:
    name = (name or "").strip() or None
    email = (email or "").strip() or None
    if name is not None:
        if len(name) > 200:
            raise CollectionError("the contact's name is longer than 200 characters")
        if any(ord(c) < 32 for c in name) or _unsafe(name):
            raise CollectionError(f"the contact's name cannot be stored: {_unsafe(name) or 'control characters'}")
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise CollectionError(f"{email!r} does not look like an e-mail address (name@example.org)")
    return name, email


def _need_collecting(found: CollectionRound) -> None:
    if found.status != "collecting":
        raise CollectionError(f"the {found.year} round is {found.status}: invitations can only be issued while "
                              "it is collecting")


_I = tables.invitations


def _issue(con: sa.Connection, year: int, code: str, name: str, contact_name: str | None,
           contact_email: str | None, by: str) -> Invitation:
    token = new_token()
    digest = token_hash(token)
    when = store.now()
    row = con.execute(sa.select(_I.c.id, _I.c.contact_name, _I.c.contact_email)
                      .where(_I.c.year == year, _I.c.council_code == code)).first()
    if row is not None:
        inv_id, old_name, old_email = row
        contact_name = contact_name if contact_name is not None else old_name
        contact_email = contact_email if contact_email is not None else old_email
        con.execute(_I.update().where(_I.c.id == inv_id).values(
            token_hash=digest, issue=_I.c.issue + 1, status="invited", issued_at=when, contact_name=contact_name,
            contact_email=contact_email))
        store.event(con, year, int(inv_id), "reissued",
                    f"New link issued for {name} ({code}); the previous link no longer works.", by)
    else:
        made = con.execute(_I.insert().values(
            year=year, council_code=code, council_name=name, contact_name=contact_name, contact_email=contact_email,
            token_hash=digest, issue=1, status="invited", issued_at=when))
        assert made.inserted_primary_key is not None
        inv_id = made.inserted_primary_key[0]
        store.event(con, year, int(inv_id), "invited", f"Link issued for {name} ({code}).", by)
    return Invitation(int(inv_id), year, code, name, contact_name, contact_email, token, "invited")


def invite(working: Path, year: int, council: str, *, contact_name: str | None = None,
           contact_email: str | None = None, by: str = "unknown") -> Invitation:
    """Issue a council's private link (its ONS code or name, matched in the round's council set,
    never guessed). Issuing again for the same council reissues: the old link stops working and
    the draft stays. Contact details given replace the stored ones; None keeps them."""
    contact_name, contact_email = _contact(contact_name, contact_email)
    with store.reading(working) as con:
        found = need_round(con, year)
    _need_collecting(found)
    with store.published(working) as snap:
        matcher = CouncilMatcher(snap, int(year), found.council_set_on)
        code, reason = matcher.match(str(council or ""))
        name = str(matcher.all.loc[code, "display_name"]) if code is not None else ""
    if code is None:
        raise CollectionError(f"{str(council)[:100]!r}: {reason}")
    with store.transaction(working) as con:
        _need_collecting(need_round(con, year, lock=True))
        return _issue(con, int(year), code, name, contact_name, contact_email, store.who(by))


def invite_all(working: Path, year: int, by: str = "unknown") -> list[Invitation]:
    """Invite every council of the round's set that has no invitation yet (none is reissued)."""
    ref = store.reference(working)
    with store.transaction(working) as con:
        found = need_round(con, year, lock=True)
        _need_collecting(found)
        done = set(con.execute(sa.select(_I.c.council_code).where(_I.c.year == year)).scalars())
        out = []
        for row in store.members(ref, found.council_set_on).itertuples():
            if row.code not in done:
                out.append(_issue(con, int(year), str(row.code), str(row.display_name), None, None, store.who(by)))
    return out


def revoke(working: Path, year: int, council_code: str, by: str = "unknown") -> None:
    """The council's link stops working at once (its draft is kept; inviting again issues a new link)."""
    code = str(council_code).strip().upper()
    with store.transaction(working) as con:
        need_round(con, year, lock=True)
        row = con.execute(sa.select(_I.c.id, _I.c.council_name, _I.c.status)
                          .where(_I.c.year == year, _I.c.council_code == code)).first()
        if row is None:
            raise CollectionError(f"{code} has no invitation in the {year} round")
        inv_id, name, status = row
        if status == "revoked":
            raise CollectionError(f"the link of {name} ({code}) is already revoked")
        con.execute(_I.update().where(_I.c.id == inv_id).values(status="revoked", token_hash=None))
        store.event(con, int(year), int(inv_id), "revoked", f"Link of {name} ({code}) revoked.", store.who(by))


def invitations(working: Path, year: int) -> pd.DataFrame:
    """Every invitation of the round (administrators only: contact details), without tokens."""
    columns = ["id", "council_code", "council_name", "contact_name", "contact_email", "status", "issued_at"]
    with store.reading(working) as con:
        rows = con.execute(sa.select(*(_I.c[c] for c in columns)).where(_I.c.year == year)
                           .order_by(_I.c.council_name)).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def respond_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/respond?token={token}"


def mail_merge_csv(invitations: list[Invitation], base_url: str) -> bytes:
    """council_code,council_name,contact_name,contact_email,link: a CSV for a mail merge (the
    links are shown here once; text a spreadsheet would run as a formula is neutralised)."""
    rows = [{"council_code": i.council_code, "council_name": i.council_name, "contact_name": i.contact_name or "",
             "contact_email": i.contact_email or "", "link": respond_link(base_url, i.token) if i.token else ""}
            for i in invitations]
    df = pd.DataFrame(rows, columns=["council_code", "council_name", "contact_name", "contact_email", "link"])
    return exports.to_csv_bytes(df)


# --------------------------------------------------------------------------------------------
# Respondent sessions
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    invitation_id: int
    year: int
    council_code: str
    council_name: str
    closes_on: date | None
    editable: bool
    #: Which issue of the link the session came from: a reissued link ends older sessions.
    issue: int = 0


#: After this many bad links from one client within WINDOW_SECONDS, each further bad link waits.
FREE_FAILURES = 5
WINDOW_SECONDS = 600.0
MAX_DELAY_SECONDS = 2.0
#: The kind of failure counted in the collection database's `failures` table.
BAD_LINK = "bad link"
# Replaced in tests (a fake clock; a recording sleep). Wall-clock time, which every process of a
# deployment shares.
_clock = time.time
_sleep = time.sleep


def delay_after(failures: int) -> float:
    """How long a bad link waits after `failures` earlier ones in the window: nothing for the first
    FREE_FAILURES, then 0.25 s doubling with each further one, at most MAX_DELAY_SECONDS."""
    extra = failures - FREE_FAILURES
    return 0.0 if extra < 0 else min(MAX_DELAY_SECONDS, 0.25 * 2 ** extra)


def _fail(working: Path, client: str) -> BadToken:
    """Count a bad link from `client` in the collection database (so every server process sees
    it), wait as delay_after says, and return the one plain refusal. Only bad links wait: a
    respondent whose link works is never slowed by someone else's mistakes at the same address."""
    when = _clock()
    failures = tables.failures
    key = (client or "unknown")[:200]
    try:
        with store.transaction(working) as con:
            con.execute(failures.delete().where(failures.c.failed_at < when - WINDOW_SECONDS))
            earlier = con.execute(sa.select(sa.func.count()).select_from(failures).where(
                failures.c.kind == BAD_LINK, failures.c.client == key)).scalar_one()
            con.execute(failures.insert().values(kind=BAD_LINK, client=key, failed_at=when))
    except CollectionError:
        earlier = FREE_FAILURES + 8  # the count could not be kept: wait the longest rather than not at all
    wait = delay_after(int(earlier))
    if wait > 0:
        _sleep(wait)
    return BadToken()


def resolve(working: Path, token: str | None, client: str = "") -> Session:
    """The session a link's token opens, or BadToken (one plain message, naming nothing) for a
    missing, wrong or revoked token, and for an expired link: a round that is closed, past its
    closing date, archived or published as final. The first opening is recorded for the
    tracker. Repeated bad tokens from one `client` are slowed (see _delay)."""
    text = (token or "").strip()
    if not text or len(text) > 200 or not re.fullmatch(r"[A-Za-z0-9_\-]+", text):
        raise _fail(working, client)
    digest = token_hash(text)
    query = sa.select(_I.c.id, _I.c.year, _I.c.council_code, _I.c.council_name, _I.c.issue, _I.c.opened_at).where(
        _I.c.token_hash == digest, _I.c.status == "invited")
    with store.reading(working) as con:
        row = con.execute(query).first()
        found = read_round(con, row[1]) if row is not None else None
    if row is None or found is None or found.status in ("published", "archived") or not found.editable:
        raise _fail(working, client)
    inv_id, year, code, name, issue, opened = row
    if opened is None:
        with store.transaction(working) as con:
            # Recorded once: of two first openings at the same moment, the second finds it set.
            done = con.execute(_I.update().where(_I.c.id == inv_id, _I.c.opened_at.is_(None))
                               .values(opened_at=store.now()))
            if done.rowcount:
                store.event(con, int(year), int(inv_id), "opened", "Link opened for the first time.")
    return Session(int(inv_id), int(year), str(code), str(name), found.closes_on, found.editable, int(issue))


def check_session(con: sa.Connection, session: Session, *, lock: bool = False) -> CollectionRound:
    """The session's round, after checking the session is its invitation's (council, round and
    issue of the link), and the link still works; BadToken otherwise. With `lock`, the
    invitation's row stays locked to this transaction, so two saves of one draft queue."""
    query = sa.select(_I.c.year, _I.c.council_code, _I.c.issue, _I.c.status).where(
        _I.c.id == int(session.invitation_id))
    row = con.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise BadToken()
    year, code, issue, status = row
    if (int(year) != int(session.year) or str(code) != str(session.council_code) or status != "invited"
            or int(issue) != int(session.issue)):
        raise BadToken()
    found = read_round(con, int(year))
    if found is None or found.status in ("published", "archived"):
        raise BadToken()
    return found

