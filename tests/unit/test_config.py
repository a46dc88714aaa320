"""hookyard.config: settings from the environment, required names never defaulted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from hookyard.config import ApiSettings, AuthorizerSettings, IngestSettings, get_settings, load

HASH = "a" * 64


@pytest.fixture
def fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_load_ingest_settings_from_an_environment() -> None:
    # Given
    environ = {"CONFIG_TABLE_NAME": "config", "EVENT_BUS_NAME": "hookyard", "UNRELATED": "x"}

    # When
    settings = load(IngestSettings, environ=environ)

    # Then
    assert settings.config_table == "config"
    assert settings.event_bus_name == "hookyard"
    assert settings.max_body_bytes == 200 * 1024


def test_load_converts_a_numeric_environment_value() -> None:
    # Given
    environ = {"CONFIG_TABLE_NAME": "config", "EVENT_BUS_NAME": "bus", "INGEST_MAX_BODY_BYTES": "1000"}

    # When
    settings = load(IngestSettings, environ=environ)

    # Then
    assert settings.max_body_bytes == 1000


def test_load_without_config_table_name_is_an_error() -> None:
    # When / Then
    with pytest.raises(ValidationError, match="CONFIG_TABLE_NAME"):
        load(IngestSettings, environ={"EVENT_BUS_NAME": "hookyard"})


def test_load_with_an_empty_config_table_name_is_an_error() -> None:
    # When / Then
    with pytest.raises(ValidationError, match="CONFIG_TABLE_NAME"):
        load(ApiSettings, environ={"CONFIG_TABLE_NAME": ""})


def test_authorizer_settings_accept_a_lower_case_hex_sha256() -> None:
    # When
    settings = load(AuthorizerSettings, environ={"CONFIG_TABLE_NAME": "config", "OPERATOR_TOKEN_SHA256": HASH})

    # Then
    assert settings.operator_token_sha256 == HASH


@pytest.mark.parametrize("value", ["not-a-hash", "g" * 64, "a" * 63, "A" * 64, ""])
def test_authorizer_settings_reject_a_value_that_is_not_a_hex_sha256(value: str) -> None:
    # When / Then
    with pytest.raises(ValidationError, match="OPERATOR_TOKEN_SHA256"):
        load(AuthorizerSettings, environ={"CONFIG_TABLE_NAME": "config", "OPERATOR_TOKEN_SHA256": value})


@pytest.mark.usefixtures("fresh_settings_cache")
def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given
    monkeypatch.setenv("CONFIG_TABLE_NAME", "first")
    first = get_settings(ApiSettings)
    monkeypatch.setenv("CONFIG_TABLE_NAME", "second")

    # When
    again = get_settings(ApiSettings)

    # Then
    assert again is first
    assert again.config_table == "first"
