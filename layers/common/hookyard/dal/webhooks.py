"""Outbound webhooks in the config table, and the EventBridge rule of each event-subscribed
webhook. Used by the webhooks API (everything) and the delivery function (`get`,
`signing_secret`, `auth_headers`, `deactivate`).

Items (PK=ACCOUNT#<id>):
  SK=WEBHOOK#<webhook id>     the webhook; credentials and signing secret sealed with the
                              stack's KMS key (crypto.seal, context: account, webhook, purpose)
  SK=COUNTER#WEBHOOKS         how many webhooks the account has (the per-account cap is a
                              condition on this counter, in one transaction with the webhook)

Rules: an event-subscribed webhook that is active has exactly one rule,
rules.rule_name("wh", account, webhook id), matching the account's events of the
subscribed (source, detail-type) pairs, with the DeliveryQueue as target and the input
{"kind": "subscription", "account_id": <int>, "webhook_id": "<id>", "event": <detail>}.
Trigger-connected webhooks have no rule of their own (each trigger has one).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from botocore.exceptions import ClientError

from hookyard import aws, clock, crypto, rules
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, key, mapped_errors, put_if_version, query_all, to_item
from hookyard.errors import BadRequest, HookyardError, NotFound
from hookyard.models.webhooks import ConnectionMethod, WebhookRecord, WebhookStatus
from hookyard.webhooks.headers import authentication_headers
from hookyard.webhooks.payload import parse_event_type

WEBHOOK_PREFIX = "WEBHOOK#"
COUNTER_SK = "COUNTER#WEBHOOKS"
RULE_KIND = "wh"
SYSTEM_ACTOR = "hookyard"


class WebhookLimitReached(HookyardError):
    """The account already has as many webhooks as MAX_WEBHOOKS_PER_ACCOUNT allows."""

    status, code, title = 422, "1422", "WebhookLimitReached"


def webhook_sk(webhook_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{webhook_id}"


def seal_context(account_id: int, webhook_id: str, purpose: str) -> dict[str, str]:
    """KMS encryption context: a sealed value opens only for its own webhook and purpose."""
    return {"account_id": str(account_id), "webhook_id": webhook_id, "purpose": purpose}


def seal_signing_secret(account_id: int, webhook_id: str, secret: str) -> str:
    return crypto.seal(secret, seal_context(account_id, webhook_id, "signing_secret"))


def seal_authentication(account_id: int, webhook_id: str, data: dict[str, str]) -> str:
    return crypto.seal(json.dumps(data, separators=(",", ":")), seal_context(account_id, webhook_id, "authentication"))


def seal_verify_token(account_id: int, webhook_id: str, token: str) -> str:
    return crypto.seal(token, seal_context(account_id, webhook_id, "verify_token"))


class WebhooksRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # ------------------------------------------------------------ reads
    def get(self, account_id: int, webhook_id: str) -> WebhookRecord:
        """The webhook (sealed fields included); NotFound if the account has no such webhook."""
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), webhook_sk(webhook_id)), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        return _record(from_item(out["Item"]))

    def list_all(self, account_id: int) -> list[WebhookRecord]:
        """Every webhook of the account (at most MAX_WEBHOOKS_PER_ACCOUNT), oldest first."""
        return [_record(i) for i in query_all(aws.dynamodb(), self.table, account_pk(account_id), WEBHOOK_PREFIX)]

    # ------------------------------------------------------------ secrets (delivery)
    def signing_secret(self, record: WebhookRecord) -> str:
        """The webhook's signing secret, in clear (never log it)."""
        return crypto.unseal(record.signing_secret_sealed, seal_context(record.account_id, record.id, "signing_secret"))

    def authentication_data(self, record: WebhookRecord) -> dict[str, str] | None:
        """The webhook's credentials ({username, password} | {token} | {name, value}), in clear."""
        if record.authentication is None:
            return None
        text = crypto.unseal(record.authentication.sealed, seal_context(record.account_id, record.id, "authentication"))
        data: dict[str, str] = json.loads(text)
        return data

    def auth_headers(self, record: WebhookRecord) -> dict[str, str]:
        """The headers that authenticate a request to the webhook's endpoint ({} without
        authentication). Values are credentials: never log them."""
        data = self.authentication_data(record)
        if record.authentication is None or data is None:
            return {}
        return authentication_headers(record.authentication.type, data, record.authentication.add_position)

    def verify_token(self, record: WebhookRecord) -> str | None:
        sealed = record.verification.verify_token_sealed if record.verification else None
        if sealed is None:
            return None
        return crypto.unseal(sealed, seal_context(record.account_id, record.id, "verify_token"))

    # ------------------------------------------------------------ writes
    def create(self, record: WebhookRecord, max_per_account: int) -> None:
        """Store a new webhook unless the account already has `max_per_account`."""
        pk = account_pk(record.account_id)
        try:
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": key(pk, COUNTER_SK),
                            "UpdateExpression": "ADD #n :one",
                            "ConditionExpression": "attribute_not_exists(#n) OR #n < :max",
                            "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(max_per_account)}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._item(record),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise WebhookLimitReached(
                    f"an account may have at most {max_per_account} webhooks (MAX_WEBHOOKS_PER_ACCOUNT); "
                    "delete one first"
                ) from exc
            with mapped_errors(conflict="webhook already exists"):
                raise

    def replace(self, record: WebhookRecord) -> WebhookRecord:
        """Store `record` over the version it was read at (record.version); a concurrent
        change in between is a Conflict. Returns the stored record (version + 1)."""
        stored = record.model_copy(update={"version": record.version + 1})
        conflict = "the webhook changed meanwhile; read it again and retry"
        put_if_version(aws.dynamodb(), self.table, self._item(stored), record.version, conflict)
        return stored

    def delete(self, account_id: int, webhook_id: str) -> None:
        pk = account_pk(account_id)
        try:
            aws.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": key(pk, webhook_sk(webhook_id)),
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": key(pk, COUNTER_SK),
                            "UpdateExpression": "ADD #n :minus",
                            "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                        }
                    },
                ]
            )
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise NotFound() from exc
            with mapped_errors():
                raise

    def deactivate(self, account_id: int, webhook_id: str, reason: str, *, event_bus: str) -> WebhookRecord | None:
        """Set the webhook inactive with `reason` (shown as status_reason) and remove its
        rule, so no new event reaches it; e.g. when its endpoint answers 410 Gone.
        Returns the updated webhook, or None if it no longer exists."""
        now = clock.iso(clock.now())
        try:
            out = aws.dynamodb().update_item(
                TableName=self.table,
                Key=key(account_pk(account_id), webhook_sk(webhook_id)),
                UpdateExpression="SET #s = :inactive, status_reason = :reason, updated_at = :now, "
                "updated_by = :actor ADD #v :one",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#s": "status", "#v": "version"},
                ExpressionAttributeValues={
                    ":inactive": {"S": WebhookStatus.INACTIVE.value},
                    ":reason": {"S": reason[:500]},
                    ":now": {"S": now},
                    ":actor": {"S": SYSTEM_ACTOR},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                delete_webhook_rule(account_id, webhook_id, event_bus=event_bus)
                return None
            with mapped_errors():
                raise
        delete_webhook_rule(account_id, webhook_id, event_bus=event_bus)
        return _record(from_item(out["Attributes"]))

    def _item(self, record: WebhookRecord) -> dict[str, Any]:
        data = record.model_dump(mode="json", exclude_none=True)
        return to_item({"PK": account_pk(record.account_id), "SK": webhook_sk(record.id), **data})


def _record(item: dict[str, Any]) -> WebhookRecord:
    return WebhookRecord.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})


# ------------------------------------------------------------------ rules


def webhook_rule_name(account_id: int, webhook_id: str) -> str:
    return rules.rule_name(RULE_KIND, account_id, webhook_id)


def event_pattern(account_id: int, subscriptions: list[str]) -> dict[str, Any]:
    """The account's events of the subscribed types. Each subscription is one (source,
    detail-type) pair; pairs are grouped by source, and several sources are alternatives
    of one `$or`, so any set of pairs fits one rule (never a cross product)."""
    by_source: dict[str, set[str]] = defaultdict(set)
    for subscription in subscriptions:
        source, detail_type = parse_event_type(subscription)
        by_source[source].add(detail_type)
    alternatives = [{"source": [s], "detail-type": sorted(types)} for s, types in sorted(by_source.items())]
    pattern: dict[str, Any] = {"detail": {"account_id": [account_id]}}
    if len(alternatives) == 1:
        pattern.update(alternatives[0])
    else:
        pattern["$or"] = alternatives
    return pattern


def rule_input(account_id: int, webhook_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The target's fields and paths: the message is {kind, account_id, webhook_id, event}."""
    return {"kind": "subscription", "account_id": account_id, "webhook_id": webhook_id}, {"event": "$.detail"}


def sync_webhook_rule(record: WebhookRecord, *, event_bus: str, queue_arn: str) -> None:
    """Make the rules match the record: one rule while it is event-subscribed and active,
    none otherwise. Idempotent, so running it again repairs drift."""
    if record.connection is not ConnectionMethod.EVENTS or not record.active:
        delete_webhook_rule(record.account_id, record.id, event_bus=event_bus)
        return
    fields, paths = rule_input(record.account_id, record.id)
    try:
        rules.put_rule(
            event_bus,
            webhook_rule_name(record.account_id, record.id),
            event_pattern(record.account_id, record.subscriptions),
            queue_arn,
            fields=fields,
            paths=paths,
            description=f"webhook {record.id} ({record.name})",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("InvalidEventPatternException", "ValidationException"):
            raise BadRequest(f"subscriptions: EventBridge refused the pattern: {exc}") from exc
        raise


def delete_webhook_rule(account_id: int, webhook_id: str, *, event_bus: str) -> None:
    rules.delete_rule(event_bus, webhook_rule_name(account_id, webhook_id))
