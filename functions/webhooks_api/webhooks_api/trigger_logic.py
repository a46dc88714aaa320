"""Rules for triggers: conditions are validated here and evaluated by the router on every
event (hookyard.webhooks.triggers.evaluate, the one evaluator); every action notifies one
of the account's trigger-connected webhooks with a Liquid body. A trigger's routes are
written by its repository in the same transaction as the trigger.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hookyard import clock, ids
from hookyard.dal.webhooks import WebhooksRepository
from hookyard.errors import BadRequest, NotFound
from hookyard.merge_patch import merge_patch
from hookyard.models.triggers import NOTIFY_WEBHOOK, TriggerInput, TriggerRecord
from hookyard.models.webhooks import ConnectionMethod, HttpMethod, RequestFormat
from hookyard.webhooks import bodies
from hookyard.webhooks import triggers as trigger_rules
from webhooks_api.logic import Services, bad_request
from webhooks_api.paging import Page, paginate


def create(svc: Services, account_id: int, actor: str, definition: TriggerInput) -> TriggerRecord:
    trigger_id = ids.new_ulid()
    now = clock.now()
    record = _compiled(
        svc,
        account_id,
        definition,
        TriggerRecord(
            account_id=account_id,
            id=trigger_id,
            title=definition.title,
            active=definition.active,
            conditions={},
            actions=[],
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        ),
    )
    svc.triggers.create(record)
    return record


def replace(svc: Services, account_id: int, actor: str, trigger_id: str, definition: TriggerInput) -> TriggerRecord:
    current = svc.triggers.get(account_id, trigger_id)
    return _save(svc, current, actor, definition)


def patch(svc: Services, account_id: int, actor: str, trigger_id: str, changes: dict[str, Any]) -> TriggerRecord:
    """A JSON merge patch over the current trigger; `conditions` and `actions` given
    replace their lists as a whole (merge patch replaces arrays)."""
    current = svc.triggers.get(account_id, trigger_id)
    merged = merge_patch(definition_of(current), changes)
    try:
        definition = TriggerInput.model_validate(merged)
    except ValidationError as exc:
        raise bad_request("trigger", exc) from None
    return _save(svc, current, actor, definition)


def delete(svc: Services, account_id: int, trigger_id: str) -> None:
    """Remove the trigger and its routes."""
    svc.triggers.delete(svc.triggers.get(account_id, trigger_id))


def list_page(
    svc: Services, account_id: int, *, active: bool | None, size: int, after: str | None, before: str | None
) -> Page[TriggerRecord]:
    records = svc.triggers.list_all(account_id)
    if active is not None:
        records = [r for r in records if r.active is active]
    return paginate(records, lambda r: [r.id], order="id", descending=False, size=size, after=after, before=before)


def definition_of(record: TriggerRecord) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "title": record.title,
        "active": record.active,
        "description": record.description,
        "conditions": record.conditions,
        "actions": record.actions,
    }
    return {k: v for k, v in definition.items() if v is not None}


def _save(svc: Services, current: TriggerRecord, actor: str, definition: TriggerInput) -> TriggerRecord:
    record = _compiled(
        svc, current.account_id, definition, current.model_copy(update={"updated_at": clock.now(), "updated_by": actor})
    )
    return svc.triggers.replace(record, current)


def _compiled(svc: Services, account_id: int, definition: TriggerInput, record: TriggerRecord) -> TriggerRecord:
    """The record with the definition validated (conditions, actions)."""
    conditions = trigger_rules.validate_conditions(definition.conditions.model_dump())
    actions = [a.model_dump() for a in definition.actions]
    _check_actions(svc.webhooks, account_id, actions)
    return record.model_copy(
        update={
            "title": definition.title,
            "active": definition.active,
            "description": definition.description,
            "conditions": conditions,
            "actions": actions,
        }
    )


def _check_actions(repo: WebhooksRepository, account_id: int, actions: list[dict[str, Any]]) -> None:
    for index, action in enumerate(actions):
        where = f"actions[{index}]"
        if action["field"] != NOTIFY_WEBHOOK:
            raise BadRequest(f"{where}.field: only {NOTIFY_WEBHOOK} actions are supported")
        value = action["value"]
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise BadRequest(f'{where}.value: expected ["<webhook id>", "<body>"]')
        webhook_id, body = value
        try:
            webhook = repo.get(account_id, webhook_id)
        except NotFound:
            raise BadRequest(f"{where}.value: webhook {webhook_id} does not exist") from None
        if webhook.connection is not ConnectionMethod.TRIGGERS:
            raise BadRequest(
                f"{where}.value: webhook {webhook_id} is subscribed to events; a trigger can only notify a webhook "
                'connected to triggers (subscriptions ["conditional_ticket_events"])'
            )
        bodies.validate_template(body, field=f"{where}.value")
        check_rendered_shape(body, webhook.request_format, webhook.http_method, f"{where}.value")


def check_rendered_shape(template: str, request_format: RequestFormat, http_method: HttpMethod, field: str) -> None:
    """Refuse a body that cannot render to what the webhook sends (JSON for json POST,
    PUT and PATCH; URL parameters for GET, DELETE and form_encoded), judged by rendering
    it as a delivery does with every placeholder as 0. Zendesk bodies often put a
    placeholder where a JSON value goes; rendering with empty values would refuse those.
    A template this check cannot render is left to the delivery function (which records
    why it failed)."""
    try:
        bodies.probe_request(template, request_format, http_method)
    except bodies.RenderError as exc:
        detail = exc.detail.removeprefix("body: ")
        raise BadRequest(f"{field}: {detail} (checked with every placeholder as 0)") from None
