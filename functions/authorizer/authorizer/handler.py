"""Lambda REQUEST authorizer for the management routes.

Triggered by API Gateway before every route that has auth. The token comes as
`Authorization: Bearer <token>` or as Zendesk's Basic form (`-u {email}/token:<token>`):
the operator token (compared with its configured SHA-256) may use /api/admin; an
account's API token may use /api/services and /api/v2 and is handed to the API as
`requestContext.authorizer.account_id`. Anything else is the same 401.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from authorizer.log import logger
from authorizer.logic import Unauthorized, authorize
from hookyard.config import AuthorizerSettings, get_settings
from hookyard.dal.accounts import AccountsRepository


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
    settings = get_settings(AuthorizerSettings)
    try:
        result = authorize(
            event, settings.operator_token_sha256, AccountsRepository(settings.config_table).find_token_owner
        )
    except Unauthorized:
        logger.info("token refused", path=event.get("path"))
        raise
    logger.info("token accepted", principal=result["principalId"], path=event.get("path"))
    return result
