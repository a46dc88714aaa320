"""How deep a client's JSON may nest.

Python's json parser recurses once per nested array or object, so a body of 10,000 `[`
raises RecursionError (at about 1,000 levels on Lambda), and every later recursive walk
(pydantic, copy.deepcopy, json.dumps, JSONPath, merge patch, the flow engine) has the
same edge somewhere. So a document nested deeper than MAX_DEPTH is refused as a whole,
as it is parsed, before anything stores, publishes or walks it.

MAX_DEPTH is 64, the default of .NET's System.Text.Json and of Json.NET: real documents
sit far below it (a Zendesk event payload nests 3 levels, the ZIS tutorial bundle 8, a
production bundle 10), and at 64 a walk taking several frames per level stays far
below Python's 1,000-frame limit even when it starts deep in a call stack.

The cost is two `str.count` calls when the text has at most MAX_DEPTH opening brackets
(it cannot nest deeper; a typical webhook body), else one walk, level by level, over
the parsed containers. Deeper text never gets that far: the C parser raises
RecursionError cleanly, which is refused the same way. Measured against a text pre-scan
that skips strings, the walk costs a sixth on a 180 KB body of Zendesk events.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64

_PLAIN = json.JSONDecoder()


class NestedTooDeep(ValueError):
    """JSON nested deeper than the limit. A ValueError, as json's own decode errors are,
    so callers that refuse invalid JSON refuse this too."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nests arrays and objects more than {limit} levels deep; the limit is {limit} levels")
        self.limit = limit


def loads(text: str, decoder: json.JSONDecoder = _PLAIN, limit: int = MAX_DEPTH) -> Any:
    """`decoder.decode(text)` for text a client sent: NestedTooDeep if it nests arrays
    and objects more than `limit` deep, json.JSONDecodeError if it is not JSON."""
    try:
        value = decoder.decode(text)
    except RecursionError:
        raise NestedTooDeep(limit) from None
    if text.count("[") + text.count("{") > limit and nests_deeper(value, limit):
        raise NestedTooDeep(limit)
    return value


def nests_deeper(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a document json parsed has more than `limit` lists and dicts inside one
    another. Level by level, never recursing."""
    level = [value] if type(value) is dict or type(value) is list else []
    for _ in range(limit):
        if not level:
            return False
        deeper = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                # json makes exact dicts and lists; `type() is` is the fastest test
                if type(item) is dict or type(item) is list:
                    deeper.append(item)
        level = deeper
    return bool(level)
