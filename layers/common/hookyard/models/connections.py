"""ZIS connections (basic auth, bearer token, API key), shaped as the ZIS Connections API.

Separate models for separate jobs: `*Input` is what a client sends to create, `*Patch`
what it sends to change, `ConnectionRecord` what is stored (the secret sealed),
`*Connection` what is shown (the secret masked), and `ResolvedConnection` what the flow
runner gets (the secret open, for one request's headers).

Names are 3-64 characters of `A-Z a-z 0-9 _ -`: they sit in URL paths and in a bundle's
`connectionName`, so they need no encoding anywhere.

`allowed_domain` is a host name (`api.example.com`) or a wildcard (`*.example.com`, any
subdomain at any depth, not the apex). `base_url` is Hookyard's addition: the URL an
action's `path` is resolved against; by default `https://<allowed_domain>`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from ipaddress import ip_address
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hookyard.models.common import PageMeta, Request, Timestamp

MASK = "*****"
NAME_PATTERN = r"^[A-Za-z0-9_-]{3,64}$"
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$"
# Headers the HTTP client or the connection itself owns; a key in one of them would
# break the request rather than authenticate it.
RESERVED_HEADERS = frozenset({"host", "content-length", "content-type", "transfer-encoding", "connection"})


class ConnectionType(StrEnum):
    BASIC_AUTH = "basic_auth"
    BEARER_TOKEN = "bearer_token"  # noqa: S105 - a type name, not a secret
    API_KEY = "api_key"


# ------------------------------------------------------------------ domains


def _normalized_host(host: str) -> str:
    return host.lower().removesuffix(".")


def _invalid(message: str) -> PydanticCustomError:
    # A custom error keeps pydantic's "Value error, " prefix out of the answer.
    return PydanticCustomError("value_error", message)


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def _allowed_domain(value: str) -> str:
    domain = _normalized_host(value)
    wildcard = domain.startswith("*.")
    host = domain.removeprefix("*.")
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(host) > 253:
        raise _invalid("must be a host name such as api.example.com, or *.example.com for any subdomain")
    if wildcard and (len(labels) < 2 or _is_ip(host)):
        raise _invalid("a wildcard must cover a domain of at least two labels, such as *.example.com")
    return domain


def host_matches(host: str, allowed_domain: str) -> bool:
    """True if `host` is `allowed_domain`, or a subdomain of it when that is `*.<domain>`."""
    host = _normalized_host(host)
    if allowed_domain.startswith("*."):
        return host.endswith(allowed_domain[1:]) and len(host) > len(allowed_domain) - 1
    return host == allowed_domain


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http"):
        raise _invalid("must be an https:// (or explicitly http://) URL")
    if not parts.hostname or "@" in parts.netloc or "\\" in value:
        raise _invalid("must name a host, without credentials")
    if parts.query or parts.fragment:
        raise _invalid("must not have a query or a fragment")
    try:
        parts.port  # noqa: B018 - parsing is the check: an out-of-range port raises
    except ValueError:
        raise _invalid("has an invalid port") from None
    return value


ConnectionName = Annotated[
    str, StringConstraints(pattern=NAME_PATTERN), Field(description="3-64 characters: letters, digits, _ and -")
]
AllowedDomain = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(_allowed_domain),
    Field(description="The host the connection's credentials may be sent to; *.example.com for any subdomain"),
]
BaseUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$"),
    AfterValidator(_base_url),
    Field(
        description="Hookyard's addition: what an action's path is resolved against. Its host must satisfy "
        "allowed_domain. Default https://<allowed_domain>; http only if given here."
    ),
]
# Credentials are kept exactly as given (`Request` strips other strings): a space at either
# end of a password or key is part of it. RFC 7617: a basic auth user-id has no colon.
Username = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=1, max_length=255, pattern=r"^[\x20-\x39\x3b-\x7e]+$")
]
Password = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=1, max_length=1024, pattern=r"^[\x20-\x7e]+$")
]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$")]
ApiKey = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=1, max_length=1024, pattern=r"^[\x20-\x7e]+$")
]


def _header_name(value: str) -> str:
    if value.lower() in RESERVED_HEADERS:
        raise _invalid(f"{value} is set by the HTTP client and cannot carry a key")
    return value


HeaderName = Annotated[str, StringConstraints(pattern=_HEADER_NAME), AfterValidator(_header_name)]


def base_url_allowed(base_url: str | None, allowed_domain: str) -> bool:
    """False for a base URL whose host the connection's domain does not allow."""
    return base_url is None or host_matches(urlsplit(base_url).hostname or "", allowed_domain)


# ------------------------------------------------------------------ requests


class _ConnectionInput(Request):
    name: ConnectionName
    allowed_domain: AllowedDomain
    base_url: BaseUrl | None = None


class BasicAuthInput(_ConnectionInput):
    username: Username
    password: Password


class BearerTokenInput(_ConnectionInput):
    token: Token


class ApiKeyInput(_ConnectionInput):
    header_name: HeaderName
    api_key: ApiKey


ConnectionInput = BasicAuthInput | BearerTokenInput | ApiKeyInput


class _ConnectionPatch(Request):
    """Fields given replace the stored ones; `base_url: null` goes back to the default."""

    allowed_domain: AllowedDomain | None = None
    base_url: BaseUrl | None = None


class BasicAuthPatch(_ConnectionPatch):
    username: Username | None = None
    password: Password | None = None


class BearerTokenPatch(_ConnectionPatch):
    token: Token | None = None


class ApiKeyPatch(_ConnectionPatch):
    header_name: HeaderName | None = None
    api_key: ApiKey | None = None


ConnectionPatch = BasicAuthPatch | BearerTokenPatch | ApiKeyPatch


# ------------------------------------------------------------------ stored


class ConnectionRecord(BaseModel):
    """A connection as stored: its secret (password, token or API key) only sealed."""

    account_id: int
    integration: str
    name: str
    type: ConnectionType
    allowed_domain: str
    base_url: str | None = None  # only when given; None means the default
    username: str | None = None  # basic_auth
    header_name: str | None = None  # api_key
    secret_sealed: str
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def effective_base_url(self) -> str | None:
        """The given base URL, else https://<allowed_domain> (none for a wildcard domain)."""
        if self.base_url is not None:
            return self.base_url
        return None if self.allowed_domain.startswith("*.") else f"https://{self.allowed_domain}"


# ------------------------------------------------------------------ responses


class _ConnectionView(BaseModel):
    name: str
    allowed_domain: str
    base_url: str | None = Field(
        description="Where an action's path is resolved; null for a wildcard domain "
        "without one (actions then give a full url)"
    )
    created_at: Timestamp
    updated_at: Timestamp


class BasicAuthConnection(_ConnectionView):
    type: Literal[ConnectionType.BASIC_AUTH] = ConnectionType.BASIC_AUTH
    username: str
    password: str = Field(default=MASK, description="Always masked")


class BearerTokenConnection(_ConnectionView):
    type: Literal[ConnectionType.BEARER_TOKEN] = ConnectionType.BEARER_TOKEN
    token: str = Field(default=MASK, description="Always masked")


class ApiKeyConnection(_ConnectionView):
    type: Literal[ConnectionType.API_KEY] = ConnectionType.API_KEY
    header_name: str
    api_key: str = Field(default=MASK, description="Always masked")


Connection = Annotated[BasicAuthConnection | BearerTokenConnection | ApiKeyConnection, Field(discriminator="type")]


class BasicAuthResponse(BaseModel):
    basic_auth: BasicAuthConnection


class BearerTokenResponse(BaseModel):
    bearer_token: BearerTokenConnection


class ApiKeyResponse(BaseModel):
    api_key: ApiKeyConnection


ConnectionResponse = BasicAuthResponse | BearerTokenResponse | ApiKeyResponse


class ConnectionList(BaseModel):
    connections: list[Connection]
    meta: PageMeta


def connection_view(record: ConnectionRecord) -> BasicAuthConnection | BearerTokenConnection | ApiKeyConnection:
    common = {
        "name": record.name,
        "allowed_domain": record.allowed_domain,
        "base_url": record.effective_base_url,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
    if record.type is ConnectionType.BASIC_AUTH:
        return BasicAuthConnection(**common, username=record.username or "")
    if record.type is ConnectionType.BEARER_TOKEN:
        return BearerTokenConnection(**common)
    return ApiKeyConnection(**common, header_name=record.header_name or "")


def connection_response(record: ConnectionRecord) -> ConnectionResponse:
    """`{"<type>": {...}}`, as ZIS answers a single connection."""
    view = connection_view(record)
    if isinstance(view, BasicAuthConnection):
        return BasicAuthResponse(basic_auth=view)
    if isinstance(view, BearerTokenConnection):
        return BearerTokenResponse(bearer_token=view)
    return ApiKeyResponse(api_key=view)


# ------------------------------------------------------------------ runtime


@dataclass(frozen=True)
class ResolvedConnection:
    """A connection with its secret open, for the flow runner's HTTP actions. The secret
    is left out of `repr`, so logging this object never shows it."""

    name: str
    type: ConnectionType
    allowed_domain: str
    base_url: str  # "" for a wildcard domain without a base_url: actions must then give a full url
    username: str | None = None
    header_name: str | None = None
    secret: str = field(default="", repr=False)
    insecure_http: bool = False  # the owner gave an http:// base_url

    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate a request with this connection."""
        if self.type is ConnectionType.BASIC_AUTH:
            pair = f"{self.username}:{self.secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self.type is ConnectionType.BEARER_TOKEN:
            return {"Authorization": f"Bearer {self.secret}"}
        return {str(self.header_name): self.secret}

    def allows(self, url: str) -> bool:
        """True if this connection's credentials may be sent to `url`: its host matches
        allowed_domain, it carries no credentials of its own, and it is https (or http
        when the owner chose an http base_url)."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - an invalid port raises
        except ValueError:
            return False
        schemes = ("https", "http") if self.insecure_http else ("https",)
        if parts.scheme not in schemes or not parts.hostname:
            return False
        # Userinfo and backslashes are where parsers disagree about the host; refuse both.
        if "@" in parts.netloc or "\\" in url or any(c.isspace() or ord(c) < 0x20 for c in url):
            return False
        return host_matches(parts.hostname, self.allowed_domain)
