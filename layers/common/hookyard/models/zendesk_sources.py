"""Zendesk sources: a Hookyard extension beside ZIS's inbound webhooks, in their style.

A Zendesk source is the ingest URL that a Zendesk event-subscribed webhook posts to. It
knows the Zendesk account (subdomain and account id) and the webhook's signing secret,
which is sealed and never shown again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from hookyard.models.common import IngestTargetRecord, Model, PageMeta, Request, Timestamp

ZENDESK_INGEST_PATH_PREFIX = "/api/services/zis/inbound_webhooks/zendesk/ingest/"
TOLERANCE_DEFAULT, TOLERANCE_MIN, TOLERANCE_MAX = 300, 30, 3600

# A Zendesk subdomain: the "acme" of acme.zendesk.com (a DNS label).
Subdomain = Annotated[
    str,
    StringConstraints(min_length=1, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", to_lower=True),
]
# Zendesk's signing secrets are 44 base64 characters; any printable ASCII is taken.
SigningSecret = Annotated[str, StringConstraints(min_length=8, max_length=256, pattern=r"^[\x21-\x7e]+$")]


class CreateZendeskSourceRequest(Request):
    subdomain: Subdomain = Field(description='The Zendesk subdomain: "acme" for acme.zendesk.com')
    zendesk_account_id: Annotated[int, Field(gt=0, strict=True)] = Field(
        description="Zendesk's account id: what Zendesk sends as x-zendesk-account-id"
    )
    signing_secret: SigningSecret | None = Field(
        default=None,
        description="The Zendesk webhook's signing secret (Admin Center > Webhooks > the webhook > Reveal secret). "
        "Write-only: sealed, never shown again. Optional here, since Zendesk shows it only once the webhook "
        "exists: until it is set (PUT .../signing_secret) the source refuses every request",
    )
    test_mode: bool = Field(
        default=False,
        description="Also accept requests signed with Zendesk's static test secret (the webhook builder's Test "
        "button before the webhook exists). Leave off in production",
    )
    timestamp_tolerance_seconds: int = Field(
        default=TOLERANCE_DEFAULT,
        ge=TOLERANCE_MIN,
        le=TOLERANCE_MAX,
        description="How far the signature timestamp may be from now, either way",
    )
    basic_auth: bool = Field(
        default=False,
        description="Also require basic auth: the answer holds a username and password (shown once) to set as "
        "the Zendesk webhook's Basic authentication",
    )


class ReplaceSigningSecretRequest(Request):
    signing_secret: SigningSecret
    test_mode: bool | None = Field(
        default=None, description="Also set test mode (false: stop accepting Zendesk's static test secret)"
    )


class ZendeskSourceRecord(IngestTargetRecord):
    """What is stored: the signing secret sealed, the password only as its SHA-256."""

    id: str
    uuid: str
    account_id: int
    integration: str
    subdomain: str
    zendesk_account_id: int
    signing_secret_sealed: str | None = None
    test_mode: bool = False
    timestamp_tolerance_seconds: int = TOLERANCE_DEFAULT
    basic_auth: bool = False
    username: str | None = None
    password_hash: str | None = None
    token: str
    created_at: datetime
    updated_at: datetime | None = None

    @property
    def path(self) -> str:
        return ZENDESK_INGEST_PATH_PREFIX + self.token


class ZendeskSource(Model):
    """The response shape. `password` is set only in the response that created it."""

    id: str
    uuid: str
    integration: str
    account_id: int = Field(description="Hookyard's account")
    subdomain: str
    zendesk_account_id: int
    path: str = Field(description="The ingest path: the Zendesk webhook's endpoint URL is the API's base URL + this")
    signing_secret_set: bool = Field(description="Whether the signing secret is set (it is never shown)")
    test_mode: bool
    timestamp_tolerance_seconds: int
    basic_auth: bool
    username: str | None = Field(description="Set when basic_auth is on")
    password: str | None = Field(description="Shown once, at creation; null afterwards")
    created_at: Timestamp
    updated_at: Timestamp | None = None

    @classmethod
    def of(cls, record: ZendeskSourceRecord, password: str | None = None) -> ZendeskSource:
        return cls(
            id=record.id,
            uuid=record.uuid,
            integration=record.integration,
            account_id=record.account_id,
            subdomain=record.subdomain,
            zendesk_account_id=record.zendesk_account_id,
            path=record.path,
            signing_secret_set=record.signing_secret_sealed is not None,
            test_mode=record.test_mode,
            timestamp_tolerance_seconds=record.timestamp_tolerance_seconds,
            basic_auth=record.basic_auth,
            username=record.username,
            password=password,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class ZendeskSourceList(Model):
    zendesk_sources: list[ZendeskSource]
    meta: PageMeta
