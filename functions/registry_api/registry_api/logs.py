"""Integration logs and flow executions (ZIS shows these only in an admin page; here
they have an API). Entries expire after the activity retention (7 days by default)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from hookyard.api import caller_account_id, page_size
from hookyard.config import RegistrySettings, get_settings
from hookyard.dal.activity import ActivityRepository
from hookyard.errors import NotFound
from hookyard.models.activity import ExecutionResponse, LogList
from hookyard.models.common import IntegrationName, PageMeta

router = APIGatewayRouter()  # type: ignore[no-untyped-call]
BASE = "/api/services/zis/integrations/<integration>"
Integration_ = Annotated[IntegrationName, Path()]


def _activity() -> ActivityRepository:
    return ActivityRepository(get_settings(RegistrySettings).activity_table)


@router.get(f"{BASE}/logs", summary="List an integration's logs", tags=["Logs"])
def list_logs(
    integration: Integration_,
    level: Annotated[str | None, Query(alias="filter[level]", description="debug, info, warn or error")] = None,
    since: Annotated[datetime | None, Query(alias="filter[from]", description="RFC 3339")] = None,
    until: Annotated[datetime | None, Query(alias="filter[to]", description="RFC 3339")] = None,
    flow: Annotated[str | None, Query(alias="filter[flow]", max_length=300)] = None,
    size: Annotated[int | None, Query(alias="page[size]")] = None,
    after: Annotated[str | None, Query(alias="page[after]")] = None,
) -> LogList:
    """Newest first; `filter[level]` keeps that level and the more severe ones."""
    limit = page_size(size, get_settings(RegistrySettings).page_size_max)
    entries, cursor = _activity().list_logs(
        caller_account_id(router),
        integration,
        limit=limit,
        after=after,
        level=level,
        since=since,
        until=until,
        flow_name=flow,
    )
    return LogList(logs=entries, meta=PageMeta(has_more=cursor is not None, after=cursor, before=after))


@router.get(f"{BASE}/executions/<execution_id>", summary="Show a flow execution", tags=["Executions"])
def show_execution(integration: Integration_, execution_id: Annotated[str, Path(max_length=100)]) -> ExecutionResponse:
    execution = _activity().get_execution(caller_account_id(router), execution_id)
    if execution.integration != integration:
        raise NotFound()
    return ExecutionResponse(execution=execution)
