"""Run a function's real handler in this process, as Lambda would: its code folder and
the layer on the path, its environment, an event and a context.

Lambda hands each execution environment one event at a time and scales out with more
environments. Here a function has one copy of its modules, shared by every thread of
`hookyard dev`, so whether it may run several events at once depends on whether its
handler keeps per-event state in module globals (see `runs_events_concurrently`).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hookyard_dev.template import ACCOUNT, REGION, FunctionSpec, Template


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "hookyard-dev"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def add_code_paths(template: Template) -> None:
    """Put every function's code folder and every layer on sys.path (function packages
    have unique names, so they cannot shadow each other)."""
    paths = [str(p.resolve()) for p in template.layer_dirs()]
    paths += [str((template.root / f.code_uri).resolve()) for f in template.functions.values()]
    for path in reversed(paths):
        if path not in sys.path:
            sys.path.insert(0, path)


# Names that say which function is running (each function's logger passes its service
# name explicitly, so the shared process needs no single value for them).
PER_FUNCTION = frozenset({"POWERTOOLS_SERVICE_NAME"})


def function_environment(template: Template) -> dict[str, str]:
    """The union of the functions' environments. They share one process here, so a name
    that two functions set differently is refused rather than silently mixed (except the
    per-function names in PER_FUNCTION, left out)."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for spec in template.functions.values():
        for name, value in spec.environment.items():
            if name in PER_FUNCTION:
                continue
            if name in merged and merged[name] != value:
                raise ValueError(
                    f"{name} is {merged[name]!r} for {owner[name]} but {value!r} for {spec.logical_id}; "
                    "hookyard dev runs all handlers in one process and needs one value"
                )
            merged[name], owner[name] = value, spec.logical_id
    return merged


def runs_events_concurrently(spec: FunctionSpec) -> bool:
    """Whether the one in-process copy of a function may handle several events at once.

    - Triggered by SQS only: yes, one batch per concurrent "instance", up to the event
      source mapping's concurrency (see `hookyard_dev.poller`). Such a handler must keep
      no per-invocation state in module globals (the delivery and flow runner handlers
      build their collaborators, and flow_runner its BatchProcessor, per invocation).
    - Anything else (API routes, the authorizer, no event at all): no, one event at a
      time. Powertools' resolver keeps the current event on the module's `app`, so two
      requests at once would answer each other's tenant.
    """
    return bool(spec.sqs) and not spec.routes


class FunctionRuntime:
    """One function's handler, invoked with Lambda's guarantee: an instance that is not
    safe to share handles one event at a time; other functions never wait for it."""

    def __init__(self, spec: FunctionSpec, handler: Callable[[dict[str, Any], Any], Any] | None = None) -> None:
        self.spec = spec
        self._handler = handler
        self.concurrent = runs_events_concurrently(spec)
        # One lock per function, not per stack: a request to function A never waits for B.
        self._instance: contextlib.AbstractContextManager[Any] = (
            contextlib.nullcontext() if self.concurrent else threading.Lock()
        )

    @property
    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        if self._handler is None:
            module = importlib.import_module(self.spec.module)
            self._handler = getattr(module, self.spec.function_name)
        return self._handler

    def invoke(self, event: dict[str, Any]) -> Any:
        handler = self.handler
        with self._instance:
            # The context is made inside: remaining time counts from when the instance
            # took the event, as on Lambda, not from when the request started waiting.
            context = LambdaContext(self.spec.logical_id, self.spec.memory, self.spec.timeout)
            return handler(event, context)
