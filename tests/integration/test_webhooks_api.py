"""Outbound webhooks API (Zendesk /api/v2/webhooks) through its real handler on moto: CRUD,
validation, credentials, signing secret, EventBridge rules and what they deliver, the live
test, the verification handshake, and invocations."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from hookyard.config import get_settings
from hookyard.crypto import KmsSealer
from hookyard.dal.invocations import InvocationsRepository
from hookyard.dal.webhooks import WebhooksRepository
from hookyard.models.webhooks import AttemptRecord, InvocationStatus, RecordedResponse
from hookyard.webhooks import signing
from hookyard.webhooks.invocations import new_invocation
from hookyard.webhooks.secrets import WebhookSecrets
from hookyard_dev.template import REGION
from tests.integration.conftest import body, invoke, load_event, route_queued, routes_of, with_path, with_query

pytestmark = pytest.mark.usefixtures("aws_env")

# A public address given as a literal: saving checks the endpoint's addresses, and the
# tests run without DNS. Nothing is ever sent there.
PUBLIC = "https://93.184.215.14"
PASSWORD = "pa55-word-that-must-never-show"
TOKEN = "bearer-token-that-must-never-show"
API_KEY = "api-key-value-that-must-never-show"
ZENDESK_FIELDS = {
    "id",
    "name",
    "description",
    "endpoint",
    "http_method",
    "request_format",
    "status",
    "subscriptions",
    "authentication",
    "custom_headers",
    "external_source",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
}


# ------------------------------------------------------------------ helpers


def handler() -> Any:
    from webhooks_api.handler import lambda_handler

    return lambda_handler


def call(
    name: str,
    payload: Any = None,
    *,
    account_id: int = 1,
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
    **path: str,
) -> dict[str, Any]:
    event = load_event(f"webhooks_api/{name}.json")
    event["requestContext"]["authorizer"]["account_id"] = str(account_id)
    if path:
        with_path(event, **path)
    if query is not None:
        with_query(event, query)
    if payload is not None:
        event["body"] = json.dumps(payload)
    if raw_body is not None:
        event["body"] = raw_body
    return invoke(handler(), event)


def definition(**fields: Any) -> dict[str, Any]:
    """An event-subscribed webhook definition; `fields` override (None removes)."""
    base: dict[str, Any] = {
        "name": "Ticket replies",
        "description": "Replies from Slack",
        "endpoint": f"{PUBLIC}/hooks",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["slack:event-type:ticket.NewReply"],
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def trigger_definition(**fields: Any) -> dict[str, Any]:
    return definition(subscriptions=["conditional_ticket_events"], http_method="PUT", request_format="xml", **fields)


def create(account_id: int = 1, **fields: Any) -> dict[str, Any]:
    response = call("create", {"webhook": definition(**fields)}, account_id=account_id)
    assert response["statusCode"] == 201, response
    return body(response)["webhook"]  # type: ignore[no-any-return]


def show(webhook_id: str, account_id: int = 1) -> dict[str, Any]:
    response = call("show", account_id=account_id, webhook_id=webhook_id)
    assert response["statusCode"] == 200, response
    return body(response)["webhook"]  # type: ignore[no-any-return]


def error_detail(response: dict[str, Any]) -> str:
    return " | ".join(e["detail"] for e in body(response)["errors"])


def events_client() -> Any:
    return boto3.client("events", region_name=REGION)


def routes(webhook_id: str) -> list[dict[str, Any]]:
    return routes_of(f"W#{webhook_id}")


def secrets_() -> WebhookSecrets:
    return WebhookSecrets(KmsSealer())


def put_event(source: str, detail_type: str, detail: dict[str, Any]) -> None:
    out = events_client().put_events(
        Entries=[
            {
                "EventBusName": os.environ["EVENT_BUS_NAME"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert out["FailedEntryCount"] == 0


def delivered() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(
        QueueUrl=os.environ["DELIVERY_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def repo() -> WebhooksRepository:
    return WebhooksRepository(os.environ["CONFIG_TABLE_NAME"])


# ------------------------------------------------------------------ a local receiver


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body = b'{"ok": true}'
        self.echo_challenge = False
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                receiver.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": data}
                )
                out = receiver.body
                if receiver.echo_challenge:
                    out = parse_qs(urlsplit(self.path).query).get("challenge", [""])[0].encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Receiver", "yes")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(out)  # the client may have given up (the timeout tests)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def public_only(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """As deployed by default: outbound calls reach public addresses only (the local
    stack's environment allows loopback)."""
    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "")
    get_settings.cache_clear()


@pytest.fixture
def allow_loopback(public_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOUND_ALLOW_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()


@pytest.fixture
def receiver(allow_loopback: None) -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


# ------------------------------------------------------------------ create / show


def test_create_answers_201_with_zendesks_fields_and_no_secret() -> None:
    created = create(custom_headers={"X-Team": "support"})

    assert set(created) >= ZENDESK_FIELDS
    assert "signing_secret" not in created
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", created["id"])
    assert created["name"] == "Ticket replies"
    assert created["subscriptions"] == ["slack:event-type:ticket.NewReply"]
    assert created["custom_headers"] == {"X-Team": "support"}
    assert created["status"] == "active"
    assert created["created_by"] == created["updated_by"] == "01JSAMPLE0000000000000000A"
    assert created["created_at"].endswith("Z")


def test_create_from_the_events_file_is_refused_only_because_the_sample_host_does_not_resolve_here() -> None:
    # The events file names example.com; the tests run without DNS.
    response = invoke(handler(), load_event("webhooks_api/create.json"))

    assert response["statusCode"] == 400
    assert error_detail(response).startswith("endpoint:")


def test_show_answers_the_same_webhook() -> None:
    created = create()

    assert show(created["id"]) == created


def test_show_of_an_unknown_webhook_answers_the_v2_404() -> None:
    response = call("show")

    assert response["statusCode"] == 404
    assert body(response) == {"errors": [{"code": "RecordNotFound", "title": "Not Found", "detail": "Not Found"}]}


def test_another_accounts_webhook_is_a_404_on_every_route() -> None:
    created = create(account_id=1)

    for name, payload in [
        ("show", None),
        ("replace", {"webhook": definition()}),
        ("patch", {"webhook": {"name": "x"}}),
        ("delete", None),
        ("show_signing_secret", None),
        ("reset_signing_secret", None),
        ("verify", None),
        ("list_invocations", None),
    ]:
        response = call(name, payload, account_id=2, webhook_id=created["id"])
        assert response["statusCode"] == 404, name
    assert show(created["id"])["name"] == "Ticket replies"


def test_create_without_a_body_answers_400() -> None:
    response = call("create", raw_body="")

    assert response["statusCode"] == 400


@pytest.mark.parametrize(
    "read_only",
    [
        {"id": None},
        {"id": "01JWEBHOOK000000000000000A"},
        {
            "created_at": "2021-03-25T05:09:27Z",
            "created_by": "-1",
            "updated_at": "2021-03-25T05:09:27Z",
            "updated_by": "-1",
        },
        {"status_reason": None},
        {"signing_secret": {"algorithm": "SHA256", "secret": None}},
        {"signing_secret": None},
    ],
)
def test_create_accepts_and_ignores_the_read_only_fields_zendesk_returns(read_only: dict[str, Any]) -> None:
    # A client that sends back a webhook it read (zenpy's Webhook object, Zendesk's own
    # examples) includes fields only the server sets.
    response = call("create", {"webhook": {**definition(), **read_only}})

    assert response["statusCode"] == 201, response
    created = body(response)["webhook"]
    assert created["id"] != "01JWEBHOOK000000000000000A"
    assert created["created_by"] == created["updated_by"] == "01JSAMPLE0000000000000000A"
    assert created["created_at"] != "2021-03-25T05:09:27Z"


def test_create_with_a_signing_secret_answers_400_saying_it_is_generated() -> None:
    response = call("create", {"webhook": {**definition(), "signing_secret": {"secret": "mine-mine-mine"}}})

    assert response["statusCode"] == 400
    assert "signing_secret" in error_detail(response)
    assert "mine-mine-mine" not in response["body"]


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"name": None}, "name"),
        ({"endpoint": None}, "endpoint"),
        ({"status": "paused"}, "status"),
        ({"http_method": "GET"}, "http_method"),
        ({"request_format": "xml"}, "request_format"),
        ({"subscriptions": []}, "subscriptions"),
        ({"subscriptions": ["ticket.created"]}, "subscriptions[0]"),
        ({"subscriptions": ["conditional_ticket_events", "zen:event-type:ticket.created"]}, "subscriptions"),
        ({"endpoint": "ftp://93.184.215.14/x"}, "endpoint"),
        ({"endpoint": "not a url"}, "endpoint"),
        ({"endpoint": "https://user:pw@93.184.215.14/x"}, "endpoint"),
        ({"endpoint": "https://10.0.0.5/hooks"}, "endpoint"),
        ({"endpoint": "http://127.0.0.1:8080/hooks"}, "endpoint"),
        ({"endpoint": "http://169.254.169.254/latest/meta-data"}, "endpoint"),
        ({"colour": "red"}, "colour"),
        ({"authentication": {"type": "basic_auth", "data": {"username": "u"}, "add_position": "header"}}, "password"),
        ({"authentication": {"type": "oauth", "data": {}}}, "authentication"),
        ({"authentication": {"type": "bearer_token"}}, "authentication.data"),
    ],
)
def test_create_with_an_invalid_field_answers_400_naming_it(fields: dict[str, Any], named: str) -> None:
    response = call("create", {"webhook": definition(**fields)})

    assert response["statusCode"] == 400, response
    assert named in error_detail(response)
    assert all(e["code"] == "InvalidInput" for e in body(response)["errors"])


@pytest.mark.parametrize(
    ("headers", "endpoint"),
    [
        ({f"X-H{i}": "v" for i in range(6)}, PUBLIC),  # more than 5
        ({"Bad Name": "v"}, PUBLIC),  # space in a name
        ({"X-" + "a" * 127: "v"}, PUBLIC),  # name over 128 characters
        ({"X-Ok": "tab\tinside"}, PUBLIC),  # value outside 0x20-0x7E
        ({"X-Ok": "v" * 1001}, PUBLIC),  # value over 1000 characters
        ({"Content-Type": "text/plain"}, PUBLIC),  # forbidden name
        ({"X-Zendesk-Thing": "v"}, PUBLIC),  # forbidden prefix
        ({"X-Amzn-Trace": "v"}, PUBLIC),  # forbidden prefix
        ({"X-Ok": "v"}, "http://93.184.215.14"),  # custom headers need https
    ],
)
def test_create_with_invalid_custom_headers_answers_400_naming_custom_headers(
    headers: dict[str, str], endpoint: str
) -> None:
    response = call("create", {"webhook": definition(endpoint=f"{endpoint}/hooks", custom_headers=headers)})

    assert response["statusCode"] == 400, response
    assert "custom_headers" in error_detail(response)


def test_a_custom_header_may_not_replace_the_authentication_header() -> None:
    bearer = {"type": "bearer_token", "data": {"token": TOKEN}}
    api_key = {"type": "api_key", "data": {"name": "X-Api-Key", "value": API_KEY}}

    over_bearer = call("create", {"webhook": definition(authentication=bearer, custom_headers={"authorization": "x"})})
    over_key = call("create", {"webhook": definition(authentication=api_key, custom_headers={"x-api-key": "x"})})

    assert over_bearer["statusCode"] == over_key["statusCode"] == 400
    assert "custom_headers" in error_detail(over_bearer)
    assert "custom_headers" in error_detail(over_key)


@pytest.mark.parametrize(
    ("authentication", "named"),
    [
        ({"type": "basic_auth", "data": {"username": "a:b", "password": "p"}}, "authentication.data.username"),
        ({"type": "bearer_token", "data": {"token": "line\nbreak"}}, "authentication"),
        ({"type": "api_key", "data": {"name": "Content-Type", "value": "v"}}, "authentication.data.name"),
        ({"type": "api_key", "data": {"name": "X-Key", "value": "v"}, "add_position": "query"}, "add_position"),
    ],
)
def test_invalid_credentials_answer_400_naming_the_field(authentication: dict[str, Any], named: str) -> None:
    response = call("create", {"webhook": definition(authentication=authentication)})

    assert response["statusCode"] == 400, response
    assert named in error_detail(response)
    assert "line\nbreak" not in response["body"]


def test_create_with_five_valid_custom_headers_is_accepted() -> None:
    headers = {f"X-H{i}": "v" * 1000 for i in range(5)}

    created = create(custom_headers=headers)

    assert created["custom_headers"] == headers


def test_a_trigger_webhook_may_use_any_method_and_format() -> None:
    response = call("create", {"webhook": trigger_definition()})

    assert response["statusCode"] == 201
    assert body(response)["webhook"]["http_method"] == "PUT"
    assert body(response)["webhook"]["request_format"] == "xml"


def test_duplicate_subscriptions_are_stored_once() -> None:
    created = create(subscriptions=["slack:event-type:a", "slack:event-type:a", "zen:event-type:ticket.created"])

    assert created["subscriptions"] == ["slack:event-type:a", "zen:event-type:ticket.created"]


def test_the_number_of_webhooks_per_account_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_WEBHOOKS_PER_ACCOUNT", "2")
    get_settings.cache_clear()
    first = create()
    create()

    refused = call("create", {"webhook": definition()})
    clone_refused = call("clone", query={"clone_webhook_id": first["id"]})
    other_account = call("create", {"webhook": definition()}, account_id=2)
    call("delete", webhook_id=first["id"])
    after_delete = call("create", {"webhook": definition()})

    assert refused["statusCode"] == 422
    assert "at most 2 webhooks" in error_detail(refused)
    assert body(refused)["errors"][0]["code"] == "WebhookLimitReached"
    assert clone_refused["statusCode"] == 422
    assert other_account["statusCode"] == 201
    assert after_delete["statusCode"] == 201


# ------------------------------------------------------------------ credentials


def test_credentials_are_never_in_any_response() -> None:
    basic = create(
        authentication={
            "type": "basic_auth",
            "data": {"username": "robot", "password": PASSWORD},
            "add_position": "header",
        }
    )
    bearer = create(authentication={"type": "bearer_token", "data": {"token": TOKEN}})
    api_key = create(authentication={"type": "api_key", "data": {"name": "X-Api-Key", "value": API_KEY}})
    responses = [
        call("show", webhook_id=basic["id"]),
        call("show", webhook_id=bearer["id"]),
        call("show", webhook_id=api_key["id"]),
        call("list", query={}),
        call("clone", query={"clone_webhook_id": basic["id"]}),
        call("patch", {"webhook": {"name": "renamed"}}, webhook_id=basic["id"]),
        call("replace", {"webhook": definition(authentication={"type": "api_key"})}, webhook_id=api_key["id"]),
    ]
    texts = [json.dumps(x) for x in (basic, bearer, api_key)] + [r.get("body") or "" for r in responses]

    for text in texts:
        assert PASSWORD not in text
        assert TOKEN not in text
        assert API_KEY not in text
    assert basic["authentication"] == {"type": "basic_auth", "add_position": "header", "data": {"username": "robot"}}
    assert bearer["authentication"] == {"type": "bearer_token", "add_position": "header", "data": None}
    assert api_key["authentication"]["data"] == {"name": "X-Api-Key"}


def test_credentials_and_signing_secret_are_stored_sealed() -> None:
    created = create(authentication={"type": "bearer_token", "data": {"token": TOKEN}})
    secret = body(call("show_signing_secret", webhook_id=created["id"]))["signing_secret"]["secret"]

    stored = str(boto3.client("dynamodb", region_name=REGION).scan(TableName=os.environ["CONFIG_TABLE_NAME"]))
    record = repo().get(1, created["id"])

    assert TOKEN not in stored
    assert secret not in stored
    assert secrets_().auth_headers(record) == {"Authorization": f"Bearer {TOKEN}"}
    assert secrets_().signing_secret(record) == secret


def test_updates_keep_stored_credentials_when_data_is_omitted() -> None:
    created = create(authentication={"type": "basic_auth", "data": {"username": "robot", "password": PASSWORD}})

    patched = call("patch", {"webhook": {"name": "renamed"}}, webhook_id=created["id"])
    replaced = call("replace", {"webhook": definition(authentication={"type": "basic_auth"})}, webhook_id=created["id"])

    assert patched["statusCode"] == replaced["statusCode"] == 204
    expected = "Basic " + base64.b64encode(f"robot:{PASSWORD}".encode()).decode()
    assert secrets_().auth_headers(repo().get(1, created["id"])) == {"Authorization": expected}


def test_changing_the_authentication_type_without_data_answers_400() -> None:
    created = create(authentication={"type": "bearer_token", "data": {"token": TOKEN}})

    response = call("patch", {"webhook": {"authentication": {"type": "api_key"}}}, webhook_id=created["id"])

    assert response["statusCode"] == 400
    assert "authentication.data" in error_detail(response)


def test_put_without_authentication_removes_it() -> None:
    created = create(authentication={"type": "bearer_token", "data": {"token": TOKEN}})

    call("replace", {"webhook": definition()}, webhook_id=created["id"])

    assert show(created["id"])["authentication"] is None
    assert secrets_().auth_headers(repo().get(1, created["id"])) == {}


# ------------------------------------------------------------------ signing secret


def test_signing_secret_is_shown_by_its_own_route_and_reset_replaces_it() -> None:
    created = create()

    shown = call("show_signing_secret", webhook_id=created["id"])
    reset = call("reset_signing_secret", webhook_id=created["id"])
    shown_again = call("show_signing_secret", webhook_id=created["id"])

    assert shown["statusCode"] == 200
    first = body(shown)["signing_secret"]
    assert first["algorithm"] == "SHA256"
    assert len(first["secret"]) >= 32
    assert reset["statusCode"] == 201
    second = body(reset)["signing_secret"]
    assert second["secret"] != first["secret"]
    assert body(shown_again)["signing_secret"] == second


# ------------------------------------------------------------------ list


def _names(response: dict[str, Any]) -> list[str]:
    assert response["statusCode"] == 200, response
    return [w["name"] for w in body(response)["webhooks"]]


def test_list_filters_by_name_and_status_and_sorts() -> None:
    create(name="Bravo")
    create(name="alpha", status="inactive")
    create(name="Charlie two")
    create(name="charlie one", status="inactive")
    create(name="Other account", account_id=2)

    assert _names(call("list", query={})) == ["Bravo", "alpha", "Charlie two", "charlie one"]
    assert _names(call("list", query={"sort": "name"})) == ["alpha", "Bravo", "charlie one", "Charlie two"]
    assert _names(call("list", query={"sort": "-name"})) == ["Charlie two", "charlie one", "Bravo", "alpha"]
    assert _names(call("list", query={"sort": "status"})) == ["Bravo", "Charlie two", "alpha", "charlie one"]
    assert _names(call("list", query={"sort": "-status"})) == ["charlie one", "alpha", "Charlie two", "Bravo"]
    assert _names(call("list", query={"filter[name_contains]": "CHARLIE"})) == ["Charlie two", "charlie one"]
    assert _names(call("list", query={"filter[status]": "inactive", "sort": "name"})) == ["alpha", "charlie one"]


def test_list_pages_forward_and_back_with_cursors_and_links() -> None:
    names = [f"hook {i}" for i in range(5)]
    for name in names:
        create(name=name)
    query = {"sort": "-name", "page[size]": "2"}

    first = body(call("list", query=query))
    second = body(call("list", query={**query, "page[after]": first["meta"]["after_cursor"]}))
    third = body(call("list", query={**query, "page[after]": second["meta"]["after_cursor"]}))
    back = body(call("list", query={**query, "page[before]": third["meta"]["before_cursor"]}))
    back_again = body(call("list", query={**query, "page[before]": back["meta"]["before_cursor"]}))

    assert [w["name"] for w in first["webhooks"]] == ["hook 4", "hook 3"]
    assert [w["name"] for w in second["webhooks"]] == ["hook 2", "hook 1"]
    assert [w["name"] for w in third["webhooks"]] == ["hook 0"]
    assert [w["name"] for w in back["webhooks"]] == ["hook 2", "hook 1"]
    assert [w["name"] for w in back_again["webhooks"]] == ["hook 4", "hook 3"]
    assert [p["meta"]["has_more"] for p in (first, second, third)] == [True, True, False]
    assert [p["meta"]["has_more"] for p in (back, back_again)] == [True, False]
    assert first["links"]["prev"] is None
    assert third["links"]["next"] is None
    next_link = urlsplit(first["links"]["next"])
    assert next_link.scheme == "https"
    assert next_link.netloc == "abcdef123.execute-api.us-east-1.amazonaws.com"
    assert next_link.path == "/prod/api/v2/webhooks"
    assert parse_qs(next_link.query) == {
        "sort": ["-name"],
        "page[size]": ["2"],
        "page[after]": [first["meta"]["after_cursor"]],
    }
    assert parse_qs(urlsplit(second["links"]["prev"]).query)["page[before]"] == [second["meta"]["before_cursor"]]


@pytest.mark.parametrize(
    "query",
    [
        {"page[size]": "0"},
        {"page[size]": "101"},
        {"page[after]": "not-a-cursor"},
        {"page[before]": "bm90LWEtY3Vyc29y"},
        {"sort": "created_at"},
        {"filter[status]": "paused"},
    ],
)
def test_list_with_a_bad_parameter_answers_400(query: dict[str, str]) -> None:
    create()

    assert call("list", query=query)["statusCode"] == 400


@pytest.mark.parametrize("name", ["list", "list_triggers"])
def test_a_bad_cursor_answers_400_even_when_there_is_nothing_to_list(name: str) -> None:
    response = call(name, query={"page[after]": "not-a-cursor"})

    assert response["statusCode"] == 400
    assert "page[after]: not a cursor this API returned" in error_detail(response)


def test_a_cursor_from_another_sort_order_answers_400() -> None:
    create()
    create()
    cursor = body(call("list", query={"sort": "name", "page[size]": "1"}))["meta"]["after_cursor"]

    response = call("list", query={"sort": "status", "page[after]": cursor})

    assert response["statusCode"] == 400
    assert "page[after]" in error_detail(response)


# ------------------------------------------------------------------ update / delete


def test_put_replaces_the_webhook_and_answers_204() -> None:
    created = create(custom_headers={"X-Team": "a"})

    response = call(
        "replace",
        {"webhook": definition(name="Replaced", description=None, subscriptions=["zen:event-type:ticket.created"])},
        webhook_id=created["id"],
    )

    assert response["statusCode"] == 204
    assert response["body"] == ""
    shown = show(created["id"])
    assert shown["name"] == "Replaced"
    assert shown["description"] is None
    assert shown["custom_headers"] == {}
    assert shown["subscriptions"] == ["zen:event-type:ticket.created"]
    assert shown["created_at"] == created["created_at"]
    assert shown["updated_at"] >= created["updated_at"]


def test_patch_merges_fields_and_null_removes() -> None:
    created = create(custom_headers={"X-Team": "a", "X-Keep": "b"})

    response = call(
        "patch", {"webhook": {"custom_headers": {"X-Team": None}, "description": None}}, webhook_id=created["id"]
    )

    assert response["statusCode"] == 204
    shown = show(created["id"])
    assert shown["custom_headers"] == {"X-Keep": "b"}
    assert shown["description"] is None
    assert shown["name"] == created["name"]


def test_patch_with_an_invalid_result_answers_400_naming_the_field() -> None:
    created = create()

    response = call("patch", {"webhook": {"status": "sleeping"}}, webhook_id=created["id"])

    assert response["statusCode"] == 400
    assert "webhook.status" in error_detail(response)


def test_patch_naming_the_webhooks_own_id_answers_204_as_zenpy_sends_it() -> None:
    created = create()

    # zenpy's WebhooksApi.patch(webhook) sends the id with the changed fields.
    response = call("patch", {"webhook": {"id": created["id"], "name": "renamed"}}, webhook_id=created["id"])

    assert response["statusCode"] == 204, response
    assert show(created["id"])["name"] == "renamed"


@pytest.mark.parametrize("name", ["replace", "patch"])
def test_an_update_naming_another_webhooks_id_answers_400(name: str) -> None:
    created = create()
    other = create(name="Other")
    change = definition(id=other["id"]) if name == "replace" else {"id": other["id"], "name": "renamed"}

    response = call(name, {"webhook": change}, webhook_id=created["id"])

    assert response["statusCode"] == 400
    assert "webhook.id" in error_detail(response)
    assert show(created["id"])["name"] == created["name"]
    assert show(other["id"])["name"] == "Other"


def test_put_without_subscriptions_keeps_them_and_their_routes() -> None:
    created = create(subscriptions=["zen:event-type:ticket.created", "slack:event-type:ticket.NewReply"])
    routes_before = routes(created["id"])

    response = call("replace", {"webhook": definition(name="Renamed", subscriptions=None)}, webhook_id=created["id"])

    assert response["statusCode"] == 204, response
    shown = show(created["id"])
    assert shown["name"] == "Renamed"
    assert shown["subscriptions"] == created["subscriptions"]
    assert routes(created["id"]) == routes_before


def test_create_without_subscriptions_answers_400_naming_them() -> None:
    response = call("create", {"webhook": definition(subscriptions=None)})

    assert response["statusCode"] == 400
    assert "subscriptions" in error_detail(response)


def test_put_without_hookyards_own_fields_keeps_them() -> None:
    # A Zendesk client knows nothing of retry_policy (nor of verification, below): a PUT
    # it sends must not reset them.
    created = create(retry_policy="extended")

    call("replace", {"webhook": definition(name="Renamed")}, webhook_id=created["id"])

    assert show(created["id"])["retry_policy"] == "extended"


@pytest.mark.parametrize("name", ["replace", "patch"])
def test_changing_an_event_webhook_to_triggers_answers_400_saying_why(name: str) -> None:
    created = create()
    change = trigger_definition() if name == "replace" else {"subscriptions": ["conditional_ticket_events"]}

    response = call(name, {"webhook": change}, webhook_id=created["id"])

    assert response["statusCode"] == 400
    assert "connection method is fixed" in error_detail(response)
    assert show(created["id"])["subscriptions"] == created["subscriptions"]


def test_changing_a_trigger_webhook_to_events_answers_400_saying_why() -> None:
    created = body(call("create", {"webhook": trigger_definition()}))["webhook"]

    response = call(
        "patch",
        {
            "webhook": {
                "subscriptions": ["zen:event-type:ticket.created"],
                "http_method": "POST",
                "request_format": "json",
            }
        },
        webhook_id=created["id"],
    )

    assert response["statusCode"] == 400
    assert "connected to triggers" in error_detail(response)


def test_external_source_cannot_change() -> None:
    source = {"type": "app_installation", "data": {"installation_id": 1}}
    created = create(external_source=source)

    same = call("patch", {"webhook": {"name": "x"}}, webhook_id=created["id"])
    changed = call("patch", {"webhook": {"external_source": {"type": "other"}}}, webhook_id=created["id"])

    assert same["statusCode"] == 204
    assert changed["statusCode"] == 400
    assert "external_source" in error_detail(changed)
    assert show(created["id"])["external_source"] == source


def test_delete_answers_204_and_the_webhook_is_gone() -> None:
    created = create()

    response = call("delete", webhook_id=created["id"])

    assert response["statusCode"] == 204
    assert call("show", webhook_id=created["id"])["statusCode"] == 404
    assert call("delete", webhook_id=created["id"])["statusCode"] == 404


# ------------------------------------------------------------------ clone


def test_clone_copies_with_a_new_id_name_and_signing_secret() -> None:
    source = create(
        status="inactive",
        authentication={"type": "bearer_token", "data": {"token": TOKEN}},
        custom_headers={"X-Team": "a"},
    )

    response = call("clone", query={"clone_webhook_id": source["id"]})

    assert response["statusCode"] == 201
    copy = body(response)["webhook"]
    assert copy["id"] != source["id"]
    assert copy["name"] == "Ticket replies (copy)"
    assert copy["status"] == "inactive"
    for same in ("endpoint", "subscriptions", "custom_headers", "authentication", "http_method", "request_format"):
        assert copy[same] == source[same]
    secret = body(call("show_signing_secret", webhook_id=source["id"]))["signing_secret"]["secret"]
    copy_secret = body(call("show_signing_secret", webhook_id=copy["id"]))["signing_secret"]["secret"]
    assert copy_secret != secret
    assert secrets_().auth_headers(repo().get(1, copy["id"])) == {"Authorization": f"Bearer {TOKEN}"}


def test_clone_of_an_active_event_webhook_gets_its_own_routes() -> None:
    source = create()

    copy = body(call("clone", query={"clone_webhook_id": source["id"]}))["webhook"]

    assert [r["webhook_id"] for r in routes(copy["id"])] == [copy["id"]]
    assert [r["webhook_id"] for r in routes(source["id"])] == [source["id"]]


def test_clone_of_another_accounts_webhook_answers_404() -> None:
    source = create(account_id=2)

    assert call("clone", query={"clone_webhook_id": source["id"]})["statusCode"] == 404


def test_clone_with_a_body_too_answers_400() -> None:
    source = create()

    response = call("clone", {"webhook": definition()}, query={"clone_webhook_id": source["id"]})

    assert response["statusCode"] == 400


# ------------------------------------------------------------------ routes


def test_an_active_event_webhook_has_one_route_per_subscribed_type() -> None:
    created = create(subscriptions=["slack:event-type:ticket.NewReply", "slack:event-type:ticket.Closed"])

    found = routes(created["id"])

    assert [r["PK"] for r in found] == [
        "ROUTE#1#slack:event-type:ticket.Closed",
        "ROUTE#1#slack:event-type:ticket.NewReply",
    ]
    assert all(r["kind"] == "webhook" and r["webhook_id"] == created["id"] for r in found)


def test_a_subscribed_event_reaches_the_delivery_queue_with_the_webhook_named() -> None:
    created = create()
    detail = {"account_id": 1, "event_id": "01EVENT", "body": {"text": "hi"}}

    put_event("slack", "ticket.NewReply", detail)
    put_event("slack", "ticket.Other", detail)  # not subscribed
    put_event("slack", "ticket.NewReply", {**detail, "account_id": 2})  # another account
    route_queued()

    event = {**detail, "source_system": "slack", "event_type": "ticket.NewReply"}
    assert delivered() == [{"kind": "subscription", "account_id": 1, "webhook_id": created["id"], "event": event}]


def test_subscriptions_of_several_sources_route_each_pair_only() -> None:
    create(subscriptions=["slack:event-type:ticket.NewReply", "jira:event-type:issue.created"])

    put_event("slack", "ticket.NewReply", {"account_id": 1, "n": 1})
    put_event("jira", "issue.created", {"account_id": 1, "n": 2})
    put_event("jira", "ticket.NewReply", {"account_id": 1, "n": 3})  # not a subscribed pair
    route_queued()

    assert sorted(m["event"]["n"] for m in delivered()) == [1, 2]


def test_routes_follow_status_subscriptions_and_delete() -> None:
    created = create()
    webhook_id = created["id"]

    call("patch", {"webhook": {"status": "inactive"}}, webhook_id=webhook_id)
    after_deactivate = routes(webhook_id)
    call(
        "patch",
        {"webhook": {"status": "active", "subscriptions": ["zen:event-type:ticket.created"]}},
        webhook_id=webhook_id,
    )
    after_change = routes(webhook_id)
    call("delete", webhook_id=webhook_id)
    after_delete = routes(webhook_id)

    assert after_deactivate == []
    # Zendesk's own types are their own type string, whatever the source.
    assert [r["PK"] for r in after_change] == ["ROUTE#1#zen:event-type:ticket.created"]
    assert after_delete == []


def test_replacing_all_of_98_subscriptions_at_once_keeps_the_routes_equal_to_the_webhook() -> None:
    first = [f"slack:event-type:a.{n}" for n in range(98)]
    second = [f"slack:event-type:b.{n}" for n in range(98)]
    created = create(subscriptions=first)

    response = call("patch", {"webhook": {"subscriptions": second}}, webhook_id=created["id"])

    assert response["statusCode"] == 204, response
    assert sorted(r["PK"].removeprefix("ROUTE#1#") for r in routes(created["id"])) == sorted(second)
    assert show(created["id"])["subscriptions"] == second


def test_more_than_98_subscriptions_are_refused_naming_the_limit() -> None:
    response = call("create", {"webhook": definition(subscriptions=[f"s:event-type:t{n}" for n in range(99)])})

    assert response["statusCode"] == 400
    assert "subscriptions" in error_detail(response)


def test_inactive_and_trigger_webhooks_have_no_routes() -> None:
    inactive = create(status="inactive")
    trigger_hook = body(call("create", {"webhook": trigger_definition()}))["webhook"]

    assert routes(inactive["id"]) == []
    assert routes(trigger_hook["id"]) == []


def test_deactivate_for_the_delivery_function_sets_inactive_with_a_reason_and_removes_the_routes() -> None:
    created = create()

    record = repo().deactivate(1, created["id"], "the endpoint answered 410 Gone")

    assert record is not None
    assert record.status == "inactive"
    assert routes(created["id"]) == []
    shown = show(created["id"])
    assert shown["status"] == "inactive"
    assert shown["status_reason"] == "the endpoint answered 410 Gone"
    assert shown["updated_by"] == "hookyard"
    assert repo().deactivate(1, "01UNKNOWN", "gone") is None


def test_320_webhooks_over_5_accounts_leave_the_bus_with_its_one_rule() -> None:
    bus = os.environ["EVENT_BUS_NAME"]
    before = events_client().list_rules(EventBusName=bus)["Rules"]

    for n in range(320):
        create(account_id=1 + n % 5, name=f"hook {n}")

    after = events_client().list_rules(EventBusName=bus)["Rules"]
    assert [r["Name"] for r in after] == [r["Name"] for r in before] == ["hookyard-dev-routing"]


# ------------------------------------------------------------------ test endpoint


def _verify_signature(secret: str, request: dict[str, Any]) -> bool:
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers["x-zendesk-webhook-signature-timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + request["body"], hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, headers["x-zendesk-webhook-signature"])


def test_testing_an_existing_webhook_sends_a_signed_authenticated_request(receiver: Receiver) -> None:
    created = create(endpoint=f"{receiver.url}/hook", authentication={"type": "bearer_token", "data": {"token": TOKEN}})
    secret = body(call("show_signing_secret", webhook_id=created["id"]))["signing_secret"]["secret"]

    response = call("test", {"webhook_id": created["id"], "request": {"payload": '{"hello": "world"}'}})

    assert response["statusCode"] == 200, response
    answer = body(response)["response"]
    assert answer["status"] == 200
    assert answer["payload"] == '{"ok": true}'
    assert {"key": "x-receiver", "value": "yes"} in answer["headers"]
    assert answer["error"] is None
    assert TOKEN not in response["body"]
    (sent,) = receiver.requests
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert sent["method"] == "POST"
    assert sent["path"] == "/hook"
    assert sent["body"] == b'{"hello": "world"}'
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-zendesk-webhook-id"] == created["id"]
    assert _verify_signature(secret, sent)


def test_testing_a_definition_signs_with_zendesks_static_test_secret(receiver: Receiver) -> None:
    receiver.status = 503
    receiver.body = b"busy"

    response = call(
        "test", {"webhook": {"endpoint": f"{receiver.url}/new", "http_method": "PATCH", "request_format": "json"}}
    )

    assert response["statusCode"] == 200, response
    assert body(response)["response"]["status"] == 503
    assert body(response)["response"]["payload"] == "busy"
    (sent,) = receiver.requests
    assert sent["method"] == "PATCH"
    assert _verify_signature(signing.TEST_SIGNING_SECRET, sent)
    assert signing.TEST_SIGNING_SECRET == "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="


def request_of(name: str) -> dict[str, Any]:
    """The `request` object an events/ file sends."""
    return json.loads(load_event(f"webhooks_api/{name}.json")["body"])["request"]  # type: ignore[no-any-return]


def test_testing_zendesks_documented_request_sends_it_and_answers_in_zendesks_shape(receiver: Receiver) -> None:
    given = request_of("test_request")
    given["endpoint"] = f"{receiver.url}/status/200"
    del given["headers"]  # custom headers need https, and the receiver is http

    response = call("test", {"request": given})

    assert response["statusCode"] == 200, response
    answer = body(response)["response"]
    assert answer["status"] == 200
    assert answer["payload"] == '{"ok": true}'
    assert {"key": "x-receiver", "value": "yes"} in answer["headers"]
    (sent,) = receiver.requests
    assert sent["method"] == "POST"
    assert sent["path"] == "/status/200?foo=bar"
    assert sent["body"] == b'{"name":"test webhook"}'
    assert sent["headers"]["Content-Type"] == "application/json"
    assert _verify_signature(signing.TEST_SIGNING_SECRET, sent)


def test_testing_an_existing_webhook_at_another_endpoint_sends_it_there_with_the_webhooks_secret(
    receiver: Receiver,
) -> None:
    created = create(endpoint=f"{receiver.url}/one", authentication={"type": "bearer_token", "data": {"token": TOKEN}})
    secret = body(call("show_signing_secret", webhook_id=created["id"]))["signing_secret"]["secret"]

    response = call(
        "test",
        {"request": {"endpoint": f"{receiver.url}/two", "queryParams": [{"key": "a", "value": "1"}]}},
        query={"webhook_id": created["id"]},
    )

    assert response["statusCode"] == 200, response
    (sent,) = receiver.requests
    assert sent["path"] == "/two?a=1"
    assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert _verify_signature(secret, sent)
    assert show(created["id"])["endpoint"] == f"{receiver.url}/one"


@pytest.mark.parametrize("existing", [True, False])
def test_a_test_requests_endpoint_is_checked_like_a_webhooks(existing: bool) -> None:
    query = {"webhook_id": create()["id"]} if existing else None

    response = call("test", {"request": {"endpoint": "http://10.0.0.5/hooks"}}, query=query)

    assert response["statusCode"] == 400
    assert "request.endpoint" in error_detail(response)
    assert "private" in error_detail(response)


def test_a_test_request_may_bring_its_own_authentication(receiver: Receiver) -> None:
    bearer = {"type": "bearer_token", "data": {"token": TOKEN}}

    response = call("test", {"request": {"endpoint": f"{receiver.url}/x", "authentication": bearer}})

    assert response["statusCode"] == 200, response
    assert receiver.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in response["body"]


def test_the_requests_zenpy_sends_to_test_webhooks_are_answered(receiver: Receiver) -> None:
    created = create(endpoint=f"{receiver.url}/hook")
    zenpy_request = {
        "endpoint": f"{receiver.url}/new",
        "request_format": "json",
        "http_method": "POST",
        "payload": "{}",
    }

    # zenpy 2.0.57 WebhooksApi.test(webhook) and .test(request=...), exactly as sent.
    existing = call("test", {"request": {}}, query={"webhook_id": created["id"]})
    new = call("test", {"request": zenpy_request})

    assert existing["statusCode"] == new["statusCode"] == 200, (existing, new)
    assert [r["path"] for r in receiver.requests] == ["/hook", "/new"]
    assert receiver.requests[1]["body"] == b"{}"


def test_node_zendesks_doubled_slash_reaches_the_test_route(receiver: Receiver) -> None:
    created = create(endpoint=f"{receiver.url}/hook")
    event = with_query(load_event("webhooks_api/test_double_slash.json"), {"webhook_id": created["id"]})
    event["body"] = json.dumps({"request": {"endpoint": f"{receiver.url}/status/200"}})

    response = invoke(handler(), event)

    assert response["statusCode"] == 200, response
    assert [r["path"] for r in receiver.requests] == ["/status/200"]


def test_testing_with_the_webhook_id_in_the_query_as_zendesk_does(receiver: Receiver) -> None:
    created = create(endpoint=f"{receiver.url}/hook")

    response = call("test", {}, query={"webhook_id": created["id"]})

    assert response["statusCode"] == 200, response
    assert len(receiver.requests) == 1


def test_testing_a_blocked_endpoint_answers_400_naming_why() -> None:
    # No allow-list: loopback is refused.
    response = call("test", {"webhook": {"endpoint": "http://127.0.0.1:9/x"}})

    assert response["statusCode"] == 400
    assert "webhook.endpoint" in error_detail(response)
    assert "loopback" in error_detail(response)


def test_testing_an_endpoint_that_refuses_connections_answers_200_with_the_error(allow_loopback: None) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    response = call("test", {"webhook": {"endpoint": f"http://127.0.0.1:{port}/x"}})

    assert response["statusCode"] == 200
    answer = body(response)["response"]
    assert answer["status"] is None
    # hookyard.outbound reports a refused connection as a timeout (urllib3 2's
    # NewConnectionError subclasses ConnectTimeoutError); reported to its owner.
    assert answer["error"]["type"] in ("connection", "timeout")
    assert "127.0.0.1" in answer["error"]["detail"] or "no answer" in answer["error"]["detail"]


def test_testing_an_endpoint_that_does_not_answer_in_time_answers_200_with_a_timeout(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webhooks_api import logic

    monkeypatch.setattr(logic, "TEST_TIMEOUT_SECONDS", 0.3)
    release = threading.Event()
    original = receiver.server.RequestHandlerClass.do_POST  # type: ignore[attr-defined]

    def slow(self: Any) -> None:
        release.wait(5)
        original(self)

    monkeypatch.setattr(receiver.server.RequestHandlerClass, "do_POST", slow)
    try:
        response = call("test", {"webhook": {"endpoint": f"{receiver.url}/slow"}})
    finally:
        release.set()

    assert response["statusCode"] == 200
    assert body(response)["response"]["error"]["type"] == "timeout"


def test_test_headers_follow_the_custom_header_rules(allow_loopback: None) -> None:
    over_http = call(
        "test",
        {"webhook": {"endpoint": "http://127.0.0.1:9/x"}, "request": {"headers": [{"key": "X-Test", "value": "yes"}]}},
    )
    forbidden = call(
        "test",
        {"webhook": {"endpoint": "https://127.0.0.1:9/x"}, "request": {"headers": [{"key": "Host", "value": "evil"}]}},
    )

    assert over_http["statusCode"] == forbidden["statusCode"] == 400
    assert "request.headers" in error_detail(over_http)
    assert "request.headers" in error_detail(forbidden)


def test_testing_needs_exactly_one_of_webhook_id_and_webhook() -> None:
    created = create()

    both = call("test", {"webhook_id": created["id"], "webhook": {"endpoint": f"{PUBLIC}/x"}})
    neither = call("test", {})

    assert both["statusCode"] == neither["statusCode"] == 400


def test_testing_another_accounts_webhook_answers_404() -> None:
    created = create(account_id=2)

    assert call("test", {"webhook_id": created["id"]})["statusCode"] == 404


# ------------------------------------------------------------------ verification


def test_verification_handshake_success_activates_the_webhook(receiver: Receiver) -> None:
    receiver.echo_challenge = True

    created = create(
        endpoint=f"{receiver.url}/hook?team=a", verification={"enabled": True, "verify_token": "my-verify-token"}
    )

    assert created["status"] == "active"
    assert created["verification"]["status"] == "verified"
    assert created["verification"]["verified_at"] is not None
    assert "verify_token" not in json.dumps(created)
    (sent,) = receiver.requests
    query = parse_qs(urlsplit(sent["path"]).query)
    assert sent["method"] == "GET"
    assert query["verifyToken"] == ["my-verify-token"]
    assert query["team"] == ["a"]
    assert len(query["challenge"][0]) >= 16
    assert routes(created["id"]) != []


def test_verification_failure_keeps_the_webhook_inactive_with_the_reason_and_verify_retries(
    receiver: Receiver,
) -> None:
    receiver.body = b"hello"  # no challenge in the answer

    created = create(endpoint=f"{receiver.url}/hook", verification={"enabled": True})

    assert created["status"] == "inactive"
    assert created["verification"]["status"] == "failed"
    assert "challenge" in created["verification"]["error"]
    assert routes(created["id"]) == []

    receiver.echo_challenge = True
    retried = call("verify", webhook_id=created["id"])

    assert retried["statusCode"] == 200
    webhook = body(retried)["webhook"]
    assert webhook["status"] == "active"
    assert webhook["verification"]["status"] == "verified"
    assert webhook["verification"]["error"] is None
    assert routes(created["id"]) != []


def test_verification_of_an_endpoint_answering_an_error_records_the_status(receiver: Receiver) -> None:
    receiver.status = 404

    created = create(endpoint=f"{receiver.url}/hook", verification={"enabled": True})

    assert created["status"] == "inactive"
    assert "404" in created["verification"]["error"]


def test_a_new_endpoint_of_a_verified_webhook_is_verified_again(receiver: Receiver) -> None:
    receiver.echo_challenge = True
    created = create(endpoint=f"{receiver.url}/one", verification={"enabled": True})
    receiver.echo_challenge = False

    call("patch", {"webhook": {"endpoint": f"{receiver.url}/two"}}, webhook_id=created["id"])

    shown = show(created["id"])
    assert [urlsplit(r["path"]).path for r in receiver.requests] == ["/one", "/two"]
    assert shown["status"] == "inactive"
    assert shown["verification"]["status"] == "failed"
    assert routes(created["id"]) == []


def test_put_without_verification_keeps_it_and_enabled_false_switches_it_off(receiver: Receiver) -> None:
    receiver.echo_challenge = True
    created = create(endpoint=f"{receiver.url}/hook", verification={"enabled": True})

    kept = call("replace", {"webhook": definition(endpoint=f"{receiver.url}/hook")}, webhook_id=created["id"])
    shown = show(created["id"])
    off = call(
        "replace",
        {"webhook": definition(endpoint=f"{receiver.url}/hook", verification={"enabled": False})},
        webhook_id=created["id"],
    )

    assert kept["statusCode"] == off["statusCode"] == 204
    assert shown["verification"]["enabled"] is True
    assert shown["verification"]["status"] == "verified"
    assert shown["status"] == "active"
    assert show(created["id"])["verification"] is None
    assert len(receiver.requests) == 1  # the endpoint did not change: no new handshake


def test_patch_with_verification_null_switches_it_off(receiver: Receiver) -> None:
    receiver.echo_challenge = True
    created = create(endpoint=f"{receiver.url}/hook", verification={"enabled": True})

    response = call("patch", {"webhook": {"verification": None}}, webhook_id=created["id"])

    assert response["statusCode"] == 204
    assert show(created["id"])["verification"] is None


def test_the_verification_handshake_carries_the_webhooks_authentication(receiver: Receiver) -> None:
    receiver.echo_challenge = True

    created = create(
        endpoint=f"{receiver.url}/hook",
        verification={"enabled": True},
        authentication={"type": "bearer_token", "data": {"token": TOKEN}},
    )

    assert created["verification"]["status"] == "verified"
    (sent,) = receiver.requests
    assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_the_verification_handshake_carries_the_webhooks_custom_headers(receiver: Receiver) -> None:
    receiver.body = b"no challenge here"
    created = create(endpoint=f"{receiver.url}/hook", verification={"enabled": True})
    # Stored directly: the API refuses custom headers over http, and the receiver is http.
    stored = repo().get(1, created["id"])
    repo().replace(stored.model_copy(update={"custom_headers": {"X-Team": "support"}}), stored)
    receiver.echo_challenge = True

    verified = call("verify", webhook_id=created["id"])

    assert body(verified)["webhook"]["verification"]["status"] == "verified"
    assert receiver.requests[-1]["headers"]["X-Team"] == "support"


def test_verify_on_a_webhook_without_verification_answers_400() -> None:
    created = create()

    response = call("verify", webhook_id=created["id"])

    assert response["statusCode"] == 400
    assert "verification" in error_detail(response)


# ------------------------------------------------------------------ invocations


def invocations() -> InvocationsRepository:
    return InvocationsRepository(os.environ["ACTIVITY_TABLE_NAME"])


def seed(webhook_id: str, count: int, account_id: int = 1) -> list[str]:
    """`count` invocations made (their ids' ULID time) and completed a minute apart,
    oldest first; odd ones failed."""
    from ulid import ULID

    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    for i in range(count):
        invocation_id = f"{ULID.from_datetime(start + timedelta(minutes=i))}-0000000{i}"
        invocations().create_invocation(
            account_id, new_invocation(webhook_id, invocation_id, f"ev{i}", "zen:event-type:t")
        )
        status = InvocationStatus.FAILED if i % 2 else InvocationStatus.SUCCESS
        invocations().record_attempt(
            account_id,
            webhook_id,
            invocation_id,
            AttemptRecord(
                number=1,
                status=status,
                status_code=500 if i % 2 else 200,
                completed_at=start + timedelta(minutes=i),
                duration_ms=12,
                response=RecordedResponse(headers={"content-type": "text/plain"}, payload="x" * 3000),
            ),
        )
        invocations().set_status(account_id, webhook_id, invocation_id, status)
        ids.append(invocation_id)
    return ids


def _ids(response: dict[str, Any]) -> list[str]:
    assert response["statusCode"] == 200, response
    return [i["id"] for i in body(response)["invocations"]]


def test_invocations_list_newest_first_with_filters() -> None:
    created = create()
    ids = seed(created["id"], 5)

    newest_first = _ids(call("list_invocations", query={}, webhook_id=created["id"]))
    oldest_first = _ids(call("list_invocations", query={"sort": "latest_completed_at"}, webhook_id=created["id"]))
    failed = _ids(call("list_invocations", query={"filter[status]": "failed"}, webhook_id=created["id"]))
    window = _ids(
        call(
            "list_invocations",
            query={"filter[from_ts]": "2026-01-01T00:01:00Z", "filter[to_ts]": "2026-01-01T00:03:00Z"},
            webhook_id=created["id"],
        )
    )

    assert newest_first == ids[::-1]
    assert oldest_first == ids
    assert failed == [ids[3], ids[1]]
    assert window == [ids[3], ids[2], ids[1]]
    first = body(call("list_invocations", query={"page[size]": "1"}, webhook_id=created["id"]))["invocations"][0]
    assert first == {
        "id": ids[4],
        "webhook_id": created["id"],
        "event_id": "ev4",
        "event_type": "zen:event-type:t",
        "status": "success",
        "status_code": 200,
        "created_at": first["created_at"],
        "latest_completed_at": "2026-01-01T00:04:00.000Z",
        "attempts": 1,
        "trigger": "event",
        "redelivery_of": None,
        "recovery_id": None,
        "requested_by": None,
    }


def test_invocations_page_forward_and_back() -> None:
    created = create()
    ids = seed(created["id"], 5)
    query = {"page[size]": "2", "filter[status]": "success"}  # ids 4, 2, 0

    first = body(call("list_invocations", query=query, webhook_id=created["id"]))
    second = body(
        call(
            "list_invocations", query={**query, "page[after]": first["meta"]["after_cursor"]}, webhook_id=created["id"]
        )
    )
    back = body(
        call(
            "list_invocations",
            query={**query, "page[before]": second["meta"]["before_cursor"]},
            webhook_id=created["id"],
        )
    )

    assert [i["id"] for i in first["invocations"]] == [ids[4], ids[2]]
    assert first["meta"]["has_more"] is True
    assert first["links"]["next"] is not None
    assert [i["id"] for i in second["invocations"]] == [ids[0]]
    assert second["meta"]["has_more"] is False
    assert second["links"]["next"] is None
    assert second["links"]["prev"] is not None
    assert [i["id"] for i in back["invocations"]] == [ids[4], ids[2]]
    assert back["meta"]["has_more"] is False


@pytest.mark.parametrize(
    "query",
    [
        {"filter[status]": "exploded"},
        {"sort": "created_at"},
        {"filter[from_ts]": "yesterday"},
        {"page[after]": "bad"},
        {"page[before]": "bad"},
    ],
)
def test_invocations_with_a_bad_parameter_answer_400(query: dict[str, str]) -> None:
    created = create()

    assert call("list_invocations", query=query, webhook_id=created["id"])["statusCode"] == 400


def test_final_invocation_statuses_have_names_of_their_own() -> None:
    from hookyard.models.webhooks import FINAL_STATUSES

    pending = {"accepted", "throttled", "circuit broken", "retrying"}

    assert {s.value for s in FINAL_STATUSES} == {"success", "failed", "terminated"}
    assert not pending & {s.value for s in FINAL_STATUSES}
    assert pending <= {s.value for s in InvocationStatus}


def test_attempts_are_listed_with_truncated_response_bodies() -> None:
    created = create()
    (invocation_id,) = seed(created["id"], 1)
    invocations().record_attempt(
        1,
        created["id"],
        invocation_id,
        AttemptRecord(
            number=2,
            status=InvocationStatus.TIMEOUT,
            completed_at=datetime(2026, 1, 1, 1, tzinfo=UTC),
            duration_ms=12000,
            error="no answer within 12 s",
        ),
    )

    response = call("list_attempts", webhook_id=created["id"], invocation_id=invocation_id)

    assert response["statusCode"] == 200
    first, second = body(response)["attempts"]
    assert first["id"] == f"{invocation_id}-1"
    assert first["invocation_id"] == invocation_id
    assert first["status"] == "success"
    assert first["status_code"] == 200
    assert first["duration"] == 12
    assert first["response_body"] == "x" * 1024
    assert first["response"] == {"headers": {"content-type": "text/plain"}, "payload": "x" * 3000, "truncated": False}
    assert second["status"] == "timeout"
    assert second["error"] == "no answer within 12 s"
    assert second["status_code"] is None
    record = invocations().get_invocation(1, created["id"], invocation_id)
    assert record.attempts == 2
    assert record.latest_completed_at == datetime(2026, 1, 1, 1, tzinfo=UTC)


def test_attempts_of_unknown_or_foreign_invocations_answer_404() -> None:
    created = create()
    other = create(account_id=2)
    (invocation_id,) = seed(other["id"], 1, account_id=2)

    unknown = call("list_attempts", webhook_id=created["id"], invocation_id="01NOPE")
    foreign = call("list_attempts", account_id=1, webhook_id=other["id"], invocation_id=invocation_id)

    assert unknown["statusCode"] == foreign["statusCode"] == 404


def test_recording_is_idempotent() -> None:
    created = create()
    (invocation_id,) = seed(created["id"], 1)
    again = AttemptRecord(
        number=1,
        status=InvocationStatus.SERVER_ERROR,
        status_code=500,
        completed_at=datetime(2026, 1, 1, tzinfo=UTC),
        duration_ms=1,
    )

    existing = invocations().create_invocation(1, new_invocation(created["id"], invocation_id, "other", "other"))
    recorded = invocations().record_attempt(1, created["id"], invocation_id, again)

    assert existing is not None
    assert existing.event_id == "ev0"
    assert recorded is False
    assert [a.status for a in invocations().list_attempts(1, created["id"], invocation_id)] == ["success"]
    assert len(_ids(call("list_invocations", query={}, webhook_id=created["id"]))) == 1


def test_recording_an_attempt_sets_the_invocation_status_with_it() -> None:
    created = create()
    invocation_id = "01INV" + "9" * 21
    invocations().create_invocation(1, new_invocation(created["id"], invocation_id, "ev9", "zen:event-type:t"))
    first = AttemptRecord(
        number=1,
        status=InvocationStatus.SERVER_ERROR,
        status_code=503,
        completed_at=datetime(2026, 1, 1, tzinfo=UTC),
        duration_ms=5,
    )

    recorded = invocations().record_attempt(
        1, created["id"], invocation_id, first, status=InvocationStatus.SERVER_ERROR
    )
    # The same attempt again (a redelivered message), now ending the invocation.
    again = invocations().record_attempt(1, created["id"], invocation_id, first, status=InvocationStatus.FAILED)

    listed = body(call("list_invocations", query={}, webhook_id=created["id"]))["invocations"]
    assert (recorded, again) == (True, False)
    assert [a.status_code for a in invocations().list_attempts(1, created["id"], invocation_id)] == [503]
    assert [(i["id"], i["status"]) for i in listed] == [(invocation_id, "failed")]


# ------------------------------------------------------------------ swagger


def test_swagger_describes_the_api() -> None:
    response = invoke(handler(), load_event("webhooks_api/swagger.json"))

    assert response["statusCode"] == 200
    paths = json.loads(response["body"])["paths"]
    assert "/api/v2/webhooks/{webhook_id}/signing_secret" in paths
    assert "/api/v2/triggers/{trigger_id}" in paths
