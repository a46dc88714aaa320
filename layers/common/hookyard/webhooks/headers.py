"""Custom headers of outbound webhooks (Zendesk's rules) and authentication headers.

Custom headers (`validate_custom_headers`), as Zendesk documents them:

- only with an https endpoint;
- at most 5;
- names unique (case-insensitively: HTTP header names are), 1 to 128 characters of
  US-ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (an HTTP token);
- values at most 1,000 characters from 0x20 to 0x7E (printable US-ASCII; no CR/LF,
  so a value cannot smuggle in another header);
- not one of FORBIDDEN_NAMES, and not starting with one of FORBIDDEN_PREFIXES;
- Hookyard's addition: not one of HOOKYARD_HEADERS (the Standard Webhooks signature
  headers Hookyard sets) and not the header the webhook's authentication sets (pass it
  as `reserved`), so a custom header never replaces a signature or a credential.

Every violation is a hookyard.errors.BadRequest whose detail names the field, the
header and the rule.

Authentication (`authentication_headers`): a webhook's credentials checked, then built
by `hookyard.credentials.auth_headers`, the builder ZIS connections use too: basic_auth
-> `Authorization: Basic base64(username:password)`, bearer_token -> `Authorization:
Bearer <token>`, api_key -> `<name>: <value>`. Only `add_position` "header" exists (as in
Zendesk). The values are credentials: never log them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from hookyard import credentials
from hookyard.errors import BadRequest
from hookyard.models.webhooks import AuthType

MAX_CUSTOM_HEADERS = 5
MAX_NAME_LENGTH = 128
MAX_VALUE_LENGTH = 1000

FORBIDDEN_NAMES = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "connection",
        "content-encoding",
        "content-length",
        "content-md5",
        "content-type",
        "date",
        "expect",
        "forwarded",
        "host",
        "keep-alive",
        "max-forwards",
        "origin",
        "proxy-authenticate",
        "referer",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "via",
        "www-authenticate",
        "zendesk-api-version",
        "zendesk-ep",
    }
)
FORBIDDEN_PREFIXES = ("access-control", "x-amzn", "x-apigw", "x-datadog", "x-envoy", "x-forwarded", "x-zendesk")
HOOKYARD_HEADERS = frozenset({"webhook-id", "webhook-timestamp", "webhook-signature"})

AUTHORIZATION = credentials.AUTHORIZATION
HEADER_POSITION = "header"

_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
_VALUE = re.compile(r"^[\x20-\x7e]*$")


def validate_header_name(name: str, *, field: str = "custom_headers") -> None:
    """Raise BadRequest unless `name` may be sent as a webhook's header name: the
    characters, length, forbidden names and prefixes and Hookyard's own headers."""
    shown = _shown(name)
    if not name:
        raise BadRequest(f"{field}: a header name may not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BadRequest(f"{field}: header {shown} is longer than {MAX_NAME_LENGTH} characters")
    if not _NAME.fullmatch(name):
        raise BadRequest(
            f"{field}: header {shown} may only contain US-ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~"
        )
    lower = name.lower()
    if lower in FORBIDDEN_NAMES:
        raise BadRequest(f"{field}: header {shown} is not supported (a reserved HTTP or Zendesk header)")
    prefix = next((p for p in FORBIDDEN_PREFIXES if lower.startswith(p)), None)
    if prefix is not None:
        raise BadRequest(f"{field}: header {shown} is not supported: names may not start with {prefix!r}")
    if lower in HOOKYARD_HEADERS:
        raise BadRequest(f"{field}: header {shown} is not supported: Hookyard sets it to sign the request")


def validate_header_value(name: str, value: object, *, field: str = "custom_headers") -> None:
    """Raise BadRequest unless `value` is a string of at most 1,000 printable US-ASCII
    characters (0x20 to 0x7E)."""
    shown = _shown(name)
    if not isinstance(value, str):
        raise BadRequest(f"{field}: the value of header {shown} must be a string")
    if len(value) > MAX_VALUE_LENGTH:
        raise BadRequest(f"{field}: the value of header {shown} is longer than {MAX_VALUE_LENGTH} characters")
    if not _VALUE.fullmatch(value):
        raise BadRequest(
            f"{field}: the value of header {shown} may only contain printable US-ASCII characters (0x20 to 0x7E)"
        )


def validate_custom_headers(
    headers: Mapping[str, str] | None,
    endpoint: str,
    *,
    reserved: Iterable[str] = (),
    field: str = "custom_headers",
) -> dict[str, str]:
    """The custom headers, checked against every rule in the module docstring; raises
    BadRequest naming the header and the rule. `reserved`: header names the webhook
    sets otherwise (its authentication header). None or {} is valid for any endpoint."""
    if not headers:
        return {}
    if urlsplit(endpoint).scheme.lower() != "https":
        raise BadRequest(f"{field}: custom headers need an https endpoint")
    if len(headers) > MAX_CUSTOM_HEADERS:
        raise BadRequest(f"{field}: at most {MAX_CUSTOM_HEADERS} custom headers are allowed, got {len(headers)}")
    taken = {name.lower() for name in reserved}
    seen: set[str] = set()
    for name, value in headers.items():
        validate_header_name(name, field=field)
        lower = name.lower()
        if lower in taken:
            raise BadRequest(f"{field}: header {_shown(name)} is set by the webhook's authentication")
        if lower in seen:
            raise BadRequest(f"{field}: header {_shown(name)} is given twice (names are case-insensitive)")
        seen.add(lower)
        validate_header_value(name, value, field=field)
    return dict(headers)


def authentication_header_name(auth_type: AuthType | str, data: Mapping[str, str]) -> str:
    """The header that authentication of `auth_type` sets ("Authorization", or the API
    key's header name), e.g. to pass as `reserved` to `validate_custom_headers`."""
    if AuthType(auth_type) is AuthType.API_KEY:
        return data.get("name", "")
    return AUTHORIZATION


def authentication_headers(
    auth_type: AuthType | str,
    data: Mapping[str, str],
    add_position: str = HEADER_POSITION,
    *,
    field: str = "authentication",
) -> dict[str, str]:
    """The header that authenticates a request: basic_auth needs data {username,
    password}, bearer_token {token}, api_key {name, value}. Raises BadRequest naming the
    field for an unknown type or position, missing data, a user name with ":" (basic
    auth cannot carry it), a value that is not printable US-ASCII, or an API key header
    name the custom header rules forbid."""
    if add_position != HEADER_POSITION:
        raise BadRequest(f'{field}.add_position: only "{HEADER_POSITION}" is supported')
    try:
        kind = AuthType(auth_type)
    except ValueError:
        allowed = ", ".join(t.value for t in AuthType)
        raise BadRequest(f"{field}.type: must be one of {allowed}") from None
    if kind is AuthType.BASIC_AUTH:
        username, password = _required(data, field, "username", "password")
        if ":" in username:
            raise BadRequest(f'{field}.data.username: may not contain ":" (basic authentication cannot carry it)')
        _printable(password, f"{field}.data.password")
        _printable(username, f"{field}.data.username")
        return credentials.auth_headers(kind, password, username=username)
    if kind is AuthType.BEARER_TOKEN:
        (token,) = _required(data, field, "token")
        _printable(token, f"{field}.data.token")
        return credentials.auth_headers(kind, token)
    name, value = _required(data, field, "name", "value")
    validate_header_name(name, field=f"{field}.data.name")
    _printable(value, f"{field}.data.value")
    return credentials.auth_headers(kind, value, header_name=name)


def _required(data: Mapping[str, str], field: str, *names: str) -> list[str]:
    values = []
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise BadRequest(f"{field}.data.{name}: required")
        values.append(value)
    return values


def _printable(value: str, field: str) -> None:
    # Credentials become header values: a CR or LF would end the header early.
    if len(value) > MAX_VALUE_LENGTH or not _VALUE.fullmatch(value):
        raise BadRequest(f"{field}: must be at most {MAX_VALUE_LENGTH} printable US-ASCII characters (0x20 to 0x7E)")


def _shown(name: str) -> str:
    # Quoted and escaped (a name may hold control characters), and cut when very long.
    return json.dumps(name if len(name) <= 60 else name[:57] + "...")
