"""JSONPath, ResultPath and `{{$.path}}` placeholders: how a ZIS flow reads and writes its data.

Paths are parsed with jsonpath-ng (once per distinct text: `compile_path` is cached) and
must start with `$`. Plain reference paths are then evaluated by walking their field
names and indexes through the data (no jsonpath-ng on the hot path).

- `read_path(data, path)`: the value at a path. A plain reference path (`$`, `$.a.b`,
  `$.a[0]`, `$['a b']`) gives one value, or raises `PathNotFound` when any step is
  missing. Any other path (wildcards, slices, filters, `..`) gives the list of its matches.
- `lookup(data, path) -> (found, value)`: the same without raising; `find(data, path)`
  gives the value or NOT_FOUND (Choice rules use it).
- `write_result_path(data, result_path, value)`: the data a state passes on. `$` replaces
  everything with `value`; `$.a.b` sets that field, creating missing objects on the way;
  None (JSON null) discards `value`. Copy on write: `data` itself is never changed, so a
  state never alters a value that an earlier state (or a step record) still holds.
- `render_template(text, data)`: replaces each `{{$.path}}` in a string. A string value is
  inserted as is; any other value as its compact JSON text (`7`, `true`, `null`,
  `{"a":1}`). The result is always a string, even when the text is exactly one
  placeholder (`"{{$.id}}"` with id 7 gives `"7"`): Zendesk-bound bodies such as
  `"caseNumber": "{{$.ticket_id}}"` keep their string type. Use a `.$` key for a typed value.
- `resolve_dynamic(value, data)`: the value of a `.$` key: a JSONPath (`"$.a"`, any JSON
  value) or a string with placeholders (`"scope:{{$.id}}"`, a string).
- `resolve_parameters(node, data)`: a state's Parameters: every key ending in `.$`
  anywhere in the tree is resolved and loses its suffix; other values stay literal.

The `check_*` functions give the problem with a text (None when fine) for upload-time
validation; they accept exactly what the functions above can evaluate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonpath_ng.jsonpath import Child, Fields, Index, Root, This
from jsonpath_ng.parser import parse as _parse_jsonpath

Segment = str | int

PLACEHOLDER = re.compile(r"\{\{\s*(\$[^{}]*?)\s*\}\}")
INTRINSIC = re.compile(r"^\s*States\.[A-Za-z0-9]+\s*\(")
DYNAMIC_SUFFIX = ".$"
_DYNAMIC_CUT = -len(DYNAMIC_SUFFIX)


class PathError(ValueError):
    """A path that could not be evaluated against the data at hand."""


class PathNotFound(PathError):
    pass


class InvalidPath(PathError):
    """Text that is not a JSONPath this engine evaluates (validation keeps it out of
    definitions; at run time it is a path error like any other)."""


@dataclass(frozen=True)
class JsonPath:
    text: str
    # Field names and list indexes of a plain reference path; None when the path can
    # match several values (wildcards, slices, filters, descendants).
    segments: tuple[Segment, ...] | None
    expression: Any


@lru_cache(maxsize=4096)
def compile_path(text: str) -> JsonPath:
    """The parsed path, cached. Raises InvalidPath for text that does not start with `$`
    or that jsonpath-ng cannot parse."""
    if not text.startswith("$"):
        raise InvalidPath(f"{text!r} is not a JSONPath (it must start with $)")
    try:
        expression = _parse_jsonpath(text)
    except Exception as exc:  # jsonpath-ng raises several unrelated types for bad text
        raise InvalidPath(f"{text!r} is not a valid JSONPath ({exc})") from None
    return JsonPath(text, _segments(expression), expression)


def _segments(node: Any) -> tuple[Segment, ...] | None:
    if isinstance(node, Root | This):
        return ()
    if isinstance(node, Child):
        left, right = _segments(node.left), _segments(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, Fields) and len(node.fields) == 1 and node.fields[0] != "*":
        return (str(node.fields[0]),)
    if isinstance(node, Index) and len(node.indices) == 1:
        return (int(node.indices[0]),)
    return None


def check_path(text: Any, *, plain: bool = False) -> str | None:
    """None if `text` is a JSONPath we evaluate (a plain reference path when `plain`)."""
    if not isinstance(text, str):
        return "must be a JSONPath string starting with $"
    try:
        path = compile_path(text)
    except InvalidPath as exc:
        return str(exc)
    if plain and path.segments is None:
        return f"{text!r} must be a plain reference path like $.result (no wildcards, slices or filters)"
    return None


class _NotFound:
    def __repr__(self) -> str:
        return "NOT_FOUND"


NOT_FOUND: Any = _NotFound()  # what `find` answers for a path that leads nowhere
_SEGMENTS_CACHE_SIZE = 4096
_segments_cache: dict[str, tuple[Segment, ...] | None] = {}


def _plain_segments(text: str) -> tuple[Segment, ...] | None:
    """`compile_path(text).segments`, from a plain dict (cheaper than the lru_cache)."""
    try:
        return _segments_cache[text]
    except KeyError:
        pass
    segments = compile_path(text).segments  # raises InvalidPath: not cached
    if len(_segments_cache) >= _SEGMENTS_CACHE_SIZE:
        _segments_cache.clear()
    _segments_cache[text] = segments
    return segments


def _walk(value: Any, segments: tuple[Segment, ...]) -> Any:
    """The value at a plain path's segments, or NOT_FOUND when any step is missing: a
    field of an object (a dict), an index of an array (a list, negative from its end)."""
    current = value
    try:
        for segment in segments:
            if type(current) is not dict or type(segment) is not str:
                return _walk_any(value, segments)  # the usual case is fields of plain dicts
            current = current[segment]  # a plain dict has no __missing__
    except KeyError:
        return NOT_FOUND
    return current


def _walk_any(value: Any, segments: tuple[Segment, ...]) -> Any:
    """_walk for any data: dict subclasses, list indexes, and what a path cannot enter."""
    for segment in segments:
        if isinstance(segment, str):
            if not isinstance(value, dict) or segment not in value:
                return NOT_FOUND
            value = value[segment]
        elif isinstance(value, list) and -len(value) <= segment < len(value):
            value = value[segment]
        else:
            return NOT_FOUND
    return value


def find(data: Any, path: str) -> Any:
    """The value at `path`, or NOT_FOUND: `lookup` as one value, for hot paths. A path
    that can match several values gives the list of its matches (NOT_FOUND for none)."""
    segments = _segments_cache.get(path, NOT_FOUND)
    if segments is NOT_FOUND:
        segments = _plain_segments(path)
    if segments is None:
        matches = [match.value for match in compile_path(path).expression.find(data)]
        return matches if matches else NOT_FOUND
    value = data
    try:  # _walk's fast path, inlined: Choice rules read through here
        for segment in segments:
            if type(value) is not dict or type(segment) is not str:
                return _walk_any(data, segments)
            value = value[segment]
    except KeyError:
        return NOT_FOUND
    return value


def lookup(data: Any, path: str) -> tuple[bool, Any]:
    """(True, value) if the path leads somewhere in `data`, else (False, None). A path
    that can match several values is found when it matches at least one, and its value
    is the list of matches."""
    segments = _segments_cache.get(path, NOT_FOUND)
    if segments is NOT_FOUND:
        segments = _plain_segments(path)
    if segments is None:
        matches = [match.value for match in compile_path(path).expression.find(data)]
        return bool(matches), matches
    value = _walk(data, segments)
    if value is NOT_FOUND:
        return False, None
    return True, value


def read_path(data: Any, path: str) -> Any:
    """The value at `path`; raises PathNotFound for a plain path that leads nowhere.
    A path that can match several values gives the (possibly empty) list of matches."""
    segments = _segments_cache.get(path, NOT_FOUND)
    if segments is NOT_FOUND:
        segments = _plain_segments(path)
    if segments is None:
        return [match.value for match in compile_path(path).expression.find(data)]
    value = _walk(data, segments)
    if value is NOT_FOUND:
        raise PathNotFound(f"{path} was not found in the data")
    return value


def write_result_path(data: Any, result_path: str | None, value: Any) -> Any:
    """`data` with `value` stored at `result_path` (a plain reference path, or None to
    discard `value`). Returns new containers along the path; never changes `data`."""
    if result_path is None:
        return data
    segments = _segments_cache.get(result_path, NOT_FOUND)
    if segments is NOT_FOUND:
        segments = _plain_segments(result_path)
    if segments is None:
        raise PathError(f"ResultPath {result_path} must be a plain reference path")
    if not segments:
        return value
    return _with(data, segments, 0, value, result_path)


def _with(node: Any, segments: tuple[Segment, ...], index: int, value: Any, result_path: str) -> Any:
    """`node` with `value` at `segments[index:]` (not empty), new containers on the way."""
    head = segments[index]
    index += 1
    if isinstance(head, str):
        if node is None:
            node = {}
        elif not isinstance(node, dict):
            raise PathError(f"ResultPath {result_path}: cannot set field {head!r} on a {_kind(node)}")
        copy = dict(node)
        copy[head] = value if index == len(segments) else _with(node.get(head), segments, index, value, result_path)
        return copy
    if not isinstance(node, list) or not -len(node) <= head < len(node):
        raise PathError(f"ResultPath {result_path}: index {head} is not in an existing array")
    items = list(node)
    items[head] = value if index == len(segments) else _with(node[head], segments, index, value, result_path)
    return items


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "value"


# ------------------------------------------------------------------ placeholders


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[str | JsonPath, ...]:
    """Literal text and compiled paths, alternating as they appear in `text`."""
    parts: list[str | JsonPath] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(compile_path(match.group(1)))
        position = match.end()
    parts.append(text[position:])
    return tuple(part for part in parts if part != "")


def has_placeholders(text: str) -> bool:
    return "{{" in text and PLACEHOLDER.search(text) is not None


def check_template(text: str) -> str | None:
    """None if every placeholder in `text` holds a JSONPath we evaluate."""
    for match in PLACEHOLDER.finditer(text):
        problem = check_path(match.group(1))
        if problem:
            return f"placeholder {match.group(0)}: {problem}"
    return None


def as_text(value: Any) -> str:
    """How a placeholder shows a value: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_template(text: str, data: Any, *, strict: bool = True, escape: Callable[[str], str] | None = None) -> str:
    """`text` with each `{{$.path}}` replaced by the value at that path (see the module
    docstring). A missing path raises PathNotFound when `strict`; otherwise the
    placeholder stays as written (for log messages, which should never fail a flow).
    `escape` is applied to each inserted value (URL encoding for urls and paths)."""
    if "{{" not in text:
        return text
    pieces: list[str] = []
    for part in _template(text):
        if isinstance(part, str):
            pieces.append(part)
            continue
        if part.segments is not None:
            value = _walk(data, part.segments)
        else:
            found, value = lookup(data, part.text)
            if not found:
                value = NOT_FOUND
        if value is NOT_FOUND:
            if strict:
                raise PathNotFound(f"placeholder {{{{{part.text}}}}}: {part.text} was not found in the data")
            pieces.append("{{" + part.text + "}}")
            continue
        shown = as_text(value)
        pieces.append(escape(shown) if escape else shown)
    return "".join(pieces)


# ------------------------------------------------------------------ `.$` values


def check_dynamic(value: Any) -> str | None:
    """None if `value` is a valid `.$` value: a JSONPath, or a string with placeholders."""
    if not isinstance(value, str):
        return "a key ending in .$ needs a string value: a JSONPath or a string with {{$.path}} placeholders"
    if INTRINSIC.match(value):
        return f"intrinsic functions are not supported: {value}"
    if has_placeholders(value):
        return check_template(value)
    if value.startswith("$"):
        return check_path(value)
    return f"{value!r} is neither a JSONPath (starting with $) nor a string with {{{{$.path}}}} placeholders"


def resolve_dynamic(value: str, data: Any, *, escape: Callable[[str], str] | None = None) -> Any:
    """The value of a `.$` key (validated with check_dynamic)."""
    if has_placeholders(value):
        return render_template(value, data, escape=escape)
    return read_path(data, value)


def check_parameters(node: Any, path: str, add: Callable[[str, str], None], *, templates: bool = False) -> None:
    """Reports (path, message) for every bad `.$` value in a Parameters-like tree. With
    `templates`, plain strings are checked as placeholder templates too (request bodies)."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = child_path(path, key)
            if key.endswith(DYNAMIC_SUFFIX):
                problem = check_dynamic(value)
                if problem:
                    add(where, problem)
            else:
                check_parameters(value, where, add, templates=templates)
    elif isinstance(node, list):
        for position, value in enumerate(node):
            check_parameters(value, f"{path}[{position}]", add, templates=templates)
    elif templates and isinstance(node, str):
        problem = check_template(node)
        if problem:
            add(path, problem)


_dynamic_names: dict[str, str | None] = {}  # Parameters key -> its name without `.$`, or None


def _dynamic_name(key: str) -> str | None:
    name = key[:_DYNAMIC_CUT] if key.endswith(DYNAMIC_SUFFIX) else None
    if len(_dynamic_names) >= _SEGMENTS_CACHE_SIZE:
        _dynamic_names.clear()
    _dynamic_names[key] = name
    return name


def resolve_parameters(node: Any, data: Any, *, templates: bool = False) -> Any:
    """A Parameters tree evaluated against `data`: `key.$` entries become `key` with the
    resolved value, at any depth and inside arrays. With `templates`, placeholders in
    plain strings are rendered too (ZIS does this in an HTTP action's requestBody, not in
    a state's Parameters). Literal values are shared with the definition, not copied."""
    if isinstance(node, dict):
        resolved: dict[str, Any] = {}
        for key, value in node.items():
            kind = type(value)
            if kind is str or (kind is not int and isinstance(value, str)):
                name = _dynamic_names.get(key, NOT_FOUND)
                if name is NOT_FOUND:
                    name = _dynamic_name(key)
                if name is None:
                    resolved[key] = render_template(value, data) if templates else value
                    continue
                # resolve_dynamic, a plain path's read inlined (the common case)
                segments = _segments_cache.get(value) if "{{" not in value else None
                if segments is None:
                    resolved[name] = resolve_dynamic(value, data)
                    continue
                found = data
                try:  # _walk's fast path, inlined: this is the flow engine's hottest read
                    for segment in segments:
                        if type(found) is not dict or type(segment) is not str:
                            found = _walk_any(data, segments)
                            break
                        found = found[segment]
                except KeyError:
                    found = NOT_FOUND
                if found is NOT_FOUND:
                    raise PathNotFound(f"{value} was not found in the data")
                resolved[name] = found
            elif kind is dict or kind is list or isinstance(value, (dict, list)):
                resolved[key] = resolve_parameters(value, data, templates=templates)
            else:
                resolved[key] = value
        return resolved
    if isinstance(node, list):
        return [resolve_parameters(value, data, templates=templates) for value in node]
    if templates and isinstance(node, str):
        return render_template(node, data)
    return node


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child_path(path: str, key: str) -> str:
    """`$.a` + `b` -> `$.a.b`; keys that are not identifiers use brackets: `$.a["b.c"]`."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"
