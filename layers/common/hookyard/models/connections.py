"""ZIS connections (basic auth, bearer token, API key), shaped as the ZIS Connections API.

Separate models for separate jobs: `*Input` is what a client sends to create, `*Patch`
what it sends to change, `ConnectionRecord` what is stored (the secret sealed),
`*Connection` what is shown (the secret masked), and `ResolvedConnection` what the flow
runner gets (the secret open, for one request's headers).

Names are 3-64 characters of `A-Z a-z 0-9 _ -`: they sit in URL paths and in a bundle's
`connectionName`, so they need no encoding anywhere.

`allowed_domain` is a host name (`api.example.com`), an IP address (`203.0.113.7`,
`2001:db8::7` or `[2001:db8::7]`, kept without brackets) or a wildcard (`*.example.com`,
any subdomain at any depth, not the apex). A host name's last label starts with a letter,
as every top-level domain does, so `127.1`, `2130706433` and `0x7f000001` (spellings of
127.0.0.1 that resolvers accept) are refused. `base_url` is Hookyard's addition: the URL
an action's `path` is resolved against; by default `https://<allowed_domain>`.
`destination_hosts` names the hosts the registry API checks against the outbound guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from ipaddress import IPv6Address, ip_address
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hookyard import credentials
from hookyard.models.common import Model, PageMeta, Request, Timestamp

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


def _ip_literal(host: str) -> str | None:
    """The IP address `host` spells (an IPv6 one with or without brackets), in its
    canonical form; None for anything else, an IPv6 zone (`fe80::1%eth0`) included."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        return None
    return str(address)


def _allowed_domain(value: str) -> str:
    domain = _normalized_host(value)
    address = _ip_literal(domain)
    if address is not None:
        return address
    wildcard = domain.startswith("*.")
    host = domain.removeprefix("*.")
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(host) > 253 or not labels[-1][0].isalpha():
        raise _invalid("must be a host name such as api.example.com, an IP address, or *.example.com for any subdomain")
    if wildcard and len(labels) < 2:
        raise _invalid("a wildcard must cover a domain of at least two labels, such as *.example.com")
    return domain


def host_matches(host: str, allowed_domain: str) -> bool:
    """True if `host` is `allowed_domain` (IP addresses compared as addresses), or a
    subdomain of it when that is `*.<domain>`."""
    host = _normalized_host(host)
    if allowed_domain.startswith("*."):
        return host.endswith(allowed_domain[1:]) and len(host) > len(allowed_domain) - 1
    return (_ip_literal(host) or host) == allowed_domain


def destination_hosts(allowed_domain: str, base_url: str | None) -> list[tuple[str, str]]:
    """(field, host) for each host a connection names: the allowed domain (a wildcard's
    parent) and the base URL's host, for checking against the outbound guard on save."""
    hosts = [("allowed_domain", allowed_domain.removeprefix("*."))]
    if base_url is not None:
        hosts.append(("base_url", urlsplit(base_url).hostname or ""))
    return hosts


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


class ConnectionRecord(Model):
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
        if self.allowed_domain.startswith("*."):
            return None
        host = f"[{self.allowed_domain}]" if ":" in self.allowed_domain else self.allowed_domain
        return f"https://{host}"


# ------------------------------------------------------------------ responses


class _ConnectionView(Model):
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


class BasicAuthResponse(Model):
    basic_auth: BasicAuthConnection


class BearerTokenResponse(Model):
    bearer_token: BearerTokenConnection


class ApiKeyResponse(Model):
    api_key: ApiKeyConnection


ConnectionResponse = BasicAuthResponse | BearerTokenResponse | ApiKeyResponse


class ConnectionList(Model):
    """ZIS's Show Connections: an array per type and the page's `meta`. A page holds up to
    page[size] connections of all types together, in name order; page[after] goes on
    after the last name of the page before."""

    api_key: list[ApiKeyConnection]
    basic_auth: list[BasicAuthConnection]
    bearer_token: list[BearerTokenConnection]
    oauth: list[dict[str, Any]] = Field(
        default_factory=list, description="OAuth connections are not implemented: always empty"
    )
    meta: PageMeta


def connection_list(records: list[ConnectionRecord], meta: PageMeta) -> ConnectionList:
    """One page of connections, split into ZIS's arrays per type (each in name order)."""
    views = [connection_view(r) for r in records]
    return ConnectionList(
        api_key=[v for v in views if isinstance(v, ApiKeyConnection)],
        basic_auth=[v for v in views if isinstance(v, BasicAuthConnection)],
        bearer_token=[v for v in views if isinstance(v, BearerTokenConnection)],
        meta=meta,
    )


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
        return credentials.auth_headers(self.type, self.secret, username=self.username, header_name=self.header_name)

    def allows(self, url: str) -> bool:
        """True if this connection's credentials may be sent to `url` (see `refusal`)."""
        return self.refusal(url) is None

    def refusal(self, url: str) -> str | None:
        """Why this connection's credentials may not be sent to `url`, or None if they may:
        its host must match allowed_domain, it may carry no credentials of its own, and it
        must be https (or http when the owner gave an http:// base_url)."""
        # Userinfo, backslashes and whitespace are where parsers disagree about the host.
        # Neither answer repeats the URL: it may hold a password or a control character.
        if "\\" in url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
            return "the URL has a backslash, whitespace or a control character in it, which parsers read differently"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - an invalid port raises
        except ValueError:
            return f"{url} is not a valid URL"
        if parts.scheme not in ("https", "http") or not parts.hostname:
            hint = f" (connection {self.name} has no base_url: give the action a full url)" if not self.base_url else ""
            return f"{url} is not an http(s) URL{hint}"
        if "@" in parts.netloc:
            return f"the URL has credentials (user@host) in it; connection {self.name} supplies its own"
        if not host_matches(parts.hostname, self.allowed_domain):
            return f"{url} is outside connection {self.name}'s allowed domain {self.allowed_domain}"
        if parts.scheme == "http" and not self.insecure_http:
            return (
                f"{url} is http, and connection {self.name} sends its credentials over https only; "
                "to call http, give the connection an http:// base_url"
            )
        return None
