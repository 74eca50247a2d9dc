"""Who may use the Data management page: an administrator, and nobody by default.

Two ways to be an administrator, checked in this order:

1. Streamlit's own sign-in (st.login / st.user) when an identity provider is configured in
   .streamlit/secrets.toml ([auth] section). The signed-in e-mail address must be listed in
   `admin_emails` (secrets) or $PA_BENCHMARK_ADMIN_EMAILS (comma separated).
2. Otherwise an administrator password, of which only a hash is stored: `admin_password_hash`
   in secrets, or $PA_BENCHMARK_ADMIN_HASH. Make one with `uv run python -m lib.cli admin-hash`.

With neither configured there is no way in: the page explains how to enable it.

The core (hash format, verification, throttling) is plain Python so it can be unit tested;
the Streamlit part is `require_admin`, which the page calls first. Failed sign-ins are counted
per account and for everyone in the collection database (GUARD: shared by every browser session
and every server process of a deployment), the growing delay is enforced before any hash is
computed, and each failure is written to the audit log.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from lib.base.passwords import (
    HASH_ENV,
    HASH_SECRET,
    MAX_PASSWORD_CHARS,
    parse_hash,
    verify_password,
)
from lib.collection import sign_ins, throttles
from lib.collection.errors import CollectionError
from lib.store import db, publish
from lib.web import data, sign_in_routes

EMAILS_ENV = "PA_BENCHMARK_ADMIN_EMAILS"
EMAILS_SECRET = "admin_emails"

#: After the n-th failed attempt in a row, the next attempt waits BASE * 2**(n-1) seconds (capped).
DELAY_BASE_SECONDS = 1.0
DELAY_MAX_SECONDS = 300.0


# --------------------------------------------------------------------------------------------
# Throttling failed attempts
# --------------------------------------------------------------------------------------------

def retry_delay(failures: int) -> float:
    """Seconds to wait before the next attempt after `failures` failed attempts in a row."""
    if failures <= 0:
        return 0.0
    return min(DELAY_BASE_SECONDS * 2 ** min(failures - 1, 30), DELAY_MAX_SECONDS)


@dataclass
class Throttle:
    """Failed attempts in a row and when the next attempt may be made (kept in session state)."""

    failures: int = 0
    next_allowed: float = 0.0

    def wait_seconds(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        return max(0.0, self.next_allowed - now)

    def failed(self, now: float | None = None) -> float:
        """Record a failure; returns the delay imposed before the next attempt."""
        now = time.monotonic() if now is None else now
        self.failures += 1
        delay = retry_delay(self.failures)
        self.next_allowed = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self.next_allowed = 0.0


def _seconds(value: float) -> str:
    n = max(1, math.ceil(value))
    return f"{n} second{'s' if n != 1 else ''}"


class MemoryCounts:
    """Failed sign-ins kept in this process only (tests; a single process)."""

    def __init__(self) -> None:
        self._process = Throttle()
        self._accounts: dict[str, Throttle] = {}

    def counts(self, account: str) -> tuple[throttles.Count, throttles.Count]:
        mine = self._accounts.get(account.casefold(), Throttle())
        return (throttles.Count(mine.failures, mine.next_allowed - retry_delay(mine.failures)),
                throttles.Count(self._process.failures, self._process.next_allowed - retry_delay(self._process.failures)))

    def failed(self, account: str, now: float) -> tuple[throttles.Count, throttles.Count]:
        self._accounts.setdefault(account.casefold(), Throttle()).failed(now)
        self._process.failed(now)
        return self.counts(account)

    def succeeded(self) -> None:
        self._process = Throttle()
        self._accounts.clear()


class StoredCounts:
    """Failed sign-ins kept in the collection database (lib.collection.throttles), so every
    server process of a deployment counts the same ones."""

    def __init__(self, working: Callable[[], Path]) -> None:
        self._working = working

    def counts(self, account: str) -> tuple[throttles.Count, throttles.Count]:
        return throttles.sign_in_counts(self._working(), account)

    def failed(self, account: str, now: float) -> tuple[throttles.Count, throttles.Count]:
        return throttles.sign_in_failed(self._working(), account, now)

    def succeeded(self) -> None:
        throttles.sign_in_succeeded(self._working())


def _wait(count: throttles.Count, now: float) -> float:
    return max(0.0, count.last + retry_delay(count.failures) - now) if count.failures else 0.0


class SignInGuard:
    """Failed sign-ins counted per account and for everyone, whatever browser session (and, with
    StoredCounts, whatever server process) they come from: a new session, a cleared cookie or
    another replica does not reset the delay.

    The back-off is applied before the hash is computed: while a delay runs, an attempt is refused
    without hashing. Attempts in one process are serialised by a lock, so many attempts at once
    cost one hash and then meet the delay. GUARD, at module level, keeps its counts in the
    collection database.
    """

    def __init__(self, counts: MemoryCounts | StoredCounts | None = None) -> None:
        self._lock = threading.Lock()
        self._counts = counts or MemoryCounts()

    def failures(self, account: str | None = None) -> int:
        """Failed attempts in a row for `account`, or for everyone when None."""
        with self._lock:
            mine, everyone = self._counts.counts(account or "")
            return everyone.failures if account is None else mine.failures

    def wait_seconds(self, account: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self._lock:
            mine, everyone = self._counts.counts(account)
            return max(_wait(mine, now), _wait(everyone, now))

    def attempt(self, password: str, encoded: str, account: str, now: float | None = None,
                verify: Callable[[str, str], bool] = verify_password) -> tuple[bool, str]:
        """(signed in?, message). Refuses without computing the hash while a delay runs."""
        now = time.time() if now is None else now
        with self._lock:
            mine, everyone = self._counts.counts(account)
            wait = max(_wait(mine, now), _wait(everyone, now))
            if wait > 0:
                return False, f"Too many wrong attempts. Wait {_seconds(wait)} before trying again."
            if verify(password, encoded):
                self._counts.succeeded()
                return True, "Signed in."
            mine, everyone = self._counts.failed(account, now)
            delay = max(_wait(mine, now), _wait(everyone, now))
            return False, f"That password is not right. You can try again in {_seconds(delay)}."

    def reset(self) -> None:
        with self._lock:
            self._counts.succeeded()


#: The sign-in guard, shared by every browser session and thread, its counts in the collection
#: database beside the working database (or at $PA_COLLECTION_URL), shared by every replica.
GUARD = SignInGuard(StoredCounts(data.working_path))


def record_failed_sign_in(con: Any, account: str, failures: int, message: str) -> None:
    """Write a failed sign-in to the audit log (who tried, how many in a row, what they were told)."""
    con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), ?, 'sign-in failed', ?)",
                [account[:200], f"Failed administrator sign-in ({failures} in a row for this account): {message}"])


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

def configured_hash(secret_values: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The administrator password hash from secrets, else the environment, else None."""
    environ = os.environ if environ is None else environ
    value = (secret_values or {}).get(HASH_SECRET) or environ.get(HASH_ENV)
    return str(value).strip() if value and str(value).strip() else None


#: Where users report accessibility problems (shown on the accessibility statement).
CONTACT_ENV = "PA_BENCHMARK_CONTACT"
CONTACT_SECRET = "contact_address"


def contact_address(secret_values: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The address people are asked to write to, from secrets (contact_address) or the
    environment ($PA_BENCHMARK_CONTACT); None when the dashboard's owner has not set one."""
    environ = os.environ if environ is None else environ
    if secret_values is None:
        secret_values = _contact_secret()
    value = secret_values.get(CONTACT_SECRET) or environ.get(CONTACT_ENV)
    return str(value).strip()[:200] if value and str(value).strip() else None


def _contact_secret() -> dict[str, Any]:
    try:
        if st.secrets.load_if_toml_exists() and CONTACT_SECRET in st.secrets:
            return {CONTACT_SECRET: st.secrets[CONTACT_SECRET]}
    except Exception:  # noqa: BLE001 - an unreadable secrets file means: nothing configured
        pass
    return {}


def admin_emails(secret_values: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> set[str]:
    """E-mail addresses allowed in when an identity provider is configured (lower case)."""
    environ = os.environ if environ is None else environ
    raw = (secret_values or {}).get(EMAILS_SECRET) or environ.get(EMAILS_ENV, "")
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return {str(e).strip().casefold() for e in items if str(e).strip()}


def setup_help() -> str:
    """How to enable the administrator sign-in (Markdown, no data in it)."""
    return (
        "**Administrator access is not set up, so this page is locked.** To enable it:\n\n"
        "1. On the server, run `uv run python -m lib.cli admin-hash` and type a new password twice. "
        "It prints a hash (the password itself is never stored).\n"
        f"2. Put the hash in `.streamlit/secrets.toml` as `{HASH_SECRET} = \"pbkdf2_sha256$...\"`, "
        f"or in the environment variable `{HASH_ENV}`.\n"
        "3. Restart the dashboard and sign in here with the password.\n\n"
        "Alternatively, configure Streamlit's sign-in with your organisation's identity provider "
        f"(an `[auth]` section in secrets) and list administrators' e-mail addresses in `{EMAILS_SECRET}`."
    )


# --------------------------------------------------------------------------------------------
# Streamlit: the sign-in step the page calls first
# --------------------------------------------------------------------------------------------

SESSION_ADMIN = "admin_signed_in"
#: A one-time ticket the page hands its browser right after a sign-in (lib.collection.sign_ins).
SESSION_TICKET = "admin_sign_in_ticket"
#: The one account the password signs in to (the guard counts failures per account).
PASSWORD_ACCOUNT = "administrator (password)"


def _secret_values() -> dict[str, Any]:
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return {k: st.secrets[k] for k in (HASH_SECRET, EMAILS_SECRET, "auth") if k in st.secrets}
    except Exception:  # noqa: BLE001 - an unreadable secrets file means: nothing configured
        return {}


def require_admin() -> str:
    """Show the sign-in step and stop the page unless an administrator is signed in.

    Returns who is signed in (for the audit log).
    """
    values = _secret_values()
    if values.get("auth"):
        return _require_identity_provider(values)
    encoded = configured_hash(values)
    if encoded is None:
        st.info(setup_help(), icon=":material/lock:")
        st.stop()
    try:
        parse_hash(encoded)
    except ValueError as exc:
        st.error(f"The configured administrator hash cannot be used ({exc}). Make a new one with "
                 "`uv run python -m lib.cli admin-hash`.", icon=":material/error:")
        st.stop()
    if not st.session_state.get(SESSION_ADMIN) and _kept_sign_in() == PASSWORD_ACCOUNT:
        st.session_state[SESSION_ADMIN] = True  # signed in earlier in this browser (a reload, another replica)
    if st.session_state.get(SESSION_ADMIN):
        ticket = st.session_state.pop(SESSION_TICKET, None)
        if ticket:
            _keep_sign_in(ticket)
        col, button = st.columns([4, 1], vertical_alignment="center")
        col.caption("Signed in as the administrator.")
        if button.button("Sign out", icon=":material/logout:"):
            with contextlib.suppress(CollectionError):  # the page signs out whatever the database says
                token = st.context.cookies.get(sign_in_routes.COOKIE)
                sign_ins.end(data.working_path(), token if isinstance(token, str) else None)
            st.session_state[SESSION_ADMIN] = False
            st.rerun()
        return "administrator (password)"
    st.markdown("This page is for the survey administrator. Sign in to load, check and export data.")
    with st.form("admin_sign_in", enter_to_submit=True):
        password = st.text_input("Administrator password", type="password", max_chars=MAX_PASSWORD_CHARS,
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", icon=":material/login:")
    try:
        if submitted:
            ok, message = GUARD.attempt(password, encoded, PASSWORD_ACCOUNT)
            if ok:
                st.session_state[SESSION_ADMIN] = True
                with contextlib.suppress(CollectionError):  # then the sign-in lasts for this browser session only
                    st.session_state[SESSION_TICKET] = sign_ins.issue_ticket(data.working_path(), PASSWORD_ACCOUNT,
                                                                             time.time())
                st.rerun()
            _audit_failure(PASSWORD_ACCOUNT, GUARD.failures(PASSWORD_ACCOUNT), message)
            st.error(message, icon=":material/block:")
        failures = GUARD.failures(PASSWORD_ACCOUNT)
    except CollectionError as exc:  # the counts live in the collection database: no count, no sign-in
        st.error(f"Sign-in cannot be checked just now: {exc}", icon=":material/error:")
        st.stop()
    if failures:
        st.caption(f"{failures} wrong attempt{'s' if failures != 1 else ''} in a row.")
    st.stop()


def _kept_sign_in() -> str | None:
    """The account of this browser's lasting sign-in cookie, if it still holds one."""
    token = st.context.cookies.get(sign_in_routes.COOKIE)
    if not isinstance(token, str) or not token:  # (AppTest has no cookies to give)
        return None
    try:
        return sign_ins.account_for(data.working_path(), token, time.time())
    except CollectionError:
        return None  # asked for the password again, which then says what is wrong


def _keep_sign_in(ticket: str) -> None:
    """Have this browser exchange the one-time ticket for the sign-in cookie (POST /auth/keep, a
    path relative to the page, so a server under a base path works too). The ticket is ours, made
    of URL-safe characters only; nothing a visitor typed reaches the script."""
    assert ticket.replace("-", "").replace("_", "").isalnum()
    st.html(f'<script>fetch("{sign_in_routes.PATH.lstrip("/")}", {{method: "POST", body: "{ticket}", '
            'credentials: "same-origin", headers: {"Content-Type": "text/plain"}});</script>',
            unsafe_allow_javascript=True, width="content")


def _audit_failure(account: str, failures: int, message: str) -> None:
    """Record a failed sign-in in the audit log; a database that cannot be written never blocks the page."""
    with contextlib.suppress(duckdb.Error, publish.PublishError, db.SchemaError, OSError), \
            data.working_database() as con:
        record_failed_sign_in(con, account, failures, message)


def _require_identity_provider(values: dict[str, Any]) -> str:
    if not st.user.is_logged_in:
        st.markdown("This page is for the survey administrator. Sign in with your organisation's account.")
        if st.button("Sign in", icon=":material/login:"):
            try:
                st.login()
            except Exception as exc:  # noqa: BLE001 - e.g. Authlib missing: say so, do not crash
                st.error(f"Sign-in is configured but cannot start ({type(exc).__name__}). Streamlit's "
                         "sign-in needs the Authlib package (`streamlit[auth]`).")
        st.stop()
    email = str(st.user.get("email") or "").casefold()
    allowed = admin_emails(values)
    if not email or email not in allowed:
        st.error("You are signed in, but your account is not on the list of administrators "
                 f"(`{EMAILS_SECRET}` in secrets). Ask the dashboard's owner to add it.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    col, button = st.columns([4, 1], vertical_alignment="center")
    col.caption("Signed in as an administrator.")
    button.button("Sign out", on_click=st.logout, icon=":material/logout:")
    return email
