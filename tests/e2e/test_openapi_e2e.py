"""Every OpenAPI document the stack serves, against the stack: schemathesis sends a few
generated requests to each operation and fails on any 5xx and on any answer (status,
body, headers) that the document does not describe.

About half the requests name records that exist (an account, an integration with a
bundle, a config and a connection, an inbound webhook, a webhook), so they reach past "not
found"; they run in an account of their own, one per test. No request carries a URL scheme
(`http:`, `https:`), so none can point the API's outbound calls (webhook tests, handshakes,
deliveries) off this machine; the seeded records point at 127.0.0.1:9, where nothing
listens.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ROOT
from tests.e2e.conftest import Dev

pytestmark = pytest.mark.e2e

DOCUMENTS = [
    "/api/admin/swagger",
    "/api/services/zis/inbound_webhooks/swagger",
    "/api/services/zis/registry/swagger",
    "/api/v2/swagger",
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per operation and generation mode: enough to find a 5xx, few enough for 2 busy cores.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}
INTEGRATION = "openapi_e2e"
NOWHERE = "http://127.0.0.1:9/"  # the discard port: nothing listens
URL_SCHEME = re.compile(r"(?i)https?:")


@dataclass(frozen=True)
class Seeds:
    """Records that exist, by the path parameter that names them, and how to call."""

    path_parameters: dict[str, str]
    bundle_uuid: str
    account_auth: str
    operator_auth: str
    ingest_auth: str

    def authorization(self, operation: schemathesis.APIOperation) -> str:
        if "/ingest/" in operation.path:
            return self.ingest_auth
        return self.operator_auth if operation.path.startswith("/api/admin") else self.account_auth

    def known(self, operation: schemathesis.APIOperation) -> dict[str, str]:
        """The operation's path parameters that name a record that exists."""
        names = {parameter.name for parameter in operation.path_parameters}
        known = {name: value for name, value in self.path_parameters.items() if name in names}
        if "/bundles/" in operation.path:
            known["uuid"] = self.bundle_uuid
        return known


def _created(response: requests.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json() if response.content else None


@pytest.fixture
def seeds(dev: Dev) -> Seeds:
    created = _created(dev.api("POST", "/api/admin/accounts", dev.operator_token, json={"name": "openapi e2e"}))
    account_id, token = created["account"]["id"], created["token"]
    spare = _created(
        dev.api("POST", f"/api/admin/accounts/{account_id}/tokens", dev.operator_token, json={"name": "spare"})
    )

    def call(method: str, path: str, body: Any) -> Any:
        return _created(dev.api(method, path, token, json=body))

    call("POST", f"/api/services/zis/registry/{INTEGRATION}", {"description": "schemathesis"})
    bundle = json.loads(
        (ROOT / "tests/fixtures/tutorial_bundle.json").read_text().replace("<YOUR_INTEGRATION>", INTEGRATION)
    )
    bundle["resources"]["post-to-webhook-site"]["properties"]["definition"]["url"] = NOWHERE
    call("POST", f"/api/services/zis/registry/{INTEGRATION}/bundles", bundle)
    bundles = dev.api("GET", f"/api/services/zis/registry/{INTEGRATION}/bundles", token).json()["bundles"]
    base = f"/api/services/zis/integrations/{INTEGRATION}"
    call("POST", f"{base}/configs", {"scope": "settings", "config": {"a": 1}})
    connection = {"name": "api", "token": "not-a-secret", "allowed_domain": "127.0.0.1"}
    call("POST", f"{base}/connections/bearer_token", connection)
    inbound = call(
        "POST", f"/api/services/zis/inbound_webhooks/generic/{INTEGRATION}", {"event_type": "e", "source_system": "s"}
    )
    webhook = call(
        "POST",
        "/api/v2/webhooks",
        {
            "webhook": {
                "name": "openapi e2e",
                "endpoint": NOWHERE,
                "http_method": "POST",
                "request_format": "json",
                "status": "inactive",
                "subscriptions": ["conditional_ticket_events"],
            }
        },
    )["webhook"]
    basic = base64.b64encode(f"{inbound['username']}:{inbound['password']}".encode()).decode()
    return Seeds(
        path_parameters={
            "account_id": str(account_id),
            "token_id": spare["api_token"]["id"],
            "integration": INTEGRATION,
            "uuid": inbound["uuid"],
            "token": inbound["path"].rsplit("/", 1)[1],
            "connection_type": "bearer_token",
            "name": "api",
            "scope": "settings",
            "webhook_id": webhook["id"],
        },
        bundle_uuid=bundles[0]["uuid"],
        account_auth=f"Bearer {token}",
        operator_auth=f"Bearer {dev.operator_token}",
        ingest_auth=f"Basic {basic}",
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def calls_nowhere(case: schemathesis.Case) -> bool:
    """True if no part of the request holds a URL scheme, so no webhook endpoint, test
    request or connection the request makes can send the API's calls off this machine."""
    parts = (case.body, case.query, case.path_parameters, case.headers)
    return not any(URL_SCHEME.search(text) for part in parts for text in _strings(part))


def cases(operation: schemathesis.APIOperation, mode: GenerationMode, seeds: Seeds) -> st.SearchStrategy[Any]:
    """Requests for the operation: with generated path parameters, and with those of the
    records that exist."""
    known = seeds.known(operation)
    generated = operation.as_strategy(generation_mode=mode)
    strategy = st.one_of(operation.as_strategy(generation_mode=mode, path_parameters=known), generated)
    return (strategy if known else generated).filter(calls_nowhere)


@pytest.mark.parametrize("swagger_path", DOCUMENTS)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_answer_is_described_by_its_document(
    dev: Dev, seeds: Seeds, swagger_path: str, mode: GenerationMode, subtests: pytest.Subtests
) -> None:
    # Given the document the stack serves
    schema = schemathesis.openapi.from_url(f"{dev.url}{swagger_path}?format=json", timeout=30)
    # Those that end a record's use (deleting it, rotating its credentials) go last.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: op.method.lower() == "delete" or op.path.endswith("/credentials"),
    )
    assert operations

    for operation in operations:
        with subtests.test(msg=operation.label):
            # When schemathesis sends it generated requests
            @given(
                case=cases(operation, mode, seeds), headers=st.just({"Authorization": seeds.authorization(operation)})
            )
            @settings(
                max_examples=EXAMPLES[mode],
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def answers_as_documented(case: schemathesis.Case, headers: dict[str, str]) -> None:
                # Then every answer is one the document describes, and none is a 5xx
                case.call_and_validate(base_url=dev.url, headers=headers, checks=CHECKS)

            try:
                answers_as_documented()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # an operation that takes anything has no invalid input
