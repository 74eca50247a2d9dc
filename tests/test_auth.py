"""Administrator check (lib.web.auth): hash format, verification, configuration and throttling."""

from __future__ import annotations

import base64
import hashlib

import pytest

from lib.base import passwords
from lib.web import auth

FAST = 1_000  # iterations for tests; the default is checked separately


def test_hash_format_and_verification():
    encoded = passwords.hash_password("correct horse battery staple", iterations=FAST)
    scheme, iterations, salt, digest = encoded.split("$")
    assert (scheme, iterations) == ("pbkdf2_sha256", str(FAST))
    raw_salt = base64.b64decode(salt, validate=True)
    assert len(raw_salt) == passwords.SALT_BYTES
    expected = hashlib.pbkdf2_hmac("sha256", b"correct horse battery staple", raw_salt, FAST)
    assert base64.b64decode(digest) == expected
    assert passwords.verify_password("correct horse battery staple", encoded)
    assert not passwords.verify_password("correct horse battery stapl", encoded)
    assert not passwords.verify_password("", encoded)
    assert "correct horse" not in encoded


def test_salt_is_random_and_the_default_is_slow_enough():
    a = passwords.hash_password("same password", iterations=FAST)
    b = passwords.hash_password("same password", iterations=FAST)
    assert a != b and passwords.verify_password("same password", a) and passwords.verify_password("same password", b)
    assert passwords.DEFAULT_ITERATIONS >= 600_000
    assert passwords.parse_hash(passwords.hash_password("x" * 12)).iterations == passwords.DEFAULT_ITERATIONS


@pytest.mark.parametrize("bad", [
    "", "plain-password", "pbkdf2_sha256$1000$abc", "md5$1000$c2FsdHNhbHQ=$" + "A" * 44,
    "pbkdf2_sha256$lots$c2FsdHNhbHRzYWx0$" + base64.b64encode(b"x" * 32).decode(),
    "pbkdf2_sha256$10$c2FsdHNhbHRzYWx0$" + base64.b64encode(b"x" * 32).decode(),
    "pbkdf2_sha256$1000$not base64!$" + base64.b64encode(b"x" * 32).decode(),
    "pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0$" + base64.b64encode(b"short").decode(),
])
def test_malformed_hashes_are_rejected_with_a_reason(bad):
    with pytest.raises(ValueError) as info:
        passwords.parse_hash(bad)
    assert str(info.value)
    with pytest.raises(ValueError):
        passwords.verify_password("anything", bad)


def test_empty_or_huge_passwords_cannot_be_hashed():
    with pytest.raises(ValueError, match="empty"):
        passwords.hash_password("")
    with pytest.raises(ValueError, match="longer"):
        passwords.hash_password("x" * (passwords.MAX_PASSWORD_CHARS + 1), iterations=FAST)


def test_delay_grows_with_each_failure_and_is_capped():
    delays = [auth.retry_delay(n) for n in range(0, 12)]
    assert delays[0] == 0
    assert all(later > earlier for earlier, later in zip(delays[1:9], delays[2:10], strict=True))
    assert auth.retry_delay(100) == auth.DELAY_MAX_SECONDS


def test_throttle_makes_each_failure_wait_longer_and_a_success_clears_it():
    # Delays 1 s after the first failure and 2 s after the second (retry_delay: 1 * 2**(n-1)).
    throttle = auth.Throttle()
    assert throttle.failed(now=100.0) == auth.retry_delay(1) == 1.0
    assert throttle.wait_seconds(now=100.1) == pytest.approx(0.9) and throttle.failures == 1
    assert throttle.wait_seconds(now=101.0) == 0
    assert throttle.failed(now=101.0) == auth.retry_delay(2) == 2.0
    assert throttle.wait_seconds(now=101.5) == pytest.approx(1.5) and throttle.failures == 2
    throttle.succeeded()
    assert throttle.failures == 0 and throttle.wait_seconds(now=101.5) == 0


def test_configuration_secrets_first_then_environment():
    env = {passwords.HASH_ENV: "from-env"}
    assert auth.configured_hash({passwords.HASH_SECRET: "from-secrets"}, env) == "from-secrets"
    assert auth.configured_hash({}, env) == "from-env"
    assert auth.configured_hash(None, {}) is None
    assert auth.configured_hash({passwords.HASH_SECRET: "  "}, {passwords.HASH_ENV: ""}) is None
    assert auth.admin_emails({auth.EMAILS_SECRET: ["A@Council.gov.uk", " b@x.org "]}, {}) == {
        "a@council.gov.uk", "b@x.org"}
    assert auth.admin_emails({}, {auth.EMAILS_ENV: "one@x.org, two@x.org,"}) == {"one@x.org", "two@x.org"}
    assert auth.admin_emails({}, {}) == set()


def test_setup_help_names_the_command_and_both_places():
    text = auth.setup_help()
    assert "lib.cli admin-hash" in text and passwords.HASH_SECRET in text and passwords.HASH_ENV in text


# ---- failed sign-ins are counted per server process and per account, before any hash -------------

class CountingVerify:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, password: str, encoded: str) -> bool:
        self.calls += 1
        return passwords.verify_password(password, encoded)


def test_guard_delay_holds_for_every_session_and_refuses_before_hashing():
    encoded = passwords.hash_password("right password", iterations=FAST)
    guard, verify = auth.SignInGuard(), CountingVerify()
    ok, message = guard.attempt("wrong", encoded, "admin", now=10.0, verify=verify)
    assert (ok, message) == (False, "That password is not right. You can try again in 1 second.")
    assert verify.calls == 1 and guard.failures("admin") == 1 and guard.failures() == 1
    # Any later caller (another browser session) meets the delay, and no hash is computed.
    ok, message = guard.attempt("right password", encoded, "admin", now=10.5, verify=verify)
    assert (ok, message) == (False, "Too many wrong attempts. Wait 1 second before trying again.")
    assert verify.calls == 1
    ok, message = guard.attempt("wrong", encoded, "admin", now=11.0, verify=verify)
    assert (ok, message) == (False, "That password is not right. You can try again in 2 seconds.")
    assert guard.wait_seconds("admin", now=11.0) == pytest.approx(2.0)
    ok, message = guard.attempt("right password", encoded, "admin", now=13.0, verify=verify)
    assert (ok, message) == (True, "Signed in.") and guard.failures("admin") == 0 and guard.failures() == 0


def test_guard_counts_each_account_and_the_whole_process():
    encoded = passwords.hash_password("right password", iterations=FAST)
    guard = auth.SignInGuard()
    guard.attempt("wrong", encoded, "alice", now=0.0)
    ok, message = guard.attempt("wrong", encoded, "bob", now=0.1)  # the process-wide delay applies to bob too
    assert not ok and message.startswith("Too many wrong attempts") and guard.failures("bob") == 0
    guard.attempt("wrong", encoded, "bob", now=5.0)
    assert guard.failures("alice") == 1 and guard.failures("bob") == 1 and guard.failures() == 2
    assert guard.failures("ALICE") == 1  # accounts compare case-insensitively


def test_guard_is_thread_safe_many_attempts_at_once_cost_one_hash():
    import threading

    encoded = passwords.hash_password("right password", iterations=FAST)
    guard, verify = auth.SignInGuard(), CountingVerify()
    results: list[tuple[bool, str]] = []
    start = threading.Barrier(16)

    def attempt() -> None:
        start.wait()
        results.append(guard.attempt("wrong", encoded, "admin", verify=verify))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert verify.calls == 1 and guard.failures() == 1
    assert sorted(m.split(".")[0] for _, m in results) == ["That password is not right"] + ["Too many wrong attempts"] * 15


def test_failed_sign_ins_are_written_to_the_audit_log():
    from lib.store import db

    con = db.connect(":memory:")
    db.create_schema(con)
    auth.record_failed_sign_in(con, "administrator (password)", 3, "That password is not right.")
    rows = con.execute("SELECT actor, action, detail FROM audit_log").fetchall()
    assert rows == [("administrator (password)", "sign-in failed",
                     "Failed administrator sign-in (3 in a row for this account): That password is not right.")]
    assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
           for t in db.TABLES if t != "meta"} == {
        t: (1 if t == "audit_log" else 0) for t in db.TABLES if t != "meta"}


def test_two_server_processes_share_one_count_through_the_collection_database(published_db, tmp_path,
                                                                             collection_url):
    """Two guards over the same collection database stand for two replicas behind a load
    balancer: a failure on one delays the next attempt on the other, and a success on either
    clears the count for both. Runs on SQLite and on a real PostgreSQL server."""
    from tests.fixtures import copy_db

    working = copy_db(published_db, tmp_path, "w.duckdb", published=True)
    encoded = passwords.hash_password("right password", iterations=FAST)
    one, two = (auth.SignInGuard(auth.StoredCounts(lambda: working)) for _ in range(2))
    assert one.attempt("wrong", encoded, "admin", now=1000.0)[1].endswith("try again in 1 second.")
    ok, message = two.attempt("right password", encoded, "admin", now=1000.5)
    assert (ok, message) == (False, "Too many wrong attempts. Wait 1 second before trying again.")
    assert two.attempt("wrong", encoded, "Admin", now=1001.0)[1].endswith("try again in 2 seconds.")
    assert one.failures("admin") == 2 and one.failures() == 2 and one.wait_seconds("admin", now=1001.0) == 2.0
    assert one.attempt("right password", encoded, "admin", now=1003.0) == (True, "Signed in.")
    assert two.failures("admin") == 0 and two.wait_seconds("admin", now=1003.0) == 0
