"""API Gateway (REST, Lambda proxy) as `sam local start-api` and AWS do it: route by the
template's paths (static segments win), run the Lambda authorizer with its cache and
policy, build the proxy event, and turn the handler's answer into HTTP."""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from hookyard_dev.runtime import FunctionRuntime
from hookyard_dev.template import ACCOUNT, REGION, ApiRoute, Authorizer, Template

API_ID = "hookyarddev"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit
log = logging.getLogger("hookyard.dev")
# API Gateway's default bodies, used where the template sets no gateway response.
MISSING_TOKEN_BODY = '{"message":"Missing Authentication Token"}'  # noqa: S105
ACCESS_DENIED_BODY = '{"message":"User is not authorized to access this resource"}'


@dataclass
class HttpRequest:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_response(status: int, body: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], body.encode())


class Gateway:
    def __init__(self, template: Template, runtimes: dict[str, FunctionRuntime]) -> None:
        self.template = template
        self.api = template.api
        self.runtimes = runtimes
        # Most specific first: more static segments, then longer paths.
        self.routes = sorted(self.api.routes, key=lambda r: (-r.static_segments, -len(r.path)))
        self._auth_cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._auth_lock = threading.Lock()

    # ------------------------------------------------------------ routing
    def match(self, method: str, path: str) -> tuple[ApiRoute | None, dict[str, str]]:
        """As API Gateway: the most specific resource whose path matches, then its method.
        A resource without that method is not found; no less specific resource is tried.
        A trailing slash is ignored when matching (`/console/` is the `/console` resource),
        as API Gateway (REST) does; the path handed over keeps it."""
        route, params = self._match(method, path)
        if route is None and len(path) > 1 and path.endswith("/"):
            return self._match(method, path.rstrip("/"))
        return route, params

    def _match(self, method: str, path: str) -> tuple[ApiRoute | None, dict[str, str]]:
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            for candidate in self.routes:
                if candidate.path == route.path and candidate.method in (method, "ANY"):
                    # API Gateway hands path parameters over decoded.
                    return candidate, {k: unquote(v) for k, v in found.groupdict().items()}
            return None, {}
        return None, {}

    def gateway_response(self, kind: str, default_status: int, default_body: str) -> HttpResponse:
        status, body = self.api.gateway_responses.get(kind, (default_status, default_body))
        return _json_response(status, body)

    # ------------------------------------------------------------ handling
    def handle(self, request: HttpRequest) -> HttpResponse:
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return _json_response(413, '{"message":"Request Too Long"}')
        # Repeated slashes read as one (node-zendesk asks for /api/v2//webhooks/test).
        request = replace(request, path=re.sub("/{2,}", "/", request.path))
        route, params = self.match(request.method, request.path)
        if route is None:
            # API Gateway answers an unknown route with MISSING_AUTHENTICATION_TOKEN.
            return self.gateway_response(
                "MISSING_AUTHENTICATION_TOKEN", 403, '{"message":"Missing Authentication Token"}'
            )
        event = self.proxy_event(request, route, params)
        if route.authorizer:
            denied, context = self.authorize(self.api.authorizers[route.authorizer], event)
            if denied is not None:
                return denied
            event["requestContext"]["authorizer"] = context
        return self.invoke(route.function_id, event)

    def invoke(self, function_id: str, event: dict[str, Any]) -> HttpResponse:
        try:
            result = self.runtimes[function_id].invoke(event)
        except Exception:
            log.exception("%s raised; API Gateway answers 502", function_id)
            return _json_response(502, '{"message": "Internal server error"}')
        return self.to_http(function_id, result)

    @staticmethod
    def to_http(function_id: str, result: Any) -> HttpResponse:
        if not isinstance(result, dict) or "statusCode" not in result:
            log.error("%s returned no proxy response: %r", function_id, result)
            return _json_response(502, '{"message": "Internal server error"}')
        headers: list[tuple[str, str]] = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in values if (name, str(v)) not in headers]
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return HttpResponse(int(result["statusCode"]), headers, raw)

    # ------------------------------------------------------------ authorizer
    def authorize(self, authorizer: Authorizer, event: dict[str, Any]) -> tuple[HttpResponse | None, dict[str, Any]]:
        headers = {k.lower(): v for k, v in (event["headers"] or {}).items()}
        identity = tuple(headers.get(h.lower(), "") for h in authorizer.identity_headers)
        if not all(identity):
            # API Gateway refuses without calling the authorizer when an identity source is missing.
            return self.gateway_response("UNAUTHORIZED", 401, '{"message":"Unauthorized"}'), {}
        cache_key = (authorizer.name, identity)
        with self._auth_lock:
            cached = self._auth_cache.get(cache_key)
        if cached and cached[0] > time.monotonic():
            result = cached[1]
        else:
            auth_event = {
                "type": "REQUEST",
                "methodArn": self.method_arn(event),
                **{
                    k: event[k]
                    for k in (
                        "resource",
                        "path",
                        "httpMethod",
                        "headers",
                        "multiValueHeaders",
                        "queryStringParameters",
                        "multiValueQueryStringParameters",
                        "pathParameters",
                        "stageVariables",
                        "requestContext",
                    )
                },
            }
            try:
                result = self.runtimes[authorizer.function_id].invoke(auth_event)
            except Exception as exc:
                if str(exc) == "Unauthorized":
                    return self.gateway_response("UNAUTHORIZED", 401, '{"message":"Unauthorized"}'), {}
                log.exception("authorizer %s failed", authorizer.name)
                return self.gateway_response("AUTHORIZER_FAILURE", 500, '{"message":null}'), {}
            if authorizer.ttl_seconds > 0:
                with self._auth_lock:
                    self._auth_cache[cache_key] = (time.monotonic() + authorizer.ttl_seconds, result)
        if not self.allows(result.get("policyDocument", {}), self.method_arn(event)):
            return self.gateway_response(
                "ACCESS_DENIED", 403, '{"message":"User is not authorized to access this resource"}'
            ), {}
        context = dict(result.get("context") or {})
        context["principalId"] = result.get("principalId")
        # API Gateway hands context values to the integration as strings.
        return None, {k: (v if isinstance(v, str) or v is None else json.dumps(v)) for k, v in context.items()}

    def method_arn(self, event: dict[str, Any]) -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{self.api.stage}/{event['httpMethod']}{event['path']}"

    @staticmethod
    def allows(policy: dict[str, Any], method_arn: str) -> bool:
        """IAM evaluation for execute-api: an explicit Deny wins, else any Allow."""
        allowed = False
        for statement in policy.get("Statement", []):
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            if any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
                if statement.get("Effect") == "Deny":
                    return False
                allowed = allowed or statement.get("Effect") == "Allow"
        return allowed

    # ------------------------------------------------------------ event
    def proxy_event(self, request: HttpRequest, route: ApiRoute, params: dict[str, str]) -> dict[str, Any]:
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers:
            multi_headers.setdefault(name, []).append(value)
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(request.query, keep_blank_values=True):
            multi_query.setdefault(name, []).append(value)
        try:
            body: str | None = request.body.decode() if request.body else None
            is_base64 = False
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(request.body).decode(), True
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "dev",
                "resourcePath": route.path,
                "httpMethod": request.method,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                # Without the stage, as `sam local` sends it: the local URLs have no stage
                # prefix, and Powertools derives Swagger's base path from this field.
                "path": request.path,
                "accountId": ACCOUNT,
                "protocol": "HTTP/1.1",
                "stage": self.api.stage,
                "domainPrefix": "localhost",
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "requestId": request_id,
                "identity": {
                    "sourceIp": request.source_ip,
                    "userAgent": multi_headers.get("User-Agent", multi_headers.get("user-agent", [""]))[-1],
                },
                "domainName": "localhost",
                "apiId": API_ID,
            },
            "body": body,
            "isBase64Encoded": is_base64,
        }
