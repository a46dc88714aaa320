"""Accounts and their API tokens."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from hookyard.models.common import Model, PageMeta, Request, Timestamp

AccountName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
TokenName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Account(Model):
    id: int
    name: str
    created_at: Timestamp


class ApiToken(Model):
    """An API token's public face: never its value, which is shown once."""

    id: str
    account_id: int
    name: str
    created_at: Timestamp
    hint: str = Field(description="The token's last four characters, to tell tokens apart")


class CreateAccountRequest(Request):
    name: AccountName


class CreateTokenRequest(Request):
    name: TokenName = "api"


class AccountCreated(Model):
    account: Account
    token: str = Field(description="The account's first API token. Shown once: store it now.")


class AccountList(Model):
    accounts: list[Account]
    meta: PageMeta


class AccountResponse(Model):
    account: Account


class TokenCreated(Model):
    api_token: ApiToken
    token: str = Field(description="The token's value. Shown once: store it now.")


class TokenList(Model):
    api_tokens: list[ApiToken]
