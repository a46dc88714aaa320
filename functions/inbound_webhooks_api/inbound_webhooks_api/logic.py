"""Rules for ZIS inbound webhooks: credentials are generated here and shown once."""

from __future__ import annotations

from hookyard import clock, ids
from hookyard.dal.inbound_webhooks import InboundWebhooksRepository
from hookyard.errors import BadRequest
from hookyard.models.inbound_webhooks import CreateInboundWebhookRequest, InboundWebhook, InboundWebhookRecord
from hookyard.secrets import new_secret, new_username, sha256_hex

# "ingest" is a path segment of its own: /generic/ingest/{token} and /zendesk/ingest/{token}
# are the ingest routes.
RESERVED_INTEGRATIONS = frozenset({"ingest"})


def check_integration(integration: str) -> None:
    if integration in RESERVED_INTEGRATIONS:
        raise BadRequest(f'integration: "{integration}" is reserved')


def create(
    repo: InboundWebhooksRepository, account_id: int, integration: str, request: CreateInboundWebhookRequest
) -> InboundWebhook:
    check_integration(integration)
    password = new_secret()
    record = InboundWebhookRecord(
        id=ids.new_ulid(),
        uuid=ids.new_uuid(),
        account_id=account_id,
        integration=integration,
        event_type=request.event_type,
        source_system=request.source_system,
        username=new_username(),
        password_hash=sha256_hex(password),
        token=new_secret(),
        verify_token_hash=sha256_hex(request.verify_token) if request.verify_token else None,
        created_at=clock.now(),
    )
    repo.create(record)
    return InboundWebhook.of(record, password=password)


def show(repo: InboundWebhooksRepository, account_id: int, integration: str, uuid: str) -> InboundWebhook:
    return InboundWebhook.of(repo.get(account_id, integration, uuid))


def list_page(
    repo: InboundWebhooksRepository, account_id: int, integration: str, limit: int, after: str | None
) -> tuple[list[InboundWebhook], str | None]:
    records, cursor = repo.list(account_id, integration, limit, after)
    return [InboundWebhook.of(r) for r in records], cursor


def delete(repo: InboundWebhooksRepository, account_id: int, integration: str, uuid: str) -> None:
    repo.delete(account_id, integration, uuid)


def rotate_credentials(repo: InboundWebhooksRepository, account_id: int, integration: str, uuid: str) -> InboundWebhook:
    """New username and password (shown once); the old pair is rejected from now on.
    The path token stays, so senders only update their credentials."""
    record = repo.get(account_id, integration, uuid)
    password = new_secret()
    record = record.model_copy(update={"username": new_username(), "password_hash": sha256_hex(password)})
    repo.replace_credentials(record, record.username, record.password_hash)
    return InboundWebhook.of(record, password=password)
