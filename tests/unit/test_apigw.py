"""hookyard_dev.apigw: routing, the IAM policy check and the REST proxy event."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from authorizer.logic import ApiArn
from hookyard_dev.apigw import Gateway, HttpRequest
from hookyard_dev.runtime import FunctionRuntime
from hookyard_dev.template import Template
from ingest.logic import parse_request

BASE = "/api/services/zis/inbound_webhooks/generic"
ARN = "arn:aws:execute-api:us-east-1:123456789012:hookyarddev/prod"


@pytest.fixture
def gateway(template: Template) -> Gateway:
    return Gateway(template, runtimes={})


def _request(method: str, path: str, query: str = "", body: bytes = b"", **headers: str) -> HttpRequest:
    return HttpRequest(method=method, path=path, query=query, headers=list(headers.items()), body=body)


def _allow(*resources: str) -> dict[str, object]:
    return {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": list(resources)}


def _deny(*resources: str) -> dict[str, object]:
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": list(resources)}


# ------------------------------------------------------------------ match


def test_match_prefers_the_static_ingest_route_for_post(gateway: Gateway) -> None:
    # When
    route, params = gateway.match("POST", f"{BASE}/ingest/abc123")

    # Then
    assert route is not None
    assert route.path == f"{BASE}/ingest/{{token}}"
    assert route.function_id == "IngestFunction"
    assert params == {"token": "abc123"}


def test_match_sends_a_verification_get_on_the_ingest_path_to_ingest(gateway: Gateway) -> None:
    # When
    route, params = gateway.match("GET", f"{BASE}/ingest/abc123")

    # Then
    assert route is not None
    assert route.function_id == "IngestFunction"
    assert params == {"token": "abc123"}


def test_match_does_not_fall_back_to_a_less_specific_resource(gateway: Gateway) -> None:
    # Given the ingest resource, which has no DELETE (API Gateway picks the resource first)
    # When
    route, _ = gateway.match("DELETE", f"{BASE}/ingest/abc123")

    # Then
    assert route is None


def test_match_returns_the_path_parameters_of_a_dynamic_route(gateway: Gateway) -> None:
    # When
    route, params = gateway.match("POST", f"{BASE}/my_integration/d339ba7f/credentials")

    # Then
    assert route is not None
    assert route.function_id == "InboundWebhooksApiFunction"
    assert params == {"integration": "my_integration", "uuid": "d339ba7f"}


def test_match_an_unknown_path_is_no_route(gateway: Gateway) -> None:
    # When / Then
    assert gateway.match("GET", "/api/nothing/here") == (None, {})


def test_match_a_greedy_path_parameter_spans_segments(gateway: Gateway) -> None:
    # When
    route, params = gateway.match("GET", "/console/js/pages/webhooks.js")

    # Then
    assert route is not None
    assert route.path == "/console/{proxy+}"
    assert params == {"proxy": "js/pages/webhooks.js"}


def test_match_a_trailing_slash_reaches_the_resource_without_it(gateway: Gateway) -> None:
    # Given API Gateway (REST), which routes /console/ to the /console resource
    # When
    route, params = gateway.match("GET", "/console/")

    # Then
    assert route is not None
    assert (route.function_id, route.path) == ("ConsoleFunction", "/console")
    assert params == {}


def test_handle_keeps_the_trailing_slash_in_the_path_it_hands_over(gateway: Gateway) -> None:
    # Given a gateway whose console function echoes the event's path
    seen: list[str] = []

    class Echo:
        def invoke(self, event: dict[str, object]) -> dict[str, object]:
            seen.append(str(event["path"]))
            return {"statusCode": 200, "body": ""}

    gateway.runtimes["ConsoleFunction"] = Echo()  # type: ignore[assignment]

    # When
    response = gateway.handle(_request("GET", "/console/"))

    # Then
    assert response.status == 200
    assert seen == ["/console/"]


def test_match_a_known_path_with_another_method_is_no_route(gateway: Gateway) -> None:
    # When / Then
    assert gateway.match("PUT", "/api/health") == (None, {})


# ------------------------------------------------------------------ allows


def test_allows_an_allow_whose_wildcard_matches(gateway: Gateway) -> None:
    # Given
    policy = {"Statement": [_allow(f"{ARN}/*/api/services/*")]}

    # When / Then
    assert gateway.allows(policy, f"{ARN}/GET{BASE}/my_integration") is True


def test_allows_a_single_resource_string(gateway: Gateway) -> None:
    # Given
    policy = {"Statement": [{"Effect": "Allow", "Resource": f"{ARN}/GET/api/health"}]}

    # When / Then
    assert gateway.allows(policy, f"{ARN}/GET/api/health") is True


def test_allows_not_an_allow_for_other_routes(gateway: Gateway) -> None:
    # Given
    policy = {"Statement": [_allow(f"{ARN}/*/api/services/*")]}

    # When / Then
    assert gateway.allows(policy, f"{ARN}/POST/api/admin/accounts") is False


def test_allows_an_explicit_deny_wins_over_an_allow(gateway: Gateway) -> None:
    # Given
    policy = {"Statement": [_allow(f"{ARN}/*"), _deny(f"{ARN}/DELETE/*")]}

    # When / Then
    assert gateway.allows(policy, f"{ARN}/DELETE{BASE}/my_integration/d339ba7f") is False


def test_allows_an_explicit_deny_wins_whatever_its_order(gateway: Gateway) -> None:
    # Given
    policy = {"Statement": [_deny(f"{ARN}/DELETE/*"), _allow(f"{ARN}/*")]}

    # When / Then
    assert gateway.allows(policy, f"{ARN}/DELETE{BASE}/my_integration/d339ba7f") is False


@pytest.mark.parametrize("policy", [{}, {"Statement": []}])
def test_allows_nothing_without_statements(gateway: Gateway, policy: dict[str, object]) -> None:
    # When / Then
    assert gateway.allows(policy, f"{ARN}/GET/api/health") is False


# ------------------------------------------------------------------ proxy_event


def test_proxy_event_has_the_route_resource_and_path_parameters(gateway: Gateway) -> None:
    # Given
    request = _request("GET", f"{BASE}/my_integration/d339ba7f")
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["resource"] == f"{BASE}/{{integration}}/{{uuid}}"
    assert event["path"] == request.path
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"integration": "my_integration", "uuid": "d339ba7f"}
    assert event["requestContext"]["resourcePath"] == route.path
    assert event["requestContext"]["stage"] == "prod"


def test_proxy_event_without_path_parameters_has_none(gateway: Gateway) -> None:
    # Given
    request = _request("GET", "/api/health")
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["pathParameters"] is None
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_proxy_event_has_single_and_multi_value_query_parameters(gateway: Gateway) -> None:
    # Given
    request = _request("GET", f"{BASE}/my_integration", query="page%5Bsize%5D=5&tag=a&tag=b&empty=")
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["multiValueQueryStringParameters"] == {"page[size]": ["5"], "tag": ["a", "b"], "empty": [""]}
    assert event["queryStringParameters"] == {"page[size]": "5", "tag": "b", "empty": ""}


def test_proxy_event_has_single_and_multi_value_headers(gateway: Gateway) -> None:
    # Given
    request = HttpRequest("GET", "/api/health", "", [("Accept", "a"), ("X-Multi", "1"), ("X-Multi", "2")], b"")
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["multiValueHeaders"] == {"Accept": ["a"], "X-Multi": ["1", "2"]}
    assert event["headers"] == {"Accept": "a", "X-Multi": "2"}


def test_proxy_event_carries_a_utf8_body_as_text(gateway: Gateway) -> None:
    # Given
    request = _request("POST", f"{BASE}/ingest/tok", body='{"name": "café"}'.encode())
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["body"] == '{"name": "café"}'
    assert event["isBase64Encoded"] is False


def test_proxy_event_carries_a_non_utf8_body_as_base64(gateway: Gateway) -> None:
    # Given
    raw = b"\x89PNG\r\n\x1a\n\xff\x00"
    request = _request("POST", f"{BASE}/ingest/tok", body=raw)
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_proxy_event_without_a_body_has_none(gateway: Gateway) -> None:
    # Given
    request = _request("GET", "/api/health")
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    event = gateway.proxy_event(request, route, params)

    # Then
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_proxy_event_for_a_binary_body_reaches_ingest_byte_for_byte(gateway: Gateway) -> None:
    # Given
    raw = bytes(range(256))
    request = _request("POST", f"{BASE}/ingest/tok", body=raw, **{"Content-Type": "application/octet-stream"})
    route, params = gateway.match(request.method, request.path)
    assert route is not None

    # When
    parsed = parse_request(gateway.proxy_event(request, route, params), 1024)

    # Then
    assert parsed.body == raw
    assert parsed.token == "tok"


def test_method_arn_is_one_the_authorizer_can_read(gateway: Gateway) -> None:
    # Given
    request = _request("GET", f"{BASE}/my_integration")
    route, params = gateway.match(request.method, request.path)
    assert route is not None
    event = gateway.proxy_event(request, route, params)

    # When
    method_arn = gateway.method_arn(event)

    # Then
    assert method_arn == f"{ARN}/GET{BASE}/my_integration"
    assert ApiArn.from_method_arn(method_arn).prefix == ARN


# ------------------------------------------------------------------ isolation


class BusyWebhooksApi:
    """Fake handlers: the webhooks API holds its first request until released; the
    authorizer allows everything and records whose token it saw."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.webhooks_busy = threading.Event()
        self.authorized: dict[str, threading.Event] = {"Bearer one": threading.Event(), "Bearer two": threading.Event()}

    def webhooks(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not self.webhooks_busy.is_set():
            self.webhooks_busy.set()
            self.release.wait(10)
        return {"statusCode": 200, "body": event["requestContext"]["authorizer"]["principalId"]}

    def authorizer(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        token = event["headers"]["Authorization"]
        self.authorized[token].set()
        policy = {"Statement": [{"Effect": "Allow", "Resource": ["*"]}]}
        return {"principalId": token, "policyDocument": policy, "context": {}}

    def other(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": "other"}


def test_while_a_function_is_busy_the_authorizer_and_other_functions_still_answer(template: Template) -> None:
    # Given the webhooks API busy with one account's request
    fake = BusyWebhooksApi()
    [authorizer] = template.api.authorizers.values()
    handlers = {"WebhooksApiFunction": fake.webhooks, authorizer.function_id: fake.authorizer}
    runtimes = {
        fid: FunctionRuntime(spec, handler=handlers.get(fid, fake.other)) for fid, spec in template.functions.items()
    }
    gateway = Gateway(template, runtimes)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(gateway.handle, _request("GET", "/api/v2/webhooks", Authorization="Bearer one"))
        assert fake.webhooks_busy.wait(10)

        # When another account calls it, and someone calls another function
        second = pool.submit(gateway.handle, _request("GET", "/api/v2/webhooks", Authorization="Bearer two"))
        health = gateway.handle(_request("GET", "/api/health"))

        # Then, while the first is still being handled, the other function answers and
        # the second request is authorized; then each request gets its own answer
        assert health.body == b"other"
        assert fake.authorized["Bearer two"].wait(10)
        assert not first.done()
        fake.release.set()
        assert (first.result().body, second.result().body) == (b"Bearer one", b"Bearer two")
