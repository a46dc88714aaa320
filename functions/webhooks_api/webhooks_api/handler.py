"""Outbound webhooks API (Zendesk `/api/v2/webhooks...`): CRUD, clone, signing secret,
endpoint verification, live test, invocations and attempts; triggers in `triggers.py`.

Triggered by API Gateway behind the bearer-token authorizer; each call sees only the
caller's account (another account's webhook is a 404). Swagger UI: GET /api/v2/swagger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookyard.api import (
    ErrorStyle,
    as_json_request,
    caller_account_id,
    create_app,
    no_content,
    page_size,
    with_single_slashes,
)
from hookyard.config import get_settings
from hookyard.errors import BadRequest
from hookyard.models.webhooks import (
    AttemptList,
    CreateWebhookRequest,
    Invocation,
    InvocationList,
    InvocationStatus,
    PatchWebhookRequest,
    RecoverRequest,
    Recovery,
    RecoveryResponse,
    RedeliverResponse,
    SigningSecret,
    SigningSecretResponse,
    TestWebhookRequest,
    TestWebhookResponse,
    Webhook,
    WebhookId,
    WebhookList,
    WebhookResponse,
    WebhookStatus,
)
from hookyard.observability import API_CORRELATION_PATH
from webhooks_api import logic, paging, resend, triggers
from webhooks_api.log import logger
from webhooks_api.services import actor, services
from webhooks_api.settings import WebhooksApiSettings

app = create_app(
    title="Hookyard webhooks API",
    description="Outbound webhooks as Zendesk's Webhooks API: subscribe to events or connect to triggers; "
    "signed, authenticated, retried deliveries with invocation logs.",
    swagger_path="/api/v2/swagger",
    style=ErrorStyle.V2,
    logger=logger,
)
app.include_router(triggers.router)
WEBHOOKS, INVOCATIONS = ["Webhooks"], ["Invocations"]
CHANGED: OpenAPIResponse = {"description": "The webhook changed meanwhile: retry"}

BASE = "/api/v2/webhooks"
WebhookIdPath = Annotated[WebhookId, Path(description="The webhook's id")]
Size = Annotated[int | None, Query(alias="page[size]", description="At most 100")]
After = Annotated[str | None, Query(alias="page[after]", max_length=1000)]
Before = Annotated[str | None, Query(alias="page[before]", max_length=1000)]


def _size(size: int | None) -> int:
    return page_size(size, get_settings(WebhooksApiSettings).page_size_max)


@app.post(
    BASE,
    summary="Create a webhook, or clone one",
    tags=WEBHOOKS,
    responses={
        201: {"description": "Created (or cloned with ?clone_webhook_id=)"},
        404: {"description": "No webhook clone_webhook_id"},
    },
)
def create_webhook(
    body: CreateWebhookRequest | None = None,
    clone_webhook_id: Annotated[
        WebhookId | None, Query(description="Clone this webhook instead (no body needed)")
    ] = None,
) -> tuple[WebhookResponse, int]:
    account_id = caller_account_id(app)
    if clone_webhook_id is not None:
        if body is not None:
            raise BadRequest("give either a webhook or clone_webhook_id, not both")
        record = logic.clone(services(), account_id, actor(app), clone_webhook_id)
        logger.info("webhook cloned", account_id=account_id, webhook_id=record.id, source=clone_webhook_id)
    else:
        if body is None:
            raise BadRequest("webhook: is required")
        record = logic.create(services(), account_id, actor(app), body.webhook)
        logger.info("webhook created", account_id=account_id, webhook_id=record.id, status=record.status.value)
    return WebhookResponse(webhook=Webhook.of(record)), 201


@app.get(BASE, summary="List webhooks", tags=WEBHOOKS)
def list_webhooks(
    name_contains: Annotated[str | None, Query(alias="filter[name_contains]", max_length=255)] = None,
    status: Annotated[WebhookStatus | None, Query(alias="filter[status]")] = None,
    sort: Annotated[str | None, Query(description="name, status; - for descending", max_length=20)] = None,
    size: Size = None,
    after: After = None,
    before: Before = None,
) -> WebhookList:
    page = logic.list_page(
        services(),
        caller_account_id(app),
        name_contains=name_contains,
        status=status,
        sort=sort,
        size=_size(size),
        after=after,
        before=before,
    )
    return WebhookList(
        webhooks=[Webhook.of(r) for r in page.items],
        meta=page.meta,
        links=paging.links(app.current_event.raw_event, page),
    )


@app.post(
    f"{BASE}/test",
    summary="Test a webhook",
    tags=WEBHOOKS,
    responses={
        200: {"description": "What the endpoint answered (or why it could not be reached)"},
        404: {"description": "No webhook webhook_id"},
    },
)
def send_test_request(
    body: TestWebhookRequest,
    webhook_id: Annotated[WebhookId | None, Query(description="An existing webhook to test (Zendesk's form)")] = None,
) -> TestWebhookResponse:
    """Send one live request, as Zendesk's Test Webhook: `{"request": {...}}` alone, or
    over an existing webhook (`?webhook_id=`). The endpoint's answer is
    `response.status`, `response.headers` and `response.payload`; a timeout or a failed
    connection answers 200 with `response.status` null and `response.error` saying why;
    a blocked or invalid endpoint answers 400."""
    account_id = caller_account_id(app)
    if webhook_id is not None:
        if body.webhook_id not in (None, webhook_id):
            raise BadRequest("webhook_id: the query and the body name different webhooks")
        body = body.model_copy(update={"webhook_id": webhook_id})
    response = logic.test(services(), account_id, body)
    logger.info("webhook tested", account_id=account_id, webhook_id=body.webhook_id, status=response.status)
    return TestWebhookResponse(response=response)


@app.get(f"{BASE}/<webhook_id>", summary="Show a webhook", tags=WEBHOOKS)
def show_webhook(webhook_id: WebhookIdPath) -> WebhookResponse:
    return WebhookResponse(webhook=Webhook.of(services().webhooks.get(caller_account_id(app), webhook_id)))


@app.put(
    f"{BASE}/<webhook_id>",
    summary="Update a webhook",
    tags=WEBHOOKS,
    responses={204: {"description": "Replaced"}, 409: CHANGED},
)
def replace_webhook(webhook_id: WebhookIdPath, body: CreateWebhookRequest) -> Response[str]:
    account_id = caller_account_id(app)
    record = logic.replace(services(), account_id, actor(app), webhook_id, body.webhook)
    logger.info("webhook replaced", account_id=account_id, webhook_id=webhook_id, status=record.status.value)
    return no_content()


@app.patch(
    f"{BASE}/<webhook_id>",
    summary="Patch a webhook",
    tags=WEBHOOKS,
    responses={204: {"description": "Updated"}, 409: CHANGED},
)
def patch_webhook(webhook_id: WebhookIdPath, body: PatchWebhookRequest) -> Response[str]:
    account_id = caller_account_id(app)
    record = logic.patch(services(), account_id, actor(app), webhook_id, body.webhook)
    logger.info("webhook patched", account_id=account_id, webhook_id=webhook_id, status=record.status.value)
    return no_content()


@app.delete(
    f"{BASE}/<webhook_id>",
    summary="Delete a webhook",
    tags=WEBHOOKS,
    responses={
        204: {"description": "Deleted, with its routes"},
        409: {"description": "A trigger notifies the webhook (remove that action first), or it changed meanwhile"},
    },
)
def delete_webhook(webhook_id: WebhookIdPath) -> Response[str]:
    account_id = caller_account_id(app)
    logic.delete(services(), account_id, webhook_id)
    logger.info("webhook deleted", account_id=account_id, webhook_id=webhook_id)
    return no_content()


@app.post(
    f"{BASE}/<webhook_id>/verify",
    summary="Verify a webhook's endpoint again",
    tags=WEBHOOKS,
    responses={200: {"description": "The webhook, with the outcome in verification"}, 409: CHANGED},
)
def verify_webhook(webhook_id: WebhookIdPath) -> WebhookResponse:
    """Run the endpoint verification handshake again. 200 either way: the outcome is in
    `verification.status` and `verification.error` (and the webhook's status)."""
    account_id = caller_account_id(app)
    record = logic.verify(services(), account_id, actor(app), webhook_id)
    logger.info(
        "webhook verification",
        account_id=account_id,
        webhook_id=webhook_id,
        outcome=record.verification.status.value if record.verification else None,
    )
    return WebhookResponse(webhook=Webhook.of(record))


@app.get(f"{BASE}/<webhook_id>/signing_secret", summary="Show a webhook's signing secret", tags=WEBHOOKS)
def show_signing_secret(webhook_id: WebhookIdPath) -> SigningSecretResponse:
    secret = logic.show_signing_secret(services(), caller_account_id(app), webhook_id)
    return SigningSecretResponse(signing_secret=SigningSecret(secret=secret))


@app.post(
    f"{BASE}/<webhook_id>/signing_secret",
    summary="Reset a webhook's signing secret",
    tags=WEBHOOKS,
    responses={201: {"description": "A new secret; the old one signs nothing from now on"}, 409: CHANGED},
)
def reset_signing_secret(webhook_id: WebhookIdPath) -> tuple[SigningSecretResponse, int]:
    account_id = caller_account_id(app)
    secret = logic.reset_signing_secret(services(), account_id, actor(app), webhook_id)
    logger.info("webhook signing secret reset", account_id=account_id, webhook_id=webhook_id)
    return SigningSecretResponse(signing_secret=SigningSecret(secret=secret)), 201


@app.get(f"{BASE}/<webhook_id>/invocations", summary="List a webhook's invocations", tags=INVOCATIONS)
def list_invocations(
    webhook_id: WebhookIdPath,
    since: Annotated[datetime | None, Query(alias="filter[from_ts]", description="RFC 3339")] = None,
    until: Annotated[datetime | None, Query(alias="filter[to_ts]", description="RFC 3339")] = None,
    status: Annotated[InvocationStatus | None, Query(alias="filter[status]")] = None,
    sort: Annotated[str | None, Query(description="latest_completed_at or -latest_completed_at (default)")] = None,
    size: Size = None,
    after: After = None,
    before: Before = None,
) -> InvocationList:
    """Invocations in the order they were made (newest first unless
    sort=latest_completed_at, Zendesk's name for the order, asks for oldest first);
    filter[from_ts] / filter[to_ts] bound when they were made (README, "Invocation storage")."""
    page = logic.list_invocations(
        services(),
        caller_account_id(app),
        webhook_id,
        since=since,
        until=until,
        status=status,
        sort=sort,
        size=_size(size),
        after=after,
        before=before,
    )
    return InvocationList(invocations=page.items, meta=page.meta, links=paging.links(app.current_event.raw_event, page))


@app.get(
    f"{BASE}/<webhook_id>/invocations/<invocation_id>/attempts",
    summary="List an invocation's attempts",
    tags=INVOCATIONS,
)
def list_attempts(webhook_id: WebhookIdPath, invocation_id: Annotated[str, Path(max_length=100)]) -> AttemptList:
    """Each attempt with what was sent (headers, authentication and custom header values
    redacted; the payload) and what came back (headers; the payload's first 16 KB)."""
    return AttemptList(attempts=logic.list_attempts(services(), caller_account_id(app), webhook_id, invocation_id))


InvocationIdPath = Annotated[str, Path(max_length=100, description="The invocation's id")]


@app.post(
    f"{BASE}/<webhook_id>/invocations/<invocation_id>/redeliver",
    summary="Redeliver an invocation",
    tags=INVOCATIONS,
    responses={
        202: {"description": "A new invocation sending the same request again, queued"},
        409: {"description": "The webhook was deleted"},
    },
)
def redeliver_invocation(webhook_id: WebhookIdPath, invocation_id: InvocationIdPath) -> tuple[RedeliverResponse, int]:
    """Send an invocation again (Hookyard's addition): the same payload, as a new invocation
    (a new x-zendesk-webhook-invocation-id), signed and authenticated as the webhook is now,
    through the queue, the breaker and the throttle. 409 if the webhook was deleted, 400
    if it is inactive."""
    account_id = caller_account_id(app)
    record = resend.redeliver(services(), account_id, actor(app), webhook_id, invocation_id)
    logger.info("invocation redelivered", account_id=account_id, webhook_id=webhook_id, of=invocation_id,
                invocation_id=record.id)  # fmt: skip
    return RedeliverResponse(invocation=Invocation(**record.model_dump())), 202


@app.post(
    f"{BASE}/<webhook_id>/recover",
    summary="Recover a webhook's failed invocations",
    tags=INVOCATIONS,
    responses={202: {"description": "The recovery, started: its invocations are sent page by page"}},
)
def recover_webhook(webhook_id: WebhookIdPath, body: RecoverRequest) -> tuple[RecoveryResponse, int]:
    """Send again every invocation of the webhook that ended failed or terminated between
    `since` and `until` (default now), once per event, at a bounded rate (Hookyard's
    addition). `since` must be within the retention period."""
    account_id = caller_account_id(app)
    record = resend.recover(services(), account_id, actor(app), webhook_id, body.since, body.until)
    logger.info("recovery started", account_id=account_id, webhook_id=webhook_id, recovery_id=record.id,
                count=record.count)  # fmt: skip
    return RecoveryResponse(recovery=Recovery(**record.model_dump())), 202


@app.get(f"{BASE}/<webhook_id>/recoveries/<recovery_id>", summary="Show a recovery", tags=INVOCATIONS)
def show_recovery(
    webhook_id: WebhookIdPath, recovery_id: Annotated[str, Path(max_length=26, pattern=r"^[0-9A-Za-z]+$")]
) -> RecoveryResponse:
    """A recovery and how far it is (`sent` of `count`)."""
    record = resend.show_recovery(services(), caller_account_id(app), webhook_id, recovery_id)
    return RecoveryResponse(recovery=Recovery(**record.model_dump()))


def _json_patch_as_json(event: dict[str, Any]) -> dict[str, Any]:
    """Zendesk documents PATCH with `application/merge-patch+json`: read it as JSON."""
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == "content-type" and value.lower().startswith("application/merge-patch+json"):
            return {**event, "headers": {**headers, name: "application/json"}}
    return event


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(_json_patch_as_json(as_json_request(with_single_slashes(event))), context)
