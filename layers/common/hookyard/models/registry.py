"""ZIS registry: integrations, bundles, job specs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from hookyard.models.common import Model, PageMeta, Request, Timestamp


class CreateIntegrationRequest(Request):
    description: Annotated[str, StringConstraints(max_length=1000)] = ""


class Integration(Model):
    name: str
    description: str
    created_at: Timestamp


class IntegrationList(Model):
    integrations: list[Integration]


class BundleSummary(Model):
    uuid: str
    name: str
    description: str
    created_at: Timestamp
    updated_at: Timestamp


class BundleList(Model):
    bundles: list[BundleSummary]
    meta: PageMeta


class BundleDocument(Model):
    uuid: str
    name: str
    description: str
    zis_template_version: str
    resources: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class BundleResponse(Model):
    bundle: BundleDocument


class JobSpecState:
    """Installed or not: installing writes the job spec's route in the same transaction
    (hookyard.routing), so there is no state in between."""

    NOT_INSTALLED = "not_installed"
    INSTALLED = "installed"


class JobSpecRecord(Model):
    account_id: int
    integration: str
    name: str
    bundle: str
    event_source: str
    event_type: str
    flow_name: str
    state: str = JobSpecState.NOT_INSTALLED
    version: int = 1

    @property
    def full_name(self) -> str:
        return f"zis:{self.integration}:job_spec:{self.name}"


class JobSpecView(Model):
    name: str
    full_name: str = Field(description="zis:<integration>:job_spec:<name>, as the install endpoint takes it")
    event_source: str
    event_type: str
    flow_name: str
    bundle: str
    installed: bool


class JobSpecList(Model):
    job_specs: list[JobSpecView]
