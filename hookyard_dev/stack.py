"""The local stack: the template's resources on an embedded AWS, the real handlers, and
the account a newcomer can use at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hookyard_dev.apigw import Gateway
from hookyard_dev.embedded_aws import EmbeddedAws, aws_environment, provision
from hookyard_dev.poller import QueuePoller
from hookyard_dev.runtime import FunctionRuntime, add_code_paths, function_environment
from hookyard_dev.template import Template

DEV_ACCOUNT_NAME = "dev"


# The local stack's receivers and fakes run on this machine.
DEV_OUTBOUND_ALLOW = "127.0.0.0/8,::1/128"


def operator_parameters(operator_token: str) -> dict[str, str]:
    import hashlib

    return {
        "OperatorTokenSha256": hashlib.sha256(operator_token.encode()).hexdigest(),
        "OutboundAllowCidrs": DEV_OUTBOUND_ALLOW,
    }


@dataclass
class Stack:
    template: Template
    aws: EmbeddedAws | None
    aws_endpoint: str
    runtimes: dict[str, FunctionRuntime]
    pollers: list[QueuePoller] = field(default_factory=list)

    @property
    def gateway(self) -> Gateway:
        return Gateway(self.template, self.runtimes)

    def start_pollers(self) -> list[QueuePoller]:
        """Lambda's SQS event source mappings, one polling thread per mapping."""
        import boto3

        sqs = boto3.client("sqs")  # pointed at the embedded AWS by the environment
        pollers = []
        for spec in self.template.functions.values():
            for mapping in spec.sqs:
                queue_url = self.template.queue_urls[mapping.queue_id]
                poller = QueuePoller(
                    sqs, mapping, queue_url, self.template.arn(mapping.queue_id), self.runtimes[spec.logical_id]
                )
                poller.start()
                pollers.append(poller)
        self.pollers = pollers
        return pollers

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self.aws is not None:
            self.aws.stop()


def start_stack(
    template_path: str | Path,
    operator_token: str,
    aws_endpoint: str | None = None,
    aws_host: str = "127.0.0.1",
    aws_port: int = 0,
) -> Stack:
    """Start (or attach to) the embedded AWS, create the template's resources in a new one,
    and load every function's environment and code. Handlers run in this process."""
    template = Template.load(template_path, parameters=operator_parameters(operator_token))
    aws = None
    if aws_endpoint is None:
        aws = EmbeddedAws(aws_host, aws_port)
        aws_endpoint = aws.start()
    os.environ.update(aws_environment(aws_endpoint))
    if aws is not None:
        provision(template, aws.client)
    os.environ.update(function_environment(template))
    add_code_paths(template)
    runtimes = {fid: FunctionRuntime(spec) for fid, spec in template.functions.items()}
    for runtime in runtimes.values():
        runtime.handler  # noqa: B018 - import now: a broken handler fails at start, not on first request
    return Stack(template, aws, aws_endpoint, runtimes)


def seed_account(token: str) -> int:
    """Account 1 with `token` as an API token, so curl works straight away."""
    from hookyard.config import TableSettings, get_settings
    from hookyard.dal.accounts import AccountsRepository

    repo = AccountsRepository(get_settings(TableSettings).config_table)
    account = repo.create_account(DEV_ACCOUNT_NAME)
    repo.issue_token(account.id, name="hookyard dev", value=token)
    return account.id
