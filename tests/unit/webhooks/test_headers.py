"""Custom header rules (Zendesk's) and authentication headers, built in one place for
webhooks and ZIS connections."""

from __future__ import annotations

import base64

import pytest

from hookyard.credentials import auth_headers
from hookyard.errors import BadRequest
from hookyard.models.connections import ConnectionType, ResolvedConnection
from hookyard.webhooks.headers import (
    FORBIDDEN_NAMES,
    FORBIDDEN_PREFIXES,
    authentication_header_name,
    authentication_headers,
    validate_custom_headers,
    validate_header_name,
)

HTTPS = "https://hooks.example.com/in"


def refused(headers: dict[str, str], endpoint: str = HTTPS, **kwargs: object) -> str:
    with pytest.raises(BadRequest) as caught:
        validate_custom_headers(headers, endpoint, **kwargs)  # type: ignore[arg-type]
    return caught.value.detail


# ------------------------------------------------------------------ custom headers


def test_valid_custom_headers_are_accepted_as_given() -> None:
    headers = {"X-Team": "support", "x-trace_id": "a1!#$%&'*+-.^_`|~", "Accept": "application/json"}

    assert validate_custom_headers(headers, HTTPS) == headers


@pytest.mark.parametrize("headers", [None, {}])
def test_no_custom_headers_are_fine_for_any_endpoint(headers: dict[str, str] | None) -> None:
    assert validate_custom_headers(headers, "http://plain.example.com/") == {}


def test_custom_headers_need_an_https_endpoint() -> None:
    detail = refused({"X-Team": "support"}, endpoint="http://hooks.example.com/in")

    assert detail == "custom_headers: custom headers need an https endpoint"


def test_at_most_five_custom_headers_are_allowed() -> None:
    five = {f"X-H{i}": "v" for i in range(5)}

    assert validate_custom_headers(five, HTTPS) == five
    assert "at most 5" in refused({**five, "X-H5": "v"})


def test_header_names_must_be_unique_ignoring_case() -> None:
    detail = refused({"X-Team": "a", "x-team": "b"})

    assert '"x-team"' in detail
    assert "twice" in detail


def test_a_header_name_may_have_128_characters_but_not_more() -> None:
    name = "X-" + "a" * 126

    assert validate_custom_headers({name: "v"}, HTTPS) == {name: "v"}
    assert "longer than 128 characters" in refused({name + "a": "v"})


@pytest.mark.parametrize("name", ["X Team", "X-Team:", "X-Tëam", "X(Team)", "X-Team\r\nInjected", "X/Y", ""])
def test_header_names_allow_only_letters_digits_and_zendesks_symbols(name: str) -> None:
    detail = refused({name: "v"})

    assert detail.startswith("custom_headers: ")
    assert "may only contain" in detail or "may not be empty" in detail


@pytest.mark.parametrize("name", sorted(FORBIDDEN_NAMES))
def test_zendesks_unsupported_header_names_are_refused_in_any_case(name: str) -> None:
    detail = refused({name.upper(): "v"})

    assert f'"{name.upper()}" is not supported' in detail


@pytest.mark.parametrize("prefix", FORBIDDEN_PREFIXES)
def test_header_names_with_a_forbidden_prefix_are_refused(prefix: str) -> None:
    detail = refused({f"{prefix.title()}-Custom": "v"})

    assert f"may not start with {prefix!r}" in detail


@pytest.mark.parametrize("name", ["webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE"])
def test_the_signature_headers_hookyard_sets_cannot_be_replaced(name: str) -> None:
    assert "Hookyard sets it" in refused({name: "forged"})


def test_a_custom_header_cannot_replace_the_authentication_header() -> None:
    detail = refused({"authorization": "Bearer x"}, reserved=["Authorization"])

    assert '"authorization" is set by the webhook\'s authentication' in detail


def test_a_header_value_may_have_1000_characters_but_not_more() -> None:
    assert validate_custom_headers({"X-Long": "v" * 1000}, HTTPS) == {"X-Long": "v" * 1000}
    assert "longer than 1000 characters" in refused({"X-Long": "v" * 1001})


@pytest.mark.parametrize("value", ["line\r\nX-Injected: 1", "tab\there", "caf\u00e9", "\x7f"])
def test_header_values_allow_only_printable_us_ascii(value: str) -> None:
    detail = refused({"X-Team": value})

    assert 'the value of header "X-Team" may only contain printable US-ASCII' in detail


def test_a_header_value_must_be_a_string() -> None:
    assert "must be a string" in refused({"X-Count": 5})  # type: ignore[dict-item]


def test_the_error_names_the_field_it_was_given() -> None:
    detail = refused({"Host": "x"}, field="request.headers")

    assert detail.startswith("request.headers: ")


def test_a_very_long_name_is_shown_cut_in_the_error() -> None:
    detail = refused({"X-" + "a" * 300: "v"})

    assert len(detail) < 200


def test_the_header_name_rules_apply_to_a_single_name() -> None:
    validate_header_name("X-Api-Key")

    with pytest.raises(BadRequest, match=r'authentication\.data\.name: header "Content-Type" is not supported'):
        validate_header_name("Content-Type", field="authentication.data.name")


# ------------------------------------------------------------------ authentication


def test_basic_auth_sends_an_authorization_basic_header() -> None:
    headers = authentication_headers("basic_auth", {"username": "me@example.com/token", "password": "s3cr3t"})

    scheme, encoded = headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "me@example.com/token:s3cr3t"


def test_bearer_token_sends_an_authorization_bearer_header() -> None:
    assert authentication_headers("bearer_token", {"token": "abc.def"}) == {"Authorization": "Bearer abc.def"}


def test_an_api_key_sends_the_configured_header() -> None:
    headers = authentication_headers("api_key", {"name": "X-Api-Key", "value": "k-123"}, add_position="header")

    assert headers == {"X-Api-Key": "k-123"}


def test_only_the_header_position_is_supported() -> None:
    with pytest.raises(BadRequest, match=r'authentication\.add_position: only "header" is supported'):
        authentication_headers("api_key", {"name": "X-Api-Key", "value": "k"}, add_position="query")


@pytest.mark.parametrize(
    ("auth_type", "data", "named"),
    [
        ("basic_auth", {"username": "u"}, "authentication.data.password: required"),
        ("basic_auth", {"username": "", "password": "p"}, "authentication.data.username: required"),
        ("bearer_token", {}, "authentication.data.token: required"),
        ("api_key", {"value": "k"}, "authentication.data.name: required"),
        ("api_key", {"name": "X-Key"}, "authentication.data.value: required"),
        ("oauth", {"token": "t"}, "authentication.type: must be one of"),
    ],
)
def test_authentication_without_its_data_is_refused_naming_the_field(
    auth_type: str, data: dict[str, str], named: str
) -> None:
    with pytest.raises(BadRequest, match=named):
        authentication_headers(auth_type, data)


def test_a_basic_auth_user_name_with_a_colon_is_refused() -> None:
    with pytest.raises(BadRequest, match='username: may not contain ":"'):
        authentication_headers("basic_auth", {"username": "a:b", "password": "p"})


@pytest.mark.parametrize(
    ("auth_type", "data", "named"),
    [
        ("bearer_token", {"token": "t\r\nX-Injected: 1"}, "authentication.data.token"),
        ("api_key", {"name": "X-Key", "value": "k\n"}, "authentication.data.value"),
        ("basic_auth", {"username": "u", "password": "p\r\n"}, "authentication.data.password"),
    ],
)
def test_credentials_that_would_break_the_header_are_refused(auth_type: str, data: dict[str, str], named: str) -> None:
    with pytest.raises(BadRequest, match=f"{named}: must be at most 1000 printable US-ASCII"):
        authentication_headers(auth_type, data)


@pytest.mark.parametrize("name", ["X-Zendesk-Key", "Content-Type", "webhook-signature", "bad name"])
def test_an_api_key_header_name_follows_the_custom_header_rules(name: str) -> None:
    with pytest.raises(BadRequest, match=r"authentication\.data\.name"):
        authentication_headers("api_key", {"name": name, "value": "k"})


@pytest.mark.parametrize(
    ("auth_type", "data", "expected"),
    [
        ("basic_auth", {"username": "u", "password": "p"}, "Authorization"),
        ("bearer_token", {"token": "t"}, "Authorization"),
        ("api_key", {"name": "X-Api-Key", "value": "k"}, "X-Api-Key"),
    ],
)
def test_the_authentication_header_name_is_what_its_headers_set(
    auth_type: str, data: dict[str, str], expected: str
) -> None:
    assert authentication_header_name(auth_type, data) == expected
    assert list(authentication_headers(auth_type, data)) == [expected]


# ------------------------------------------------------------------ one builder


def test_the_builder_makes_each_types_header_from_the_secret() -> None:
    # When
    basic = auth_headers("basic_auth", "s3cr3t", username="me@example.com/token")
    bearer = auth_headers("bearer_token", "abc.def")
    api_key = auth_headers("api_key", "k-123", header_name="X-Api-Key")

    # Then
    assert basic == {"Authorization": "Basic " + base64.b64encode(b"me@example.com/token:s3cr3t").decode()}
    assert bearer == {"Authorization": "Bearer abc.def"}
    assert api_key == {"X-Api-Key": "k-123"}


@pytest.mark.parametrize(
    ("kind", "fields"),
    [("basic_auth", {}), ("api_key", {}), ("oauth", {})],
)
def test_the_builder_refuses_an_unknown_type_or_a_missing_name(kind: str, fields: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=kind):
        auth_headers(kind, "secret", **fields)


@pytest.mark.parametrize(
    ("kind", "data", "connection"),
    [
        ("basic_auth", {"username": "api-user", "password": " pass word "}, {"username": "api-user"}),
        ("bearer_token", {"token": "t0ken"}, {}),
        ("api_key", {"name": "X-Api-Key", "value": "k-123"}, {"header_name": "X-Api-Key"}),
    ],
)
def test_a_webhook_and_a_connection_with_the_same_credentials_send_the_same_headers(
    kind: str, data: dict[str, str], connection: dict[str, str]
) -> None:
    # Given the same credentials as a webhook's authentication and as a ZIS connection
    secret = data.get("password") or data.get("token") or data["value"]
    resolved = ResolvedConnection(
        name="conn", type=ConnectionType(kind), allowed_domain="example.com", base_url="", secret=secret, **connection
    )

    # Then
    assert resolved.auth_headers() == authentication_headers(kind, data)
