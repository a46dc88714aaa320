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

from collections.abc import Mapping

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

API_CORRELATION_PATH = correlation_paths.API_GATEWAY_REST


def function_logger(service: str) -> Logger:
    """The one Logger of the function whose POWERTOOLS_SERVICE_NAME is `service`."""
    return Logger(service=service)


def emit_counts(service: str, counts: Mapping[str, int], dimensions: Mapping[str, str] | None = None) -> None:
    """One EMF line (namespace POWERTOOLS_METRICS_NAMESPACE) with every count that is not
    zero, dimensioned by `service` and `dimensions`: a batch's figures cost one log line,
    not one per message and figure. (Powertools' single_metric keeps only one metric.)"""
    wanted = {name: value for name, value in counts.items() if value}
    if not wanted:
        return
    metrics = EphemeralMetrics(service=service)
    for dimension, label in (dimensions or {}).items():
        metrics.add_dimension(name=dimension, value=label)
    for name, count in wanted.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    metrics.flush_metrics()
