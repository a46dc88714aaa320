"""Run a function's real handler in this process, as Lambda would: its code folder and
the layer on the path, its environment, an event and a context."""

from __future__ import annotations

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


class FunctionRuntime:
    """One function's execution environment. Like one Lambda environment, it runs one
    invocation at a time: handlers keep per-invocation state at module level (the
    Powertools resolver's current event and route, the Logger's keys), which concurrent
    requests would mix. Different functions still run at the same time."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._handler: Callable[[dict[str, Any], Any], Any] | None = None
        self._one_at_a_time = threading.Lock()

    @property
    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        if self._handler is None:
            module = importlib.import_module(self.spec.module)
            self._handler = getattr(module, self.spec.function_name)
        return self._handler

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._one_at_a_time:
            context = LambdaContext(self.spec.logical_id, self.spec.memory, self.spec.timeout)
            return self.handler(event, context)
