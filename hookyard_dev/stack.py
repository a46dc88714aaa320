"""The local stack: the template's resources on an embedded AWS, the real handlers, and
the account a newcomer can use at once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hookyard_dev.apigw import Gateway
from hookyard_dev.embedded_aws import EmbeddedAws, aws_environment, provision
from hookyard_dev.runtime import FunctionRuntime, add_code_paths, function_environment
from hookyard_dev.template import Template

DEV_ACCOUNT_NAME = "dev"


def operator_parameters(operator_token: str) -> dict[str, str]:
    import hashlib

    return {"OperatorTokenSha256": hashlib.sha256(operator_token.encode()).hexdigest()}


@dataclass
class Stack:
    template: Template
    aws: EmbeddedAws | None
    aws_endpoint: str
    runtimes: dict[str, FunctionRuntime]

    @property
    def gateway(self) -> Gateway:
        return Gateway(self.template, self.runtimes)

    def stop(self) -> None:
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
        template.queue_urls = provision(template, aws.client)
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
