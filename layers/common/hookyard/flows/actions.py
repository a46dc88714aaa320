"""Actions: ZIS::Action::Http definitions (checked at upload, rendered per call) and the
built-in actions.

    http_request(definition, parameters) -> RenderedRequest(method, url, path,
                                                             connection_name, headers, body)

renders a custom action for one call; `parameters` is the calling state's resolved
Parameters (the action's input, `$` in the definition's paths). The runner resolves the
connection (auth headers, and the base URL a `path` is relative to), then sends the
request with the guarded outbound client. The definition:

- `method`: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (any case; rendered upper case).
- `url` / `url.$`, or `path` / `path.$` with `connectionName`. A `url` may have a
  `connectionName` too (its credentials are used). `{{$.x}}` placeholders are rendered
  in url and path, with characters that cannot appear in a URL percent-encoded (reserved
  characters such as `/`, `?`, `&` are kept, so a placeholder may hold a whole URL).
- `headers`: `[{"key": ..., "value": ...} | {"key": ..., "value.$": ...}]`, placeholders
  rendered in values; `queryParams` in the same shape, appended to the url or path.
- `requestBody` (any JSON: keys ending `.$` are resolved, placeholders in strings are
  rendered) or `requestBody.$` (a JSONPath or template). No body: `body` is None.

A path that leads nowhere in the input is an `ActionError` (States.Runtime), which the
state's Catch can handle.

    BuiltinActions(configs: ConfigStore | None).handles(name) / .call(name, parameters)

implements ZIS's built-ins:

- `zis:common:transform:Jq` {expr, data}: the first output of the jq program `expr` on
  `data` (null when it has none); a compile or run error is an ActionError.
- `zis:common:action:LoadConfig` {scope}: `{"config": <the config>}`; a missing config is
  an ActionError with status 404.
- `zis:common:action:PatchConfig` {scope, config}: merges `config` into the scope's
  config through the store; answers `{}` (ZIS documents no response).

The runner supplies storage as a `ConfigStore` (get(scope) -> dict | None,
patch(scope, partial) -> dict).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import jq

from hookyard.flows.engine import RUNTIME_ERROR, ActionError
from hookyard.flows.paths import (
    PathError,
    as_text,
    check_dynamic,
    check_parameters,
    check_template,
    child_path,
    render_template,
    resolve_dynamic,
    resolve_parameters,
)

JQ = "zis:common:transform:Jq"
LOAD_CONFIG = "zis:common:action:LoadConfig"
PATCH_CONFIG = "zis:common:action:PatchConfig"
BUILTIN_ACTIONS = frozenset({JQ, LOAD_CONFIG, PATCH_CONFIG})
# Parameters each built-in needs (as `name` or `name.$`).
BUILTIN_PARAMETERS: dict[str, tuple[str, ...]] = {
    JQ: ("expr", "data"),
    LOAD_CONFIG: ("scope",),
    PATCH_CONFIG: ("scope", "config"),
}

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
DEFINITION_FIELDS = frozenset(
    {
        "method",
        "url",
        "url.$",
        "path",
        "path.$",
        "connectionName",
        "headers",
        "queryParams",
        "requestBody",
        "requestBody.$",
    }
)
# Characters a URL can carry as they are; anything else in a placeholder's value is encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True)
class RenderedRequest:
    method: str
    url: str | None  # absolute URL (with or without a connection), or None when `path` is used
    path: str | None  # relative to the connection's base URL, or None when `url` is used
    connection_name: str | None
    headers: list[tuple[str, str]]
    body: Any  # JSON-serialisable, or None for no body


def _url_escape(text: str) -> str:
    return quote(text, safe=_URL_SAFE)


def http_request(definition: dict[str, Any], parameters: Any) -> RenderedRequest:
    """The HTTP request a (validated) ZIS::Action::Http definition makes for `parameters`.
    Raises ActionError(States.Runtime) when a path in the definition leads nowhere."""
    try:
        url = _location(definition, "url", parameters)
        path = _location(definition, "path", parameters)
        query = _pairs(definition.get("queryParams"), parameters)
        if query:
            suffix = urlencode(query)
            if url is not None:
                url = f"{url}{'&' if '?' in url else '?'}{suffix}"
            elif path is not None:
                path = f"{path}{'&' if '?' in path else '?'}{suffix}"
        if "requestBody.$" in definition:
            body = resolve_dynamic(definition["requestBody.$"], parameters)
        else:
            body = resolve_parameters(definition.get("requestBody"), parameters, templates=True)
        headers = _pairs(definition.get("headers"), parameters)
    except PathError as exc:
        raise ActionError(RUNTIME_ERROR, f"action input: {exc}") from None
    return RenderedRequest(
        method=str(definition["method"]).upper(),
        url=url,
        path=path,
        connection_name=definition.get("connectionName"),
        headers=headers,
        body=body,
    )


def _location(definition: dict[str, Any], name: str, parameters: Any) -> str | None:
    if f"{name}.$" in definition:
        return as_text(resolve_dynamic(definition[f"{name}.$"], parameters, escape=_url_escape))
    if name in definition:
        return render_template(definition[name], parameters, escape=_url_escape)
    return None


def _pairs(entries: list[dict[str, Any]] | None, parameters: Any) -> list[tuple[str, str]]:
    pairs = []
    for entry in entries or ():
        if "value.$" in entry:
            value = as_text(resolve_dynamic(entry["value.$"], parameters))
        else:
            value = render_template(as_text(entry.get("value", "")), parameters)
        pairs.append((str(entry["key"]), value))
    return pairs


# ------------------------------------------------------------------ upload checks


def check_action_definition(definition: Any, path: str, add: Callable[[str, str], None]) -> None:
    """Reports (path, message) for each problem of a ZIS::Action::Http definition."""
    if not isinstance(definition, dict):
        add(path, "definition must be an object")
        return
    for key in definition:
        if key not in DEFINITION_FIELDS:
            add(child_path(path, key), f"unknown field {key} in an HTTP action definition")
    method = definition.get("method")
    if method is None:
        add(child_path(path, "method"), "method is required")
    elif not isinstance(method, str) or method.upper() not in METHODS:
        add(child_path(path, "method"), f"method must be one of {', '.join(sorted(METHODS))}")
    targets = [key for key in ("url", "url.$", "path", "path.$") if key in definition]
    if not targets:
        add(path, "an HTTP action needs a url (or url.$), or a path (or path.$) with a connectionName")
    elif len(targets) > 1:
        add(path, f"give only one of url, url.$, path and path.$, not {' and '.join(targets)}")
    for key in targets:
        if definition[key] == "":
            add(child_path(path, key), f"{key} must not be empty")
        else:
            _check_text(definition[key], child_path(path, key), add, dynamic=key.endswith(".$"))
    connection = definition.get("connectionName")
    if connection is not None and (not isinstance(connection, str) or not connection):
        add(child_path(path, "connectionName"), "connectionName must be a non-empty string")
    if any(key.startswith("path") for key in targets) and connection is None:
        add(child_path(path, "connectionName"), "a path needs a connectionName (the connection gives the base URL)")
    for key in ("headers", "queryParams"):
        if key in definition:
            _check_pairs(definition[key], child_path(path, key), add)
    if "requestBody" in definition and "requestBody.$" in definition:
        add(path, "give requestBody or requestBody.$, not both")
    if "requestBody.$" in definition:
        problem = check_dynamic(definition["requestBody.$"])
        if problem:
            add(child_path(path, "requestBody.$"), problem)
    elif "requestBody" in definition:
        check_parameters(definition["requestBody"], child_path(path, "requestBody"), add, templates=True)


def _check_text(value: Any, path: str, add: Callable[[str, str], None], *, dynamic: bool) -> None:
    if dynamic:
        problem = check_dynamic(value)
    elif not isinstance(value, str):
        problem = "must be a string"
    else:
        problem = check_template(value)
    if problem:
        add(path, problem)


def _check_pairs(entries: Any, path: str, add: Callable[[str, str], None]) -> None:
    if not isinstance(entries, list):
        add(path, 'must be an array of {"key": ..., "value": ...} objects')
        return
    for position, entry in enumerate(entries):
        where = f"{path}[{position}]"
        if not isinstance(entry, dict):
            add(where, 'must be an object {"key": ..., "value": ...}')
            continue
        for key in entry:
            if key not in ("key", "value", "value.$"):
                add(child_path(where, key), f"unknown field {key} (expected key and value or value.$)")
        if not isinstance(entry.get("key"), str) or not entry["key"]:
            add(child_path(where, "key"), "key must be a non-empty string")
        if ("value" in entry) == ("value.$" in entry):
            add(where, "give exactly one of value and value.$")
        elif "value.$" in entry:
            _check_text(entry["value.$"], child_path(where, "value.$"), add, dynamic=True)
        elif isinstance(entry["value"], str):
            _check_text(entry["value"], child_path(where, "value"), add, dynamic=False)
        elif not isinstance(entry["value"], int | float | bool):
            add(child_path(where, "value"), "value must be a string, number or boolean")


def check_builtin_parameters(action_name: str, parameters: Any, path: str, add: Callable[[str, str], None]) -> None:
    """Reports missing parameters of a built-in action, and jq programs that do not compile."""
    if not isinstance(parameters, dict):
        add(path, f"{action_name} needs Parameters with {', '.join(BUILTIN_PARAMETERS[action_name])}")
        return
    for name in BUILTIN_PARAMETERS[action_name]:
        if name not in parameters and f"{name}.$" not in parameters:
            add(child_path(path, name), f"{action_name} needs the parameter {name} (or {name}.$)")
    expr = parameters.get("expr")
    if action_name == JQ and "expr" in parameters:
        if not isinstance(expr, str):
            add(child_path(path, "expr"), "expr must be a jq program (a string)")
        else:
            try:
                compile_jq(expr)
            except ValueError as exc:
                add(child_path(path, "expr"), f"jq program does not compile: {_first_line(exc)}")


# ------------------------------------------------------------------ built-ins


class ConfigStore(Protocol):
    """ZIS config storage of one integration (the runner's, over DynamoDB)."""

    def get(self, scope: str) -> dict[str, Any] | None: ...

    def patch(self, scope: str, partial: dict[str, Any]) -> dict[str, Any]: ...


@lru_cache(maxsize=512)
def compile_jq(expr: str) -> Any:
    """The compiled jq program, cached (compiling takes about a millisecond)."""
    return jq.compile(expr)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class BuiltinActions:
    """ZIS's built-in actions; `configs` backs LoadConfig and PatchConfig."""

    def __init__(self, configs: ConfigStore | None = None) -> None:
        self.configs = configs

    def handles(self, action_name: str) -> bool:
        return action_name in BUILTIN_ACTIONS

    def call(self, action_name: str, parameters: Any) -> Any:
        """The built-in's result, or ActionError."""
        if not isinstance(parameters, dict):
            raise ActionError(RUNTIME_ERROR, f"{action_name} takes an object of parameters")
        if action_name == JQ:
            return self.jq(parameters)
        if action_name == LOAD_CONFIG:
            config = self._store().get(self._scope(parameters))
            if config is None:
                raise ActionError(RUNTIME_ERROR, f"config {parameters['scope']} not found", status=404)
            return {"config": config}
        if action_name == PATCH_CONFIG:
            partial = parameters.get("config")
            if not isinstance(partial, dict):
                raise ActionError(RUNTIME_ERROR, "PatchConfig takes config as an object")
            self._store().patch(self._scope(parameters), partial)
            return {}
        raise ActionError(RUNTIME_ERROR, f"{action_name} is not a built-in action")

    @staticmethod
    def jq(parameters: dict[str, Any]) -> Any:
        expr = parameters.get("expr")
        if not isinstance(expr, str):
            raise ActionError(RUNTIME_ERROR, "Jq takes expr as a string")
        try:
            return compile_jq(expr).input_value(parameters.get("data")).first()
        except StopIteration:
            return None
        except ValueError as exc:
            raise ActionError(RUNTIME_ERROR, f"jq: {_first_line(exc)}") from None

    def _store(self) -> ConfigStore:
        if self.configs is None:
            raise ActionError(RUNTIME_ERROR, "config storage is not available")
        return self.configs

    @staticmethod
    def _scope(parameters: dict[str, Any]) -> str:
        scope = parameters.get("scope")
        if not isinstance(scope, str) or not scope:
            raise ActionError(RUNTIME_ERROR, "scope must be a non-empty string")
        return scope
