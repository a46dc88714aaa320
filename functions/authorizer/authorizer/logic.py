"""The token a request presents -> IAM policy for API Gateway.

A token comes as `Authorization: Bearer <token>` or, as Zendesk accepts it, as HTTP
Basic with the user `<anything>/token` and the token as the password (`curl -u
{email}/token:{api_token}`, zenpy's `email` + `token`). The part before `/token` is not
checked: accounts have no users. Either form carries the operator token or an API token.

API Gateway caches a policy per Authorization header for the authorizer's TTL and
applies it to every later route, so each policy names every resource the token may
reach, never only the route that asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hookyard.dal.accounts import TokenOwner
from hookyard.httpauth import basic_credentials
from hookyard.secrets import matches

BASIC_TOKEN_USER_SUFFIX = "/token"  # noqa: S105 - Zendesk's `{email}/token:{api_token}` user, not a secret
OPERATOR_ROUTES = ("/api/admin/*",)
ACCOUNT_ROUTES = ("/api/services/*", "/api/v2/*")


class Unauthorized(Exception):
    """API Gateway turns exactly this message into a 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@dataclass(frozen=True)
class ApiArn:
    prefix: str  # arn:aws:execute-api:region:account:api-id/stage

    @classmethod
    def from_method_arn(cls, method_arn: str) -> ApiArn:
        # arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path...}
        # The path may hold colons too: only the first five are the ARN's own.
        *head, resource = method_arn.split(":", 5)
        api_id, stage, *_ = resource.split("/")
        return cls(prefix=f"{':'.join(head)}:{api_id}/{stage}")

    def resources(self, routes: tuple[str, ...]) -> list[str]:
        return [f"{self.prefix}/*{route}" for route in routes]


def presented_token(headers: dict[str, str] | None) -> str | None:
    """The token in the Authorization header, Bearer or Zendesk-style Basic; None for
    anything else."""
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value:
            scheme, _, credentials = value.strip().partition(" ")
            if scheme.lower() == "bearer":
                return credentials.strip() or None
            basic = basic_credentials(value)
            if basic is None:
                return None
            username, password = basic
            # `{email}:{password}` would be a password login, which Hookyard does not have.
            return password if password and username.endswith(BASIC_TOKEN_USER_SUFFIX) else None
    return None


def policy(principal: str, arn: ApiArn, routes: tuple[str, ...], context: dict[str, Any]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn.resources(routes)}],
        },
        "context": context,
    }


def authorize(
    event: dict[str, Any], operator_token_sha256: str, find_owner: Callable[[str], TokenOwner | None]
) -> dict[str, Any]:
    """The policy for the token the request presents; raises Unauthorized (one answer
    for every failure) if it has none or an unknown one."""
    token = presented_token(event.get("headers"))
    if token is None:
        raise Unauthorized()
    arn = ApiArn.from_method_arn(event["methodArn"])
    if matches(token, operator_token_sha256):
        return policy("operator", arn, OPERATOR_ROUTES, {"role": "operator"})
    owner = find_owner(token)
    if owner is None:
        raise Unauthorized()
    return policy(
        f"account:{owner.account_id}",
        arn,
        ACCOUNT_ROUTES,
        {"role": "account", "account_id": str(owner.account_id), "token_id": owner.token_id},
    )
