"""Registry rules: integrations, bundle uploads (validate all, then store), and job spec
install / uninstall as EventBridge rules that send matching events to the flow queue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hookyard import rules
from hookyard.dal.registry import RegistryRepository
from hookyard.errors import BadRequest, Conflict, NotFound
from hookyard.flows.bundle import validate_bundle
from hookyard.models.registry import BundleDocument, Integration, JobSpecRecord, JobSpecState

# Static path segments beside {integration} in the registry's routes.
RESERVED_INTEGRATIONS = frozenset({"integrations", "job_specs", "swagger"})
JOB_SPEC_NAME = re.compile(r"^zis:(?P<integration>[a-z0-9_-]{1,64}):job_spec:(?P<name>.+)$")


@dataclass(frozen=True)
class RuleTarget:
    bus: str
    flow_queue_arn: str


def create_integration(repo: RegistryRepository, account_id: int, name: str, description: str) -> Integration:
    if name in RESERVED_INTEGRATIONS:
        raise BadRequest(f'integration: "{name}" is reserved')
    return repo.create_integration(account_id, name, description)


def upload_bundle(
    repo: RegistryRepository, target: RuleTarget, account_id: int, integration: str, document: Any
) -> BundleDocument:
    """Validate everything, then store. Job specs the bundle keeps stay installed on the
    new definitions (their rules follow a changed source or type); job specs it drops
    are uninstalled and removed."""
    repo.get_integration(account_id, integration)
    bundle = validate_bundle(document, integration)
    stored = repo.put_bundle(account_id, integration, document)
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
            rule_name=rules.rule_name("js", account_id, integration, name),
        )
        repo.put_job_spec(record)
        if record.state in (JobSpecState.INSTALLED, JobSpecState.INSTALLING):
            _put_rule(target, record)
    for name, old in previous.items():
        if name not in bundle.job_specs:
            rules.delete_rule(target.bus, old.rule_name)
            repo.delete_job_spec(old)
    return stored


def parse_job_spec_name(full_name: str | None) -> tuple[str, str]:
    found = JOB_SPEC_NAME.match(full_name or "")
    if not found:
        raise BadRequest("job_spec_name: expected zis:<integration>:job_spec:<name>")
    return found["integration"], found["name"]


def install(repo: RegistryRepository, target: RuleTarget, account_id: int, full_name: str | None) -> JobSpecRecord:
    integration, name = parse_job_spec_name(full_name)
    record = repo.get_job_spec(account_id, integration, name)
    if record.state == JobSpecState.INSTALLED:
        raise Conflict(f"{record.full_name} is already installed")
    # Record the intent first: whatever happens next, no rule exists without a record.
    expected = {JobSpecState.NOT_INSTALLED, JobSpecState.INSTALLING, JobSpecState.UNINSTALLING}
    if not repo.set_job_spec_state(record, JobSpecState.INSTALLING, expected):
        raise Conflict(f"{record.full_name} is already installed")
    _put_rule(target, record)
    repo.set_job_spec_state(record, JobSpecState.INSTALLED, {JobSpecState.INSTALLING})
    return record


def uninstall(repo: RegistryRepository, target: RuleTarget, account_id: int, full_name: str | None) -> None:
    integration, name = parse_job_spec_name(full_name)
    record = repo.get_job_spec(account_id, integration, name)
    if record.state == JobSpecState.NOT_INSTALLED:
        raise NotFound(f"{record.full_name} is not installed")
    repo.set_job_spec_state(record, JobSpecState.UNINSTALLING, {record.state})
    rules.delete_rule(target.bus, record.rule_name)
    repo.set_job_spec_state(record, JobSpecState.NOT_INSTALLED, {JobSpecState.UNINSTALLING})


def event_pattern(record: JobSpecRecord) -> dict[str, Any]:
    """Events of this account whose source and type match; an inbound webhook's events
    reach only the job specs of the webhook's own integration."""
    return {
        "source": [record.event_source],
        "detail-type": [record.event_type],
        "detail": {"account_id": [record.account_id], "integration": [record.integration]},
    }


def _put_rule(target: RuleTarget, record: JobSpecRecord) -> None:
    rules.put_rule(
        target.bus,
        record.rule_name,
        event_pattern(record),
        target.flow_queue_arn,
        fields={
            "kind": "job_spec",
            "account_id": record.account_id,
            "integration": record.integration,
            "job_spec": record.name,
        },
        paths={"event": "$.detail"},
        description=f"{record.full_name} -> {record.flow_name}",
    )
