"""Random secrets, their hashes and constant-time comparison.

Every secret Hookyard issues is 256 bits from `secrets`, so one SHA-256 is the right
hash: there is nothing to brute-force, and ingest stays fast (no bcrypt).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

API_TOKEN_PREFIX = "hy_"  # noqa: S105 - a prefix, not a secret
_ALNUM = string.ascii_letters + string.digits


def new_secret() -> str:
    """A 256-bit URL-safe random value (43 characters)."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    """An API token; the prefix lets secret scanners recognise a leaked one."""
    return API_TOKEN_PREFIX + new_secret()


def new_username(length: int = 16) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, expected_hash: str) -> bool:
    """Whether `value` hashes to `expected_hash`, compared in constant time."""
    return hmac.compare_digest(sha256_hex(value), expected_hash)
