"""Shapes shared by several APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from hookyard.clock import iso

# Integration names as the ZIS registry allows them; "ingest" is the ingest route.
IntegrationName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]


# Times as Zendesk writes them: UTC, "Z", milliseconds.
Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str)]


class Model(BaseModel):
    """Base of Hookyard's models: each builds its validator and serializer on first use,
    not when its module is imported. A function imports dozens of models and a request
    uses a handful (the webhooks API imports 55; building them all took about 20 ms of
    its cold start)."""

    model_config = ConfigDict(defer_build=True)


class Request(Model):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageMeta(Model):
    has_more: bool
    after: str | None = None
    before: str | None = None


class ZisError(Model):
    """One problem, as ZIS answers it."""

    code: str = Field(description="ZIS's numeric code, as text", examples=["1110"])
    detail: str = Field(description="What was refused and why, naming the field or limit")
    status: str = Field(description="The HTTP status, as text", examples=["404"])


class ZisErrors(Model):
    """The error body of the ZIS APIs (`/api/services/zis/...`): one object per problem."""

    errors: list[ZisError]


class V2Error(Model):
    """One problem, as Zendesk's /api/v2 answers it."""

    code: str = Field(description="The error's name", examples=["RecordNotFound"])
    title: str = Field(description="The HTTP status's phrase", examples=["Not Found"])
    detail: str = Field(description="What was refused and why, naming the field or limit")


class V2Errors(Model):
    """The error body of /api/v2 and /api/admin: one object per problem."""

    errors: list[V2Error]


class IngestTargetRecord(Model):
    """A stored record that ingest answers for by its path token: an inbound webhook, a
    Zendesk source (their items: hookyard.dal.ingest_targets)."""

    id: str
    uuid: str
    account_id: int
    integration: str
    token: str
    created_at: datetime
