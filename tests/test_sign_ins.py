"""Administrators' sign-ins that outlast a browser session (lib.collection.sign_ins and POST
/auth/keep), on SQLite and on a real PostgreSQL server. In a real browser, through nginx and two
replicas, a sign-in survives a reload and reaches the other replica, and a sign-out ends it:
tests/test_replicas_browser.py."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from lib.base.paths import DB_ENV_VAR
from lib.collection import sign_ins
from lib.web import sign_in_routes
from tests.fixtures import copy_db

ACCOUNT = "administrator (password)"


@pytest.fixture()
def working(published_db, tmp_path, collection_url) -> Path:
    return copy_db(published_db, tmp_path, "work.duckdb", published=True)


def test_a_ticket_is_exchanged_once_for_a_session_that_ends_at_sign_out_or_after_a_day(working):
    ticket = sign_ins.issue_ticket(working, ACCOUNT, now=1000.0)
    assert sign_ins.account_for(working, ticket, now=1000.0) is None  # a ticket is not a session
    token = sign_ins.redeem(working, ticket, now=1010.0)
    assert token is not None and token != ticket
    assert sign_ins.redeem(working, ticket, now=1010.0) is None  # used
    assert sign_ins.account_for(working, token, now=1011.0) == ACCOUNT
    # 8 hours (SESSION_SECONDS = 28,800 s) after the exchange at 1,010 s: still at 29,810, not after.
    assert sign_ins.account_for(working, token, now=29_810.0) == ACCOUNT
    assert sign_ins.account_for(working, token, now=29_811.0) is None
    sign_ins.end(working, token)
    assert sign_ins.account_for(working, token, now=1012.0) is None
    late = sign_ins.issue_ticket(working, ACCOUNT, now=2000.0)
    assert sign_ins.redeem(working, late, now=2061.0) is None  # a ticket lasts 60 s
    for nothing in ("", None, "x" * 500, "not-a-token"):
        assert sign_ins.account_for(working, nothing, now=1.0) is None


def test_only_hashes_are_stored(working):
    import sqlalchemy as sa

    from lib.collection import database

    ticket = sign_ins.issue_ticket(working, ACCOUNT, now=1000.0)
    token = sign_ins.redeem(working, ticket, now=1000.0)
    assert token is not None
    with database.for_working(working).reading() as conn:
        stored = " ".join(str(r) for r in conn.execute(sa.text("SELECT * FROM sign_ins")).fetchall())
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored


def test_the_keep_route_sets_an_httponly_cookie_once(working, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, str(working))
    import time

    client = TestClient(Starlette(routes=sign_in_routes.routes()))
    ticket = sign_ins.issue_ticket(working, ACCOUNT, now=time.time())
    got = client.post(sign_in_routes.PATH, content=ticket, headers={"x-forwarded-proto": "https"})
    assert got.status_code == 204
    cookie = got.headers["set-cookie"]
    assert cookie.startswith(f"{sign_in_routes.COOKIE}=")
    for part in ("HttpOnly", "Secure", "SameSite=strict", "Path=/", "Max-Age=28800"):
        assert part.lower() in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert sign_ins.account_for(working, token, now=time.time()) == ACCOUNT
    again = client.post(sign_in_routes.PATH, content=ticket)
    assert again.status_code == 403 and "set-cookie" not in again.headers
    plain = client.post(sign_in_routes.PATH, content=sign_ins.issue_ticket(working, ACCOUNT, now=time.time()))
    assert plain.status_code == 204 and "secure" not in plain.headers["set-cookie"].lower()  # plain HTTP
    assert client.get(sign_in_routes.PATH).status_code == 405
