"""ZIS configs API through the registry API's real handler on moto (tables from
template.yaml), and the flow runner's LoadConfig / PatchConfig store."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from hookyard.config import RegistrySettings, get_settings
from hookyard.dal.configs import ConfigsRepository
from hookyard.dal.registry import RegistryRepository
from hookyard.errors import BadRequest, PayloadTooLarge
from hookyard.models.configs import ConfigRecord
from hookyard_dev.template import Template
from tests.integration.conftest import body, invoke, load_event, with_path, with_query

pytestmark = pytest.mark.usefixtures("aws_env")

INTEGRATION = "my_integration"
ZIS_NOT_FOUND = {"errors": [{"code": "1110", "detail": "Not Found", "status": "404"}]}
SETTINGS = {"threshold": 0.75, "enabled": True, "team": {"name": "support", "size": 12}, "tags": ["a", "b"]}


def handler() -> Any:
    from registry_api.handler import lambda_handler

    return lambda_handler


@pytest.fixture(autouse=True)
def integrations(aws_env: Template) -> None:
    """The integration exists in both accounts (configs belong to an integration)."""
    registry = RegistryRepository(get_settings(RegistrySettings).config_table)
    for account_id in (1, 2):
        registry.create_integration(account_id, INTEGRATION, "configs under test")


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


def create(scope: str = "my_app_settings", config: Any = None, account_id: int = 1) -> dict[str, Any]:
    payload = {"scope": scope, "config": SETTINGS if config is None else config}
    return invoke(handler(), event("configs_create", account_id, payload))


def created(scope: str = "my_app_settings", config: Any = None, account_id: int = 1) -> dict[str, Any]:
    response = create(scope, config, account_id)
    assert response["statusCode"] == 201, response
    return body(response)["config"]  # type: ignore[no-any-return]


def at(scenario: str, scope: str = "my_app_settings", account_id: int = 1, payload: Any = None) -> dict[str, Any]:
    return invoke(handler(), event(scenario, account_id, payload, scope=scope))


def listed(query: dict[str, str], account_id: int = 1) -> dict[str, Any]:
    response = invoke(handler(), event("configs_list", account_id, query=query))
    assert response["statusCode"] == 200, response
    return body(response)  # type: ignore[no-any-return]


def repo() -> ConfigsRepository:
    return ConfigsRepository(get_settings(RegistrySettings).config_table)


def errors_of(response: dict[str, Any]) -> str:
    return " ".join(e["detail"] for e in body(response)["errors"])


def oversize() -> dict[str, Any]:
    return {"blob": "x" * (64 * 1024)}


# ------------------------------------------------------------------ create


def test_create_answers_201_with_the_config_exactly_as_sent() -> None:
    # When
    response = create(config={**SETTINGS, " spaced key ": " spaced value "})

    # Then
    assert response["statusCode"] == 201
    config = body(response)["config"]
    assert sorted(config) == ["config", "created_at", "scope", "updated_at"]
    assert config["scope"] == "my_app_settings"
    assert config["config"] == {**SETTINGS, " spaced key ": " spaced value "}  # floats and whitespace kept
    assert config["created_at"].endswith("Z")
    assert config["updated_at"] == config["created_at"]


def test_the_create_events_file_creates_a_config() -> None:
    # When
    response = invoke(handler(), load_event("registry_api/configs_create.json"))

    # Then
    assert response["statusCode"] == 201
    assert body(response)["config"]["config"]["threshold"] == 0.75


def test_create_of_an_existing_scope_answers_409_and_keeps_the_first() -> None:
    # Given
    created()

    # When
    response = create(config={"other": 1})

    # Then
    assert response["statusCode"] == 409
    assert "my_app_settings" in errors_of(response)
    assert repo().get(1, INTEGRATION, "my_app_settings") == SETTINGS


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"config": {}}, "scope"),
        ({"scope": "", "config": {}}, "scope"),
        ({"scope": "x" * 256, "config": {}}, "scope"),
        ({"scope": "é" * 200, "config": {}}, "scope"),  # 400 bytes as UTF-8
        ({"scope": "a/b", "config": {}}, "scope"),
        ({"scope": "tab\there", "config": {}}, "scope"),
        ({"scope": "s"}, "config"),
        ({"scope": "s", "config": [1, 2]}, "config"),
        ({"scope": "s", "config": "text"}, "config"),
        ({"scope": "s", "config": None}, "config"),
        ({"scope": "s", "config": {}, "colour": "red"}, "colour"),
    ],
)
def test_create_with_a_bad_field_answers_400_naming_the_field(payload: dict[str, Any], named: str) -> None:
    # When
    response = invoke(handler(), event("configs_create", payload=payload))

    # Then
    assert response["statusCode"] == 400
    assert all(e["code"] == "1010" and e["status"] == "400" for e in body(response)["errors"])
    assert named in errors_of(response)


def test_an_oversize_config_answers_413_naming_the_limit_and_stores_nothing() -> None:
    # When
    response = create(config=oversize())

    # Then
    assert response["statusCode"] == 413
    assert "config:" in errors_of(response)
    assert "65536 bytes (64 KB)" in errors_of(response)
    assert repo().get(1, INTEGRATION, "my_app_settings") is None


def test_creating_under_an_unknown_integration_answers_404() -> None:
    # When
    response = invoke(handler(), event("configs_create", payload={"scope": "s", "config": {}}, integration="no_such"))

    # Then
    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND


# ------------------------------------------------------------------ show


def test_show_answers_200_with_the_config_as_created() -> None:
    # Given
    config = created()

    # When
    response = invoke(handler(), load_event("registry_api/configs_show.json"))

    # Then
    assert response["statusCode"] == 200
    assert body(response) == {"config": config}


@pytest.mark.parametrize(("scope", "account_id"), [("no_such_scope", 1), ("my_app_settings", 2)])
def test_show_of_an_unknown_or_foreign_scope_answers_404(scope: str, account_id: int) -> None:
    # Given
    created()

    # When
    response = at("configs_show", scope, account_id)

    # Then
    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND


def test_show_of_a_scope_that_cannot_exist_answers_404() -> None:
    # When
    response = at("configs_show", "x" * 2000)

    # Then
    assert response["statusCode"] == 404


# ------------------------------------------------------------------ scopes that a URL encodes


def encoded_path(ev: dict[str, Any], scope: str, *, decoded_parameters: bool) -> dict[str, Any]:
    """The scope in the path percent-encoded, as a REST API delivers `path`; in
    `pathParameters` decoded (API Gateway) or still encoded (a gateway that does not
    decode them)."""
    with_path(ev, scope=scope)
    ev["path"] = ev["path"].rsplit("/", 1)[0] + "/" + quote(scope, safe="")
    ev["requestContext"]["path"] = f"/{ev['requestContext']['stage']}{ev['path']}"
    if not decoded_parameters:
        ev["pathParameters"]["scope"] = quote(scope, safe="")
    return ev


@pytest.mark.parametrize("scope", ["my_app:settings", "team settings", "50% off", "zoë:ünïcode", "a+b&c=d"])
@pytest.mark.parametrize("decoded_parameters", [True, False])
def test_a_scope_with_characters_a_url_encodes_works_on_every_route(scope: str, decoded_parameters: bool) -> None:
    # Given
    created(scope)

    def call(scenario: str, payload: Any = None) -> dict[str, Any]:
        ev = encoded_path(event(scenario, payload=payload), scope, decoded_parameters=decoded_parameters)
        return invoke(handler(), ev)

    # When
    shown = call("configs_show")
    replaced = call("configs_replace", {"config": {"a": 1}})
    patched = call("configs_patch", {"config": {"b": 2}})
    deleted = call("configs_delete")

    # Then
    assert shown["statusCode"] == 200, shown
    assert body(shown)["config"]["scope"] == scope
    assert body(replaced)["config"] == {**body(replaced)["config"], "scope": scope, "config": {"a": 1}}
    assert body(patched)["config"]["config"] == {"a": 1, "b": 2}
    assert deleted["statusCode"] == 204
    assert repo().get(1, INTEGRATION, scope) is None


def test_a_scope_with_a_colon_and_a_space_works_when_the_path_carries_it_decoded() -> None:
    # Given
    created("my_app:team settings")

    # When
    response = at("configs_show", "my_app:team settings")

    # Then
    assert response["statusCode"] == 200
    assert body(response)["config"]["scope"] == "my_app:team settings"


# ------------------------------------------------------------------ replace


def test_put_replaces_the_whole_config() -> None:
    # Given
    before = created()

    # When
    response = invoke(handler(), load_event("registry_api/configs_replace.json"))

    # Then
    assert response["statusCode"] == 200
    after = body(response)["config"]
    assert after["config"] == {"threshold": 0.5, "enabled": False}
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] >= before["updated_at"]
    assert repo().get(1, INTEGRATION, "my_app_settings") == {"threshold": 0.5, "enabled": False}


@pytest.mark.parametrize(("scope", "account_id"), [("no_such_scope", 1), ("my_app_settings", 2)])
def test_put_of_an_unknown_or_foreign_scope_answers_404_and_creates_nothing(scope: str, account_id: int) -> None:
    # Given
    created()

    # When
    response = at("configs_replace", scope, account_id, {"config": {"x": 1}})

    # Then
    assert response["statusCode"] == 404
    assert repo().get(account_id, INTEGRATION, scope) is None


@pytest.mark.parametrize(
    ("payload", "named"), [({"config": [1]}, "config"), ({}, "config"), ({"config": {}, "scope": "x"}, "scope")]
)
def test_put_with_a_bad_body_answers_400_naming_the_field(payload: dict[str, Any], named: str) -> None:
    # Given
    created()

    # When
    response = at("configs_replace", payload=payload)

    # Then
    assert response["statusCode"] == 400
    assert named in errors_of(response)


def test_put_of_an_oversize_config_answers_413_and_keeps_the_old_one() -> None:
    # Given
    created()

    # When
    response = at("configs_replace", payload={"config": oversize()})

    # Then
    assert response["statusCode"] == 413
    assert repo().get(1, INTEGRATION, "my_app_settings") == SETTINGS


# ------------------------------------------------------------------ patch


def test_patch_merges_nested_objects_and_null_removes_a_key() -> None:
    # Given
    created()

    # When
    response = invoke(handler(), load_event("registry_api/configs_patch.json"))

    # Then
    assert response["statusCode"] == 200
    assert body(response)["config"]["config"] == {
        "enabled": True,
        "team": {"name": "support", "size": 14},
        "tags": ["a", "b"],
    }


def test_patch_replaces_arrays_and_scalars_whole_and_adds_new_keys() -> None:
    # Given
    created()

    # When
    response = at(
        "configs_patch",
        payload={
            "config": {
                "tags": ["c"],
                "team": {"lead": {"name": "ana"}, "name": None},
                "enabled": {"since": 2024},
                "new": 1.5,
            }
        },
    )

    # Then
    assert response["statusCode"] == 200
    assert body(response)["config"]["config"] == {
        "threshold": 0.75,
        "enabled": {"since": 2024},
        "team": {"size": 12, "lead": {"name": "ana"}},
        "tags": ["c"],
        "new": 1.5,
    }


@pytest.mark.parametrize(("scope", "account_id"), [("no_such_scope", 1), ("my_app_settings", 2)])
def test_patch_of_an_unknown_or_foreign_scope_answers_404_and_creates_nothing(scope: str, account_id: int) -> None:
    # Given
    created()

    # When
    response = at("configs_patch", scope, account_id, {"config": {"x": 1}})

    # Then
    assert response["statusCode"] == 404
    assert body(response) == ZIS_NOT_FOUND
    assert repo().get(account_id, INTEGRATION, scope) is None


def test_a_patch_that_makes_the_config_oversize_answers_413_and_keeps_the_old_one() -> None:
    # Given
    created()

    # When
    response = at("configs_patch", payload={"config": oversize()})

    # Then
    assert response["statusCode"] == 413
    assert repo().get(1, INTEGRATION, "my_app_settings") == SETTINGS


# ------------------------------------------------------------------ delete


def test_delete_answers_204_and_the_scope_is_gone() -> None:
    # Given
    created()

    # When
    response = invoke(handler(), load_event("registry_api/configs_delete.json"))

    # Then
    assert response["statusCode"] == 204
    assert response["body"] == ""
    assert at("configs_show")["statusCode"] == 404
    assert create()["statusCode"] == 201  # the scope is free again


@pytest.mark.parametrize(("scope", "account_id"), [("no_such_scope", 1), ("my_app_settings", 2)])
def test_delete_of_an_unknown_or_foreign_scope_answers_404_and_keeps_the_config(scope: str, account_id: int) -> None:
    # Given
    created()

    # When
    response = at("configs_delete", scope, account_id)

    # Then
    assert response["statusCode"] == 404
    assert repo().get(1, INTEGRATION, "my_app_settings") == SETTINGS


# ------------------------------------------------------------------ list


SCOPES = ["my_app", "my_app:settings", "my_app_settings", "other_settings_v2", "unrelated", "z*star"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("my_app*", ["my_app", "my_app:settings", "my_app_settings"]),
        ("*settings*", ["my_app:settings", "my_app_settings", "other_settings_v2"]),
        ("*settings", ["my_app:settings", "my_app_settings"]),
        ("my_app", ["my_app"]),
        ("my*settings", ["my_app:settings", "my_app_settings"]),
        ("*", SCOPES),
        ("z*", ["z*star"]),
        ("nothing*", []),
        ("MY_APP*", []),  # case-sensitive
        ("my.app*", []),  # only * is special
    ],
)
def test_list_filters_scopes_by_a_wildcard_pattern(pattern: str, expected: list[str]) -> None:
    # Given
    for scope in SCOPES:
        created(scope)
    created("my_app_foreign", account_id=2)

    # When
    page = listed({"filter[scope]": pattern})

    # Then
    assert [c["scope"] for c in page["configs"]] == expected
    assert page["meta"] == {"has_more": False, "after": None, "before": None}


def test_the_list_events_file_lists_the_my_app_scopes() -> None:
    # Given
    created("my_app_settings")
    created("unrelated")

    # When
    response = invoke(handler(), load_event("registry_api/configs_list.json"))

    # Then
    assert response["statusCode"] == 200
    assert [c["scope"] for c in body(response)["configs"]] == ["my_app_settings"]
    assert body(response)["configs"][0]["config"] == SETTINGS


@pytest.mark.parametrize("pattern", [None, "*settings*"])
def test_list_pages_through_the_matching_scopes(pattern: str | None) -> None:
    # Given
    scopes = [f"s{i:02d}_settings" if i % 2 else f"s{i:02d}_other" for i in range(9)]
    for scope in scopes:
        created(scope, {"i": scope})
    expected = [s for s in scopes if pattern is None or "settings" in s]

    # When
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {
            "page[size]": "2",
            **({"filter[scope]": pattern} if pattern else {}),
            **({"page[after]": after} if after else {}),
        }
        pages.append(listed(query))
        after = pages[-1]["meta"]["after"]
        if not pages[-1]["meta"]["has_more"]:
            break

    # Then
    assert [c["scope"] for p in pages for c in p["configs"]] == expected
    assert all(len(p["configs"]) == 2 for p in pages[:-1])
    assert 1 <= len(pages[-1]["configs"]) <= 2
    assert pages[-1]["meta"]["after"] is None


@pytest.mark.parametrize(
    "query",
    [{"page[size]": "0"}, {"page[size]": "101"}, {"page[after]": "not-a-cursor"}],
)
def test_list_with_a_bad_page_parameter_answers_400(query: dict[str, str]) -> None:
    # When
    response = invoke(handler(), event("configs_list", query=query))

    # Then
    assert response["statusCode"] == 400
    assert "page[" in errors_of(response)


def test_a_cursor_from_another_filter_answers_400() -> None:
    # Given
    for scope in ("a_settings", "b_settings", "c_settings"):
        created(scope)
    cursor = listed({"page[size]": "1"})["meta"]["after"]  # after a_settings

    # When
    response = invoke(handler(), event("configs_list", query={"filter[scope]": "b*", "page[after]": cursor}))

    # Then
    assert response["statusCode"] == 400
    assert "page[after]" in errors_of(response)


def test_list_of_an_unknown_integration_answers_404() -> None:
    # When
    response = invoke(handler(), event("configs_list", integration="no_such"))

    # Then
    assert response["statusCode"] == 404


# ------------------------------------------------------------------ the flow runner's store


def test_get_answers_the_config_object_or_none() -> None:
    # Given
    created()

    # Then
    assert repo().get(1, INTEGRATION, "my_app_settings") == SETTINGS
    assert repo().get(1, INTEGRATION, "no_such_scope") is None
    assert repo().get(2, INTEGRATION, "my_app_settings") is None
    assert repo().get(1, "other_integration", "my_app_settings") is None


def test_patch_creates_a_missing_scope_from_the_patch() -> None:
    # When
    merged = repo().patch(1, INTEGRATION, "runtime:state", {"cursor": "abc", "gone": None, "n": {"x": 1.25}})

    # Then
    assert merged == {"cursor": "abc", "n": {"x": 1.25}}
    assert body(at("configs_show", "runtime:state"))["config"]["config"] == merged


def test_patch_merges_into_an_existing_scope_and_answers_the_result() -> None:
    # Given
    created()

    # When
    merged = repo().patch(1, INTEGRATION, "my_app_settings", {"threshold": None, "team": {"size": 13}})

    # Then
    assert merged == {"enabled": True, "team": {"name": "support", "size": 13}, "tags": ["a", "b"]}
    assert repo().get(1, INTEGRATION, "my_app_settings") == merged


def test_patch_beyond_the_size_limit_raises_payload_too_large() -> None:
    # Given
    created()

    # Then
    with pytest.raises(PayloadTooLarge):
        repo().patch(1, INTEGRATION, "my_app_settings", oversize())
    assert repo().get(1, INTEGRATION, "my_app_settings") == SETTINGS


@pytest.mark.parametrize("scope", ["", "a/b", "x" * 256, "é" * 200, "line\nbreak"])
def test_a_scope_that_cannot_be_stored_is_absent_to_get_and_refused_by_patch(scope: str) -> None:
    # Then
    assert repo().get(1, INTEGRATION, scope) is None
    with pytest.raises(BadRequest, match="scope"):
        repo().patch(1, INTEGRATION, scope, {"a": 1})


def test_a_merge_that_loses_a_race_reads_again_and_keeps_both_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a merge that read the scope just before another merge changed it
    created(config={"a": 1})
    store = repo()
    stale = store.find(1, INTEGRATION, "my_app_settings")
    store.patch(1, INTEGRATION, "my_app_settings", {"b": 2})
    reads: list[ConfigRecord | None] = [stale]
    real_find = store.find

    def find_stale_once(account_id: int, integration: str, scope: str) -> ConfigRecord | None:
        return reads.pop() if reads else real_find(account_id, integration, scope)

    monkeypatch.setattr(store, "find", find_stale_once)

    # When
    merged = store.patch(1, INTEGRATION, "my_app_settings", {"c": 3})

    # Then
    assert merged == {"a": 1, "b": 2, "c": 3}
    assert repo().get(1, INTEGRATION, "my_app_settings") == merged


def test_the_openapi_document_describes_the_config_routes() -> None:
    # Given
    swagger = event("configs_list", query={"format": "json"})
    swagger.update(
        path="/api/services/zis/registry/swagger", resource="/api/services/zis/registry/swagger", pathParameters=None
    )

    # When
    response = invoke(handler(), swagger)

    # Then
    assert response["statusCode"] == 200
    paths = body(response)["paths"]
    base = "/api/services/zis/integrations/{integration}/configs"
    assert {"get", "post"} <= set(paths[base])
    assert {"get", "put", "patch", "delete"} <= set(paths[f"{base}/{{scope}}"])
