"""authorizer.logic: the token a request presents (Bearer, or Zendesk-style Basic
`{email}/token:{token}`) -> IAM policy naming every route the token may use."""

from __future__ import annotations

import base64

import pytest

from authorizer.logic import ApiArn, Unauthorized, authorize, presented_token
from hookyard.dal.accounts import TokenOwner
from hookyard.secrets import sha256_hex
from hookyard_dev.apigw import Gateway
from tests.conftest import load_event

OPERATOR_TOKEN = "op_sample_token_for_events_only"  # what events/authorizer/operator_token.json sends
API_TOKEN = "hy_sample_token_for_events_only"  # what events/authorizer/api_token.json sends
OPERATOR_HASH = sha256_hex(OPERATOR_TOKEN)
API_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod"
OWNER = TokenOwner(account_id=42, token_id="01FDXQXBGQRZ3XN28WKX559PR2")


def find_owner(token: str) -> TokenOwner | None:
    return OWNER if token == API_TOKEN else None


def no_lookup(token: str) -> TokenOwner | None:
    raise AssertionError("the token store must not be asked")


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def _resources(result: dict[str, object]) -> list[str]:
    (statement,) = result["policyDocument"]["Statement"]  # type: ignore[index]
    return list(statement["Resource"])


# ------------------------------------------------------------------ presented_token


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer abc"},
        {"authorization": "bearer abc"},
        {"AUTHORIZATION": "BEARER abc"},
        {"Authorization": "  Bearer   abc  "},
    ],
)
def test_presented_token_reads_a_bearer_header_and_scheme_case_insensitively(headers: dict[str, str]) -> None:
    # When / Then
    assert presented_token(headers) == "abc"


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Accept": "application/json"},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": "Basic YTpi"},
        {"Authorization": "abc"},
    ],
)
def test_presented_token_without_a_token_is_none(headers: dict[str, str] | None) -> None:
    # When / Then
    assert presented_token(headers) is None


@pytest.mark.parametrize(
    "username",
    ["agent@example.com/token", "someone.else@example.org/token", "/token", "not-an-email/token", "a/b/token"],
)
def test_presented_token_reads_zendesks_basic_form_whatever_the_user(username: str) -> None:
    # Given `curl -u {email}/token:{api_token}`: the user part is not checked (accounts have no users)
    headers = basic(username, API_TOKEN)

    # When / Then
    assert presented_token(headers) == API_TOKEN


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "  Basic"])
def test_presented_token_reads_the_basic_scheme_case_insensitively(scheme: str) -> None:
    # Given
    encoded = base64.b64encode(f"agent@example.com/token:{API_TOKEN}".encode()).decode()

    # When / Then
    assert presented_token({"authorization": f"{scheme} {encoded}"}) == API_TOKEN


@pytest.mark.parametrize(
    "headers",
    [
        basic("agent@example.com", API_TOKEN),  # a password login, which Hookyard does not have
        basic("agent@example.com/TOKEN", API_TOKEN),
        basic("agent@example.com/token/x", API_TOKEN),
        basic("agent@example.com/token", ""),
        {"Authorization": "Basic " + base64.b64encode(b"agent@example.com/token").decode()},  # no colon
        {"Authorization": "Basic !!not-base64!!"},
        {"Authorization": "Basic " + base64.b64encode(b"\xff/token:\xfe").decode()},  # not UTF-8
        {"Authorization": "Basic "},
    ],
)
def test_presented_token_without_a_basic_api_token_is_none(headers: dict[str, str]) -> None:
    # When / Then
    assert presented_token(headers) is None


# ------------------------------------------------------------------ method ARN


def test_api_arn_keeps_the_api_and_stage_of_the_method_arn() -> None:
    # When
    arn = ApiArn.from_method_arn(f"{API_PREFIX}/GET/api/services/zis/inbound_webhooks/generic/my_integration")

    # Then
    assert arn.prefix == API_PREFIX


def test_api_arn_with_a_colon_in_a_middle_path_segment_keeps_the_api_and_stage() -> None:
    # Given a path segment with a colon (a URL may carry one; API Gateway passes it on)
    method_arn = f"{API_PREFIX}/GET/api/services/zis/inbound_webhooks/generic/team:alpha/d339ba7f"

    # When
    arn = ApiArn.from_method_arn(method_arn)

    # Then
    assert arn.prefix == API_PREFIX


# ------------------------------------------------------------------ operator token


def test_authorize_operator_token_allows_only_the_admin_routes() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert _resources(result) == [f"{API_PREFIX}/*/api/admin/*"]


def test_authorize_operator_token_policy_is_an_invoke_allow() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert result["principalId"] == "operator"
    assert result["policyDocument"]["Version"] == "2012-10-17"
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"


def test_authorize_operator_token_has_the_operator_role_in_its_context() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert result["context"] == {"role": "operator"}


# ------------------------------------------------------------------ API token


def test_authorize_api_token_allows_the_services_and_v2_routes() -> None:
    # Given
    event = load_event("authorizer/api_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert _resources(result) == [f"{API_PREFIX}/*/api/services/*", f"{API_PREFIX}/*/api/v2/*"]


def test_authorize_api_token_does_not_allow_the_admin_routes() -> None:
    # Given
    event = load_event("authorizer/api_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert not any("/api/admin" in resource for resource in _resources(result))
    assert not Gateway.allows(result["policyDocument"], f"{API_PREFIX}/POST/api/admin/accounts")


def test_authorize_api_token_policy_covers_routes_other_than_the_one_asked() -> None:
    # Given a policy API Gateway caches for the token and applies to later routes
    event = load_event("authorizer/api_token.json")
    result = authorize(event, OPERATOR_HASH, find_owner)

    # When
    allowed = Gateway.allows(result["policyDocument"], f"{API_PREFIX}/DELETE/api/v2/webhooks/01ABC")

    # Then
    assert allowed


def test_authorize_api_token_hands_over_the_account_id_as_a_string() -> None:
    # Given
    event = load_event("authorizer/api_token.json")

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert result["principalId"] == "account:42"
    assert result["context"] == {"role": "account", "account_id": "42", "token_id": OWNER.token_id}
    assert isinstance(result["context"]["account_id"], str)


# ------------------------------------------------------------------ basic auth


def test_authorize_api_token_in_basic_auth_gets_the_same_policy_as_bearer() -> None:
    # Given the same token, once as Bearer and once as `-u agent@example.com/token:{token}`
    bearer, basic_auth = load_event("authorizer/api_token.json"), load_event("authorizer/api_token_basic.json")

    # When
    as_bearer, as_basic = authorize(bearer, OPERATOR_HASH, find_owner), authorize(basic_auth, OPERATOR_HASH, find_owner)

    # Then
    assert as_basic == as_bearer
    assert as_basic["context"] == {"role": "account", "account_id": "42", "token_id": OWNER.token_id}


def test_authorize_operator_token_in_basic_auth_allows_only_the_admin_routes() -> None:
    # Given
    event = load_event("authorizer/operator_token_basic.json")

    # When
    result = authorize(event, OPERATOR_HASH, no_lookup)

    # Then
    assert result["context"] == {"role": "operator"}
    assert _resources(result) == [f"{API_PREFIX}/*/api/admin/*"]


def test_authorize_unknown_token_in_basic_auth_is_unauthorized() -> None:
    # Given
    event = load_event("authorizer/api_token_basic.json")
    event["headers"] |= basic("agent@example.com/token", "hy_not_a_real_token")

    # When / Then
    with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
        authorize(event, OPERATOR_HASH, find_owner)


def test_authorize_basic_auth_with_a_password_login_is_unauthorized_without_a_lookup() -> None:
    # Given `-u agent@example.com:{token}`: Zendesk reads that as a password, not a token
    event = load_event("authorizer/api_token_basic.json")
    event["headers"] |= basic("agent@example.com", API_TOKEN)

    # When / Then
    with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
        authorize(event, OPERATOR_HASH, no_lookup)


# ------------------------------------------------------------------ refusals


def test_authorize_unknown_token_is_unauthorized() -> None:
    # Given
    event = load_event("authorizer/unknown_token.json")

    # When / Then
    with pytest.raises(Unauthorized) as refusal:
        authorize(event, OPERATOR_HASH, find_owner)
    assert str(refusal.value) == "Unauthorized"


def test_authorize_without_a_token_is_unauthorized_without_a_lookup() -> None:
    # Given
    event = load_event("authorizer/api_token.json")
    del event["headers"]["Authorization"]

    # When / Then
    with pytest.raises(Unauthorized) as refusal:
        authorize(event, OPERATOR_HASH, no_lookup)
    assert str(refusal.value) == "Unauthorized"


def test_authorize_with_another_scheme_is_unauthorized() -> None:
    # Given
    event = load_event("authorizer/operator_token.json")
    event["headers"]["Authorization"] = f"Token {OPERATOR_TOKEN}"

    # When / Then
    with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
        authorize(event, OPERATOR_HASH, no_lookup)


def test_authorize_with_a_colon_in_the_last_path_segment_still_answers_a_policy() -> None:
    # Given a request whose last path segment carries a colon
    event = load_event("authorizer/api_token.json")
    event["methodArn"] = f"{API_PREFIX}/GET/api/services/zis/inbound_webhooks/generic/team:alpha"

    # When
    result = authorize(event, OPERATOR_HASH, find_owner)

    # Then
    assert _resources(result) == [f"{API_PREFIX}/*/api/services/*", f"{API_PREFIX}/*/api/v2/*"]
