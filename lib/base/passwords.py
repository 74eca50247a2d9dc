"""The administrator password's hash: PBKDF2-HMAC-SHA256 with a random salt, stored as
`pbkdf2_sha256$<iterations>$<salt>$<digest>` (base64), and where the hash is configured. Plain
Python: the command line makes a hash (`python -m lib.cli admin-hash`), the dashboard's sign-in
(lib.web.auth) checks one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

HASH_SCHEME = "pbkdf2_sha256"
#: PBKDF2-HMAC-SHA256 rounds for new hashes (OWASP's 2023 guidance is 600,000).
DEFAULT_ITERATIONS = 600_000
MIN_ITERATIONS = 1_000
MAX_ITERATIONS = 10_000_000
SALT_BYTES = 16
#: Passwords longer than this are refused before hashing (no reason to accept more).
MAX_PASSWORD_CHARS = 1024

HASH_ENV = "PA_BENCHMARK_ADMIN_HASH"
HASH_SECRET = "admin_password_hash"



# --------------------------------------------------------------------------------------------
# Hashes
# --------------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    """`pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>` for a new password (random salt)."""
    if not password:
        raise ValueError("the password is empty")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be between {MIN_ITERATIONS} and {MAX_ITERATIONS}")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{HASH_SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


@dataclass(frozen=True)
class ParsedHash:
    iterations: int
    salt: bytes
    digest: bytes


def parse_hash(encoded: str) -> ParsedHash:
    """Split a stored hash into its parts; ValueError (never the hash itself) if malformed."""
    parts = str(encoded).strip().split("$")
    if len(parts) != 4 or parts[0] != HASH_SCHEME:
        raise ValueError(f"not a {HASH_SCHEME}$<iterations>$<salt>$<hash> value")
    try:
        iterations = int(parts[1])
        salt = base64.b64decode(parts[2], validate=True)
        digest = base64.b64decode(parts[3], validate=True)
    except ValueError:
        raise ValueError("the iterations, salt or hash part is not valid") from None
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be between {MIN_ITERATIONS} and {MAX_ITERATIONS}")
    if len(salt) < 8 or len(digest) != 32:
        raise ValueError("the salt is too short or the hash has the wrong length")
    return ParsedHash(iterations, salt, digest)


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches the stored hash (constant-time comparison)."""
    parsed = parse_hash(encoded)
    if not password or len(password) > MAX_PASSWORD_CHARS:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), parsed.salt, parsed.iterations)
    return hmac.compare_digest(candidate, parsed.digest)
