"""Cursor pagination as Zendesk's cursor-based pagination (CBP) answers it:
`page[size]`, `page[after]`, `page[before]` in; `meta {has_more, after_cursor,
before_cursor}` and `links {prev, next}` (URLs, or null) out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hookyard.dynamo import decode_cursor_token, encode_cursor_token
from hookyard.errors import BadRequest
from hookyard.models.webhooks import CursorMeta, PageLinks

AFTER, BEFORE = "page[after]", "page[before]"


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    after_cursor: str | None  # the last item's cursor
    before_cursor: str | None  # the first item's cursor
    has_next: bool  # items follow the page
    has_prev: bool  # items precede the page
    backwards: bool  # the page was asked for with page[before]

    @property
    def meta(self) -> CursorMeta:
        """has_more: more items in the direction of travel (as Zendesk's CBP)."""
        return CursorMeta(
            has_more=self.has_prev if self.backwards else self.has_next,
            after_cursor=self.after_cursor,
            before_cursor=self.before_cursor,
        )


def encode(order: str, position: Sequence[str]) -> str:
    """A cursor naming a position in one sort order (the same token as hookyard.dynamo's
    cursors; these hold the sort order and the sort key's values instead of a table key)."""
    return encode_cursor_token({"o": order, "k": list(position)})


def decode(cursor: str, order: str, parameter: str) -> list[str]:
    try:
        data = decode_cursor_token(cursor)
        position = data["k"]
        if data["o"] != order:
            raise BadRequest(f"{parameter}: the cursor belongs to another sort order")
    except (ValueError, KeyError, TypeError):
        raise BadRequest(f"{parameter}: not a cursor this API returned") from None
    if not isinstance(position, list) or not all(isinstance(p, str) for p in position):
        raise BadRequest(f"{parameter}: not a cursor this API returned")
    return position


def paginate[T](
    ordered: list[T],
    position: Callable[[T], list[str]],
    *,
    order: str,
    descending: bool,
    size: int,
    after: str | None,
    before: str | None,
) -> Page[T]:
    """A page of `ordered` (already sorted by `position`, reversed when `descending`).
    A cursor is a position, not an index, so items added or removed meanwhile do not
    shift the pages."""
    if after and before:
        raise BadRequest("page[after] and page[before] cannot be used together")

    def precedes(a: list[str], b: list[str]) -> bool:
        return a > b if descending else a < b

    keys = [position(item) for item in ordered]
    if before:
        mark = decode(before, order, BEFORE)
        end = sum(1 for k in keys if precedes(k, mark))
        start = max(0, end - size)
    else:
        start = 0
        if after:  # decoded once, and even when there are no items to compare it with
            last = decode(after, order, AFTER)
            start = sum(1 for k in keys if not precedes(last, k))
        end = min(len(ordered), start + size)
    items = ordered[start:end]
    return Page(
        items=items,
        after_cursor=encode(order, keys[end - 1]) if items else None,
        before_cursor=encode(order, keys[start]) if items else None,
        has_next=end < len(ordered),
        has_prev=start > 0,
        backwards=before is not None,
    )


def links(event: dict[str, Any], page: Page[Any]) -> PageLinks:
    """URLs of the next and previous pages (the request's own URL with the cursor
    swapped), null where there is no such page."""
    return PageLinks(
        prev=page_url(event, BEFORE, page.before_cursor) if page.has_prev and page.before_cursor else None,
        next=page_url(event, AFTER, page.after_cursor) if page.has_next and page.after_cursor else None,
    )


def page_url(event: dict[str, Any], parameter: str, cursor: str) -> str:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    host = headers.get("host") or context.get("domainName") or "localhost"
    proto = headers.get("x-forwarded-proto") or ("http" if context.get("domainName") == "localhost" else "https")
    # requestContext.path is the path the client used (with the stage on execute-api
    # URLs, with the base path on custom domains).
    path = context.get("path") or event.get("path") or "/"
    given = event.get("multiValueQueryStringParameters") or {
        name: [value] for name, value in (event.get("queryStringParameters") or {}).items()
    }
    query = [(name, value) for name, values in given.items() if name not in (AFTER, BEFORE) for value in values]
    query.append((parameter, cursor))
    return f"{proto}://{host}{path}?{urlencode(query)}"
