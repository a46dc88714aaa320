"""Reading HTTP Basic credentials, for both doors that take them: ingest (a webhook's
username and password) and the authorizer (Zendesk's `{email}/token:{api_token}`)."""

from __future__ import annotations

import base64
import binascii


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(username, password) from an Authorization header value `Basic <base64>`, the
    scheme in any case; None if it is another scheme, not base64, not UTF-8 or has no
    colon. The password keeps any further colons."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, colon, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return (username, password) if colon else None
