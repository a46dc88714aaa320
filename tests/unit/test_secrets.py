"""hookyard.secrets: random secrets, their hashes and the constant-time check."""

from __future__ import annotations

import base64
import re

from hookyard.secrets import API_TOKEN_PREFIX, matches, new_api_token, new_secret, new_username, sha256_hex

URL_SAFE_43 = re.compile(r"^[A-Za-z0-9_-]{43}$")


def test_new_secret_is_43_url_safe_characters() -> None:
    # When
    secret = new_secret()

    # Then
    assert URL_SAFE_43.match(secret)


def test_new_secret_carries_256_bits() -> None:
    # When
    raw = base64.urlsafe_b64decode(new_secret() + "=")

    # Then
    assert len(raw) * 8 == 256


def test_new_secret_differs_on_each_call() -> None:
    # When
    secrets = {new_secret() for _ in range(50)}

    # Then
    assert len(secrets) == 50


def test_new_api_token_is_the_prefix_then_a_secret() -> None:
    # When
    token = new_api_token()

    # Then
    assert API_TOKEN_PREFIX == "hy_"
    assert token.startswith("hy_")
    assert URL_SAFE_43.match(token.removeprefix("hy_"))


def test_new_username_is_16_alphanumeric_characters() -> None:
    # When
    username = new_username()

    # Then
    assert re.fullmatch(r"[A-Za-z0-9]{16}", username)


def test_sha256_hex_is_the_lower_case_hex_digest() -> None:
    # When
    digest = sha256_hex("abc")

    # Then
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_matches_accepts_the_value_behind_the_hash() -> None:
    # Given
    expected = sha256_hex("correct horse")

    # When / Then
    assert matches("correct horse", expected) is True


def test_matches_refuses_another_value() -> None:
    # Given
    expected = sha256_hex("correct horse")

    # When / Then
    assert matches("battery staple", expected) is False
