"""Triggers (Zendesk `/api/v2/triggers`): conditions on events, and actions that notify
trigger-connected webhooks. The router evaluates an active trigger's conditions on every
event it could match."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from hookyard.api import caller_account_id, no_content, page_size
from hookyard.config import get_settings
from hookyard.models.triggers import (
    CreateTriggerRequest,
    PatchTriggerRequest,
    Trigger,
    TriggerId,
    TriggerList,
    TriggerResponse,
)
from webhooks_api import paging, trigger_logic
from webhooks_api.log import logger
from webhooks_api.services import actor, services
from webhooks_api.settings import WebhooksApiSettings

router = APIGatewayRouter()  # type: ignore[no-untyped-call]
TAGS = ["Triggers"]
CHANGED: OpenAPIResponse = {"description": "The trigger changed meanwhile: retry"}

BASE = "/api/v2/triggers"
TriggerIdPath = Annotated[TriggerId, Path(description="The trigger's id")]


@router.post(BASE, summary="Create a trigger", tags=TAGS, responses={201: {"description": "Created"}})
def create_trigger(body: CreateTriggerRequest) -> tuple[TriggerResponse, int]:
    account_id = caller_account_id(router)
    record = trigger_logic.create(services(), account_id, actor(router), body.trigger)
    logger.info("trigger created", account_id=account_id, trigger_id=record.id)
    return TriggerResponse(trigger=Trigger.of(record)), 201


@router.get(BASE, summary="List triggers", tags=TAGS)
def list_triggers(
    active: Annotated[bool | None, Query(description="Only active (true) or inactive (false) triggers")] = None,
    size: Annotated[int | None, Query(alias="page[size]", description="At most 100")] = None,
    after: Annotated[str | None, Query(alias="page[after]", max_length=1000)] = None,
    before: Annotated[str | None, Query(alias="page[before]", max_length=1000)] = None,
) -> TriggerList:
    """Oldest first."""
    limit = page_size(size, get_settings(WebhooksApiSettings).page_size_max)
    page = trigger_logic.list_page(
        services(), caller_account_id(router), active=active, size=limit, after=after, before=before
    )
    return TriggerList(
        triggers=[Trigger.of(r) for r in page.items],
        meta=page.meta,
        links=paging.links(router.current_event.raw_event, page),
    )


@router.get(f"{BASE}/<trigger_id>", summary="Show a trigger", tags=TAGS)
def show_trigger(trigger_id: TriggerIdPath) -> TriggerResponse:
    return TriggerResponse(trigger=Trigger.of(services().triggers.get(caller_account_id(router), trigger_id)))


@router.put(
    f"{BASE}/<trigger_id>",
    summary="Update a trigger",
    tags=TAGS,
    responses={200: {"description": "Replaced"}, 409: CHANGED},
)
def replace_trigger(trigger_id: TriggerIdPath, body: CreateTriggerRequest) -> TriggerResponse:
    account_id = caller_account_id(router)
    record = trigger_logic.replace(services(), account_id, actor(router), trigger_id, body.trigger)
    logger.info("trigger replaced", account_id=account_id, trigger_id=trigger_id, active=record.active)
    return TriggerResponse(trigger=Trigger.of(record))


@router.patch(
    f"{BASE}/<trigger_id>",
    summary="Patch a trigger",
    tags=TAGS,
    responses={200: {"description": "Updated"}, 409: CHANGED},
)
def patch_trigger(trigger_id: TriggerIdPath, body: PatchTriggerRequest) -> TriggerResponse:
    account_id = caller_account_id(router)
    record = trigger_logic.patch(services(), account_id, actor(router), trigger_id, body.trigger)
    logger.info("trigger patched", account_id=account_id, trigger_id=trigger_id, active=record.active)
    return TriggerResponse(trigger=Trigger.of(record))


@router.delete(
    f"{BASE}/<trigger_id>",
    summary="Delete a trigger",
    tags=TAGS,
    responses={204: {"description": "Deleted, with its routes"}, 409: CHANGED},
)
def delete_trigger(trigger_id: TriggerIdPath) -> Response[str]:
    account_id = caller_account_id(router)
    trigger_logic.delete(services(), account_id, trigger_id)
    logger.info("trigger deleted", account_id=account_id, trigger_id=trigger_id)
    return no_content()
