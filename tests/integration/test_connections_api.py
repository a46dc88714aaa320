"""ZIS connections API through the registry API's real handler on moto (tables and key
from template.yaml), and the flow runner's view of a connection (`resolve`)."""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Any

import boto3
import pytest

from hookyard import crypto
from hookyard.config import RegistrySettings, get_settings
from hookyard.dal.configs import ConfigsRepository
from hookyard.dal.connections import ConnectionsRepository, seal_context
from hookyard.dal.registry import RegistryRepository
from hookyard.errors import NotFound
from hookyard.flows.engine import ActionError
from hookyard.models.connections import ConnectionType
from hookyard.outbound import OutboundClient
from hookyard_dev.template import REGION, Template
from tests.integration.conftest import body, invoke, load_event, with_path, with_query

pytestmark = pytest.mark.usefixtures("aws_env")

INTEGRATION = "my_integration"
ZIS_NOT_FOUND = {"errors": [{"code": "1110", "detail": "Not Found", "status": "404"}]}
PASSWORD = "pa55-word-that-must-never-show"
TOKEN = "bearer-token-that-must-never-show"
API_KEY = "api-key-value-that-must-never-show"
BODIES: dict[str, dict[str, Any]] = {
    "basic_auth": {
        "name": "basic_conn",
        "username": "api-user",
        "password": PASSWORD,
        "allowed_domain": "api.example.com",
    },
    "bearer_token": {"name": "bearer_conn", "token": TOKEN, "allowed_domain": "*.example.com"},
    "api_key": {"name": "key_conn", "header_name": "X-Api-Key", "api_key": API_KEY, "allowed_domain": "example.org"},
}


def handler() -> Any:
    from registry_api.handler import lambda_handler

    return lambda_handler


@pytest.fixture
def public_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """As deployed by default: outbound calls reach public addresses only (the local
    stack, as these tests otherwise run, allows loopback)."""
    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "")
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def integrations(aws_env: Template) -> None:
    """The integration exists in both accounts (connections belong to an integration)."""
    registry = RegistryRepository(get_settings(RegistrySettings).config_table)
    for account_id in (1, 2):
        registry.create_integration(account_id, INTEGRATION, "connections under test")


def event(
    scenario: str, /, account_id: int = 1, payload: Any = None, query: dict[str, str] | None = None, **path: str
) -> dict[str, Any]:
    """events/registry_api/<scenario>.json as account `account_id`, at other path parameters."""
    ev = load_event(f"registry_api/{scenario}.json")
    ev["requestContext"]["authorizer"]["account_id"] = str(account_id)
    if path:
        with_path(ev, **path)
    if payload is not None:
        ev["body"] = json.dumps(payload)
    if query is not None:
        with_query(ev, query)
    return ev


def create(connection_type: str, account_id: int = 1, **fields: Any) -> dict[str, Any]:
    payload = {**BODIES.get(connection_type, {}), **fields}
    return invoke(handler(), event("connections_create", account_id, payload, connection_type=connection_type))


def created(connection_type: str, account_id: int = 1, **fields: Any) -> dict[str, Any]:
    response = create(connection_type, account_id, **fields)
    assert response["statusCode"] == 201, response
    return body(response)[connection_type]  # type: ignore[no-any-return]


def at(scenario: str, connection_type: str, name: str, account_id: int = 1, payload: Any = None) -> dict[str, Any]:
    return invoke(handler(), event(scenario, account_id, payload, connection_type=connection_type, name=name))


def repo() -> ConnectionsRepository:
    return ConnectionsRepository(get_settings(RegistrySettings).config_table)


def stored_items() -> str:
    return json.dumps(boto3.client("dynamodb", region_name=REGION).scan(TableName="ConfigTable")["Items"])


def errors_of(response: dict[str, Any]) -> str:
    return " ".join(e["detail"] for e in body(response)["errors"])


# ------------------------------------------------------------------ create


@pytest.mark.parametrize(
    ("connection_type", "expected"),
    [
        (
            "basic_auth",
            {
                "name": "basic_conn",
                "type": "basic_auth",
                "username": "api-user",
                "password": "*****",
                "allowed_domain": "api.example.com",
                "base_url": "https://api.example.com",
            },
        ),
        (
            "bearer_token",
            {
                "name": "bearer_conn",
                "type": "bearer_token",
                "token": "*****",
                "allowed_domain": "*.example.com",
                "base_url": None,
            },
        ),
        (
            "api_key",
            {
                "name": "key_conn",
                "type": "api_key",
                "header_name": "X-Api-Key",
                "api_key": "*****",
                "allowed_domain": "example.org",
                "base_url": "https://example.org",
            },
        ),
    ],
)
def test_creating_each_type_answers_201_under_its_type_with_the_secret_masked(
    connection_type: str, expected: dict[str, Any]
) -> None:
    # When
    response = create(connection_type)

    # Then
    assert response["statusCode"] == 201
    [(key, connection)] = body(response).items()
    assert key == connection_type
    assert {k: v for k, v in connection.items() if k not in ("created_at", "updated_at")} == expected
    assert connection["created_at"].endswith("Z")
    assert connection["updated_at"] == connection["created_at"]


def test_the_create_events_file_creates_a_basic_auth_connection() -> None:
    # When
    response = invoke(handler(), load_event("registry_api/connections_create.json"))

    # Then
    assert response["statusCode"] == 201
    assert body(response)["basic_auth"]["name"] == "my_basic_auth"
    assert body(response)["basic_auth"]["password"] == "*****"


def test_secrets_are_stored_only_sealed_and_open_only_for_their_own_connection() -> None:
    # Given
    for connection_type in BODIES:
        created(connection_type)

    # When
    stored = stored_items()
    record = repo().get(1, INTEGRATION, "basic_conn")

    # Then
    for secret in (PASSWORD, TOKEN, API_KEY):
        assert secret not in stored
        assert base64.b64encode(secret.encode()).decode() not in stored
    assert crypto.unseal(record.secret_sealed, seal_context(1, INTEGRATION, "basic_conn")) == PASSWORD
    with pytest.raises(Exception, match=r"(?i)invalid|ciphertext|context"):
        crypto.unseal(record.secret_sealed, seal_context(2, INTEGRATION, "basic_conn"))


def test_a_name_taken_by_a_connection_of_another_type_answers_409() -> None:
    # Given
    created("basic_auth", name="shared_name")

    # When
    response = create("bearer_token", name="shared_name")

    # Then
    assert response["statusCode"] == 409
    assert "shared_name" in errors_of(response)
    assert repo().get(1, INTEGRATION, "shared_name").type is ConnectionType.BASIC_AUTH


def test_the_same_name_in_another_account_is_a_separate_connection() -> None:
    # Given
    created("basic_auth")

    # When
    response = create("basic_auth", account_id=2)

    # Then
    assert response["statusCode"] == 201


@pytest.mark.parametrize(
    ("connection_type", "fields", "named"),
    [
        ("basic_auth", {"name": "ab"}, "name"),
        ("basic_auth", {"name": "x" * 65}, "name"),
        ("basic_auth", {"name": "has space"}, "name"),
        ("basic_auth", {"name": "dots.not.allowed"}, "name"),
        ("basic_auth", {"allowed_domain": "not a domain"}, "allowed_domain"),
        ("basic_auth", {"allowed_domain": "https://api.example.com"}, "allowed_domain"),
        ("basic_auth", {"allowed_domain": "api.example.com/path"}, "allowed_domain"),
        ("basic_auth", {"allowed_domain": "exa_mple.com"}, "allowed_domain"),
        ("basic_auth", {"allowed_domain": "*.com"}, "allowed_domain"),
        ("basic_auth", {"allowed_domain": "api.*.example.com"}, "allowed_domain"),
        ("basic_auth", {"allowed_domain": ""}, "allowed_domain"),
        ("basic_auth", {"username": "has:colon"}, "username"),
        ("basic_auth", {"password": ""}, "password"),
        ("basic_auth", {"colour": "red"}, "colour"),
        ("basic_auth", {"base_url": "https://elsewhere.example.net"}, "base_url"),
        ("basic_auth", {"base_url": "ftp://api.example.com"}, "base_url"),
        ("basic_auth", {"base_url": "https://user:pw@api.example.com"}, "base_url"),
        ("basic_auth", {"base_url": "https://api.example.com/?q=1"}, "base_url"),
        ("bearer_token", {"token": "has space"}, "token"),
        ("bearer_token", {"base_url": "https://example.com"}, "base_url"),  # the apex is not *.example.com
        ("api_key", {"header_name": "Bad Header"}, "header_name"),
        ("api_key", {"header_name": "Host"}, "header_name"),
        ("api_key", {"api_key": "line\nbreak"}, "api_key"),
    ],
)
def test_create_with_a_bad_field_answers_400_naming_the_field(
    connection_type: str, fields: dict[str, Any], named: str
) -> None:
    # When
    response = create(connection_type, **fields)

    # Then
    assert response["statusCode"] == 400
    assert all(e["code"] == "1010" and e["status"] == "400" for e in body(response)["errors"])
    assert named in errors_of(response)
    assert PASSWORD not in response["body"]
    assert TOKEN not in response["body"]


@pytest.mark.parametrize("missing", ["name", "username", "password", "allowed_domain"])
def test_create_without_a_required_field_answers_400_naming_it(missing: str) -> None:
    # Given
    payload = {k: v for k, v in BODIES["basic_auth"].items() if k != missing}
    ev = event("connections_create", 1, payload, connection_type="basic_auth")

    # When
    response = invoke(handler(), ev)

    # Then
    assert response["statusCode"] == 400
    assert missing in errors_of(response)


def test_an_unknown_connection_type_answers_400_naming_it() -> None:
    # When
    created_response = create("oauth", name="some_conn", allowed_domain="example.com")
    shown = at("connections_show", "oauth", "some_conn")

    # Then
    for response in (created_response, shown):
        assert response["statusCode"] == 400
        assert 'connection_type: "oauth" is not one of basic_auth, bearer_token, api_key' in errors_of(response)


def test_creating_under_an_unknown_integration_answers_404() -> None:
    # When
    response = invoke(
        handler(),
        event("connections_create", 1, BODIES["basic_auth"], integration="no_such", connection_type="basic_auth"),
    )

    # Then
    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND


def test_a_given_base_url_is_kept_and_may_be_http_only_when_given() -> None:
    # When
    https = created("basic_auth", name="with_path", base_url="https://api.example.com:8443/v2")
    http = created("bearer_token", name="plain_http", base_url="http://internal.example.com")

    # Then
    assert https["base_url"] == "https://api.example.com:8443/v2"
    assert http["base_url"] == "http://internal.example.com"


def test_allowed_domain_is_kept_in_lower_case() -> None:
    # When
    connection = created("basic_auth", allowed_domain="API.Example.COM")

    # Then
    assert connection["allowed_domain"] == "api.example.com"
    assert connection["base_url"] == "https://api.example.com"


@pytest.mark.usefixtures("public_only")
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"allowed_domain": "169.254.169.254"}, "allowed_domain: 169.254.169.254 is a private"),
        ({"allowed_domain": "10.0.0.1"}, "allowed_domain: 10.0.0.1 is a private"),
        ({"allowed_domain": "localhost"}, "allowed_domain: localhost is 127.0.0.1, a private"),
        ({"allowed_domain": "*.dev.localhost"}, "allowed_domain: dev.localhost is 127.0.0.1, a private"),
        ({"allowed_domain": "[::1]"}, "allowed_domain: ::1 is a private"),
        ({"allowed_domain": "fd00:ec2::254"}, "allowed_domain: fd00:ec2::254 is a private"),
        ({"allowed_domain": "::ffff:a9fe:a9fe"}, "allowed_domain: ::ffff:169.254.169.254 is a private"),
        (
            {"allowed_domain": "*.example.com", "base_url": "http://169.254.169.254/latest"},
            "base_url: 169.254.169.254 is a private",
        ),
        # Other spellings of 127.0.0.1 that resolvers accept are not host names.
        ({"allowed_domain": "127.1"}, "allowed_domain: must be a host name"),
        ({"allowed_domain": "2130706433"}, "allowed_domain: must be a host name"),
        ({"allowed_domain": "0x7f000001"}, "allowed_domain: must be a host name"),
        ({"allowed_domain": "[fe80::1%eth0]"}, "allowed_domain: must be a host name"),
    ],
)
def test_a_connection_to_a_private_loopback_or_metadata_address_answers_400_naming_the_field(
    fields: dict[str, Any], named: str
) -> None:
    # When
    response = create("basic_auth", **fields)

    # Then
    assert response["statusCode"] == 400
    assert named in errors_of(response)
    assert repo().list(1, INTEGRATION, 10, None) == ([], None)


def test_a_dns_name_is_accepted_without_resolving_it_and_checked_when_used(public_only: None) -> None:
    """The tests run without DNS: a name is not resolved when a connection is saved (the
    call it is for may be made much later, to another answer)."""
    # When
    connection = created("basic_auth", allowed_domain="never-resolves.example.com")

    # Then
    assert connection["allowed_domain"] == "never-resolves.example.com"


def test_the_local_stack_allow_list_lets_a_connection_point_at_loopback() -> None:
    # Given the local stack's OUTBOUND_ALLOW_CIDRS (127.0.0.0/8,::1/128), as these tests run

    # When
    v4 = created("basic_auth", name="local_v4", allowed_domain="127.0.0.1", base_url="http://127.0.0.1:8080")
    v6 = created("bearer_token", name="local_v6", allowed_domain="[::1]", base_url="http://[::1]:8080/api")
    named = created("api_key", name="local_name", allowed_domain="localhost", base_url="http://localhost:8080")
    default = created("basic_auth", name="default_v6", allowed_domain="::1")

    # Then
    assert (v4["allowed_domain"], v4["base_url"]) == ("127.0.0.1", "http://127.0.0.1:8080")
    assert (v6["allowed_domain"], v6["base_url"]) == ("::1", "http://[::1]:8080/api")
    assert named["base_url"] == "http://localhost:8080"
    assert default["base_url"] == "https://[::1]"
    assert repo().resolve(1, INTEGRATION, "local_v6").allows("http://[0:0::1]:8080/api/x") is True


# ------------------------------------------------------------------ show


def test_show_answers_200_with_the_connection_as_created() -> None:
    # Given
    connection = created("api_key")

    # When
    response = at("connections_show", "api_key", "key_conn")

    # Then
    assert response["statusCode"] == 200
    assert body(response) == {"api_key": connection}


def test_the_show_events_file_finds_the_connection_the_create_file_made() -> None:
    # Given
    invoke(handler(), load_event("registry_api/connections_create.json"))

    # When
    response = invoke(handler(), load_event("registry_api/connections_show.json"))

    # Then
    assert response["statusCode"] == 200
    assert body(response)["basic_auth"]["username"] == "api-user"


@pytest.mark.parametrize(
    ("connection_type", "name", "account_id"),
    [
        ("basic_auth", "no_such_conn", 1),  # unknown
        ("bearer_token", "basic_conn", 1),  # of another type
        ("basic_auth", "basic_conn", 2),  # of another account
    ],
)
def test_show_of_a_connection_that_is_not_the_callers_of_that_type_answers_404(
    connection_type: str, name: str, account_id: int
) -> None:
    # Given
    created("basic_auth")

    # When
    response = at("connections_show", connection_type, name, account_id)

    # Then
    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND


# ------------------------------------------------------------------ update


def test_patch_changes_only_the_given_fields_and_reseals_a_new_secret() -> None:
    # Given
    before = created("basic_auth")

    # When
    response = at(
        "connections_update",
        "basic_auth",
        "basic_conn",
        payload={"username": "new-user", "password": "new-pa55-word-never-shown"},
    )

    # Then
    assert response["statusCode"] == 200
    after = body(response)["basic_auth"]
    assert after == {**before, "username": "new-user", "updated_at": after["updated_at"]}
    assert after["password"] == "*****"
    assert "new-pa55-word-never-shown" not in stored_items()
    resolved = repo().resolve(1, INTEGRATION, "basic_conn")
    assert resolved.auth_headers() == {
        "Authorization": "Basic " + base64.b64encode(b"new-user:new-pa55-word-never-shown").decode()
    }


def test_patch_without_a_secret_keeps_the_stored_one() -> None:
    # Given
    created("bearer_token")

    # When
    response = at("connections_update", "bearer_token", "bearer_conn", payload={"allowed_domain": "api.example.net"})

    # Then
    assert response["statusCode"] == 200
    assert body(response)["bearer_token"]["allowed_domain"] == "api.example.net"
    assert body(response)["bearer_token"]["base_url"] == "https://api.example.net"
    assert repo().resolve(1, INTEGRATION, "bearer_conn").auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_patch_of_the_base_url_to_null_goes_back_to_the_default() -> None:
    # Given
    created("api_key", base_url="https://example.org/api")

    # When
    response = at("connections_update", "api_key", "key_conn", payload={"base_url": None})

    # Then
    assert response["statusCode"] == 200
    assert body(response)["api_key"]["base_url"] == "https://example.org"


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"name": "renamed"}, "name: cannot be changed"),
        ({"password": None}, "password: must not be null"),
        ({"allowed_domain": "elsewhere.example.net"}, "base_url"),  # the kept base_url leaves the domain
        ({"base_url": "https://elsewhere.example.net"}, "base_url"),
        ({"token": "bearer-only"}, "token"),  # not a basic_auth field
        ({"username": "bad:user"}, "username"),
    ],
)
def test_patch_with_a_bad_change_answers_400_naming_it_and_changes_nothing(payload: dict[str, Any], named: str) -> None:
    # Given
    before = created("basic_auth", base_url="https://api.example.com/v1")

    # When
    response = at("connections_update", "basic_auth", "basic_conn", payload=payload)

    # Then
    assert response["statusCode"] == 400
    assert named in errors_of(response)
    assert body(at("connections_show", "basic_auth", "basic_conn"))["basic_auth"] == before


@pytest.mark.usefixtures("public_only")
@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"allowed_domain": "169.254.169.254", "base_url": None}, "allowed_domain: 169.254.169.254 is a private"),
        ({"allowed_domain": "localhost", "base_url": None}, "allowed_domain: localhost is 127.0.0.1"),
        (
            {"allowed_domain": "*.example.com", "base_url": "https://[::ffff:10.0.0.1]/"},
            "base_url: ::ffff:10.0.0.1 is a private",
        ),
    ],
)
def test_patch_to_a_private_address_answers_400_naming_the_field_and_changes_nothing(
    payload: dict[str, Any], named: str
) -> None:
    # Given
    before = created("basic_auth")

    # When
    response = at("connections_update", "basic_auth", "basic_conn", payload=payload)

    # Then
    assert response["statusCode"] == 400
    assert named in errors_of(response)
    assert body(at("connections_show", "basic_auth", "basic_conn"))["basic_auth"] == before


def test_patch_of_a_secret_keeps_working_on_a_connection_the_allow_list_let_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a loopback connection saved while loopback was allowed, and an allow-list that
    # no longer allows it
    created("basic_auth", allowed_domain="127.0.0.1", base_url="http://127.0.0.1:8080")
    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "")
    get_settings.cache_clear()

    # When only the password changes
    response = at("connections_update", "basic_auth", "basic_conn", payload={"password": "rotated-pa55"})

    # Then the destination is not judged again (calls still are, when made)
    assert response["statusCode"] == 200


def test_patch_of_another_accounts_or_types_connection_answers_404() -> None:
    # Given
    created("basic_auth")

    # When
    foreign = at("connections_update", "basic_auth", "basic_conn", account_id=2, payload={"username": "x"})
    other_type = at("connections_update", "api_key", "basic_conn", payload={"header_name": "X-Key"})

    # Then
    assert foreign["statusCode"] == 404
    assert other_type["statusCode"] == 404
    assert repo().get(1, INTEGRATION, "basic_conn").username == "api-user"


# ------------------------------------------------------------------ delete


def test_delete_answers_204_and_the_connection_is_gone() -> None:
    # Given
    created("basic_auth")

    # When
    response = at("connections_delete", "basic_auth", "basic_conn")

    # Then
    assert response["statusCode"] == 204
    assert response["body"] == ""
    assert at("connections_show", "basic_auth", "basic_conn")["statusCode"] == 404
    assert create("bearer_token", name="basic_conn")["statusCode"] == 201  # the name is free again


@pytest.mark.parametrize(
    ("connection_type", "name", "account_id"),
    [("basic_auth", "no_such_conn", 1), ("api_key", "basic_conn", 1), ("basic_auth", "basic_conn", 2)],
)
def test_delete_of_a_connection_that_is_not_the_callers_of_that_type_answers_404_and_keeps_it(
    connection_type: str, name: str, account_id: int
) -> None:
    # Given
    created("basic_auth")

    # When
    response = at("connections_delete", connection_type, name, account_id)

    # Then
    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND
    assert repo().get(1, INTEGRATION, "basic_conn").name == "basic_conn"


# ------------------------------------------------------------------ list


def test_list_answers_zendesks_shape_an_array_per_type_and_meta() -> None:
    # Given one connection of each type
    for connection_type in BODIES:
        created(connection_type)

    # When
    response = invoke(handler(), load_event("registry_api/connections_list.json"))

    # Then
    assert response["statusCode"] == 200
    listed = body(response)
    assert set(listed) == {"api_key", "basic_auth", "bearer_token", "oauth", "meta"}
    assert [c["name"] for c in listed["api_key"]] == ["key_conn"]
    assert [c["name"] for c in listed["basic_auth"]] == ["basic_conn"]
    assert [c["name"] for c in listed["bearer_token"]] == ["bearer_conn"]
    assert listed["oauth"] == []
    assert listed["api_key"][0]["api_key"] == "*****"
    assert listed["basic_auth"][0]["password"] == "*****"
    assert listed["bearer_token"][0]["token"] == "*****"
    assert listed["meta"] == {"has_more": False, "after": None, "before": None}


def test_list_of_an_integration_without_connections_answers_empty_arrays() -> None:
    # When
    response = invoke(handler(), event("connections_list"))

    # Then
    assert body(response) == {
        "api_key": [],
        "basic_auth": [],
        "bearer_token": [],
        "oauth": [],
        "meta": {"has_more": False, "after": None, "before": None},
    }


def test_list_pages_through_every_type_of_the_integration_only_by_name() -> None:
    # Given five connections of three types, one in another account
    names = ["conn_a", "conn_b", "conn_c", "conn_d", "conn_e"]
    types = ["basic_auth", "bearer_token", "api_key", "basic_auth", "api_key"]
    for name, connection_type in zip(names, types, strict=True):
        created(connection_type, name=name)
    created("basic_auth", account_id=2, name="foreign")

    # When
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {"page[size]": "2", **({"page[after]": after} if after else {})}
        response = invoke(handler(), event("connections_list", query=query))
        assert response["statusCode"] == 200, response
        pages.append(body(response))
        after = pages[-1]["meta"]["after"]
        if not pages[-1]["meta"]["has_more"]:
            break

    # Then page[size] counts connections of every type, and pages follow names
    def on(page: dict[str, Any]) -> dict[str, list[str]]:
        return {t: [c["name"] for c in page[t]] for t in ("api_key", "basic_auth", "bearer_token") if page[t]}

    assert [on(p) for p in pages] == [
        {"basic_auth": ["conn_a"], "bearer_token": ["conn_b"]},
        {"api_key": ["conn_c"], "basic_auth": ["conn_d"]},
        {"api_key": ["conn_e"]},
    ]
    assert pages[-1]["meta"] == {"has_more": False, "after": None, "before": None}


def test_a_full_last_page_does_not_claim_more() -> None:
    # Given
    created("basic_auth", name="conn_a")
    created("basic_auth", name="conn_b")

    # When
    response = invoke(handler(), event("connections_list", query={"page[size]": "2"}))

    # Then
    assert body(response)["meta"]["has_more"] is False


@pytest.mark.parametrize("query", [{"page[size]": "0"}, {"page[size]": "101"}, {"page[after]": "not-a-cursor"}])
def test_list_with_a_bad_page_parameter_answers_400(query: dict[str, str]) -> None:
    # When
    response = invoke(handler(), event("connections_list", query=query))

    # Then
    assert response["statusCode"] == 400
    assert "page[" in errors_of(response)


def test_list_of_an_unknown_integration_answers_404() -> None:
    # When
    response = invoke(handler(), event("connections_list", integration="no_such"))

    # Then
    assert response["statusCode"] == 404


# ------------------------------------------------------------------ the flow runner's view


def test_resolve_opens_the_secret_into_each_types_auth_headers() -> None:
    # Given
    for connection_type in BODIES:
        created(connection_type)

    # When
    basic = repo().resolve(1, INTEGRATION, "basic_conn")
    bearer = repo().resolve(1, INTEGRATION, "bearer_conn")
    api_key = repo().resolve(1, INTEGRATION, "key_conn")

    # Then
    assert basic.auth_headers() == {
        "Authorization": "Basic " + base64.b64encode(f"api-user:{PASSWORD}".encode()).decode()
    }
    assert bearer.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert api_key.auth_headers() == {"X-Api-Key": API_KEY}
    assert (basic.type, basic.base_url, basic.allowed_domain) == (
        ConnectionType.BASIC_AUTH,
        "https://api.example.com",
        "api.example.com",
    )
    assert bearer.base_url == ""  # a wildcard domain without a base_url: actions give full urls
    assert PASSWORD not in repr(basic)
    assert TOKEN not in repr(bearer)
    assert API_KEY not in repr(api_key)


def test_credentials_are_kept_exactly_as_given_spaces_included() -> None:
    # Given
    created("basic_auth", username=" user ", password=" pass word ")
    created("api_key", api_key=" key ")

    # When
    basic = repo().resolve(1, INTEGRATION, "basic_conn")
    api_key = repo().resolve(1, INTEGRATION, "key_conn")

    # Then
    assert basic.auth_headers() == {"Authorization": "Basic " + base64.b64encode(b" user : pass word ").decode()}
    assert api_key.auth_headers() == {"X-Api-Key": " key "}


def test_resolve_of_a_missing_or_foreign_connection_raises_not_found() -> None:
    # Given
    created("basic_auth")

    # Then
    with pytest.raises(NotFound):
        repo().resolve(1, INTEGRATION, "no_such_conn")
    with pytest.raises(NotFound):
        repo().resolve(2, INTEGRATION, "basic_conn")
    with pytest.raises(NotFound):
        repo().resolve(1, "other_integration", "basic_conn")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com/v2/tickets", True),
        ("https://API.EXAMPLE.COM/v2", True),
        ("https://api.example.com:8443/v2", True),
        ("https://api.example.com./v2", True),
        ("https://example.com/v2", False),
        ("https://other.example.com/v2", False),
        ("https://sub.api.example.com/v2", False),
        ("https://api.example.com.evil.net/v2", False),
        ("https://evilapi.example.com/v2", False),
        ("http://api.example.com/v2", False),  # credentials go over https unless the owner chose http
        ("https://api.example.com@evil.net/", False),
        ("https://evil.net@api.example.com/", False),
        ("https://evil.net\\@api.example.com/", False),
        ("ftp://api.example.com/", False),
        ("/v2/tickets", False),
        ("https://api.example.com:99999/", False),
    ],
)
def test_an_exact_domain_allows_only_its_own_host(url: str, allowed: bool) -> None:
    # Given
    created("basic_auth")

    # When
    connection = repo().resolve(1, INTEGRATION, "basic_conn")

    # Then
    assert connection.allows(url) is allowed


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com/x", True),
        ("https://a.b.example.com/x", True),
        ("https://example.com/x", False),  # the apex is not a subdomain
        ("https://badexample.com/x", False),
        ("https://example.com.evil.net/x", False),
    ],
)
def test_a_wildcard_domain_allows_any_subdomain(url: str, allowed: bool) -> None:
    # Given
    created("bearer_token")

    # When
    connection = repo().resolve(1, INTEGRATION, "bearer_conn")

    # Then
    assert connection.allows(url) is allowed


def test_an_http_base_url_given_by_the_owner_lets_credentials_go_over_http() -> None:
    # Given
    created("api_key", base_url="http://example.org:8080")

    # When
    connection = repo().resolve(1, INTEGRATION, "key_conn")

    # Then
    assert connection.base_url == "http://example.org:8080"
    assert connection.allows("http://example.org:8080/hook") is True
    assert connection.allows("https://example.org/hook") is True


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://api.example.com/v2",
            "connection basic_conn sends its credentials over https only; "
            "to call http, give the connection an http:// base_url",
        ),
        (
            "https://other.example.com/v2",
            "https://other.example.com/v2 is outside connection basic_conn's allowed domain api.example.com",
        ),
        ("ftp://api.example.com/", "ftp://api.example.com/ is not an http(s) URL"),
        ("/v2/tickets", "/v2/tickets is not an http(s) URL"),
        ("https://api.example.com:99999/", "https://api.example.com:99999/ is not a valid URL"),
        ("https://evil.net@api.example.com/", "the URL has credentials (user@host) in it"),
        ("https://user:pw@api.example.com/", "the URL has credentials (user@host) in it"),
        ("https://api.example.com/a b", "the URL has a backslash, whitespace or a control character"),
        ("https://evil.net\\@api.example.com/", "the URL has a backslash"),
    ],
)
def test_a_refused_url_comes_with_the_reason(url: str, reason: str) -> None:
    # Given
    created("basic_auth")

    # When
    refusal = repo().resolve(1, INTEGRATION, "basic_conn").refusal(url)

    # Then
    assert refusal is not None
    assert reason in refusal
    assert "user:pw" not in refusal


def test_an_allowed_url_has_no_refusal() -> None:
    # Given
    created("basic_auth")

    # Then
    assert repo().resolve(1, INTEGRATION, "basic_conn").refusal("https://api.example.com/v2") is None


def executor(client: OutboundClient, url: str) -> Any:
    """The flow runner's action executor with one HTTP action through basic_conn."""
    from flow_runner.executor import ActionExecutor

    tables = get_settings(RegistrySettings)
    return ActionExecutor(
        account_id=1,
        integration=INTEGRATION,
        actions={"call": {"method": "GET", "url": url, "connectionName": "basic_conn"}},
        recorded={},
        connections=repo(),
        configs=ConfigsRepository(tables.config_table),
        client=client,
    )


def test_a_flow_action_over_http_with_an_https_connection_fails_naming_the_scheme() -> None:
    # Given an https connection, and a client that must not be called
    created("basic_auth")

    def no_dns(host: str, port: int) -> list[Any]:
        raise AssertionError("the request must not be made")

    # When
    with pytest.raises(ActionError) as failed:
        executor(OutboundClient(resolver=no_dns), "http://api.example.com/v2").call(
            "Get", f"zis:{INTEGRATION}:action:call", {}
        )

    # Then
    assert "sends its credentials over https only" in failed.value.cause
    assert "http:// base_url" in failed.value.cause
    assert "outside" not in failed.value.cause


def test_a_flow_action_whose_host_now_resolves_to_a_private_address_is_blocked_when_called() -> None:
    # Given a connection saved with a DNS name, which now resolves to the metadata service
    created("basic_auth")
    client = OutboundClient(resolver=lambda host, port: [ipaddress.ip_address("169.254.169.254")])

    # When
    with pytest.raises(ActionError) as failed:
        executor(client, "https://api.example.com/v2").call("Get", f"zis:{INTEGRATION}:action:call", {})

    # Then
    assert "api.example.com resolves to 169.254.169.254" in failed.value.cause


def test_the_openapi_document_describes_the_connection_routes() -> None:
    # Given
    swagger = event("connections_list")
    swagger.update(
        path="/api/services/zis/registry/swagger",
        resource="/api/services/zis/registry/swagger",
        pathParameters=None,
        queryStringParameters={"format": "json"},
        multiValueQueryStringParameters={"format": ["json"]},
    )

    # When
    response = invoke(handler(), swagger)

    # Then
    assert response["statusCode"] == 200
    paths = body(response)["paths"]
    base = "/api/services/zis/integrations/{integration}/connections"
    assert {"post"} <= set(paths[f"{base}/{{connection_type}}"])
    assert {"get"} <= set(paths[f"{base}/all"])
    assert {"get", "patch", "delete"} <= set(paths[f"{base}/{{connection_type}}/{{name}}"])
