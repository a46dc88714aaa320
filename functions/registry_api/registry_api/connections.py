"""ZIS Connections API (`/api/services/zis/integrations/{integration}/connections...`):
basic auth, bearer token and API key credentials that a bundle's HTTP actions name in
`connectionName`. Routes first, then their rules.

Secrets (password, token, api_key) are sealed before they are stored, answered as
"*****" everywhere, and never logged; only the flow runner opens them (`resolve`).

Where a connection points is judged on save by the outbound guard the flow runner calls
through, with the deployment's allow-list (OUTBOUND_ALLOW_CIDRS): an IP address or a
localhost name that the guard would refuse is a 400 naming the field. A DNS name is not
resolved on save (the call may come much later, to another answer); the guard resolves
and checks it on every call.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ValidationError

from hookyard import clock
from hookyard.api import caller_account_id, describe_validation_error, no_content, page_size
from hookyard.config import OutboundSettings, RegistrySettings, get_settings
from hookyard.dal.connections import ConnectionsRepository, seal_secret
from hookyard.dal.registry import RegistryRepository
from hookyard.errors import BadRequest, NotFound
from hookyard.models.common import IntegrationName, PageMeta
from hookyard.models.connections import (
    ApiKeyInput,
    ApiKeyPatch,
    BasicAuthInput,
    BasicAuthPatch,
    BearerTokenInput,
    BearerTokenPatch,
    ConnectionInput,
    ConnectionList,
    ConnectionPatch,
    ConnectionRecord,
    ConnectionResponse,
    ConnectionType,
    base_url_allowed,
    connection_list,
    connection_response,
    destination_hosts,
)
from hookyard.outbound import OutboundClient, OutboundError, shared_client
from registry_api.log import logger

router = APIGatewayRouter()  # type: ignore[no-untyped-call]
TAGS = ["Connections"]

BASE = "/api/services/zis/integrations/<integration>/connections"
Integration_ = Annotated[IntegrationName, Path(description="The integration's name")]
Type_ = Annotated[str, Path(description="basic_auth, bearer_token or api_key")]
Name_ = Annotated[str, Path(max_length=64, description="The connection's name")]
Size = Annotated[int | None, Query(alias="page[size]", description="1-100")]
After = Annotated[str | None, Query(alias="page[after]", max_length=2000)]
CreateBody = Annotated[
    dict[str, Any],
    Body(
        description="basic_auth: {name, username, password, allowed_domain}; bearer_token: {name, token, "
        "allowed_domain}; api_key: {name, header_name, api_key, allowed_domain}. Each may add base_url."
    ),
]
PatchBody = Annotated[
    dict[str, Any],
    Body(description="Any of the type's fields but name; secrets given are replaced. base_url: null resets it."),
]


def _repo() -> ConnectionsRepository:
    return ConnectionsRepository(get_settings(RegistrySettings).config_table)


def _registry() -> RegistryRepository:
    return RegistryRepository(get_settings(RegistrySettings).config_table)


def _guard() -> OutboundClient:
    return shared_client(get_settings(OutboundSettings).allow_cidrs)


@router.post(
    f"{BASE}/<connection_type>",
    summary="Create a connection",
    tags=TAGS,
    responses={
        201: {"description": "Created; the secret is masked"},
        409: {"description": "The integration has a connection of that name (of any type)"},
    },
)
def create_connection(
    integration: Integration_, connection_type: Type_, body: CreateBody
) -> tuple[ConnectionResponse, int]:
    account_id = caller_account_id(router)
    record = create(_repo(), _registry(), _guard(), account_id, integration, connection_type, body)
    logger.info(
        "connection created",
        account_id=account_id,
        integration=integration,
        connection=record.name,
        type=record.type.value,
    )
    return connection_response(record), 201


@router.get(f"{BASE}/all", summary="List an integration's connections", tags=TAGS)
def list_connections(integration: Integration_, size: Size = None, after: After = None) -> ConnectionList:
    """Every type, an array per type as ZIS answers. page[size] counts connections of all
    types together, taken in name order; page[after] goes on after the page's last name."""
    account_id = caller_account_id(router)
    _registry().get_integration(account_id, integration)
    limit = page_size(size, get_settings(RegistrySettings).page_size_max)
    records, cursor = _repo().list(account_id, integration, limit, after)
    return connection_list(records, PageMeta(has_more=cursor is not None, after=cursor))


@router.get(f"{BASE}/<connection_type>/<name>", summary="Show a connection", tags=TAGS)
def show_connection(integration: Integration_, connection_type: Type_, name: Name_) -> ConnectionResponse:
    record = show(_repo(), caller_account_id(router), integration, connection_type, name)
    return connection_response(record)


@router.patch(
    f"{BASE}/<connection_type>/<name>",
    summary="Update a connection",
    tags=TAGS,
    responses={200: {"description": "Updated; the secret is masked"}, 409: {"description": "Changed meanwhile: retry"}},
)
def update_connection(
    integration: Integration_, connection_type: Type_, name: Name_, body: PatchBody
) -> ConnectionResponse:
    account_id = caller_account_id(router)
    record = update(_repo(), _guard(), account_id, integration, connection_type, name, body)
    logger.info(
        "connection updated", account_id=account_id, integration=integration, connection=name, fields=sorted(body)
    )
    return connection_response(record)


@router.delete(
    f"{BASE}/<connection_type>/<name>",
    summary="Delete a connection",
    tags=TAGS,
    responses={204: {"description": "Deleted"}},
)
def delete_connection(integration: Integration_, connection_type: Type_, name: Name_) -> Response[str]:
    account_id = caller_account_id(router)
    _repo().delete(account_id, integration, name, parse_type(connection_type))
    logger.info("connection deleted", account_id=account_id, integration=integration, connection=name)
    return no_content()


# ------------------------------------------------------------------ rules

INPUTS: dict[ConnectionType, type[ConnectionInput]] = {
    ConnectionType.BASIC_AUTH: BasicAuthInput,
    ConnectionType.BEARER_TOKEN: BearerTokenInput,
    ConnectionType.API_KEY: ApiKeyInput,
}
PATCHES: dict[ConnectionType, type[ConnectionPatch]] = {
    ConnectionType.BASIC_AUTH: BasicAuthPatch,
    ConnectionType.BEARER_TOKEN: BearerTokenPatch,
    ConnectionType.API_KEY: ApiKeyPatch,
}
SECRETS = {
    ConnectionType.BASIC_AUTH: "password",
    ConnectionType.BEARER_TOKEN: "token",
    ConnectionType.API_KEY: "api_key",
}


def parse_type(value: str) -> ConnectionType:
    try:
        return ConnectionType(value)
    except ValueError:
        known = ", ".join(t.value for t in ConnectionType)
        raise BadRequest(f'connection_type: "{value[:64]}" is not one of {known}') from None


def _parsed[T: BaseModel](model: type[T], body: dict[str, Any]) -> T:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        # describe_validation_error names the field and never repeats the value (a secret).
        problems = [describe_validation_error(dict(e)) for e in exc.errors()]
        raise BadRequest("; ".join(problems) or "request body is invalid") from None


def _check_destination(guard: OutboundClient, allowed_domain: str, base_url: str | None) -> None:
    """400 naming the field for a host the outbound guard refuses without DNS (an IP
    address or a localhost name), or a base_url outside allowed_domain."""
    for field, host in destination_hosts(allowed_domain, base_url):
        try:
            guard.check_host(host)
        except OutboundError as exc:
            raise BadRequest(f"{field}: {exc}") from None
    if not base_url_allowed(base_url, allowed_domain):
        raise BadRequest(f"base_url: its host must satisfy allowed_domain {allowed_domain}")


def create(
    repo: ConnectionsRepository,
    registry: RegistryRepository,
    guard: OutboundClient,
    account_id: int,
    integration: str,
    connection_type: str,
    body: dict[str, Any],
) -> ConnectionRecord:
    """A new connection of the integration, its secret sealed; 409 if the name is taken,
    400 if it points where the outbound guard would not call."""
    kind = parse_type(connection_type)
    registry.get_integration(account_id, integration)
    given = _parsed(INPUTS[kind], body)
    _check_destination(guard, given.allowed_domain, given.base_url)
    now = clock.now()
    secret = str(getattr(given, SECRETS[kind]))
    record = ConnectionRecord(
        account_id=account_id,
        integration=integration,
        name=given.name,
        type=kind,
        allowed_domain=given.allowed_domain,
        base_url=given.base_url,
        username=given.username if isinstance(given, BasicAuthInput) else None,
        header_name=given.header_name if isinstance(given, ApiKeyInput) else None,
        secret_sealed=seal_secret(account_id, integration, given.name, secret),
        created_at=now,
        updated_at=now,
    )
    repo.create(record)
    return record


def show(
    repo: ConnectionsRepository, account_id: int, integration: str, connection_type: str, name: str
) -> ConnectionRecord:
    """The named connection if it is of that type (another type's is a 404, as a missing one)."""
    kind = parse_type(connection_type)
    record = repo.get(account_id, integration, name)
    if record.type is not kind:
        raise NotFound()
    return record


def update(
    repo: ConnectionsRepository,
    guard: OutboundClient,
    account_id: int,
    integration: str,
    connection_type: str,
    name: str,
    body: dict[str, Any],
) -> ConnectionRecord:
    """Change the fields given; a secret given is sealed anew. Where the connection points
    is judged again only when allowed_domain or base_url is given (a secret can still be
    rotated after the allow-list changed; the call itself is always checked)."""
    kind = parse_type(connection_type)
    if "name" in body:
        raise BadRequest("name: cannot be changed; create a connection with the new name instead")
    changes = _parsed(PATCHES[kind], body)
    nulled = sorted(f for f in changes.model_fields_set - {"base_url"} if getattr(changes, f) is None)
    if nulled:
        raise BadRequest("; ".join(f"{f}: must not be null" for f in nulled))
    current = show(repo, account_id, integration, connection_type, name)
    given = {f: getattr(changes, f) for f in changes.model_fields_set}
    if not given:
        return current
    secret = given.pop(SECRETS[kind], None)
    record = current.model_copy(update={**given, "updated_at": clock.now(), "version": current.version + 1})
    if given.keys() & {"allowed_domain", "base_url"}:
        _check_destination(guard, record.allowed_domain, record.base_url)
    if secret is not None:
        record = record.model_copy(update={"secret_sealed": seal_secret(account_id, integration, name, secret)})
    repo.replace(record, expected_version=current.version)
    return record
