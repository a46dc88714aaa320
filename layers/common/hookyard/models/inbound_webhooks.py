"""ZIS inbound webhooks, shaped as the ZIS Inbound Webhooks API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from hookyard.models.common import IngestTargetRecord, Model, PageMeta, Request

INGEST_PATH_PREFIX = "/api/services/zis/inbound_webhooks/generic/ingest/"


def _not_aws_namespace(value: str) -> str:
    # EventBridge refuses custom events whose source starts with "aws.".
    if value.lower().startswith("aws."):
        raise ValueError('must not start with "aws." (reserved by EventBridge)')
    return _no_type_separator(value)


def _no_type_separator(value: str) -> str:
    # Webhooks name event types "<source>:event-type:<type>"; a name holding the separator
    # would be ambiguous, and an inbound event could pass for one of Zendesk's own.
    if ":event-type:" in value:
        raise ValueError('must not contain ":event-type:"')
    return value


# DetailType is at most 128 characters and Source at most 256 on EventBridge; both
# must be printable (no control characters).
EventType = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_no_type_separator),
]
SourceSystem = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_not_aws_namespace),
]


VerifyToken = Annotated[str, StringConstraints(min_length=8, max_length=256, pattern=r"^[\x21-\x7e]+$")]


class CreateInboundWebhookRequest(Request):
    event_type: EventType
    source_system: SourceSystem
    verify_token: VerifyToken | None = Field(
        default=None,
        description="Optional. A GET to the ingest URL with this verifyToken and a challenge answers the challenge "
        "(endpoint verification handshake). Stored hashed; never shown again.",
    )


class InboundWebhookRecord(IngestTargetRecord):
    """What is stored: the password only as its SHA-256."""

    id: str
    uuid: str
    account_id: int
    integration: str
    event_type: str
    source_system: str
    username: str
    password_hash: str
    token: str
    verify_token_hash: str | None = None
    created_at: datetime

    @property
    def path(self) -> str:
        return INGEST_PATH_PREFIX + self.token


class InboundWebhook(Model):
    """The ZIS response shape. `password` is set only in the response that created it."""

    event_type: str
    id: str
    integration: str
    password: str | None = Field(description="Shown once, at creation or rotation; null afterwards")
    path: str
    source_system: str
    username: str
    uuid: str
    zendesk_account_id: int

    @classmethod
    def of(cls, record: InboundWebhookRecord, password: str | None = None) -> InboundWebhook:
        return cls(
            event_type=record.event_type,
            id=record.id,
            integration=record.integration,
            password=password,
            path=record.path,
            source_system=record.source_system,
            username=record.username,
            uuid=record.uuid,
            zendesk_account_id=record.account_id,
        )


class InboundWebhookList(Model):
    inbound_webhooks: list[InboundWebhook]
    meta: PageMeta
