"""What a function's init does not import: modules only some requests need are imported
when those requests come (a cold start pays only for what every request uses).

Each case imports one handler in a fresh interpreter, from the source tree, and lists
the modules loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hookyard_dev.template import Template

# (function, module its init must not load, the request that loads it instead)
DEFERRED = [
    ("WebhooksApiFunction", "liquid", "a trigger saved with a body template"),
    ("DeliveryFunction", "liquid", "a trigger's delivery"),
    ("FlowRunnerFunction", "hookyard.routing", "never: only installing a job spec writes routes"),
    ("RegistryApiFunction", "hookyard.routing", "installing or uninstalling a job spec"),
    ("AccountsApiFunction", "aws_lambda_powertools.event_handler.openapi.models", "GET .../swagger"),
    ("InboundWebhooksApiFunction", "aws_lambda_powertools.event_handler.openapi.models", "GET .../swagger"),
    ("RegistryApiFunction", "aws_lambda_powertools.event_handler.openapi.models", "GET .../swagger"),
    ("WebhooksApiFunction", "aws_lambda_powertools.event_handler.openapi.models", "GET .../swagger"),
    ("DeliveryFunction", "aws_xray_sdk", "the first invocation, when the stack traces (Tracing=Active)"),
    ("FlowRunnerFunction", "aws_xray_sdk", "the first invocation, when the stack traces (Tracing=Active)"),
]


def modules_loaded_by_init(template: Template, function: str) -> set[str]:
    spec = template.functions[function]
    paths = [str(template.root / spec.code_uri), *(str(template.layer_dir(layer)) for layer in spec.layers)]
    code = f"import json, sys; sys.path[:0] = {paths!r}; import {spec.module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


@pytest.mark.parametrize(("function", "module", "loaded_by"), DEFERRED)
def test_a_function_init_leaves_a_module_to_the_requests_that_use_it(
    template: Template, function: str, module: str, loaded_by: str
) -> None:
    # When
    loaded = modules_loaded_by_init(template, function)

    # Then
    assert module not in loaded, f"{function} imports {module} at init; only {loaded_by} needs it"
