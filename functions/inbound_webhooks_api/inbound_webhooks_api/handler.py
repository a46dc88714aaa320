"""ZIS Inbound Webhooks API (`/api/services/zis/inbound_webhooks/generic/{integration}...`),
and Hookyard's Zendesk sources beside it (`/api/services/zis/inbound_webhooks/zendesk/{integration}...`).

Triggered by API Gateway behind the bearer-token authorizer; each call sees only the
caller's account (another account's webhook is a 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookyard.api import ErrorStyle, as_json_request, caller_account_id, create_app, no_content, page_size
from hookyard.config import ApiSettings, get_settings
from hookyard.crypto import KmsSealer
from hookyard.dal.inbound_webhooks import InboundWebhooksRepository
from hookyard.dal.zendesk_sources import ZendeskSourcesRepository
from hookyard.models.common import IntegrationName, PageMeta
from hookyard.models.inbound_webhooks import CreateInboundWebhookRequest, InboundWebhook, InboundWebhookList
from hookyard.models.zendesk_sources import (
    CreateZendeskSourceRequest,
    ReplaceSigningSecretRequest,
    ZendeskSource,
    ZendeskSourceList,
)
from hookyard.observability import API_CORRELATION_PATH
from inbound_webhooks_api import ingest_doc, logic, zendesk_sources
from inbound_webhooks_api.log import logger

app = create_app(
    title="Hookyard ZIS inbound webhooks API",
    description="Create inbound webhooks: URLs with basic auth that turn HTTP requests into events.",
    swagger_path="/api/services/zis/inbound_webhooks/swagger",
    style=ErrorStyle.ZIS,
    logger=logger,
    extra_paths=ingest_doc.PATHS,
    extra_security_schemes=ingest_doc.SECURITY_SCHEMES,
)
TAGS = ["Inbound webhooks"]
ZENDESK_TAGS = ["Zendesk sources"]

BASE = "/api/services/zis/inbound_webhooks/generic"
ZENDESK = "/api/services/zis/inbound_webhooks/zendesk"
Integration = Annotated[IntegrationName, Path(description="The integration the webhook belongs to")]
Uuid = Annotated[str, Path(max_length=36, description="The webhook's uuid")]


def _repo() -> InboundWebhooksRepository:
    return InboundWebhooksRepository(get_settings(ApiSettings).config_table)


@app.post(
    f"{BASE}/<integration>",
    summary="Create an inbound webhook",
    tags=TAGS,
    responses={201: {"description": "Created; the password is shown only here"}},
)
def create_webhook(integration: Integration, body: CreateInboundWebhookRequest) -> tuple[InboundWebhook, int]:
    account_id = caller_account_id(app)
    webhook = logic.create(_repo(), account_id, integration, body)
    logger.info("inbound webhook created", account_id=account_id, integration=integration, uuid=webhook.uuid)
    return webhook, 201


@app.get(f"{BASE}/<integration>", summary="List an integration's inbound webhooks", tags=TAGS)
def list_webhooks(
    integration: Integration,
    size: Annotated[int | None, Query(alias="page[size]")] = None,
    after: Annotated[str | None, Query(alias="page[after]")] = None,
) -> InboundWebhookList:
    limit = page_size(size, get_settings(ApiSettings).page_size_max)
    webhooks, cursor = logic.list_page(_repo(), caller_account_id(app), integration, limit, after)
    return InboundWebhookList(inbound_webhooks=webhooks, meta=PageMeta(has_more=cursor is not None, after=cursor))


@app.get(f"{BASE}/<integration>/<uuid>", summary="Show an inbound webhook", tags=TAGS)
def show_webhook(integration: Integration, uuid: Uuid) -> InboundWebhook:
    return logic.show(_repo(), caller_account_id(app), integration, uuid)


@app.delete(
    f"{BASE}/<integration>/<uuid>",
    summary="Delete an inbound webhook",
    tags=TAGS,
    responses={204: {"description": "Deleted; its URL stops working"}},
)
def delete_webhook(integration: Integration, uuid: Uuid) -> Response[str]:
    account_id = caller_account_id(app)
    logic.delete(_repo(), account_id, integration, uuid)
    logger.info("inbound webhook deleted", account_id=account_id, integration=integration, uuid=uuid)
    return no_content()


@app.post(
    f"{BASE}/<integration>/<uuid>/credentials",
    summary="Rotate an inbound webhook's credentials",
    tags=TAGS,
    responses={
        200: {"description": "New username and password (shown only here); the old pair is refused from now on"},
        409: {"description": "The webhook was deleted meanwhile"},
    },
)
def rotate_credentials(integration: Integration, uuid: Uuid) -> InboundWebhook:
    """The path token stays, so senders only update their credentials."""
    account_id = caller_account_id(app)
    webhook = logic.rotate_credentials(_repo(), account_id, integration, uuid)
    logger.info("inbound webhook credentials rotated", account_id=account_id, integration=integration, uuid=uuid)
    return webhook


# ---------------------------------------------------------------- Zendesk sources


def _sources() -> ZendeskSourcesRepository:
    return ZendeskSourcesRepository(get_settings(ApiSettings).config_table)


@app.post(
    f"{ZENDESK}/<integration>",
    summary="Create a Zendesk source",
    tags=ZENDESK_TAGS,
    responses={201: {"description": "Created; the basic auth password (if asked for) is shown only here"}},
)
def create_zendesk_source(integration: Integration, body: CreateZendeskSourceRequest) -> tuple[ZendeskSource, int]:
    account_id = caller_account_id(app)
    source = zendesk_sources.create(_sources(), KmsSealer(), account_id, integration, body)
    logger.info("zendesk source created", account_id=account_id, integration=integration, uuid=source.uuid)
    return source, 201


@app.get(f"{ZENDESK}/<integration>", summary="List an integration's Zendesk sources", tags=ZENDESK_TAGS)
def list_zendesk_sources(
    integration: Integration,
    size: Annotated[int | None, Query(alias="page[size]")] = None,
    after: Annotated[str | None, Query(alias="page[after]")] = None,
) -> ZendeskSourceList:
    limit = page_size(size, get_settings(ApiSettings).page_size_max)
    sources, cursor = zendesk_sources.list_page(_sources(), caller_account_id(app), integration, limit, after)
    return ZendeskSourceList(zendesk_sources=sources, meta=PageMeta(has_more=cursor is not None, after=cursor))


@app.get(f"{ZENDESK}/<integration>/<uuid>", summary="Show a Zendesk source", tags=ZENDESK_TAGS)
def show_zendesk_source(integration: Integration, uuid: Uuid) -> ZendeskSource:
    return zendesk_sources.show(_sources(), caller_account_id(app), integration, uuid)


@app.delete(
    f"{ZENDESK}/<integration>/<uuid>",
    summary="Delete a Zendesk source",
    tags=ZENDESK_TAGS,
    responses={204: {"description": "Deleted; its URL stops working"}},
)
def delete_zendesk_source(integration: Integration, uuid: Uuid) -> Response[str]:
    account_id = caller_account_id(app)
    zendesk_sources.delete(_sources(), account_id, integration, uuid)
    logger.info("zendesk source deleted", account_id=account_id, integration=integration, uuid=uuid)
    return no_content()


@app.put(
    f"{ZENDESK}/<integration>/<uuid>/signing_secret",
    summary="Set a Zendesk source's signing secret",
    tags=ZENDESK_TAGS,
)
def replace_zendesk_signing_secret(
    integration: Integration, uuid: Uuid, body: ReplaceSigningSecretRequest
) -> ZendeskSource:
    account_id = caller_account_id(app)
    source = zendesk_sources.replace_signing_secret(_sources(), KmsSealer(), account_id, integration, uuid, body)
    logger.info("zendesk source signing secret replaced", account_id=account_id, integration=integration, uuid=uuid)
    return source


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(as_json_request(event), context)
