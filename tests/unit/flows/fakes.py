"""Test doubles for the flow engine: a clock that only moves when told, executors that
answer from scripts or records, and an in-memory config store."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hookyard.flows.actions import BuiltinActions, http_request
from hookyard.flows.engine import ActionError

Answer = Any  # a result, an ActionError to raise, or a callable(parameters) -> result


class FakeClock:
    """Monotonic seconds that advance only by `advance` (or per call, with `step`)."""

    def __init__(self, start: float = 1000.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fixed_now() -> datetime:
    return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class ScriptedExecutor:
    """Answers each action name from a script: a value, an ActionError (raised), a
    callable of the parameters, or a list of those used one per call (the last repeats)."""

    def __init__(self, script: dict[str, Answer] | None = None, builtins: BuiltinActions | None = None) -> None:
        self.script = dict(script or {})
        self.builtins = builtins or BuiltinActions()
        self.calls: list[tuple[str, str, Any]] = []

    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        self.calls.append((step_key, action_name, copy.deepcopy(parameters)))
        if action_name not in self.script and self.builtins.handles(action_name):
            return self.builtins.call(action_name, parameters)
        answer = self.script[action_name]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, ActionError):
            raise answer
        if callable(answer):
            return answer(parameters)
        return answer

    @property
    def action_names(self) -> list[str]:
        return [name for _, name, _ in self.calls]

    @property
    def keys(self) -> list[str]:
        return [key for key, _, _ in self.calls]


class RecordingExecutor:
    """The runner's durability contract: results recorded by step key, and a key already
    recorded is answered from the record without calling out."""

    def __init__(self, inner: ScriptedExecutor, recorded: dict[str, Any] | None = None) -> None:
        self.inner = inner
        self.recorded: dict[str, Any] = recorded if recorded is not None else {}

    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        if step_key in self.recorded:
            return self.recorded[step_key]
        result = self.inner.call(step_key, action_name, parameters)
        self.recorded[step_key] = result
        return result


class CrashAfter:
    """Wraps an executor and crashes (like a Lambda timeout) on the nth call."""

    def __init__(self, inner: Any, calls: int) -> None:
        self.inner = inner
        self.left = calls

    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        if self.left == 0:
            raise RuntimeError("crash")
        self.left -= 1
        return self.inner.call(step_key, action_name, parameters)


class HttpExecutor:
    """Renders custom actions with http_request and answers with `respond(request)`, as
    the runner's executor will (minus connections and the network)."""

    def __init__(self, actions: dict[str, dict[str, Any]], integration: str, respond: Callable[[Any], Any]) -> None:
        self.actions = actions
        self.prefix = f"zis:{integration}:action:"
        self.respond = respond
        self.builtins = BuiltinActions()
        self.requests: list[tuple[str, Any]] = []

    def call(self, step_key: str, action_name: str, parameters: Any) -> Any:
        if self.builtins.handles(action_name):
            return self.builtins.call(action_name, parameters)
        name = action_name.removeprefix(self.prefix)
        request = http_request(self.actions[name], parameters)
        self.requests.append((name, request))
        return self.respond(request)


class MemoryConfigs:
    def __init__(self, configs: dict[str, dict[str, Any]] | None = None) -> None:
        self.configs = configs or {}

    def get(self, scope: str) -> dict[str, Any] | None:
        return self.configs.get(scope)

    def patch(self, scope: str, partial: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.configs.get(scope, {}), **partial}
        self.configs[scope] = merged
        return merged


def flow_input(body: Any) -> dict[str, Any]:
    """What the runner gives a flow, as ZIS does."""
    return {"account_id": 1, "integration_key": "my_integration", "subdomain": "acme", "input": body}


def machine(*states: tuple[str, dict[str, Any]], start: str | None = None) -> dict[str, Any]:
    """A flow definition from (name, state) pairs; StartAt is the first unless given."""
    return {"StartAt": start or states[0][0], "States": dict(states)}
