"""Shapes shared by several APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, StringConstraints

from hookyard.clock import iso

# Integration names as the ZIS registry allows them; "ingest" is the ingest route.
IntegrationName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]


# Times as Zendesk writes them: UTC, "Z", milliseconds.
Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str)]


class Request(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageMeta(BaseModel):
    has_more: bool
    after: str | None = None
    before: str | None = None


class ErrorItem(BaseModel):
    code: str
    detail: str
    status: str | None = None
    title: str | None = None


class ErrorResponse(BaseModel):
    errors: list[ErrorItem]
