"""Configuration read from the Lambda environment, once, lazily.

Each function asks only for the settings it needs; a missing required name is an
error at first use, never a silent default.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _EnvModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class TableSettings(_EnvModel):
    config_table: str = Field(alias="CONFIG_TABLE_NAME", min_length=1)


class IngestSettings(TableSettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    max_body_bytes: int = Field(alias="INGEST_MAX_BODY_BYTES", default=200 * 1024, gt=0)


class ZendeskIngestSettings(_EnvModel):
    """What ingest needs only for Zendesk sources (the dedupe records)."""

    activity_table: str = Field(alias="ACTIVITY_TABLE_NAME", min_length=1)


class AuthorizerSettings(TableSettings):
    operator_token_sha256: str = Field(alias="OPERATOR_TOKEN_SHA256", pattern=r"^[0-9a-f]{64}$")


class ApiSettings(TableSettings):
    page_size_max: int = Field(alias="PAGE_SIZE_MAX", default=100, gt=0)


def load[T: BaseModel](model: type[T], environ: dict[str, Any] | None = None) -> T:
    """Build a settings model from the environment (names are the field aliases)."""
    return model.model_validate(dict(os.environ if environ is None else environ))


@cache
def get_settings[T: BaseModel](model: type[T]) -> T:
    """The settings of this function, read on first use and cached for the container."""
    return load(model)


class TracingSettings(_EnvModel):
    """The template's Tracing parameter, as the functions that trace their calls see it."""

    tracing: Literal["Active", "PassThrough"] = Field(alias="HOOKYARD_TRACING", default="PassThrough")


class SecretsSettings(_EnvModel):
    secrets_key_id: str = Field(alias="SECRETS_KEY_ID", min_length=1)


class RegistrySettings(ApiSettings, SecretsSettings):
    activity_table: str = Field(alias="ACTIVITY_TABLE_NAME", min_length=1)


class OutboundSettings(_EnvModel):
    allow_cidrs: str = Field(alias="OUTBOUND_ALLOW_CIDRS", default="")


class FlowRunnerSettings(TableSettings, SecretsSettings, OutboundSettings):
    activity_table: str = Field(alias="ACTIVITY_TABLE_NAME", min_length=1)
    flow_queue_url: str = Field(alias="FLOW_QUEUE_URL", min_length=1)
    retention_days: int = Field(alias="ACTIVITY_RETENTION_DAYS", default=7, gt=0)


class DeliverySettings(TableSettings, SecretsSettings, OutboundSettings):
    activity_table: str = Field(alias="ACTIVITY_TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL", min_length=1)
    retention_days: int = Field(alias="ACTIVITY_RETENTION_DAYS", default=7, gt=0)
    invocations_per_minute: int = Field(alias="INVOCATIONS_PER_MINUTE", default=60, gt=0)


class RouterSettings(TableSettings):
    routing_queue_url: str = Field(alias="ROUTING_QUEUE_URL", min_length=1)
    flow_queue_url: str = Field(alias="FLOW_QUEUE_URL", min_length=1)
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL", min_length=1)
