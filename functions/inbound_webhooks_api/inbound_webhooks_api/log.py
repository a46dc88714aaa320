"""The inbound_webhooks_api function's one Logger (service name: POWERTOOLS_SERVICE_NAME in template.yaml)."""

from hookyard.observability import function_logger

logger = function_logger("inbound_webhooks_api")
