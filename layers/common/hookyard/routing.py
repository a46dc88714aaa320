"""Routing: which job specs, webhooks and triggers an event on the bus reaches.

Every event Hookyard routes reaches the router through one fixed EventBridge rule (in
template.yaml). The router looks its destinations up in the subscription index, a set of
route items in the config table written in the same DynamoDB transaction as the job
spec, webhook or trigger they belong to, so a subscription and its route never drift.

Keys
----
An event is known by its type string, `<source>:event-type:<detail-type>` (Zendesk's own
types, `zen:event-type:...`, are their own string whatever the source): the string
webhooks subscribe to and triggers compare `type` with. Routes live in partitions

  PK = ROUTE#<account>#<type string>    destinations of that one type of the account
  PK = ROUTE#<account>#*                triggers whose conditions name no type

so one event costs one strongly consistent query per partition it can match (its type,
then the wildcard), however many subscriptions other accounts and types have. Within a
partition the sort key names the destination:

  SK = W#<webhook id>                   an active, event-subscribed webhook
  SK = J#<integration>#<job spec name>  an installed job spec (events of its integration only)
  SK = T#<trigger id>                   an active trigger: its conditions and action webhooks

Only what routes is indexed: an inactive webhook, an uninstalled job spec and an
inactive or deleted trigger have no route items, so they stop matching at once.

Conditions
----------
A trigger's conditions are evaluated here, by `hookyard.webhooks.triggers.evaluate`, the
one evaluator: the router sends one delivery message per action of a trigger that holds.
A trigger is indexed under the types its conditions require (an `all` condition
`type is t`, or an `any` group of nothing but `type is` conditions, at most
MAX_TYPE_ROUTES of them) and otherwise under the wildcard; the conditions still decide.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hookyard import messages
from hookyard.models.registry import JobSpecRecord, JobSpecState
from hookyard.models.triggers import TriggerRecord
from hookyard.models.webhooks import ConnectionMethod, WebhookRecord
from hookyard.webhooks import payload as webhook_payload
from hookyard.webhooks import triggers

WILDCARD = "*"
WEBHOOK, JOB_SPEC, TRIGGER = "webhook", "job_spec", "trigger"
MAX_TYPE_ROUTES = 20  # an `any` group of more `type is` conditions is indexed under the wildcard


def route_pk(account_id: int, type_string: str) -> str:
    return f"ROUTE#{account_id}#{type_string}"


def wildcard_pk(account_id: int) -> str:
    return f"ROUTE#{account_id}#{WILDCARD}"


@dataclass(frozen=True)
class Route:
    """One route item: `pk` / `sk` as above, and what the router needs to send to the
    destination (`fields`, stored as the item's other attributes)."""

    pk: str
    sk: str
    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.pk, self.sk

    def item(self) -> dict[str, Any]:
        """The item's attributes (DynamoDB values come from hookyard.dynamo.to_item)."""
        return {"PK": self.pk, "SK": self.sk, "kind": self.kind, **self.fields}

    @classmethod
    def of_item(cls, item: Mapping[str, Any]) -> Route:
        fields = {k: v for k, v in item.items() if k not in ("PK", "SK", "kind")}
        return cls(pk=item["PK"], sk=item["SK"], kind=item["kind"], fields=fields)


# ------------------------------------------------------------------ what each thing routes


def webhook_routes(record: WebhookRecord) -> list[Route]:
    """One route per subscribed type while the webhook is active and event-subscribed."""
    if record.connection is not ConnectionMethod.EVENTS or not record.active:
        return []
    return [
        Route(route_pk(record.account_id, subscription), f"W#{record.id}", WEBHOOK, {"webhook_id": record.id})
        for subscription in dict.fromkeys(record.subscriptions)
    ]


def job_spec_routes(record: JobSpecRecord) -> list[Route]:
    """One route while the job spec is installed."""
    if record.state != JobSpecState.INSTALLED:
        return []
    type_string = webhook_payload.event_type_string(record.event_source, record.event_type)
    return [
        Route(
            route_pk(record.account_id, type_string),
            f"J#{record.integration}#{record.name}",
            JOB_SPEC,
            {"integration": record.integration, "job_spec": record.name},
        )
    ]


def trigger_routes(record: TriggerRecord) -> list[Route]:
    """Routes of an active trigger: under the types its conditions require, or the wildcard."""
    if not record.active:
        return []
    fields = {
        "trigger_id": record.id,
        # Kept as JSON text: a condition's value may be any JSON, floats included.
        "conditions": json.dumps(record.conditions, separators=(",", ":")),
        "webhooks": [action.webhook_id for action in record.webhook_actions()],
    }
    pks = [route_pk(record.account_id, t) for t in required_types(record.conditions)] or [
        wildcard_pk(record.account_id)
    ]
    return [Route(pk, f"T#{record.id}", TRIGGER, fields) for pk in pks]


def required_types(conditions: Mapping[str, Any]) -> list[str]:
    """The event types a trigger can only fire for ([]: any type)."""
    for condition in conditions.get("all") or []:
        if _is_type(condition):
            return [condition["value"]]
    group = conditions.get("any") or []
    if group and len(group) <= MAX_TYPE_ROUTES and all(_is_type(c) for c in group):
        return list(dict.fromkeys(c["value"] for c in group))
    return []


def _is_type(condition: Mapping[str, Any]) -> bool:
    value = condition.get("value")
    if condition.get("field") != "type" or condition.get("operator") != triggers.IS or not isinstance(value, str):
        return False
    try:
        webhook_payload.parse_event_type(value)
    except ValueError:
        return False
    return True


def changes(old: Iterable[Route], new: Iterable[Route]) -> tuple[list[Route], list[Route]]:
    """(routes to delete, routes to put) to turn the index entries `old` into `new`."""
    before = {r.key: r for r in old}
    after = {r.key: r for r in new}
    deletes = [r for k, r in before.items() if k not in after]
    puts = [r for k, r in after.items() if before.get(k) != r]
    return deletes, puts


# ------------------------------------------------------------------ events


@dataclass(frozen=True)
class BusEvent:
    """An event as the router reads it off the bus."""

    account_id: int
    type_string: str
    detail: dict[str, Any]
    aliases: tuple[str, ...] = ()

    @property
    def event_id(self) -> str:
        return str(self.detail.get("event_id") or "")

    def partitions(self) -> list[str]:
        """Every index partition this event can match, in the order they are read."""
        types = dict.fromkeys((self.type_string, *self.aliases))
        return [*(route_pk(self.account_id, t) for t in types), wildcard_pk(self.account_id)]


class NotRoutable(ValueError):
    """An event Hookyard cannot route (no account, no source or type): it is dropped."""


def bus_event(envelope: Mapping[str, Any]) -> BusEvent:
    """The routable view of an EventBridge event (the whole envelope, as a rule delivers
    it). The detail gets `source_system` and `event_type` from the envelope when it lacks
    them, so consumers read everything from the detail."""
    detail = envelope.get("detail")
    source, detail_type = envelope.get("source"), envelope.get("detail-type")
    if not isinstance(detail, Mapping):
        raise NotRoutable("the event has no detail object")
    if not isinstance(source, str) or not source or not isinstance(detail_type, str) or not detail_type:
        raise NotRoutable("the event has no source or detail-type")
    account_id = detail.get("account_id")
    if isinstance(account_id, bool) or not isinstance(account_id, int) or account_id < 1:
        raise NotRoutable("the event's detail has no account_id")
    body = dict(detail)
    body.setdefault("source_system", source)
    body.setdefault("event_type", detail_type)
    aliases = detail.get("type_aliases")
    return BusEvent(
        account_id=account_id,
        type_string=webhook_payload.event_type_string(source, detail_type),
        detail=body,
        aliases=tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else (),
    )


@dataclass
class Destinations:
    """What one event is sent to: messages for the flow queue and for the delivery queue."""

    flows: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.flows) + len(self.deliveries)


def destinations(event: BusEvent, routes: Sequence[Route], seen: set[tuple[str, str]] | None = None) -> Destinations:
    """The messages `routes` (read from the event's partitions) make of `event`. A
    destination reached through two partitions (a type and its alias) is sent once per
    `seen` set; job specs take only events of their own integration; triggers only
    events their conditions hold for."""
    seen = set() if seen is None else seen
    out = Destinations()
    payload: dict[str, Any] | None = None
    # A Hookyard event about a webhook (its failures, its breaker) never goes to that
    # webhook: a notice that fails to arrive cannot notify about itself in a loop.
    about = event.detail.get("about_webhook")
    for route in routes:
        if route.kind == JOB_SPEC:
            integration = route.fields.get("integration")
            if integration != event.detail.get("integration") or not _first(seen, ("J", route.sk)):
                continue
            job_spec = str(route.fields["job_spec"])
            out.flows.append(messages.job_spec_message(event.account_id, str(integration), job_spec, event.detail))
        elif route.kind == WEBHOOK:
            webhook_id = str(route.fields["webhook_id"])
            if webhook_id != about and _first(seen, ("W", webhook_id)):
                out.deliveries.append(messages.subscription_message(event.account_id, webhook_id, event.detail))
        elif route.kind == TRIGGER:
            trigger_id = str(route.fields["trigger_id"])
            if not _first(seen, ("T", trigger_id)):
                continue
            payload = payload if payload is not None else webhook_payload.build_payload(event.detail)
            if not triggers.evaluate(json.loads(route.fields["conditions"]), payload):
                continue
            for index, webhook_id in enumerate(route.fields.get("webhooks") or []):
                if webhook_id != about:
                    out.deliveries.append(
                        messages.trigger_message(event.account_id, trigger_id, index, str(webhook_id), event.detail)
                    )
    return out


def _first(seen: set[tuple[str, str]], key: tuple[str, str]) -> bool:
    if key in seen:
        return False
    seen.add(key)
    return True
