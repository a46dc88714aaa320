"""Logging conventions: JSON logs with the API Gateway request id as correlation id."""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths

API_CORRELATION_PATH = correlation_paths.API_GATEWAY_REST
