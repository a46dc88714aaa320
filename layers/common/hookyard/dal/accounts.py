"""Accounts and API tokens in the config table.

Items:
  PK=COUNTER        SK=ACCOUNT                 value: the last account id issued
  PK=ACCOUNTS       SK=ACCOUNT#<id, 10 digits> the account
  PK=TOKEN#<sha256> SK=TOKEN                   token lookup for the authorizer
  PK=ACCOUNT#<id>   SK=TOKEN#<token id>        the account's token list
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookyard import aws, clock, ids
from hookyard.dynamo import from_item, key, mapped_errors, query_page, to_item
from hookyard.errors import NotFound
from hookyard.models.accounts import Account, ApiToken
from hookyard.secrets import new_api_token, sha256_hex

ACCOUNTS_PK = "ACCOUNTS"


def account_sk(account_id: int) -> str:
    return f"ACCOUNT#{account_id:010d}"


def account_pk(account_id: int) -> str:
    return f"ACCOUNT#{account_id}"


@dataclass(frozen=True)
class TokenOwner:
    account_id: int
    token_id: str


class AccountsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def _next_account_id(self) -> int:
        # An atomic counter: concurrent creations never share an id.
        out = aws.dynamodb().update_item(
            TableName=self.table,
            Key=key("COUNTER", "ACCOUNT"),
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(out["Attributes"]["value"]["N"])

    def create_account(self, name: str) -> Account:
        account = Account(id=self._next_account_id(), name=name, created_at=clock.now())
        with mapped_errors(conflict=f"account {account.id} already exists"):
            aws.dynamodb().put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        "PK": ACCOUNTS_PK,
                        "SK": account_sk(account.id),
                        "id": account.id,
                        "name": account.name,
                        "created_at": clock.iso(account.created_at),
                    }
                ),
                ConditionExpression="attribute_not_exists(PK)",
            )
        return account

    def get_account(self, account_id: int) -> Account:
        out = aws.dynamodb().get_item(TableName=self.table, Key=key(ACCOUNTS_PK, account_sk(account_id)))
        if "Item" not in out:
            raise NotFound()
        return _account(from_item(out["Item"]))

    def list_accounts(self, limit: int, after: str | None) -> tuple[list[Account], str | None]:
        items, cursor = query_page(aws.dynamodb(), self.table, ACCOUNTS_PK, "ACCOUNT#", limit, after)
        return [_account(i) for i in items], cursor

    def issue_token(self, account_id: int, name: str, value: str | None = None) -> tuple[ApiToken, str]:
        """Create an API token for an existing account; returns it and its value (shown once).

        `value` lets the local stack seed a known token; everywhere else it is random.
        """
        value = value or new_api_token()
        token = ApiToken(id=ids.new_ulid(), account_id=account_id, name=name, created_at=clock.now(), hint=value[-4:])
        token_hash = sha256_hex(value)
        common = {"name": name, "created_at": clock.iso(token.created_at), "hint": token.hint}
        with mapped_errors(conflict="token already exists"):
            try:
                aws.dynamodb().transact_write_items(
                    TransactItems=[
                        {
                            "ConditionCheck": {
                                "TableName": self.table,
                                "Key": key(ACCOUNTS_PK, account_sk(account_id)),
                                "ConditionExpression": "attribute_exists(PK)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table,
                                "Item": to_item(
                                    {
                                        "PK": f"TOKEN#{token_hash}",
                                        "SK": "TOKEN",
                                        "account_id": account_id,
                                        "token_id": token.id,
                                        **common,
                                    }
                                ),
                                "ConditionExpression": "attribute_not_exists(PK)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table,
                                "Item": to_item(
                                    {
                                        "PK": account_pk(account_id),
                                        "SK": f"TOKEN#{token.id}",
                                        "token_hash": token_hash,
                                        **common,
                                    }
                                ),
                            }
                        },
                    ]
                )
            except aws.dynamodb().exceptions.TransactionCanceledException as exc:
                reasons = exc.response.get("CancellationReasons", [])
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    raise NotFound() from exc
                raise
        return token, value

    def list_tokens(self, account_id: int) -> list[ApiToken]:
        self.get_account(account_id)
        out = aws.dynamodb().query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": account_pk(account_id)}, ":prefix": {"S": "TOKEN#"}},
        )
        tokens = []
        for raw in out["Items"]:
            item = from_item(raw)
            tokens.append(
                ApiToken(
                    id=item["SK"].removeprefix("TOKEN#"),
                    account_id=account_id,
                    name=item["name"],
                    created_at=item["created_at"],
                    hint=item["hint"],
                )
            )
        return tokens

    def revoke_token(self, account_id: int, token_id: str) -> None:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), f"TOKEN#{token_id}"), ConsistentRead=True
        )
        if "Item" not in out:
            raise NotFound()
        token_hash = out["Item"]["token_hash"]["S"]
        aws.dynamodb().transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": key(f"TOKEN#{token_hash}", "TOKEN")}},
                {"Delete": {"TableName": self.table, "Key": key(account_pk(account_id), f"TOKEN#{token_id}")}},
            ]
        )

    def find_token_owner(self, token_value: str) -> TokenOwner | None:
        """The account a token belongs to, or None. Looked up by the token's hash."""
        out = aws.dynamodb().get_item(
            TableName=self.table,
            Key=key(f"TOKEN#{sha256_hex(token_value)}", "TOKEN"),
            ProjectionExpression="account_id, token_id",
        )
        if "Item" not in out:
            return None
        item = from_item(out["Item"])
        return TokenOwner(account_id=item["account_id"], token_id=item["token_id"])


def _account(item: dict[str, Any]) -> Account:
    return Account(id=item["id"], name=item["name"], created_at=item["created_at"])
