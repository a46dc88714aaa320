"""Fixtures every test level shares: the events/ files and the template."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hookyard_dev.template import Template

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
OPERATOR_TOKEN = "op_test_operator_token"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name>, the same file `sam local invoke` and `hookyard invoke` use."""
    return copy.deepcopy(json.loads((EVENTS / name).read_text()))


@pytest.fixture(scope="session")
def template() -> Template:
    from hookyard_dev.stack import operator_parameters

    return Template.load(ROOT / "template.yaml", parameters=operator_parameters(OPERATOR_TOKEN))
