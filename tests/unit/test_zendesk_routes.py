"""Zendesk sources' routes beside the generic inbound webhooks': `zendesk` and `generic` are
static segments, so no integration name can reach the other's routes or ingest."""

from __future__ import annotations

import pytest

from hookyard_dev.apigw import Gateway
from hookyard_dev.template import Template

ROOT = "/api/services/zis/inbound_webhooks"


@pytest.fixture
def gateway(template: Template) -> Gateway:
    return Gateway(template, runtimes={})


@pytest.mark.parametrize(
    ("method", "path", "function", "resource", "params"),
    [
        ("POST", f"{ROOT}/zendesk/ingest/tok", "IngestFunction", f"{ROOT}/zendesk/ingest/{{token}}", {"token": "tok"}),
        ("POST", f"{ROOT}/zendesk/generic", "InboundWebhooksApiFunction", f"{ROOT}/zendesk/{{integration}}",
         {"integration": "generic"}),
        ("POST", f"{ROOT}/generic/zendesk", "InboundWebhooksApiFunction", f"{ROOT}/generic/{{integration}}",
         {"integration": "zendesk"}),
        ("GET", f"{ROOT}/zendesk/zendesk/u-1", "InboundWebhooksApiFunction", f"{ROOT}/zendesk/{{integration}}/{{uuid}}",
         {"integration": "zendesk", "uuid": "u-1"}),
        ("PUT", f"{ROOT}/zendesk/acme/u-1/signing_secret", "InboundWebhooksApiFunction",
         f"{ROOT}/zendesk/{{integration}}/{{uuid}}/signing_secret", {"integration": "acme", "uuid": "u-1"}),
    ],
)  # fmt: skip
def test_each_path_reaches_its_own_route(
    gateway: Gateway, method: str, path: str, function: str, resource: str, params: dict[str, str]
) -> None:
    # When
    route, found = gateway.match(method, path)

    # Then
    assert route is not None
    assert (route.function_id, route.path, found) == (function, resource, params)


def test_a_get_on_the_zendesk_ingest_path_is_no_source_of_an_integration_named_ingest(gateway: Gateway) -> None:
    # When (the static ingest resource wins, and it has no GET)
    route, _ = gateway.match("GET", f"{ROOT}/zendesk/ingest/tok")

    # Then
    assert route is None
