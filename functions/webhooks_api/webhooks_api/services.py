"""The rules' dependencies, built from the settings (clients are created lazily and cached
by hookyard.aws, so building these per request is cheap)."""

from __future__ import annotations

from hookyard.api import HasEvent, authorizer_context
from hookyard.bus import EventBridgeBus
from hookyard.config import get_settings
from hookyard.crypto import KmsSealer
from hookyard.dal.invocations import InvocationsRepository
from hookyard.dal.recoveries import RecoveriesRepository
from hookyard.dal.triggers import TriggersRepository
from hookyard.dal.webhooks import WebhooksRepository
from hookyard.outbound import shared_client
from hookyard.queues import SqsQueue
from hookyard.webhooks.secrets import WebhookSecrets
from webhooks_api.logic import Services
from webhooks_api.settings import WebhooksApiSettings


def services() -> Services:
    settings = get_settings(WebhooksApiSettings)
    return Services(
        webhooks=WebhooksRepository(settings.config_table),
        triggers=TriggersRepository(settings.config_table),
        invocations=InvocationsRepository(settings.activity_table, settings.retention_days),
        secrets=WebhookSecrets(KmsSealer()),
        outbound=shared_client(settings.allow_cidrs),
        max_webhooks=settings.max_webhooks,
        deliveries=SqsQueue(settings.delivery_queue_url),
        recoveries=RecoveriesRepository(settings.activity_table, settings.retention_days),
        bus=EventBridgeBus(settings.event_bus_name),
        retention_days=settings.retention_days,
    )


def actor(app: HasEvent) -> str:
    """Who made the change, for created_by / updated_by: the API token's id (the
    authorizer's principal when there is none)."""
    context = authorizer_context(app)
    return str(context.get("token_id") or context.get("principalId") or "unknown")
