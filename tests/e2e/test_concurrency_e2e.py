"""`hookyard dev` under concurrency: as on Lambda, one function instance handles one event
at a time (tenants never see each other's data), and a slow webhook endpoint does not
hold up deliveries to the others."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Dev
from tests.e2e.receiver import Answer, Receiver, running_receiver
from tests.e2e.test_webhooks_e2e import ingest, invocations

pytestmark = pytest.mark.e2e

ROUNDS = 60
WEBHOOKS_PER_ACCOUNT = 3


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def new_account(dev: Dev, name: str) -> str:
    response = dev.api("POST", "/api/admin/accounts", dev.operator_token, json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def create_webhook(dev: Dev, token: str, name: str, endpoint: str, subscription: str) -> str:
    response = dev.api(
        "POST",
        "/api/v2/webhooks",
        token,
        json={
            "webhook": {
                "name": name,
                "endpoint": endpoint,
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": [subscription],
            }
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["webhook"]["id"])


def test_two_accounts_calling_at_once_each_see_only_their_own_webhooks(dev: Dev, receiver: Receiver) -> None:
    # Given two accounts, each with its own webhooks
    tokens = {"tenant-a": new_account(dev, "tenant-a"), "tenant-b": new_account(dev, "tenant-b")}
    owned = {
        name: {
            create_webhook(dev, token, f"{name} {n}", f"{receiver.url}/{name}", f"{name}:event-type:e{n}")
            for n in range(WEBHOOKS_PER_ACCOUNT)
        }
        for name, token in tokens.items()
    }
    start = threading.Barrier(len(tokens))

    def call_many_times(name: str) -> list[str]:
        token, mine, wrong = tokens[name], owned[name], []
        start.wait()
        for _ in range(ROUNDS):
            listed = dev.api("GET", "/api/v2/webhooks", token)
            seen = {w["id"] for w in listed.json().get("webhooks", [])} if listed.status_code == 200 else set()
            if listed.status_code != 200 or seen != mine:
                wrong.append(f"list: {listed.status_code}, {len(seen - mine)} not mine, {len(mine - seen)} missing")
            for webhook_id in mine:
                shown = dev.api("GET", f"/api/v2/webhooks/{webhook_id}", token)
                if shown.status_code != 200 or shown.json()["webhook"]["id"] != webhook_id:
                    wrong.append(f"show {webhook_id}: {shown.status_code}")
        return wrong

    # When both list and show their webhooks many times at once
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        seen_wrong: dict[str, Any] = dict(zip(tokens, pool.map(call_many_times, tokens), strict=True))

    # Then each only ever saw its own, and never a 404 for its own
    assert seen_wrong == {name: [] for name in tokens}


def test_a_slow_endpoint_does_not_hold_up_deliveries_to_other_webhooks(dev: Dev, receiver: Receiver) -> None:
    # Given two webhooks of one account, one whose endpoint does not answer until released
    slow = create_webhook(dev, dev.token, "slow", f"{receiver.url}/slow", "shop:event-type:order.Slow")
    create_webhook(dev, dev.token, "fast", f"{receiver.url}/fast", "shop:event-type:order.Fast")
    release = threading.Event()
    receiver.answer("/slow", Answer(200, hold=release))
    ingest(dev, "shop", "order.Slow", {"n": 1})
    receiver.wait_for(1, "/slow")

    # When an event for the other webhook comes in while the slow request is open
    ingest(dev, "shop", "order.Fast", {"n": 2})
    try:
        receiver.wait_for(1, "/fast")
    finally:
        release.set()

    # Then it was delivered while the slow request was still open: that one request was
    # answered afterwards and recorded as the slow delivery's one, successful, attempt
    [invocation] = invocations(dev, slow, until="success")
    attempts = dev.api("GET", f"/api/v2/webhooks/{slow}/invocations/{invocation['id']}/attempts", dev.token).json()[
        "attempts"
    ]
    assert [a["status_code"] for a in attempts] == [200]
    assert len(receiver.wait_for(1, "/slow")) == 1
