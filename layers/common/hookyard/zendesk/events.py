"""Zendesk's webhook events as ZIS events: the table in events.json, applied once, at ingest.

A Zendesk event-subscribed webhook posts `{type, account_id, id, time, zendesk_event_version,
subject, detail, event}`. A ZIS flow listening on `event_source: support` reads
`$.input.<domain>_event` (shared/reference/zendesk-events-to-zis.md, section 3). For a type
the table lists, `translate` gives the ZIS tag (the bus DetailType) and the ZIS input::

    {"ticket_event": {"meta": {"version": "1.0", "occurred_at": <time, whole seconds>,
                               "ref": <the Zendesk event id>,
                               "sequence": {"id": <string>, "position": <n>}},
                      "type": "Ticket Created",
                      "ticket": <detail with ZIS's conventions>,
                      ...what the event object carries (previous, current, comment, ...)}}

ZIS's value conventions: ids are integers (Zendesk sends strings; a string that is not a
decimal number is kept), `external_id` stays a string, status / priority / type (and a
user's role) are lower case, times are whole seconds in UTC with `Z`. Every ZIS field of
the resource is present (null when Zendesk left it out); the webhook's extra fields
(subject, description, actor_id, ...) are kept with the same conventions. A user's "0"
for no organization or group is null, as Zendesk's REST API writes it.

A type the table does not list (SLA, agent availability, Guide, organization events, ...)
has no ZIS equivalent: it keeps its Zendesk type as DetailType and the payload as input.
Both spellings of a type, `zen:event-type:user.created` and `zen:event-type/user.created`,
are the same event; the colon form is the canonical one.

Only the standard library, and the table is read on first use: ingest imports this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

TYPE_PREFIX = "zen:event-type:"
SLASH_PREFIX = "zen:event-type/"
ZIS_META_VERSION = "1.0"
TABLE_PATH = Path(__file__).with_name("events.json")

_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")


@dataclass(frozen=True, slots=True)
class Row:
    zendesk: str  # without the prefix: "ticket.created"
    tag: str  # ZIS event_type: "ticket.TicketCreated"
    type: str  # ZIS payload type: "Ticket Created"
    domain: str  # "ticket" | "user"
    values: str | None = None  # how previous / current are written: id | enum | time
    derive: str | None = None  # "tags": previous / current tag lists from tags_added / tags_removed
    zero_is_none: bool = False  # previous / current of "0" mean none: null


@dataclass(frozen=True, slots=True)
class Domain:
    input_key: str
    resource: str
    fields: tuple[str, ...]
    enums: frozenset[str]
    zero_is_none: frozenset[str]


@dataclass(frozen=True, slots=True)
class Table:
    domains: Mapping[str, Domain]
    rows: Mapping[str, Row]

    def row(self, zendesk_type: str) -> Row | None:
        """The row of a Zendesk type (either spelling), or None when it has no ZIS equivalent."""
        return self.rows.get(canonical_type(zendesk_type).removeprefix(TYPE_PREFIX))


@dataclass(frozen=True, slots=True)
class Translation:
    zendesk_type: str  # canonical: "zen:event-type:ticket.created"
    detail_type: str  # the ZIS tag, or zendesk_type when there is none
    body: Any  # the ZIS input, or the Zendesk payload when there is no ZIS equivalent
    mapped: bool


@cache
def table() -> Table:
    """The translation table (events.json), read once."""
    data = json.loads(TABLE_PATH.read_text())
    domains = {
        name: Domain(
            input_key=d["input_key"],
            resource=d["resource"],
            fields=tuple(d["fields"]),
            enums=frozenset(d["enums"]),
            zero_is_none=frozenset(d["zero_is_none"]),
        )
        for name, d in data["domains"].items()
    }
    rows = {
        name: Row(
            zendesk=name,
            tag=r["tag"],
            type=r["type"],
            domain=name.split(".", 1)[0],
            values=r.get("values"),
            derive=r.get("derive"),
            zero_is_none=bool(r.get("zero_is_none", False)),
        )
        for name, r in data["events"].items()
    }
    return Table(domains=domains, rows=rows)


def canonical_type(zendesk_type: str) -> str:
    """`zen:event-type/user.created` (a spelling Zendesk's own docs use) as `zen:event-type:user.created`."""
    if zendesk_type.startswith(SLASH_PREFIX):
        return TYPE_PREFIX + zendesk_type[len(SLASH_PREFIX) :]
    return zendesk_type


def is_zendesk_type(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith((TYPE_PREFIX, SLASH_PREFIX))
        and len(value) > len(TYPE_PREFIX)
        and not any(c in value for c in "\x00\r\n")
    )


def translate(payload: Mapping[str, Any]) -> Translation:
    """The bus view of one Zendesk webhook event (`payload` as Zendesk posted it; its
    `type` must satisfy `is_zendesk_type`)."""
    zendesk_type = canonical_type(str(payload["type"]))
    row = table().row(zendesk_type)
    if row is None:
        return Translation(zendesk_type, zendesk_type, dict(payload), mapped=False)
    domain = table().domains[row.domain]
    return Translation(zendesk_type, row.tag, {domain.input_key: _zis_event(row, domain, payload)}, mapped=True)


def _zis_event(row: Row, domain: Domain, payload: Mapping[str, Any]) -> dict[str, Any]:
    detail = payload.get("detail")
    detail = detail if isinstance(detail, Mapping) else {}
    event = payload.get("event")
    event = event if isinstance(event, Mapping) else {}
    resource = _resource(domain, detail)
    out: dict[str, Any] = {"meta": _meta(payload, event), "type": row.type, domain.resource: resource}
    for name, value in event.items():
        if name == "meta":
            continue
        if name in ("previous", "current"):
            out[name] = None if row.zero_is_none and value in ("0", 0) else _changed(row.values, value)
        else:
            out[name] = _conventions(name, value)
    if row.derive == "tags":
        out.update(_tag_lists(resource.get("tags"), event))
    return out


def _meta(payload: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"version": ZIS_META_VERSION}
    if isinstance(payload.get("time"), str):
        meta["occurred_at"] = whole_seconds(payload["time"])
    if payload.get("id") is not None:
        meta["ref"] = str(payload["id"])
    event_meta = event.get("meta")
    sequence = event_meta.get("sequence") if isinstance(event_meta, Mapping) else None
    if isinstance(sequence, Mapping):
        meta["sequence"] = {
            k: (str(v) if k == "id" and v is not None else v) for k, v in sequence.items() if k in ("id", "position")
        }
    return meta


def _resource(domain: Domain, detail: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(domain.fields)
    for name, value in detail.items():
        if name in domain.zero_is_none and value in ("0", 0):
            out[name] = None
        elif name in domain.enums and isinstance(value, str):
            out[name] = value.lower()
        else:
            out[name] = _conventions(name, value)
    return out


def _changed(kind: str | None, value: Any) -> Any:
    if kind == "id":
        return _ids(value)
    if kind == "enum":
        return value.lower() if isinstance(value, str) else value
    if kind == "time":
        return whole_seconds(value) if isinstance(value, str) else value
    return _conventions("", value) if isinstance(value, Mapping) else value


def _conventions(name: str, value: Any) -> Any:
    """`value` of a field called `name`, with ZIS's conventions, nested objects included."""
    if isinstance(value, Mapping):
        return {k: _conventions(k, v) for k, v in value.items()}
    if name == "external_id":
        return value
    if name == "id" or name.endswith(("_id", "_ids")):
        return _ids(value)
    if name.endswith("_at") and isinstance(value, str):
        return whole_seconds(value)
    if isinstance(value, list):
        return [_conventions("", v) if isinstance(v, Mapping) else v for v in value]
    return value


def _ids(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, list):
        return [_ids(v) for v in value]
    return value


def _tag_lists(current: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    added, removed = event.get("tags_added"), event.get("tags_removed")
    if not isinstance(current, list):
        return {}
    added = added if isinstance(added, list) else []
    removed = removed if isinstance(removed, list) else []
    previous = [t for t in current if t not in added] + [t for t in removed if t not in current]
    return {"previous": previous, "current": list(current)}


def whole_seconds(value: str) -> str:
    """An RFC 3339 time as ZIS writes it: UTC, whole seconds, `Z`
    ("2025-01-08T10:12:07.672717030Z" -> "2025-01-08T10:12:07Z"). Other text is kept."""
    found = _TIME.match(value)
    if found is None:
        return value
    seconds, zone = found.groups()
    try:
        moment = datetime.fromisoformat(seconds + ("+00:00" if zone == "Z" else zone)).astimezone(UTC)
    except (ValueError, OverflowError):  # "2025-13-45T99:99:99Z", or past year 9999 in UTC
        return value
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
