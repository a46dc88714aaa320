"""Console: GET /console and GET /console/{proxy+} (API Gateway, no authorizer).

Serves the web console's static files; the page signs in with an API token and calls the
public API with it, so this function reads no table and holds no secret.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from console.assets import serve
from console.log import logger
from hookyard.observability import API_CORRELATION_PATH


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    proxy = (event.get("pathParameters") or {}).get("proxy")
    reply = serve(str(event.get("path") or ""), proxy, _header(event, "if-none-match"))
    if reply.status == 404:
        logger.info("console file not found", path=event.get("path"))
    return {"statusCode": reply.status, "headers": reply.headers, "body": reply.body, "isBase64Encoded": False}
