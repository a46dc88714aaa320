"""Identifiers: ULIDs for ids that sort by creation, UUID4s where Zendesk uses them."""

from __future__ import annotations

import uuid

from ulid import ULID


def new_ulid() -> str:
    return str(ULID())


def new_uuid() -> str:
    return str(uuid.uuid4())
