"""The webhooks API's configuration, read from the Lambda environment once, lazily."""

from __future__ import annotations

from pydantic import Field

from hookyard.config import ApiSettings, OutboundSettings, SecretsSettings


class WebhooksApiSettings(ApiSettings, SecretsSettings, OutboundSettings):
    activity_table: str = Field(alias="ACTIVITY_TABLE_NAME", min_length=1)
    max_webhooks: int = Field(alias="MAX_WEBHOOKS_PER_ACCOUNT", gt=0)
    delivery_queue_url: str = Field(alias="DELIVERY_QUEUE_URL", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    retention_days: int = Field(alias="ACTIVITY_RETENTION_DAYS", default=7, gt=0)
