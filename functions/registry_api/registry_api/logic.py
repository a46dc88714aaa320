"""Registry rules: integrations, bundle uploads (validate all, then store), and job spec
install / uninstall. An installed job spec has a route in the subscription index, so the
router sends the events it matches to the flow queue."""

from __future__ import annotations

import json
import re
from typing import Any

from hookyard.dal.registry import RegistryRepository
from hookyard.errors import BadRequest, Conflict, NotFound
from hookyard.flows.bundle import validate_bundle
from hookyard.flows.runnable import runnable_flows
from hookyard.models.registry import BundleDocument, Integration, JobSpecRecord, JobSpecState

# A bundle is stored as one DynamoDB item (400 KB at most), its resources as JSON text.
MAX_BUNDLE_BYTES = 350 * 1024
# Static path segments beside {integration} in the registry's routes.
RESERVED_INTEGRATIONS = frozenset({"integrations", "job_specs", "swagger"})
JOB_SPEC_NAME = re.compile(r"^zis:(?P<integration>[a-z0-9_-]{1,64}):job_spec:(?P<name>.+)$")


def create_integration(repo: RegistryRepository, account_id: int, name: str, description: str) -> Integration:
    if name in RESERVED_INTEGRATIONS:
        raise BadRequest(f'integration: "{name}" is reserved')
    return repo.create_integration(account_id, name, description)


def upload_bundle(repo: RegistryRepository, account_id: int, integration: str, document: Any) -> BundleDocument:
    """Validate everything, then store, each flow as the runner runs it (it does not
    validate again). Job specs the bundle keeps stay installed on the new definitions
    (their routes follow a changed source or type); job specs it drops are uninstalled
    and removed."""
    repo.get_integration(account_id, integration)
    bundle = validate_bundle(document, integration)
    size = len(json.dumps(document["resources"], separators=(",", ":")).encode())
    if size > MAX_BUNDLE_BYTES:
        raise BadRequest(
            f"resources: the bundle's resources are {size} bytes of JSON; "
            f"a bundle holds at most {MAX_BUNDLE_BYTES} bytes"
        )
    stored = repo.put_bundle(account_id, integration, document, runnable_flows(bundle.flows, bundle.actions))
    previous = {j.name: j for j in repo.list_job_specs(account_id, integration) if j.bundle == bundle.name}
    for name, spec in bundle.job_specs.items():
        old = previous.get(name)
        record = JobSpecRecord(
            account_id=account_id,
            integration=integration,
            name=name,
            bundle=bundle.name,
            event_source=spec.event_source,
            event_type=spec.event_type,
            flow_name=spec.flow_name,
            state=old.state if old else JobSpecState.NOT_INSTALLED,
            version=old.version if old else 1,
        )
        if old is None or record != old:
            repo.save_job_spec(record, old)
    for name, old in previous.items():
        if name not in bundle.job_specs:
            repo.delete_job_spec(old)
    return stored


def parse_job_spec_name(full_name: str | None) -> tuple[str, str]:
    found = JOB_SPEC_NAME.match(full_name or "")
    if not found:
        raise BadRequest("job_spec_name: expected zis:<integration>:job_spec:<name>")
    return found["integration"], found["name"]


def install(repo: RegistryRepository, account_id: int, full_name: str | None) -> JobSpecRecord:
    """Install: from the next event on, the router runs the job spec's flow for it."""
    integration, name = parse_job_spec_name(full_name)
    record = repo.get_job_spec(account_id, integration, name)
    if record.state == JobSpecState.INSTALLED:
        raise Conflict(f"{record.full_name} is already installed")
    return repo.save_job_spec(record.model_copy(update={"state": JobSpecState.INSTALLED}), record)


def uninstall(repo: RegistryRepository, account_id: int, full_name: str | None) -> None:
    """Uninstall: events stop reaching the job spec at once."""
    integration, name = parse_job_spec_name(full_name)
    record = repo.get_job_spec(account_id, integration, name)
    if record.state != JobSpecState.INSTALLED:
        raise NotFound(f"{record.full_name} is not installed")
    repo.save_job_spec(record.model_copy(update={"state": JobSpecState.NOT_INSTALLED}), record)
