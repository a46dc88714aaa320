"""ZIS Configs API (`/api/services/zis/integrations/{integration}/configs...`): a JSON
object per scope, which flows read and merge with LoadConfig and PatchConfig. Routes
first, then their rules.

A scope may hold characters that a URL path carries percent-encoded (`my:scope`,
`team settings`); see `path_scope` for how the route reads it back.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from hookyard.api import caller_account_id, no_content, page_size
from hookyard.config import RegistrySettings, get_settings
from hookyard.dal.configs import ConfigsRepository
from hookyard.dal.registry import RegistryRepository
from hookyard.errors import NotFound
from hookyard.models.common import IntegrationName, PageMeta
from hookyard.models.configs import (
    MAX_CONFIG_BYTES,
    Config,
    ConfigList,
    ConfigRecord,
    ConfigResponse,
    CreateConfigRequest,
    PatchConfigRequest,
    ReplaceConfigRequest,
    is_valid_scope,
)
from registry_api.log import logger

router = APIGatewayRouter()  # type: ignore[no-untyped-call]
TAGS = ["Configs"]
TOO_LARGE: OpenAPIResponse = {"description": f"The config is over {MAX_CONFIG_BYTES // 1024} KB as compact JSON"}

BASE = "/api/services/zis/integrations/<integration>/configs"
Integration_ = Annotated[IntegrationName, Path(description="The integration's name")]
Scope_ = Annotated[str, Path(description="The config's scope, percent-encoded as any URL path segment")]
ScopeFilter = Annotated[
    str | None,
    Query(alias="filter[scope]", max_length=300, description="Scopes matching this; * matches any characters"),
]
Size = Annotated[int | None, Query(alias="page[size]", description="1-100")]
After = Annotated[str | None, Query(alias="page[after]", max_length=2000)]


def _repo() -> ConfigsRepository:
    return ConfigsRepository(get_settings(RegistrySettings).config_table)


def _registry() -> RegistryRepository:
    return RegistryRepository(get_settings(RegistrySettings).config_table)


@router.post(
    BASE,
    summary="Create a config",
    tags=TAGS,
    responses={201: {"description": "Created"}, 409: {"description": "The scope has a config already"}, 413: TOO_LARGE},
)
def create_config(integration: Integration_, body: CreateConfigRequest) -> tuple[ConfigResponse, int]:
    account_id = caller_account_id(router)
    _registry().get_integration(account_id, integration)
    record = _repo().create(account_id, integration, body.scope, body.config)
    logger.info("config created", account_id=account_id, integration=integration, scope=body.scope)
    return _response(record), 201


@router.get(BASE, summary="List an integration's configs", tags=TAGS)
def list_configs(
    integration: Integration_, scope: ScopeFilter = None, size: Size = None, after: After = None
) -> ConfigList:
    """By scope; `filter[scope]` keeps the scopes matching it (`my_app*`, `*settings*`)."""
    account_id = caller_account_id(router)
    _registry().get_integration(account_id, integration)
    limit = page_size(size, get_settings(RegistrySettings).page_size_max)
    records, cursor = _repo().list(account_id, integration, limit, after, scope_filter=scope)
    return ConfigList(configs=[Config.of(r) for r in records], meta=PageMeta(has_more=cursor is not None, after=cursor))


@router.get(f"{BASE}/<scope>", summary="Show a config", tags=TAGS)
def show_config(integration: Integration_, scope: Scope_) -> ConfigResponse:
    record = _repo().find(caller_account_id(router), integration, path_scope(scope))
    if record is None:
        raise NotFound()
    return _response(record)


@router.put(
    f"{BASE}/<scope>",
    summary="Replace a config",
    tags=TAGS,
    responses={200: {"description": "Replaced"}, 413: TOO_LARGE},
)
def replace_config(integration: Integration_, scope: Scope_, body: ReplaceConfigRequest) -> ConfigResponse:
    account_id = caller_account_id(router)
    name = path_scope(scope)
    record = _repo().replace(account_id, integration, name, body.config)
    logger.info("config replaced", account_id=account_id, integration=integration, scope=name)
    return _response(record)


@router.patch(
    f"{BASE}/<scope>",
    summary="Merge a patch into a config",
    tags=TAGS,
    responses={
        200: {"description": "Merged"},
        409: {"description": "The scope kept changing concurrently: retry"},
        413: TOO_LARGE,
    },
)
def patch_config(integration: Integration_, scope: Scope_, body: PatchConfigRequest) -> ConfigResponse:
    """A JSON merge patch (RFC 7396): null removes a key, nested objects merge."""
    account_id = caller_account_id(router)
    name = path_scope(scope)
    record = _repo().merge(account_id, integration, name, body.config)
    logger.info("config patched", account_id=account_id, integration=integration, scope=name)
    return _response(record)


@router.delete(f"{BASE}/<scope>", summary="Delete a config", tags=TAGS, responses={204: {"description": "Deleted"}})
def delete_config(integration: Integration_, scope: Scope_) -> Response[str]:
    account_id = caller_account_id(router)
    name = path_scope(scope)
    _repo().delete(account_id, integration, name)
    logger.info("config deleted", account_id=account_id, integration=integration, scope=name)
    return no_content()


# ------------------------------------------------------------------ rules


def _response(record: ConfigRecord) -> ConfigResponse:
    return ConfigResponse(config=Config.of(record))


def path_scope(matched: str) -> str:
    """The scope as the client meant it. Powertools matches routes on the event's `path`,
    which a REST API delivers percent-encoded, so `matched` may be `my%3Ascope`. When API
    Gateway's own `pathParameters` differ from it, the gateway decoded the value: use
    that. When they agree, nobody decoded it (or there was nothing to decode): decode it
    here. A scope that cannot exist is a 404, never a storage key DynamoDB refuses."""
    given = (router.current_event.path_parameters or {}).get("scope")
    scope = given if given is not None and given != matched else unquote(matched)
    if not is_valid_scope(scope):
        raise NotFound()
    return scope
