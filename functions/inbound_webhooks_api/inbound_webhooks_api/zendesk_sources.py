"""Rules for Zendesk sources: the signing secret is sealed here and never shown again;
the ingest token and the optional basic auth password are generated here."""

from __future__ import annotations

from hookyard import clock, ids
from hookyard.crypto import Sealer
from hookyard.dal.zendesk_sources import ZendeskSourcesRepository
from hookyard.models.zendesk_sources import (
    CreateZendeskSourceRequest,
    ReplaceSigningSecretRequest,
    ZendeskSource,
    ZendeskSourceRecord,
)
from hookyard.secrets import new_secret, new_username, sha256_hex
from hookyard.zendesk.sources import seal_context
from inbound_webhooks_api.logic import check_integration


def create(
    repo: ZendeskSourcesRepository,
    sealer: Sealer,
    account_id: int,
    integration: str,
    request: CreateZendeskSourceRequest,
) -> ZendeskSource:
    check_integration(integration)
    uuid = ids.new_uuid()
    password = new_secret() if request.basic_auth else None
    record = ZendeskSourceRecord(
        id=ids.new_ulid(),
        uuid=uuid,
        account_id=account_id,
        integration=integration,
        subdomain=request.subdomain,
        zendesk_account_id=request.zendesk_account_id,
        signing_secret_sealed=(
            sealer.seal(request.signing_secret, seal_context(account_id, uuid)) if request.signing_secret else None
        ),
        test_mode=request.test_mode,
        timestamp_tolerance_seconds=request.timestamp_tolerance_seconds,
        basic_auth=request.basic_auth,
        username=new_username() if password else None,
        password_hash=sha256_hex(password) if password else None,
        token=new_secret(),
        created_at=clock.now(),
    )
    repo.create(record)
    return ZendeskSource.of(record, password=password)


def show(repo: ZendeskSourcesRepository, account_id: int, integration: str, uuid: str) -> ZendeskSource:
    return ZendeskSource.of(repo.get(account_id, integration, uuid))


def list_page(
    repo: ZendeskSourcesRepository, account_id: int, integration: str, limit: int, after: str | None
) -> tuple[list[ZendeskSource], str | None]:
    records, cursor = repo.list(account_id, integration, limit, after)
    return [ZendeskSource.of(r) for r in records], cursor


def delete(repo: ZendeskSourcesRepository, account_id: int, integration: str, uuid: str) -> None:
    repo.delete(account_id, integration, uuid)


def replace_signing_secret(
    repo: ZendeskSourcesRepository,
    sealer: Sealer,
    account_id: int,
    integration: str,
    uuid: str,
    request: ReplaceSigningSecretRequest,
) -> ZendeskSource:
    """The secret Zendesk signs with (revealed once the webhook exists, or after "Reset
    secret"); the old one is refused from now on. The ingest URL stays. `test_mode`, when
    given, is set too (false: the source leaves test mode)."""
    record = repo.get(account_id, integration, uuid)
    record = record.model_copy(
        update={
            "signing_secret_sealed": sealer.seal(request.signing_secret, seal_context(account_id, uuid)),
            "test_mode": record.test_mode if request.test_mode is None else request.test_mode,
            "updated_at": clock.now(),
        }
    )
    repo.replace_signing_secret(record)
    return ZendeskSource.of(record)
