"""A client's view of the local stack: HTTP in, events out on the embedded bus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT, load_event
from tests.e2e.conftest import Dev, drain

pytestmark = pytest.mark.e2e
BASE = "/api/services/zis/inbound_webhooks/generic"


def create(dev: Dev, integration: str = "e2e", token: str | None = None) -> dict[str, Any]:
    response = dev.api(
        "POST",
        f"{BASE}/{integration}",
        token or dev.token,
        json={"event_type": "ticket.NewReply", "source_system": "slack"},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def ingest(dev: Dev, webhook: dict[str, Any], password: str | None = None, **kwargs: Any) -> Any:
    import requests

    auth = (webhook["username"], password if password is not None else webhook["password"])
    return requests.post(dev.url + webhook["path"], auth=auth, timeout=30, **kwargs)


def test_health_and_swagger_are_served(dev: Dev) -> None:
    assert dev.api("GET", "/api/health").json() == {"status": "ok"}
    ui = dev.api("GET", "/api/services/zis/inbound_webhooks/swagger")
    spec = dev.api("GET", "/api/services/zis/inbound_webhooks/swagger", params={"format": "json"})
    assert ui.status_code == 200
    assert "swagger" in ui.text.lower()
    assert f"{BASE}/{{integration}}" in spec.json()["paths"]
    assert dev.api("GET", "/api/admin/swagger", params={"format": "json"}).status_code == 200


@pytest.mark.parametrize("method", ["TRACE", "FOO"])
def test_a_method_no_route_has_gets_the_gateways_json_answer_not_an_html_page(dev: Dev, method: str) -> None:
    answered = requests.request(method, dev.url + "/api/health", timeout=30)

    assert answered.status_code == 404
    assert answered.json()["errors"][0]["code"] == "1110"


def test_create_show_list_over_http(dev: Dev) -> None:
    created = create(dev, "e2e_crud")

    shown = dev.api("GET", f"{BASE}/e2e_crud/{created['uuid']}", dev.token)
    listed = dev.api("GET", f"{BASE}/e2e_crud", dev.token)

    assert shown.status_code == 200
    assert shown.json() == {**created, "password": None}
    assert [w["uuid"] for w in listed.json()["inbound_webhooks"]] == [created["uuid"]]


def test_ingest_answers_null_and_the_event_reaches_the_bus(dev: Dev, bus_tap: str) -> None:
    drain(dev, bus_tap, 0)
    webhook = create(dev)

    response = ingest(dev, webhook, json={"subject": "My printer is on fire!"})

    assert response.status_code == 200
    assert response.text == "null"
    events = [e for e in drain(dev, bus_tap) if e["detail"]["webhook_uuid"] == webhook["uuid"]]
    assert len(events) == 1
    assert events[0]["source"] == "slack"
    assert events[0]["detail-type"] == "ticket.NewReply"
    assert events[0]["detail"]["body"] == {"subject": "My printer is on fire!"}
    assert events[0]["detail"]["account_id"] == 1


def test_wrong_credentials_answer_401_authentication_failed(dev: Dev) -> None:
    import requests

    webhook = create(dev)

    wrong_password = ingest(dev, webhook, password="nope", json={})
    no_auth = requests.post(dev.url + webhook["path"], json={}, timeout=30)
    unknown = requests.post(dev.url + BASE + "/ingest/" + "A" * 43, auth=("a", "b"), json={}, timeout=30)

    for response in (wrong_password, no_auth, unknown):
        assert response.status_code == 401
        assert response.json() == "Authentication failed"


def test_oversize_and_bad_json_are_refused_with_a_clear_4xx(dev: Dev, bus_tap: str) -> None:
    drain(dev, bus_tap, 0)
    webhook = create(dev)

    oversize = ingest(dev, webhook, data="x" * (200 * 1024 + 1), headers={"Content-Type": "text/plain"})
    bad_json = ingest(dev, webhook, data="{nope", headers={"Content-Type": "application/json"})

    assert oversize.status_code == 413
    assert "204800" in oversize.json()["errors"][0]["detail"]
    assert bad_json.status_code == 400
    assert [e for e in drain(dev, bus_tap) if e["detail"]["webhook_uuid"] == webhook["uuid"]] == []


def test_another_account_sees_404_for_our_webhook(dev: Dev) -> None:
    webhook = create(dev)
    other = dev.api("POST", "/api/admin/accounts", dev.operator_token, json={"name": "other"}).json()

    shown = dev.api("GET", f"{BASE}/e2e/{webhook['uuid']}", other["token"])
    deleted = dev.api("DELETE", f"{BASE}/e2e/{webhook['uuid']}", other["token"])

    assert shown.status_code == 404
    assert shown.json() == {"errors": [{"code": "1110", "detail": "Not Found", "status": "404"}]}
    assert deleted.status_code == 404
    assert dev.api("GET", f"{BASE}/e2e/{webhook['uuid']}", dev.token).status_code == 200


def test_a_deleted_webhook_no_longer_ingests(dev: Dev) -> None:
    webhook = create(dev)

    deleted = dev.api("DELETE", f"{BASE}/e2e/{webhook['uuid']}", dev.token)

    assert deleted.status_code == 204
    assert ingest(dev, webhook, json={}).status_code == 401


def test_rotated_credentials_replace_the_old_ones(dev: Dev) -> None:
    webhook = create(dev)

    rotated = dev.api("POST", f"{BASE}/e2e/{webhook['uuid']}/credentials", dev.token).json()

    assert ingest(dev, webhook, json={}).status_code == 401
    assert ingest(dev, rotated, json={}).status_code == 200


def test_management_routes_need_a_valid_bearer_token(dev: Dev) -> None:
    missing = dev.api("GET", f"{BASE}/e2e")
    wrong = dev.api("GET", f"{BASE}/e2e", "hy_wrong")
    operator_on_account_route = dev.api("GET", f"{BASE}/e2e", dev.operator_token)
    account_on_operator_route = dev.api("GET", "/api/admin/accounts", dev.token)

    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert operator_on_account_route.status_code == 403
    assert account_on_operator_route.status_code == 403


def test_an_unknown_route_answers_404(dev: Dev) -> None:
    assert dev.api("GET", "/api/nothing/here", dev.token).status_code == 404


def test_hookyard_invoke_runs_a_handler_against_the_running_stacks_aws(dev: Dev, bus_tap: str, tmp_path: Path) -> None:
    drain(dev, bus_tap, 0)
    webhook = create(dev)
    event = load_event("ingest/json_body.json")
    event["pathParameters"]["token"] = webhook["path"].rsplit("/", 1)[1]
    import base64

    event["headers"]["Authorization"] = (
        "Basic " + base64.b64encode(f"{webhook['username']}:{webhook['password']}".encode()).decode()
    )
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookyard_dev.cli",
            "invoke",
            "IngestFunction",
            "--event",
            str(event_file),
            "--aws-endpoint",
            dev.aws_endpoint,
            "--operator-token",
            dev.operator_token,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200
    assert [e for e in drain(dev, bus_tap) if e["detail"]["webhook_uuid"] == webhook["uuid"]]


def test_hookyard_invoke_on_its_own_aws_runs_an_events_file() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookyard_dev.cli",
            "invoke",
            "InboundWebhooksApiFunction",
            "--event",
            "events/inbound_webhooks_api/create.json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["zendesk_account_id"] == 1
