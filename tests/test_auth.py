"""Administrator check (lib.auth): hash format, verification, configuration and throttling."""

from __future__ import annotations

import base64
import hashlib

import pytest

from lib import auth

FAST = 1_000  # iterations for tests; the default is checked separately


def test_hash_format_and_verification():
    encoded = auth.hash_password("correct horse battery staple", iterations=FAST)
    scheme, iterations, salt, digest = encoded.split("$")
    assert (scheme, iterations) == ("pbkdf2_sha256", str(FAST))
    raw_salt = base64.b64decode(salt, validate=True)
    assert len(raw_salt) == auth.SALT_BYTES
    expected = hashlib.pbkdf2_hmac("sha256", b"correct horse battery staple", raw_salt, FAST)
    assert base64.b64decode(digest) == expected
    assert auth.verify_password("correct horse battery staple", encoded)
    assert not auth.verify_password("correct horse battery stapl", encoded)
    assert not auth.verify_password("", encoded)
    assert "correct horse" not in encoded


def test_salt_is_random_and_the_default_is_slow_enough():
    a = auth.hash_password("same password", iterations=FAST)
    b = auth.hash_password("same password", iterations=FAST)
    assert a != b and auth.verify_password("same password", a) and auth.verify_password("same password", b)
    assert auth.DEFAULT_ITERATIONS >= 600_000
    assert auth.parse_hash(auth.hash_password("x" * 12)).iterations == auth.DEFAULT_ITERATIONS


@pytest.mark.parametrize("bad", [
    "", "plain-password", "pbkdf2_sha256$1000$abc", "md5$1000$c2FsdHNhbHQ=$" + "A" * 44,
    "pbkdf2_sha256$lots$c2FsdHNhbHRzYWx0$" + base64.b64encode(b"x" * 32).decode(),
    "pbkdf2_sha256$10$c2FsdHNhbHRzYWx0$" + base64.b64encode(b"x" * 32).decode(),
    "pbkdf2_sha256$1000$not base64!$" + base64.b64encode(b"x" * 32).decode(),
    "pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0$" + base64.b64encode(b"short").decode(),
])
def test_malformed_hashes_are_rejected_with_a_reason(bad):
    with pytest.raises(ValueError) as info:
        auth.parse_hash(bad)
    assert str(info.value)
    with pytest.raises(ValueError):
        auth.verify_password("anything", bad)


def test_empty_or_huge_passwords_cannot_be_hashed():
    with pytest.raises(ValueError, match="empty"):
        auth.hash_password("")
    with pytest.raises(ValueError, match="longer"):
        auth.hash_password("x" * (auth.MAX_PASSWORD_CHARS + 1), iterations=FAST)


def test_delay_grows_with_each_failure_and_is_capped():
    delays = [auth.retry_delay(n) for n in range(0, 12)]
    assert delays[0] == 0
    assert all(later > earlier for earlier, later in zip(delays[1:9], delays[2:10], strict=True))
    assert auth.retry_delay(100) == auth.DELAY_MAX_SECONDS


def test_throttle_refuses_even_the_right_password_while_waiting():
    encoded = auth.hash_password("right password", iterations=FAST)
    throttle = auth.Throttle()
    ok, message = auth.check_password("wrong", encoded, throttle, now=100.0)
    assert not ok and "not right" in message and throttle.failures == 1
    ok, message = auth.check_password("right password", encoded, throttle, now=100.1)
    assert not ok and "Wait" in message and throttle.failures == 1  # not even checked
    ok, _ = auth.check_password("wrong again", encoded, throttle, now=100.0 + auth.retry_delay(1))
    assert not ok and throttle.failures == 2
    second_wait = throttle.wait_seconds(now=100.0 + auth.retry_delay(1))
    assert second_wait == pytest.approx(auth.retry_delay(2)) and second_wait > auth.retry_delay(1)
    ok, message = auth.check_password("right password", encoded, throttle, now=1_000.0)
    assert ok and throttle.failures == 0 and throttle.wait_seconds(now=1_000.0) == 0


def test_configuration_secrets_first_then_environment():
    env = {auth.HASH_ENV: "from-env"}
    assert auth.configured_hash({auth.HASH_SECRET: "from-secrets"}, env) == "from-secrets"
    assert auth.configured_hash({}, env) == "from-env"
    assert auth.configured_hash(None, {}) is None
    assert auth.configured_hash({auth.HASH_SECRET: "  "}, {auth.HASH_ENV: ""}) is None
    assert auth.admin_emails({auth.EMAILS_SECRET: ["A@Council.gov.uk", " b@x.org "]}, {}) == {
        "a@council.gov.uk", "b@x.org"}
    assert auth.admin_emails({}, {auth.EMAILS_ENV: "one@x.org, two@x.org,"}) == {"one@x.org", "two@x.org"}
    assert auth.admin_emails({}, {}) == set()


def test_setup_help_names_the_command_and_both_places():
    text = auth.setup_help()
    assert "lib.cli admin-hash" in text and auth.HASH_SECRET in text and auth.HASH_ENV in text
