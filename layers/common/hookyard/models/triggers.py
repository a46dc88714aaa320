"""Triggers, shaped as Zendesk's Triggers API, limited to what Hookyard can do: conditions
on events and `notification_webhook` actions (notify a trigger-connected webhook with a
Liquid-templated body)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from hookyard.models.common import Model, Request, Timestamp
from hookyard.models.webhooks import CursorMeta, PageLinks

NOTIFY_WEBHOOK = "notification_webhook"
MAX_CONDITIONS = 50
MAX_ACTIONS = 10

TriggerId = Annotated[str, StringConstraints(min_length=1, max_length=26, pattern=r"^[0-9A-Za-z]+$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]*$")]


class Condition(Request):
    field: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    operator: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    value: Any = None


class Conditions(Request):
    all: Annotated[list[Condition], Field(default_factory=list, max_length=MAX_CONDITIONS)]
    any: Annotated[list[Condition], Field(default_factory=list, max_length=MAX_CONDITIONS)]


class Action(Request):
    field: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: Any = Field(description='notification_webhook: ["<webhook id>", "<Liquid body or URL parameters>"]')


class TriggerInput(Request):
    """A complete trigger definition (create, PUT, and a PATCH once merged)."""

    title: Title
    active: bool = True
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    conditions: Conditions
    actions: Annotated[list[Action], Field(min_length=1, max_length=MAX_ACTIONS)]


class CreateTriggerRequest(Request):
    trigger: TriggerInput


class PatchTriggerRequest(Request):
    trigger: dict[str, Any] = Field(
        description="JSON merge patch (RFC 7396) of the trigger: fields given replace (conditions and actions "
        "as a whole), null removes"
    )


class WebhookAction(Model):
    """A validated notification_webhook action, as the delivery function uses it."""

    webhook_id: str
    body: str


class TriggerRecord(Model):
    """A trigger as stored (its routes: hookyard.routing.trigger_routes)."""

    account_id: int
    id: str
    title: str
    active: bool
    description: str | None = None
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    created_at: Timestamp
    created_by: str
    updated_at: Timestamp
    updated_by: str
    version: int = 1

    def webhook_actions(self) -> list[WebhookAction]:
        """The notification_webhook actions (validated when the trigger was saved)."""
        return [
            WebhookAction(webhook_id=str(a["value"][0]), body=str(a["value"][1]))
            for a in self.actions
            if a.get("field") == NOTIFY_WEBHOOK
        ]


class Trigger(Model):
    id: str
    title: str
    active: bool
    description: str | None
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, record: TriggerRecord) -> Trigger:
        return cls(
            id=record.id,
            title=record.title,
            active=record.active,
            description=record.description,
            conditions=record.conditions,
            actions=record.actions,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class TriggerResponse(Model):
    trigger: Trigger


class TriggerList(Model):
    triggers: list[Trigger]
    meta: CursorMeta
    links: PageLinks
