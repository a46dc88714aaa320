"""ZIS configs: a JSON object per (integration, scope), shaped as the ZIS Configs API and
read and merged by flows through the LoadConfig and PatchConfig built-in actions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hookyard.models.common import Model, PageMeta, Request, Timestamp

MAX_CONFIG_BYTES = 64 * 1024
MAX_SCOPE_BYTES = 255
# Printable, and no "/": a scope is one segment of the config's URL path.
SCOPE_PATTERN = r"^[^\x00-\x1f\x7f/]+$"

# A JSON object. Keys typed as Any: `Request` strips whitespace from `str` values, and a
# config's keys and values are the client's data, kept exactly as sent.
JsonObject = dict[Any, Any]


def is_valid_scope(value: str) -> bool:
    """True for a scope that may be stored (what `Scope` accepts, without stripping)."""
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        return False
    return 0 < size <= MAX_SCOPE_BYTES and len(value) <= 255 and re.match(SCOPE_PATTERN, value) is not None


def _scope_bytes(value: str) -> str:
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise PydanticCustomError("value_error", "must be valid Unicode") from None
    if size > MAX_SCOPE_BYTES:
        raise PydanticCustomError("value_error", f"must be at most {MAX_SCOPE_BYTES} bytes as UTF-8")
    return value


Scope = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=SCOPE_PATTERN),
    AfterValidator(_scope_bytes),
    Field(description="1-255 printable characters (at most 255 bytes as UTF-8), no '/'"),
]
ConfigBody = Annotated[
    JsonObject, Field(description=f"A JSON object, at most {MAX_CONFIG_BYTES // 1024} KB as compact JSON")
]


class CreateConfigRequest(Request):
    scope: Scope
    config: ConfigBody


class ReplaceConfigRequest(Request):
    config: ConfigBody


class PatchConfigRequest(Request):
    config: JsonObject = Field(
        description="JSON merge patch (RFC 7396): keys given replace, null removes a key, nested objects merge"
    )


class ConfigRecord(Model):
    """A config as stored (its object as JSON text) and read back."""

    integration: str
    scope: str
    config: JsonObject
    created_at: datetime
    updated_at: datetime
    version: int = 1


class Config(Model):
    scope: str
    config: JsonObject
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, record: ConfigRecord) -> Config:
        return cls(scope=record.scope, config=record.config, created_at=record.created_at, updated_at=record.updated_at)


class ConfigResponse(Model):
    config: Config


class ConfigList(Model):
    configs: list[Config]
    meta: PageMeta
