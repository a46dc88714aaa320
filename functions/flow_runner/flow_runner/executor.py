"""Actions for the flow engine: a bundle's ZIS::Action::Http through its connection and
the guarded outbound client, and ZIS's built-ins (Jq, LoadConfig, PatchConfig).

A call whose step key was recorded in an earlier run of the same attempt is answered
from the record (`recorded`), so a redelivered message does not repeat an action that
already happened; the keys of the calls really made are noted in `called`, for the
runner to record their steps (with the results) before the flow moves on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hookyard import clock, jsonlimits
from hookyard.dal.configs import ConfigsRepository
from hookyard.dal.connections import ConnectionsRepository
from hookyard.errors import HookyardError, NotFound
from hookyard.flows import engine
from hookyard.flows.actions import BuiltinActions, http_request
from hookyard.outbound import OutboundClient, OutboundError
from hookyard.retry_after import retry_after_seconds

HTTP_TIMEOUT_SECONDS = 30.0


@dataclass
class _ConfigStore:
    """ZIS config storage of one integration, as the built-in actions need it."""

    repo: ConfigsRepository
    account_id: int
    integration: str

    def get(self, scope: str) -> dict[str, Any] | None:
        try:
            return self.repo.get(self.account_id, self.integration, scope)
        except HookyardError as exc:
            raise engine.ActionError("States.Runtime", exc.detail) from None

    def patch(self, scope: str, partial: dict[str, Any]) -> dict[str, Any]:
        # A config the store refuses (too large, bad scope) fails the action, not the message.
        try:
            return self.repo.patch(self.account_id, self.integration, scope, partial)
        except HookyardError as exc:
            raise engine.ActionError("States.Runtime", exc.detail) from None


@dataclass
class ActionExecutor:
    account_id: int
    integration: str
    actions: dict[str, Any]  # action name -> ZIS::Action::Http definition
    recorded: dict[str, Any]  # step key -> result, of this attempt's actions already completed
    connections: ConnectionsRepository
    configs: ConfigsRepository
    client: OutboundClient
    now: Callable[[], datetime] = clock.now  # when a response arrived, to read a Retry-After date
    called: set[str] = field(default_factory=set)  # step keys of the calls made (not replayed)

    def __post_init__(self) -> None:
        self.builtins = BuiltinActions(_ConfigStore(self.configs, self.account_id, self.integration))

    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        if step_key in self.recorded:
            return self.recorded[step_key]
        result = self._execute(action_name, parameters)
        self.called.add(step_key)
        return result

    def _execute(self, action_name: str, parameters: Any) -> Any:
        if self.builtins.handles(action_name):
            return self.builtins.call(action_name, parameters)
        prefix = f"zis:{self.integration}:action:"
        name = action_name.removeprefix(prefix)
        if not action_name.startswith(prefix) or name not in self.actions:
            raise engine.ActionError("States.Runtime", f"unknown action {action_name}")
        request = http_request(self.actions[name], parameters)
        headers = dict(request.headers)
        url = request.url
        if request.connection_name:
            try:
                connection = self.connections.resolve(self.account_id, self.integration, request.connection_name)
            except NotFound:
                raise engine.ActionError(
                    "States.Runtime", f"connection {request.connection_name} does not exist"
                ) from None
            url = url if url else connection.base_url.rstrip("/") + "/" + (request.path or "").lstrip("/")
            refused = connection.refusal(url)
            if refused is not None:
                raise engine.ActionError("States.Runtime", refused)
            headers.update(connection.auth_headers())
        if not url:
            raise engine.ActionError("States.Runtime", f"action {action_name} has no url")
        body = None
        if request.body is not None:
            body = json.dumps(request.body).encode()
            headers.setdefault("Content-Type", "application/json")
        try:
            response = self.client.request(
                request.method, url, headers=headers, body=body, timeout=HTTP_TIMEOUT_SECONDS
            )
        except OutboundError as exc:
            raise engine.ActionError("States.Runtime", f"external action failed: {exc}", status=None) from exc
        if not response.ok:
            retry_after = retry_after_seconds(response.headers.get("retry-after"), self.now())
            raise engine.ActionError(
                "States.Runtime",
                f"external action failed due to status code: {response.status}",
                status=response.status,
                retry_after=retry_after,
            )
        return _parsed(response.body)


def _parsed(body: bytes) -> Any:
    """A response body as the flow sees it: its JSON, its text when it is not JSON, {}
    when empty. JSON nested deeper than the flow data may be fails the action."""
    if not body.strip():
        return {}
    text = body.decode("utf-8", errors="replace")
    try:
        return jsonlimits.loads(text)
    except jsonlimits.NestedTooDeep as exc:
        raise engine.ActionError("States.Runtime", f"the action's response {exc}") from None
    except ValueError:
        return text
