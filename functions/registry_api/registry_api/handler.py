"""ZIS registry API: integrations, bundles and job specs (here), connections, configs,
and integration logs (routers in this package).

Triggered by API Gateway behind the bearer-token authorizer; every call is scoped to
the caller's account.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookyard.api import ErrorStyle, as_json_request, caller_account_id, create_app, no_content, page_size
from hookyard.config import RegistrySettings, get_settings
from hookyard.dal.registry import RegistryRepository
from hookyard.models.common import IntegrationName, PageMeta
from hookyard.models.registry import (
    BundleList,
    BundleResponse,
    BundleSummary,
    CreateIntegrationRequest,
    Integration,
    IntegrationList,
    JobSpecList,
    JobSpecState,
    JobSpecView,
)
from hookyard.observability import API_CORRELATION_PATH
from registry_api import configs, connections, logic, logs
from registry_api.log import logger

app = create_app(
    title="Hookyard ZIS registry API",
    description="Integrations, bundles, job specs, connections, configs and integration logs.",
    swagger_path="/api/services/zis/registry/swagger",
    style=ErrorStyle.ZIS,
    logger=logger,
)
app.include_router(connections.router)
app.include_router(configs.router)
app.include_router(logs.router)

BASE = "/api/services/zis/registry"
Integration_ = Annotated[IntegrationName, Path(description="The integration's name")]


def _repo() -> RegistryRepository:
    return RegistryRepository(get_settings(RegistrySettings).config_table)


@app.post(
    f"{BASE}/<integration>",
    summary="Create an integration",
    tags=["Integrations"],
    responses={201: {"description": "Created"}, 409: {"description": "The account has an integration of that name"}},
)
def create_integration(integration: Integration_, body: CreateIntegrationRequest) -> tuple[Integration, int]:
    account_id = caller_account_id(app)
    created = logic.create_integration(_repo(), account_id, integration, body.description)
    logger.info("integration created", account_id=account_id, integration=integration)
    return created, 201


@app.get(f"{BASE}/integrations", summary="List integrations", tags=["Integrations"])
def list_integrations() -> IntegrationList:
    return IntegrationList(integrations=_repo().list_integrations(caller_account_id(app)))


@app.post(
    f"{BASE}/<integration>/bundles",
    summary="Upload a bundle",
    tags=["Bundles"],
    responses={
        200: {"description": "Uploaded (no body, as ZIS)", "content": {}},
        409: {"description": "One of the bundle's job specs changed meanwhile: retry"},
    },
)
def upload_bundle(integration: Integration_, body: Annotated[Any, Body(description="A ZIS bundle")]) -> Response[str]:
    account_id = caller_account_id(app)
    bundle = logic.upload_bundle(_repo(), account_id, integration, body)
    logger.info("bundle uploaded", account_id=account_id, integration=integration, bundle=bundle.name)
    return Response(status_code=200, body="")


@app.get(f"{BASE}/<integration>/bundles", summary="List an integration's bundles", tags=["Bundles"])
def list_bundles(
    integration: Integration_,
    size: Annotated[int | None, Query(alias="page[size]")] = None,
    after: Annotated[str | None, Query(alias="page[after]")] = None,
) -> BundleList:
    account_id = caller_account_id(app)
    _repo().get_integration(account_id, integration)
    limit = page_size(size, get_settings(RegistrySettings).page_size_max)
    bundles, cursor = _repo().list_bundles(account_id, integration, limit, after)
    return BundleList(
        bundles=[
            BundleSummary(**b.model_dump(include={"uuid", "name", "description", "created_at", "updated_at"}))
            for b in bundles
        ],
        meta=PageMeta(has_more=cursor is not None, after=cursor, before=after),
    )


@app.get(f"{BASE}/<integration>/bundles/<uuid>", summary="Show a bundle", tags=["Bundles"])
def show_bundle(integration: Integration_, uuid: Annotated[str, Path(max_length=36)]) -> BundleResponse:
    return BundleResponse(bundle=_repo().get_bundle_by_uuid(caller_account_id(app), integration, uuid))


@app.get(f"{BASE}/<integration>/job_specs", summary="List an integration's job specs", tags=["Job specs"])
def list_job_specs(integration: Integration_) -> JobSpecList:
    account_id = caller_account_id(app)
    _repo().get_integration(account_id, integration)
    return JobSpecList(
        job_specs=[
            JobSpecView(
                name=j.name,
                full_name=j.full_name,
                event_source=j.event_source,
                event_type=j.event_type,
                flow_name=j.flow_name,
                bundle=j.bundle,
                installed=j.state == JobSpecState.INSTALLED,
            )
            for j in _repo().list_job_specs(account_id, integration)
        ]
    )


JobSpecName = Annotated[str | None, Query(description="zis:<integration>:job_spec:<name>", max_length=300)]


@app.post(
    f"{BASE}/job_specs/install",
    summary="Install a job spec",
    tags=["Job specs"],
    responses={
        200: {"description": "Installed (no body, as ZIS)", "content": {}},
        404: {"description": "No such job spec"},
        409: {"description": "The job spec is installed already, or changed meanwhile"},
    },
)
def install_job_spec(job_spec_name: JobSpecName = None) -> Response[str]:
    account_id = caller_account_id(app)
    record = logic.install(_repo(), account_id, job_spec_name)
    logger.info("job spec installed", account_id=account_id, job_spec=record.full_name)
    return Response(status_code=200, body="")


@app.delete(
    f"{BASE}/job_specs/install",
    summary="Uninstall a job spec",
    tags=["Job specs"],
    responses={
        204: {"description": "Uninstalled: events stop reaching it at once"},
        404: {"description": "No such job spec, or it is not installed"},
        409: {"description": "The job spec changed meanwhile: retry"},
    },
)
def uninstall_job_spec(job_spec_name: JobSpecName = None) -> Response[str]:
    account_id = caller_account_id(app)
    logic.uninstall(_repo(), account_id, job_spec_name)
    logger.info("job spec uninstalled", account_id=account_id, job_spec=job_spec_name)
    return no_content()


@logger.inject_lambda_context(correlation_id_path=API_CORRELATION_PATH)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(as_json_request(event), context)
