"""The console's one Logger (service name: POWERTOOLS_SERVICE_NAME in template.yaml)."""

from hookyard.observability import function_logger

logger = function_logger("console")
