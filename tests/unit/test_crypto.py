"""hookyard.crypto: sealed secrets, and the few minutes an opened one is kept."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from hookyard import aws, crypto


class FakeKms:
    """Decrypts a ciphertext `<context>|<plaintext>` only under the same context."""

    def __init__(self) -> None:
        self.decrypts = 0

    def decrypt(self, CiphertextBlob: bytes, EncryptionContext: dict[str, str]) -> dict[str, Any]:
        self.decrypts += 1
        bound, _, plaintext = CiphertextBlob.decode().partition("|")
        if bound != repr(sorted(EncryptionContext.items())):
            raise ValueError("InvalidCiphertextException")
        return {"Plaintext": plaintext.encode()}


def sealed(plaintext: str, context: dict[str, str]) -> str:
    return base64.b64encode(f"{sorted(context.items())!r}|{plaintext}".encode()).decode()


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKms]:
    fake = FakeKms()
    monkeypatch.setattr(aws, "kms", lambda: fake)
    crypto.forget_opened()
    yield fake
    crypto.forget_opened()


CONTEXT = {"account_id": "1", "webhook_id": "01J", "field": "signing_secret"}


def test_unseal_asks_kms_once_for_the_same_sealed_value(kms: FakeKms) -> None:
    value = sealed("s3cret", CONTEXT)

    assert [crypto.unseal(value, CONTEXT) for _ in range(5)] == ["s3cret"] * 5
    assert kms.decrypts == 1


def test_unseal_under_another_context_asks_kms_again_and_fails(kms: FakeKms) -> None:
    value = sealed("s3cret", CONTEXT)
    crypto.unseal(value, CONTEXT)

    with pytest.raises(ValueError, match="InvalidCiphertext"):
        crypto.unseal(value, {**CONTEXT, "account_id": "2"})
    assert kms.decrypts == 2


def test_a_rotated_secret_is_never_served_stale(kms: FakeKms) -> None:
    assert crypto.unseal(sealed("old", CONTEXT), CONTEXT) == "old"

    assert crypto.unseal(sealed("new", CONTEXT), CONTEXT) == "new"


def test_an_opened_value_is_asked_for_again_after_it_expires(kms: FakeKms, monkeypatch: pytest.MonkeyPatch) -> None:
    value = sealed("s3cret", CONTEXT)
    crypto.unseal(value, CONTEXT)
    clock = crypto.time.monotonic() + crypto.OPENED_SECONDS + 1
    monkeypatch.setattr(crypto, "time", SimpleNamespace(monotonic=lambda: clock))

    crypto.unseal(value, CONTEXT)

    assert kms.decrypts == 2


def test_at_most_opened_max_values_are_kept_the_oldest_going_first(kms: FakeKms) -> None:
    values = [sealed(f"v{n}", CONTEXT) for n in range(crypto.OPENED_MAX + 1)]
    for value in values:
        crypto.unseal(value, CONTEXT)

    crypto.unseal(values[-1], CONTEXT)  # kept
    assert kms.decrypts == crypto.OPENED_MAX + 1
    crypto.unseal(values[0], CONTEXT)  # dropped
    assert kms.decrypts == crypto.OPENED_MAX + 2
