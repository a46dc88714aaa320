"""API plumbing shared by the management APIs: the resolver, OpenAPI and Swagger UI,
errors mapped to HTTP by type in one place, the caller's account, and paging."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from hookyard.errors import BadRequest, HookyardError, NotFound, ServiceUnavailable, Unauthorized
from hookyard.errors import ErrorStyle as ErrorStyle  # re-exported: the APIs name both from here
from hookyard.errors import error_body as error_body
from hookyard.jsonlimits import NestedTooDeep
from hookyard.jsonlimits import loads as json_loads

JSON = "application/json"
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


def create_app(
    *, title: str, description: str, swagger_path: str, style: ErrorStyle, logger: Logger
) -> APIGatewayRestResolver:
    """A validating resolver with Swagger UI at `swagger_path` (JSON at `?format=json`)
    and every error answered in `style`; refusals and defects are logged with `logger`,
    the function's own (a child Logger made here would lose its lines)."""
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=request_json)
    swagger_on_first_request(app, swagger_path, lambda: swagger_options(title, description))

    @app.exception_handler(HookyardError)  # type: ignore[untyped-decorator]
    def _domain_error(exc: HookyardError) -> Response[str]:
        logger.info("request refused", status=exc.status, error=type(exc).__name__, detail=exc.detail)
        return error_response(style, exc)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _validation_error(exc: RequestValidationError) -> Response[str]:
        problems = [BadRequest(describe_validation_error(e)) for e in exc.errors()]
        logger.info("request invalid", problems=[p.detail for p in problems])
        return error_response(style, problems or [BadRequest("request is invalid")])

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        return error_response(style, NotFound())

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[str]:
        # Only our own defects land here; the client sees an id it can report.
        logger.exception("unexpected error")
        return error_response(style, HookyardError("internal error; the request id is in the logs"))

    return app


def swagger_options(title: str, description: str) -> dict[str, Any]:
    """The arguments of Powertools' enable_swagger (but `path`) for one of our APIs."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBase, HTTPBearer

    return {
        "title": title,
        "description": description,
        "version": "1.0.0",
        "security_schemes": {
            "bearerAuth": HTTPBearer(bearerFormat="API token"),
            "basicAuth": HTTPBase(
                scheme="basic", description="As Zendesk: user `{email}/token` (not checked), password the API token"
            ),
        },
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
    """Management APIs take JSON only, as UTF-8 text. `curl -d` labels its body
    form-urlencoded, so that label is read as JSON instead of turning a JSON document into
    one odd form field. A body the gateway passed base64-encoded is decoded here; one that
    is not UTF-8 is handed on undecoded, so it is refused as not JSON (a 400) instead of
    failing inside the resolver."""
    if event.get("isBase64Encoded") and event.get("body"):
        try:
            text = base64.b64decode(event["body"], validate=True).decode("utf-8")
        except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
            text = event["body"]
        event = {**event, "body": text, "isBase64Encoded": False}
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == "content-type" and value.lower().startswith("application/x-www-form-urlencoded"):
            return {**event, "headers": {**headers, name: "application/json"}}
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
