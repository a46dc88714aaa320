"""The `Retry-After` response header, read in one place for every outbound caller
(webhook deliveries, flow actions).

    retry_after_seconds(value, now) -> float | None

RFC 9110 section 10.2.3: the value is delay-seconds (ASCII digits: "120") or an HTTP
date ("Wed, 21 Oct 2026 07:28:00 GMT"). A date is read against `now`, the moment the
response arrived; a date without a zone is UTC (HTTP dates always are), and a date in the
past is 0. Anything else (absent, empty, negative, fractional, unparseable, or a date
with no `now` to read it against) is None: the caller treats it as if there were no
header. The result is never negative and never NaN; it can be `inf` for an absurdly
long digit string, so callers cap it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds, or None when it asks for
    nothing readable (see the module docstring)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    # isdigit alone also takes other scripts' digits and superscripts ("²"), which
    # float() then rejects: delay-seconds is ASCII digits only.
    if text.isascii() and text.isdigit():
        return float(text)
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    current = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    return max(0.0, (when - current).total_seconds())
