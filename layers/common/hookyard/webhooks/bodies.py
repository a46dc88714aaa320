"""Trigger request bodies: the Liquid template a trigger's action sends, and the request
encoding per request format and method. (The conditions that decide whether a trigger
fires are `hookyard.webhooks.triggers`: the router evaluates them without Liquid.)

`validate_template(text)` and `probe_request(text, request_format, http_method)` (save
time), `render_request(text, payload, request_format, http_method)` (delivery). Liquid
placeholders resolve like condition fields (payload fields, then the body's):
`{{ticket.id}}`, `{{detail.priority}}`, `{{id}}`. Unknown
variables render empty (as in Zendesk); syntax errors, unknown filters and the
`include` / `render` tags are refused at save time. Hookyard adds a `json` filter
(`{{ ticket.title | json }}` writes a JSON value: a string quoted and escaped).

In a JSON body (json POST, PUT, PATCH), a placeholder inside a JSON string of the
template (`"subject": "{{ticket.title}}"`) is JSON-escaped, as Zendesk does: quotes,
backslashes and newlines in the data cannot break the body. A placeholder where a JSON
value goes (`"id": {{ticket.id}}`, `{{ x | json }}`) is written as it is. Other formats
(xml, URL parameters) get placeholders as they are.

Encoding by method and request format:

- GET and DELETE: no body; the rendered text is URL parameters, sent as the query
  string: a JSON object ({"a": "1"}; a list value repeats the name), a JSON array of
  [name, value] pairs (Zendesk's form), or a query string (a=1&b=2).
- POST, PUT, PATCH with json: the rendered text, which must be valid JSON;
  xml: the rendered text as is; form_encoded: URL parameters as above, urlencoded
  into the body.
- Rendered text that is only whitespace means no body (or no parameters).
- The rendered body or parameters must be less than 256 KB (Zendesk's limit).

Render and encoding failures raise `RenderError` (a BadRequest): the API answers 400;
the delivery function records a final failed invocation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from hookyard.errors import BadRequest
from hookyard.jsonlimits import loads
from hookyard.models.webhooks import HttpMethod, RequestFormat
from hookyard.webhooks.payload import content_type

if TYPE_CHECKING:
    from liquid import BoundTemplate, Environment

MAX_BODY_BYTES = 256 * 1024

_SURROGATE = re.compile("[\ud800-\udfff]")


class RenderError(BadRequest):
    """A template that cannot be rendered, or whose result cannot be sent as configured."""


# ------------------------------------------------------------------ Liquid


# Liquid is imported on first use, not with this module: the webhooks API's cold start
# does not pay for it unless a request has a template to check.


@cache
def _env() -> Environment:
    """The environment templates are parsed in (STRICT mode: syntax errors raise;
    unknown variables render empty)."""
    from liquid import Undefined

    return _new_env(Undefined)


@cache
def _probe_env() -> Environment:
    """The save-time shape check's environment: every unknown variable renders `0`, a
    JSON value both bare (`"id": {{ticket.id}}`) and inside a string (`"{{ticket.title}}"`)."""
    from liquid import Undefined

    class Placeholder(Undefined):
        def __str__(self) -> str:
            return "0"

    return _new_env(Placeholder, undefined_json="0")


def _new_env(undefined: type[Any], undefined_json: str = "null") -> Environment:
    from liquid import Environment, is_undefined

    class _Environment(Environment):
        # Bounds on what one template may cost the delivery function: output
        # (characters), loop iterations and the size of assigned variables.
        output_stream_limit = MAX_BODY_BYTES
        loop_iteration_limit = 100_000
        local_namespace_limit = MAX_BODY_BYTES

    def json_filter(value: object) -> str:
        """`{{ x | json }}`: the value as JSON text (a string quoted and escaped)."""
        if is_undefined(value):
            return undefined_json
        return json.dumps(value, ensure_ascii=False, default=str)

    env = _Environment(undefined=undefined)
    env.filters["json"] = json_filter
    return env


_REFUSED_TAGS = ("include", "render")  # would need a template loader; there is none


def validate_template(text: str, *, field: str = "body") -> None:
    """Raise BadRequest naming `field` and the problem (with line and column) unless
    `text` is a Liquid template Hookyard can render: valid syntax, known filters, no
    include/render tags, less than 256 KB."""
    from liquid.exceptions import LiquidError

    if len(text.encode()) >= MAX_BODY_BYTES:
        raise BadRequest(f"{field}: must be less than 256 KB")
    try:
        template = _parse(text)
    except LiquidError as exc:
        raise BadRequest(f"{field}: Liquid syntax error{_where(exc)}: {exc.message}") from None
    analysis = template.analyze(include_partials=False)
    for name, spans in analysis.filters.items():
        if name not in _env().filters:
            raise BadRequest(f"{field}: unknown Liquid filter {name!r}{_at(text, spans[0].index)}")
    for name in _REFUSED_TAGS:
        if name in analysis.tags:
            raise BadRequest(f"{field}: the Liquid {name!r} tag is not supported")


def liquid_context(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a template sees: the body's fields, then the payload's (which win
    on a clash: `detail.<name>` still reaches the body's)."""
    detail = payload.get("detail")
    return {**(detail if isinstance(detail, Mapping) else {}), **payload}


def render_template(text: str, payload: Mapping[str, Any], *, json_body: bool = False) -> str:
    """`text` rendered against `payload`; raises RenderError if it cannot be. With
    `json_body`, placeholders inside the JSON strings of `text` are JSON-escaped."""
    from liquid.exceptions import LiquidError

    try:
        return _parse(text, json_body).render(**liquid_context(payload))
    except LiquidError as exc:
        raise RenderError(f"body: the Liquid template cannot be rendered{_where(exc)}: {exc.message}") from None


@dataclass(frozen=True)
class RenderedRequest:
    """What to send: `body` (None: no body), its `content_type`, and `query`, the URL
    parameters already urlencoded ("" for none; add them with `url_with_query`)."""

    body: str | None
    content_type: str | None
    query: str = ""


def render_request(
    template: str, payload: Mapping[str, Any], request_format: RequestFormat | str, http_method: HttpMethod | str
) -> RenderedRequest:
    """The request a trigger action sends: `template` rendered against `payload`, then
    encoded for the webhook's method and format (see the module docstring). Raises
    RenderError for a template that cannot render or a result that cannot be sent."""
    json_body = sends_json_body(request_format, http_method)
    return encode_request(render_template(template, payload, json_body=json_body), request_format, http_method)


def probe_request(
    template: str, request_format: RequestFormat | str, http_method: HttpMethod | str
) -> RenderedRequest | None:
    """The request `template` makes with every placeholder as 0, rendered and encoded as
    a delivery does it (the save-time check of a trigger's body); None if the template
    cannot be rendered without real data (the delivery function records why it fails).
    Raises RenderError when the result cannot be sent as configured."""
    from liquid.exceptions import LiquidError, OutputStreamLimitError, ResourceLimitError

    json_body = sends_json_body(request_format, http_method)
    try:
        parsed = _probe_env().from_string(template)
        rendered = (_mark_json_strings(parsed) if json_body else parsed).render()
    except OutputStreamLimitError:
        raise RenderError("body: the rendered body or parameters must be less than 256 KB") from None
    except ResourceLimitError as exc:  # as every delivery would
        raise RenderError(f"body: the Liquid template cannot be rendered: {exc.message}") from None
    except LiquidError:
        return None
    return encode_request(rendered, request_format, http_method)


def sends_json_body(request_format: RequestFormat | str, http_method: HttpMethod | str) -> bool:
    """Whether the rendered text is sent as a JSON body (json POST, PUT and PATCH)."""
    return RequestFormat(request_format) is RequestFormat.JSON and HttpMethod(http_method) in (
        HttpMethod.POST,
        HttpMethod.PUT,
        HttpMethod.PATCH,
    )


def encode_request(text: str, request_format: RequestFormat | str, http_method: HttpMethod | str) -> RenderedRequest:
    """Rendered text as the request for `http_method` and `request_format`; raises
    RenderError when it is 256 KB or more, or not what the format needs."""
    method, fmt = HttpMethod(http_method), RequestFormat(request_format)
    if len(text.encode()) >= MAX_BODY_BYTES:
        raise RenderError("body: the rendered body or parameters must be less than 256 KB")
    if method in (HttpMethod.GET, HttpMethod.DELETE):
        return RenderedRequest(body=None, content_type=None, query=_parameters(text))
    if fmt is RequestFormat.FORM_ENCODED:
        form = _parameters(text)
        return RenderedRequest(body=form or None, content_type=content_type(fmt) if form else None)
    if not text.strip():
        return RenderedRequest(body=None, content_type=None)
    if fmt is RequestFormat.JSON:
        try:
            loads(text, json.JSONDecoder(parse_constant=_no_constant))  # refuses deep JSON too
        except ValueError as exc:
            raise RenderError(f"body: the rendered body is not valid JSON: {exc}") from None
    return RenderedRequest(body=text, content_type=content_type(fmt))


def url_with_query(url: str, query: str) -> str:
    """`url` with urlencoded parameters appended (after its own query, if any)."""
    if not query:
        return url
    base, hash_mark, fragment = url.partition("#")
    separator = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        separator = ""
    return f"{base}{separator}{query}{hash_mark}{fragment}"


@lru_cache(maxsize=256)
def _parse(text: str, json_body: bool = False) -> BoundTemplate:
    # Deliveries render the same few templates over and over.
    template = _env().from_string(text)
    return _mark_json_strings(template) if json_body else template


def _mark_json_strings(template: BoundTemplate) -> BoundTemplate:
    """`template` with each output statement that sits inside a JSON string of its text
    escaped for that string, as Zendesk escapes placeholders in JSON payloads: a quote or
    a newline in a ticket's subject cannot break the body, while a placeholder written
    where a JSON value goes (`"id": {{ticket.id}}`, `{{ x | json }}`) is left as it is.

    Where a statement sits is read from the template's text in order, through every
    branch and loop body (Liquid tags add no characters); a capture's content is not
    output where it stands, so it is neither read nor escaped (its variable is, where it
    is output)."""
    from liquid import RenderContext
    from liquid.builtin.content import ContentNode
    from liquid.builtin.output import OutputNode
    from liquid.builtin.tags.capture_tag import CaptureNode

    static_context = RenderContext(template)
    in_string = escaped = False

    def visit(nodes: Any) -> None:
        nonlocal in_string, escaped
        for node in nodes:
            if isinstance(node, ContentNode):
                for char in node.text:
                    if not in_string:
                        in_string = char == '"'
                    elif escaped:
                        escaped = False
                    elif char == "\\":
                        escaped = True
                    elif char == '"':
                        in_string = False
            elif isinstance(node, OutputNode):  # {{ ... }} and {% echo %}
                if in_string:
                    node.expression = _in_json_string(node.expression)
            elif not isinstance(node, CaptureNode):
                visit(node.children(static_context, include_partials=False))

    visit(template.nodes)
    return template


def _in_json_string(expression: Any) -> Any:  # a liquid Expression
    """`expression`, its output escaped to stand inside a JSON string."""
    return _in_json_string_class()(expression)


@cache
def _in_json_string_class() -> type[Any]:
    from liquid.expression import Expression
    from liquid.stringify import to_liquid_string

    class InJsonString(Expression):
        __slots__ = ("inner",)

        def __init__(self, inner: Expression) -> None:
            super().__init__(inner.token)
            self.inner = inner

        def __str__(self) -> str:
            return str(self.inner)

        def evaluate(self, context: Any) -> object:
            return json_string_text(to_liquid_string(self.inner.evaluate(context), context.autoescape))

        def children(self) -> list[Expression]:
            return [self.inner]

    return InJsonString


def json_string_text(text: str) -> str:
    """`text` escaped to stand between the quotes of a JSON string (quotes, backslashes
    and control characters escaped; lone surrogates as \\u escapes, so it encodes as UTF-8)."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", escaped)


def _where(exc: Any) -> str:  # a LiquidError
    context = exc.context()
    return f" at line {context[0]}, column {context[1] + 1}" if context else ""


def _at(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f" at line {line}, column {column}"


def _no_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and receivers) do not.
    raise ValueError(f"{name} is not valid JSON")


def _parameters(text: str) -> str:
    """URL parameters from rendered text (JSON object, JSON [name, value] pairs, or a
    query string), urlencoded."""
    stripped = text.strip()
    if not stripped:
        return ""
    if stripped[0] in "{[":
        try:
            data = loads(stripped, json.JSONDecoder(parse_constant=_no_constant))
        except ValueError as exc:
            raise RenderError(f"body: the rendered parameters look like JSON but are not valid JSON: {exc}") from None
        return urlencode(_pairs(data))
    # A query string: parsed and encoded again, so what goes on the wire is well-formed
    # (a rendered space or "#" cannot break the URL).
    return urlencode(parse_qsl(stripped.removeprefix("?"), keep_blank_values=True))


def _pairs(data: Any) -> list[tuple[str, str]]:
    if isinstance(data, dict):
        pairs = []
        for name, value in data.items():
            values = value if isinstance(value, list) else [value]
            pairs += [(name, _parameter_text(v)) for v in values]
        return pairs
    if isinstance(data, list) and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in data):
        return [(p[0], _parameter_text(p[1])) for p in data]
    raise RenderError('body: URL parameters must be a JSON object, or an array of ["name", "value"] pairs')


def _parameter_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
