"""The README's examples run as written: its ZIS tutorial block, executed by bash against
the local stack, makes the flow post to a receiver what the bundle's JSONPaths select."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Dev
from tests.e2e.receiver import Receiver, running_receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def readme_block(after: str) -> str:
    """The first ```sh block of README.md after the text `after`."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"```sh\n(.*?)```", text[text.index(after) :], re.S)
    assert found, f"no sh block after {after!r}"
    return found.group(1)


def test_the_zis_tutorial_block_runs_as_written(dev: Dev, receiver: Receiver) -> None:
    script = readme_block("This is\nZIS's own tutorial bundle")
    env = {**os.environ, "URL": dev.url, "TOKEN": dev.token, "RECEIVER": receiver.url + "/hook"}

    done = subprocess.run(
        ["/bin/bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    [request] = receiver.wait_for(1, "/hook")
    assert request.json() == {"webhook": {"status": "open", "priority": "high"}}
    assert request.headers["x-zendesk-ticket-id"]
    assert "Execution Successful" in done.stdout  # the integration log the block reads last
