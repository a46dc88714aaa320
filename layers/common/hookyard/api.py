"""API plumbing shared by the management APIs: the resolver, OpenAPI and Swagger UI,
errors mapped to HTTP by type in one place, the caller's account, and paging.

How a route documents its answers (the rest of each document is made here, see
`DocumentedResolver`): `summary=` and one of `TAGS` in `tags=`; the success answer in
`responses=` when it is not a bare 200 (`{201: {"description": "Created"}}`; a body-less
answer other than 204 says `"content": {}`); and each error the route itself causes, by
status and reason (`{409: {"description": "The name is taken"}}`): the API's error body
is filled in. 400, 401, 403, 404 and 503 are added where they apply.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import BaseModel

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

from hookyard.errors import (
    BadRequest,
    HookyardError,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from hookyard.errors import ErrorStyle as ErrorStyle  # re-exported: the APIs name both from here
from hookyard.errors import error_body as error_body
from hookyard.jsonlimits import NestedTooDeep
from hookyard.jsonlimits import loads as json_loads
from hookyard.models.common import V2Errors, ZisErrors

JSON = "application/json"
_READ_AS_JSON = frozenset({JSON, "application/x-www-form-urlencoded"})
_SLASHES = re.compile("/{2,}")


def error_response(style: ErrorStyle, error: HookyardError | Sequence[HookyardError]) -> Response[str]:
    first = error if isinstance(error, HookyardError) else error[0]
    headers: dict[str, str] = {}
    if isinstance(first, ServiceUnavailable):
        headers["Retry-After"] = str(first.retry_after)
    return Response(
        status_code=first.status,
        content_type=JSON,
        body=json.dumps(error_body(style, error)),
        headers=headers,
    )


def describe_validation_error(error: dict[str, Any]) -> str:
    """'event_type: String should have at most 128 characters' from a pydantic error."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    msg = str(error.get("msg", "is invalid"))
    if error.get("type") == "json_invalid":
        return "request body is not valid JSON"
    if error.get("type") == "extra_forbidden":
        msg = "is not a known field"
    if error.get("type") == "missing" and not loc:
        return "request body is required"
    return f"{'.'.join(loc)}: {msg}" if loc else msg


def request_json(text: str) -> Any:
    """The request body as JSON, for the resolver: every route's body is parsed here.
    Nesting past jsonlimits.MAX_DEPTH is a 400 before the parser recurses; text that is
    not JSON raises json.JSONDecodeError, which the resolver reports as invalid."""
    try:
        return json_loads(text)
    except NestedTooDeep as exc:
        raise BadRequest(f"request body {exc}") from None


# The resources the documents group their operations by (Swagger UI's sections), in order.
TAGS: dict[str, str] = {
    "Webhooks": "Outbound webhooks: where events are sent, signed and authenticated",
    "Triggers": "Conditions on events whose actions notify trigger-connected webhooks",
    "Invocations": "Each delivery of an event to a webhook, its attempts, redelivery and recovery",
    "Inbound webhooks": "URLs with basic auth that turn HTTP requests into events",
    "Zendesk sources": "URLs a Zendesk webhook calls, signed by Zendesk: its events become ZIS events",
    "Integrations": "A ZIS integration: the namespace of its bundles, connections and configs",
    "Bundles": "ZIS bundles: flows, actions and job specs",
    "Job specs": "Which event starts which flow; installed job specs run",
    "Connections": "Credentials that a bundle's HTTP actions name",
    "Configs": "JSON objects per scope that flows load and patch",
    "Logs": "What flows logged, newest first",
    "Executions": "One flow run, state by state",
    "Accounts": "Accounts (operator only)",
    "Tokens": "An account's API tokens (operator only)",
    "Health": "Whether the API answers",
}

ERROR_MODELS: dict[ErrorStyle, type[BaseModel]] = {ErrorStyle.ZIS: ZisErrors, ErrorStyle.V2: V2Errors}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
RETRY_AFTER_HEADER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}

# What an operation answers without declaring it (when, see _complete_operation), by
# status: the name of its shared description in the document's components, and the text.
IMPLIED_ANSWERS: dict[str, tuple[str, str]] = {
    "400": ("InvalidInput", "Invalid input: each error names the parameter, field or limit"),
    "401": ("Unauthorized", "No token, or one that is unknown or revoked"),
    "403": (
        "Forbidden",
        "This token may not use this route: the operator token is for /api/admin, API tokens the rest",
    ),
    "404": ("NotFound", "Not found (another account's records are not found either)"),
    "415": ("UnsupportedMediaType", "The body is not JSON: its Content-Type is not application/json"),
    "429": ("Throttled", "Too many requests: API Gateway's throttle answers, with its own body"),
    "503": ("ServiceUnavailable", "Storage is busy: retry after Retry-After seconds"),
}
# API Gateway's own answers (throttling) have this body, not an API's error body.
GATEWAY_MESSAGE = {
    "type": "object",
    "properties": {"message": {"type": "string", "examples": ["Too Many Requests"]}},
    "required": ["message"],
}


class JsonBodiesOnly(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading JSON bodies only. It would parse form and
    multipart bodies into fields itself (and a multipart label without a boundary raises
    ValueError, a 500); to these APIs any label but JSON's is a 415."""

    def _get_body(self, app: Any) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip()
        if content_type and not content_type.startswith(JSON):
            raise RequestUnsupportedContentType("Unsupported content type", errors=[])
        body: dict[str, Any] = super()._get_body(app)
        return body


class DocumentedResolver(APIGatewayRestResolver):
    """A resolver whose OpenAPI document says what the API answers, beyond what Powertools
    generates: validation errors as the 400 they are (not Powertools' 422), every error with
    the API's error body, answers without a body without one, open routes (`security=[]`)
    without a lock, each handler's docstring as its operation's description, the tags in use
    described, and `extra_paths`: operations another function serves under this API."""

    def __init__(self, *, style: ErrorStyle, extra_paths: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self._enable_validation:
            self._request_validation_middleware = JsonBodiesOnly()  # type: ignore[no-untyped-call]
        self.error_style = style
        self.extra_paths = dict(extra_paths or {})

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI  # see swagger_on_first_request

        generated = super().get_openapi_schema(**kwargs)
        document = generated.model_dump(mode="json", by_alias=True, exclude_none=True)
        return OpenAPI.model_validate(self._completed(document))

    def _completed(self, document: dict[str, Any]) -> dict[str, Any]:
        model = ERROR_MODELS[self.error_style]
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):  # Powertools' 422s
            schemas.pop(unused, None)
        error_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_schema.pop("$defs", {}))
        schemas[model.__name__] = error_schema
        error_content = {JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
        schemas["GatewayMessage"] = GATEWAY_MESSAGE
        components["responses"] = {
            name: {"description": description, "content": error_content}
            for name, description in IMPLIED_ANSWERS.values()
        }
        components["responses"]["Throttled"]["content"] = {
            JSON: {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}
        }
        components["responses"]["ServiceUnavailable"]["headers"] = {"Retry-After": RETRY_AFTER_HEADER}

        routes = {(r.openapi_path, r.method.lower()): r for r in self._static_routes + self._dynamic_routes}
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if method in HTTP_METHODS:
                    _complete_operation(path, operation, routes.get((path, method)), error_content)
        document.setdefault("paths", {}).update(self.extra_paths)

        used = {tag for item in document["paths"].values() for op in item.values() for tag in op.get("tags", ())}
        document["tags"] = [{"name": name, "description": text} for name, text in TAGS.items() if name in used]
        return document


def _complete_operation(
    path: str, operation: dict[str, Any], route: Route | None, error_content: dict[str, Any]
) -> None:
    open_route = route is not None and route.security is not None and not route.security
    if open_route:
        operation["security"] = []  # Powertools drops an empty list, which would inherit the API's lock
    if route is not None and "description" not in operation and route.func.__doc__:
        operation["description"] = inspect.cleandoc(route.func.__doc__)

    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)  # Powertools' validation answer; ours is a 400 in the API's error body
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = error_content
            if status == "503":
                response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        elif status == "204" or not response.get("content"):
            response.pop("content", None)

    implied = {"429"}  # the gateway throttles every route
    if operation.get("parameters") or operation.get("requestBody"):
        implied.add("400")
    if operation.get("requestBody"):
        implied.add("415")
    if not open_route:
        implied |= {"401", "403", "503"}  # the authorizer, and storage behind every such route
    if "{" in path:
        implied.add("404")
    for status in implied:
        responses.setdefault(status, {"$ref": f"#/components/responses/{IMPLIED_ANSWERS[status][0]}"})
    operation["responses"] = dict(sorted(responses.items()))


def create_app(
    *,
    title: str,
    description: str,
    swagger_path: str,
    style: ErrorStyle,
    logger: Logger,
    extra_paths: Mapping[str, Any] | None = None,
    extra_security_schemes: Mapping[str, Mapping[str, Any]] | None = None,
) -> DocumentedResolver:
    """A validating resolver with Swagger UI at `swagger_path` (JSON at `?format=json`)
    and every error answered in `style`; refusals and defects are logged with `logger`,
    the function's own (a child Logger made here would lose its lines). `extra_paths`
    (with their `extra_security_schemes`, written as the document has them) document
    routes of this API that another function serves."""
    app = DocumentedResolver(
        style=style, extra_paths=extra_paths, enable_validation=True, json_body_deserializer=request_json
    )
    swagger_on_first_request(
        app, swagger_path, lambda: swagger_options(title, description, extra_security_schemes or {})
    )

    def refuse(exc: HookyardError) -> Response[str]:
        logger.info("request refused", status=exc.status, error=type(exc).__name__, detail=exc.detail)
        return error_response(style, exc)

    @app.exception_handler(HookyardError)  # type: ignore[untyped-decorator]
    def _domain_error(exc: HookyardError) -> Response[str]:
        return refuse(exc)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _validation_error(exc: RequestValidationError) -> Response[str]:
        problems = [BadRequest(describe_validation_error(e)) for e in exc.errors()]
        logger.info("request invalid", problems=[p.detail for p in problems])
        return error_response(style, problems or [BadRequest("request is invalid")])

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _not_json(_: RequestUnsupportedContentType) -> Response[str]:
        sent = (app.current_event.headers.get("content-type") or "").split(";", 1)[0].strip()
        return refuse(UnsupportedMediaType(f"Content-Type {sent[:100]}: not accepted; send {JSON}"))

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        return error_response(style, NotFound())

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[str]:
        # Only our own defects land here; the client sees an id it can report.
        logger.exception("unexpected error")
        return error_response(style, HookyardError("internal error; the request id is in the logs"))

    return app


def swagger_options(
    title: str, description: str, extra_security_schemes: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The arguments of Powertools' enable_swagger (but `path`) for one of our APIs
    (schemes given as the document writes them are validated when it is built)."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBase, HTTPBearer

    schemes: dict[str, Any] = {
        "bearerAuth": HTTPBearer(bearerFormat="API token"),
        "basicAuth": HTTPBase(
            scheme="basic", description="As Zendesk: user `{email}/token` (not checked), password the API token"
        ),
        **extra_security_schemes,
    }
    return {
        "title": title,
        "description": description,
        "version": "1.0.0",
        "security_schemes": schemes,
        "security": [{"bearerAuth": []}, {"basicAuth": []}],
    }


SwaggerHandler = Callable[[], Response[str]]


def swagger_on_first_request(app: APIGatewayRestResolver, path: str, options: Callable[[], dict[str, Any]]) -> None:
    """Swagger UI at `path` (the OpenAPI document at `?format=json`), as Powertools'
    enable_swagger(path=path, **options()) serves it, built on its first request.

    enable_swagger imports Powertools' OpenAPI models (about 80 ms of every management
    API's cold start) when it registers its route, though only that route uses them. So
    the route is registered here, with the others (the routes match the template from
    init), and on its first request enable_swagger runs with its registration captured:
    the handler it makes, Powertools' own, answers that request and the later ones."""
    built: list[SwaggerHandler] = []

    @app.get(path, include_in_schema=False)
    def swagger() -> Response[str]:
        if not built:
            registrar = _SwaggerRegistrar(app)
            APIGatewayRestResolver.enable_swagger(cast(APIGatewayRestResolver, registrar), path=path, **options())
            if registrar.handler is None:
                raise RuntimeError("enable_swagger registered no route")
            built.append(registrar.handler)
        return built[0]()


class _SwaggerRegistrar:
    """`app` as enable_swagger sees it, but `get(...)` keeps the handler it decorates
    instead of registering a second route; everything else (the current event, the
    OpenAPI schema of the app's routes) is the app's."""

    def __init__(self, app: APIGatewayRestResolver) -> None:
        self._app = app
        self.handler: SwaggerHandler | None = None

    def get(self, *args: Any, **kwargs: Any) -> Callable[[SwaggerHandler], SwaggerHandler]:
        def keep(handler: SwaggerHandler) -> SwaggerHandler:
            self.handler = handler
            return handler

        return keep

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def no_content() -> Response[str]:
    """204 with an empty body (not the JSON `null` a `None` return would give)."""
    return Response(status_code=204, body="")


def as_json_request(event: dict[str, Any]) -> dict[str, Any]:
    """Management APIs take JSON only, as UTF-8 text, its media type in any case. `curl -d`
    labels its body form-urlencoded, so that label is read as JSON instead of turning a
    JSON document into one odd form field; any other label is a 415. A body the gateway
    passed base64-encoded is decoded here; one that is not UTF-8 is handed on undecoded, so
    it is refused as not JSON (a 400) instead of failing inside the resolver."""
    if event.get("isBase64Encoded") and event.get("body"):
        try:
            text = base64.b64decode(event["body"], validate=True).decode("utf-8")
        except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
            text = event["body"]
        event = {**event, "body": text, "isBase64Encoded": False}
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() != "content-type":
            continue
        media_type = value.split(";", 1)[0].strip().lower()  # media types ignore case
        if media_type in _READ_AS_JSON and not value.startswith(JSON):
            return {**event, "headers": {**headers, name: JSON}}
    return event


def with_single_slashes(event: dict[str, Any]) -> dict[str, Any]:
    """Repeated slashes in the path read as one: a client that joins its base URL and a
    path naively asks for `/api/v2//webhooks/test` (node-zendesk 6.0.1 does), and the
    route is the same."""
    path = event.get("path")
    if not isinstance(path, str) or "//" not in path:
        return event
    normalised = {**event, "path": _SLASHES.sub("/", path)}
    context = event.get("requestContext")
    if isinstance(context, dict) and isinstance(context.get("path"), str):  # the links' path
        normalised["requestContext"] = {**context, "path": _SLASHES.sub("/", context["path"])}
    return normalised


class HasEvent(Protocol):
    """A resolver or a router: both expose the current event."""

    @property
    def current_event(self) -> Any: ...


def authorizer_context(app: HasEvent) -> dict[str, Any]:
    return app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}


def caller_account_id(app: HasEvent) -> int:
    """The account the bearer token belongs to, as the authorizer resolved it."""
    raw = authorizer_context(app).get("account_id")
    try:
        return int(str(raw))  # API Gateway hands context values over as strings
    except (TypeError, ValueError):
        raise Unauthorized("Authentication failed") from None


def require_operator(app: HasEvent) -> None:
    if authorizer_context(app).get("role") != "operator":
        raise Unauthorized("operator token required")


def page_size(requested: int | None, maximum: int, default: int = 100) -> int:
    if requested is None:
        return min(default, maximum)
    if not 1 <= requested <= maximum:
        raise BadRequest(f"page[size]: must be between 1 and {maximum}")
    return requested
