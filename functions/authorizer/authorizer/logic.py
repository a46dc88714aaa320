"""Bearer token -> IAM policy for API Gateway.

API Gateway caches a policy per Authorization header for the authorizer's TTL and
applies it to every later route, so each policy names every resource the token may
reach, never only the route that asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hookyard.dal.accounts import TokenOwner
from hookyard.secrets import matches

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


def bearer_token(headers: dict[str, str] | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value:
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
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
    """The policy for the request's bearer token; raises Unauthorized if it has none
    or an unknown one."""
    token = bearer_token(event.get("headers"))
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
