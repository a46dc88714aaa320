"""Secrets we must read back (connection credentials, signing secrets) are sealed with
the stack's KMS key before they are stored, bound to an encryption context naming
their owner, so a sealed value copied to another account's item does not open."""

from __future__ import annotations

import base64
import threading
import time
from typing import Protocol

from hookyard import aws
from hookyard.config import SecretsSettings, get_settings

OPENED_SECONDS = 300.0  # how long an opened value is kept in memory
OPENED_MAX = 256  # how many are kept at most (the oldest go first)
_opened: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, str]] = {}
_lock = threading.Lock()


class Sealer(Protocol):
    """Seals and opens secrets bound to a context (KMS in AWS; an in-memory fake in tests)."""

    def seal(self, plaintext: str, context: dict[str, str]) -> str: ...

    def unseal(self, sealed: str, context: dict[str, str]) -> str: ...


class KmsSealer:
    """The stack's KMS key (SECRETS_KEY_ID), with opened values kept for a few minutes."""

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        return seal(plaintext, context)

    def unseal(self, sealed: str, context: dict[str, str]) -> str:
        return unseal(sealed, context)


def seal(plaintext: str, context: dict[str, str]) -> str:
    out = aws.kms().encrypt(
        KeyId=get_settings(SecretsSettings).secrets_key_id,
        Plaintext=plaintext.encode(),
        EncryptionContext=context,
    )
    return base64.b64encode(out["CiphertextBlob"]).decode()


def unseal(sealed: str, context: dict[str, str]) -> str:
    """The plaintext of `sealed`, opened with KMS under `context`.

    Opened values are kept in memory for a few minutes (keyed by the sealed text and the
    context, so a rotated secret, whose sealed text is new, is never served stale): a
    delivery batch signs many requests with the same webhook's secret, and one KMS call
    per request would cost a round trip each and KMS request charges.
    """
    cache_key = (sealed, tuple(sorted(context.items())))
    now = time.monotonic()
    hit = _opened.get(cache_key)
    if hit is not None and now - hit[0] < OPENED_SECONDS:
        return hit[1]
    out = aws.kms().decrypt(CiphertextBlob=base64.b64decode(sealed), EncryptionContext=context)
    plaintext: str = out["Plaintext"].decode()
    with _lock:
        _opened.pop(cache_key, None)
        while len(_opened) >= OPENED_MAX:
            del _opened[next(iter(_opened))]  # the oldest
        _opened[cache_key] = (now, plaintext)
    return plaintext


def forget_opened() -> None:
    """Drop every opened value kept in memory (tests)."""
    with _lock:
        _opened.clear()
