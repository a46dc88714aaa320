"""Operator API: accounts and their API tokens (`/api/admin/...`), plus `GET /api/health`.

Triggered by API Gateway; the authorizer admits only the operator token to /api/admin.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from accounts_api import logic
from accounts_api.log import logger
from hookyard.api import ErrorStyle, as_json_request, create_app, no_content, page_size, require_operator
from hookyard.config import ApiSettings, get_settings
from hookyard.dal.accounts import AccountsRepository
from hookyard.models.accounts import (
    AccountCreated,
    AccountList,
    AccountResponse,
    CreateAccountRequest,
    CreateTokenRequest,
    TokenCreated,
    TokenList,
)
from hookyard.models.common import PageMeta
from hookyard.observability import API_CORRELATION_PATH

app = create_app(
    title="Hookyard operator API",
    description="Accounts and API tokens. Requires the operator token.",
    swagger_path="/api/admin/swagger",
    style=ErrorStyle.V2,
    logger=logger,
)

AccountId = Annotated[int, Path(ge=1, description="Account id")]


def _repo() -> AccountsRepository:
    return AccountsRepository(get_settings(ApiSettings).config_table)


@app.get("/api/health", summary="Check that the API answers", tags=["Health"], security=[])
def health() -> dict[str, str]:
    """No token needed: `{"status": "ok"}` once the API and its function answer."""
    return {"status": "ok"}


@app.post(
    "/api/admin/accounts",
    summary="Create an account",
    tags=["Accounts"],
    responses={201: {"description": "Created, with its first API token (shown only here)"}},
)
def create_account(body: CreateAccountRequest) -> tuple[AccountCreated, int]:
    require_operator(app)
    created = logic.create_account(_repo(), body.name)
    logger.info("account created", account_id=created.account.id)
    return created, 201


@app.get("/api/admin/accounts", summary="List accounts", tags=["Accounts"])
def list_accounts(
    size: Annotated[int | None, Query(alias="page[size]")] = None,
    after: Annotated[str | None, Query(alias="page[after]")] = None,
) -> AccountList:
    require_operator(app)
    limit = page_size(size, get_settings(ApiSettings).page_size_max)
    accounts, cursor = logic.list_accounts(_repo(), limit, after)
    return AccountList(accounts=accounts, meta=PageMeta(has_more=cursor is not None, after=cursor))


@app.get("/api/admin/accounts/<account_id>", summary="Show an account", tags=["Accounts"])
def show_account(account_id: AccountId) -> AccountResponse:
    require_operator(app)
    return AccountResponse(account=_repo().get_account(account_id))


@app.post(
    "/api/admin/accounts/<account_id>/tokens",
    summary="Create an API token",
    tags=["Tokens"],
    responses={201: {"description": "Created; the token is shown only here"}},
)
def create_token(account_id: AccountId, body: CreateTokenRequest) -> tuple[TokenCreated, int]:
    require_operator(app)
    created = logic.create_token(_repo(), account_id, body.name)
    logger.info("api token created", account_id=account_id, token_id=created.api_token.id)
    return created, 201


@app.get("/api/admin/accounts/<account_id>/tokens", summary="List an account's API tokens", tags=["Tokens"])
def list_tokens(account_id: AccountId) -> TokenList:
    require_operator(app)
    return TokenList(api_tokens=logic.list_tokens(_repo(), account_id))


@app.delete(
    "/api/admin/accounts/<account_id>/tokens/<token_id>",
    summary="Revoke an API token",
    tags=["Tokens"],
    responses={204: {"description": "Revoked: the token is refused from now on"}},
)
def revoke_token(account_id: AccountId, token_id: Annotated[str, Path(max_length=26)]) -> Response[str]:
    require_operator(app)
    logic.revoke_token(_repo(), account_id, token_id)
    logger.info("api token revoked", account_id=account_id, token_id=token_id)
    return no_content()


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(as_json_request(event), context)
