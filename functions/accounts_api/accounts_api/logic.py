"""Operator rules for accounts and tokens."""

from __future__ import annotations

from hookyard.dal.accounts import AccountsRepository
from hookyard.models.accounts import Account, AccountCreated, ApiToken, TokenCreated


def create_account(repo: AccountsRepository, name: str) -> AccountCreated:
    """A new account with its first API token (shown once)."""
    account = repo.create_account(name)
    _, value = repo.issue_token(account.id, name="default")
    return AccountCreated(account=account, token=value)


def list_accounts(repo: AccountsRepository, limit: int, after: str | None) -> tuple[list[Account], str | None]:
    return repo.list_accounts(limit, after)


def create_token(repo: AccountsRepository, account_id: int, name: str) -> TokenCreated:
    token, value = repo.issue_token(account_id, name=name)
    return TokenCreated(api_token=token, token=value)


def list_tokens(repo: AccountsRepository, account_id: int) -> list[ApiToken]:
    return repo.list_tokens(account_id)


def revoke_token(repo: AccountsRepository, account_id: int, token_id: str) -> None:
    repo.revoke_token(account_id, token_id)
