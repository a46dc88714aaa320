"""Credentials -> the HTTP header that carries them: the one builder, used by an outbound
webhook's authentication (`webhooks.headers.authentication_headers`, which validates the
credentials first) and by a ZIS connection (`ResolvedConnection.auth_headers`).

basic_auth -> `Authorization: Basic base64(username:secret)` (UTF-8), bearer_token ->
`Authorization: Bearer <secret>`, api_key -> `<header_name>: <secret>`. The values are
credentials: never log them.
"""

from __future__ import annotations

import base64

AUTHORIZATION = "Authorization"


def auth_headers(
    kind: str, secret: str, *, username: str | None = None, header_name: str | None = None
) -> dict[str, str]:
    """The header that authenticates a request with `secret` (a password, token or API
    key) by `kind` (basic_auth, bearer_token or api_key). ValueError for another kind, or
    a basic_auth without `username` or an api_key without `header_name`."""
    if kind == "basic_auth" and username is not None:
        token = base64.b64encode(f"{username}:{secret}".encode()).decode()
        return {AUTHORIZATION: f"Basic {token}"}
    if kind == "bearer_token":
        return {AUTHORIZATION: f"Bearer {secret}"}
    if kind == "api_key" and header_name:
        return {header_name: secret}
    raise ValueError(f"cannot build {kind} headers: basic_auth needs a username, api_key a header_name")
