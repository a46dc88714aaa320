"""A client's view of auth parity and hostile JSON, over HTTP against `hookyard dev`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from hookyard.jsonlimits import MAX_DEPTH
from tests.e2e.conftest import Dev, drain

pytestmark = pytest.mark.e2e
BASE = "/api/services/zis/inbound_webhooks/generic"
DEEP = "[" * 10_000 + "]" * 10_000


def zendesk_basic(token: str) -> tuple[str, str]:
    """What `curl -u agent@example.com/token:{token}` and zenpy's email + token send."""
    return ("agent@example.com/token", token)


def test_an_api_token_works_as_zendesk_basic_auth_wherever_bearer_works(dev: Dev) -> None:
    # Given a webhook made with Zendesk-style basic auth
    created = requests.post(
        f"{dev.url}{BASE}/e2e_basic",
        auth=zendesk_basic(dev.token),
        json={"event_type": "ticket.NewReply", "source_system": "slack"},
        timeout=30,
    )

    # When
    with_basic = requests.get(f"{dev.url}{BASE}/e2e_basic", auth=zendesk_basic(dev.token), timeout=30)
    with_bearer = dev.api("GET", f"{BASE}/e2e_basic", dev.token)

    # Then
    assert created.status_code == 201, created.text
    assert with_basic.status_code == 200
    assert with_basic.json() == with_bearer.json()


def test_the_operator_token_works_as_zendesk_basic_auth(dev: Dev) -> None:
    # When
    response = requests.get(f"{dev.url}/api/admin/accounts", auth=zendesk_basic(dev.operator_token), timeout=30)

    # Then
    assert response.status_code == 200


@pytest.mark.parametrize(
    "auth",
    [
        lambda token: ("agent@example.com", token),  # a password login: no `/token`
        lambda token: ("agent@example.com/token", "hy_wrong"),
    ],
)
def test_basic_auth_that_is_not_a_known_token_is_the_same_401(dev: Dev, auth: Callable[[str], tuple[str, str]]) -> None:
    # When
    response = requests.get(f"{dev.url}{BASE}/e2e", auth=auth(dev.token), timeout=30)

    # Then the gateway's one 401, as without any credentials
    assert response.status_code == 401
    assert response.json() == dev.api("GET", f"{BASE}/e2e").json()


def test_a_management_body_nested_10000_deep_answers_400_naming_the_limit(dev: Dev) -> None:
    # When
    response = dev.api("POST", f"{BASE}/e2e_deep", dev.token, data=DEEP, headers={"Content-Type": "application/json"})

    # Then
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["status"]) == ("1010", "400")
    assert f"the limit is {MAX_DEPTH} levels" in error["detail"]


def test_an_ingest_body_nested_10000_deep_answers_400_and_publishes_nothing(dev: Dev, bus_tap: str) -> None:
    # Given a webhook
    webhook: dict[str, Any] = dev.api(
        "POST", f"{BASE}/e2e_deep_ingest", dev.token, json={"event_type": "e", "source_system": "s"}
    ).json()
    drain(dev, bus_tap, 0)

    # When
    response = requests.post(
        dev.url + webhook["path"],
        auth=(webhook["username"], webhook["password"]),
        data=DEEP,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    # Then
    assert response.status_code == 400
    assert f"the limit is {MAX_DEPTH} levels" in response.json()["errors"][0]["detail"]
    assert drain(dev, bus_tap) == []
