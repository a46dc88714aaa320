"""Logging conventions: JSON logs (Powertools Logger), one Logger per function, with the
API Gateway request id as correlation id on API functions.

Each function makes its Logger once, in its own `log` module (`delivery/log.py`, ...),
which its handler and logic import; its service name is the function's
POWERTOOLS_SERVICE_NAME in template.yaml (a test keeps the two equal). Shared code in
the layer that logs takes the caller's logger as an argument instead of making its own:
a child Logger made without the function's service name attaches to
"service_undefined" and its lines are lost.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

API_CORRELATION_PATH = correlation_paths.API_GATEWAY_REST


def function_logger(service: str) -> Logger:
    """The one Logger of the function whose POWERTOOLS_SERVICE_NAME is `service`."""
    return Logger(service=service)
