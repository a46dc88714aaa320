"""Triggers: conditions over the webhook payload, evaluated here, by the router, and
nowhere else. (The Liquid-templated request a trigger's action sends is
`hookyard.webhooks.bodies`: only the functions that check or render bodies import it,
and only they have Liquid in their layers.)

Conditions
----------
`{"all": [...], "any": [...]}` of `{"field", "operator", "value"}`: a trigger fires when
every `all` condition holds and, if `any` has conditions, at least one of them does.

A field is a dotted path into the webhook payload (`payload.build_payload`):

- a path starting with a payload field (type, account_id, id, time,
  zendesk_event_version, subject, detail, event) reads the payload: `detail.priority`,
  `event.meta.integration`, `account_id`;
- any other path reads `detail` (the event's body): `ticket.status` is
  `detail.ticket.status`, `priority` is `detail.priority`. So Zendesk-style
  placeholders written against the body work, and a body field named like a payload
  field is still reachable through `detail.`;
- a path through a list reads every element (`comments.author` is the author of each
  comment); an all-digits segment indexes a list (`tags.0`).

The values found are compared as EventBridge patterns compare (a familiar model for
rules on the bus): a list matches when one of its elements does, and an object is not a
value.

  is v           some value equals v (JSON equality: "5" is not 5, true is not 1)
  is_not v       the field is present and some value is not v (as EventBridge's
                 anything-but: a missing field is not "not v")
  includes v     a string value contains v, or a list value has an element equal to v
  not_includes v no value includes v (a missing field includes nothing)
  greater_than n some value is a number (not a numeric string) greater than n
  less_than n    some value is a number less than n
  present        the field has a value (a string, number, boolean, null, or a non-empty
                 list of them; an object is not a value, as EventBridge's exists)
  not_present    not present

`n` may be given as a number or a numeric string. `changed` and Zendesk's other
ticket-update operators are not supported (events carry no previous state).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hookyard.errors import BadRequest
from hookyard.webhooks.payload import PAYLOAD_FIELDS

IS, IS_NOT, INCLUDES, NOT_INCLUDES = "is", "is_not", "includes", "not_includes"
GREATER_THAN, LESS_THAN, PRESENT, NOT_PRESENT = "greater_than", "less_than", "present", "not_present"
OPERATORS = (IS, IS_NOT, INCLUDES, NOT_INCLUDES, GREATER_THAN, LESS_THAN, PRESENT, NOT_PRESENT)
GROUPS = ("all", "any")

Conditions = dict[str, list[dict[str, Any]]]


# ------------------------------------------------------------------ conditions


def validate_conditions(conditions: Mapping[str, Any] | None) -> Conditions:
    """The conditions as {"all": [...], "any": [...]} of {field, operator, value};
    raises BadRequest naming the condition (`conditions.all[0].operator`) when one is
    malformed or uses an unsupported operator."""
    if conditions is None:
        return {"all": [], "any": []}
    if not isinstance(conditions, Mapping):
        raise BadRequest('conditions: expected an object {"all": [...], "any": [...]}')
    unknown = sorted(set(conditions) - set(GROUPS))
    if unknown:
        raise BadRequest(f'conditions: unknown key {unknown[0]!r}; expected "all" and "any"')
    out: Conditions = {}
    for group in GROUPS:
        items = conditions.get(group) or []
        if not isinstance(items, list):
            raise BadRequest(f"conditions.{group}: expected a list of conditions")
        out[group] = [_condition(item, f"conditions.{group}[{index}]") for index, item in enumerate(items)]
    return out


def evaluate(conditions: Mapping[str, Any] | None, payload: Mapping[str, Any]) -> bool:
    """Whether `payload` satisfies `conditions` (see the module docstring). No
    conditions at all hold for every payload. Raises BadRequest for malformed ones."""
    checked = validate_conditions(conditions)
    if not all(_holds(c, payload) for c in checked["all"]):
        return False
    return not checked["any"] or any(_holds(c, payload) for c in checked["any"])


def resolve(payload: Mapping[str, Any], field: str) -> list[Any]:
    """The values `field` finds in `payload` (empty when it finds none): payload fields
    first, else the body's (`detail`); lists are read element by element."""
    segments = field.split(".")
    root: Any = payload if segments[0] in PAYLOAD_FIELDS else payload.get("detail")
    found = [root]
    for segment in segments:
        found = _step(found, segment)
        if not found:
            break
    return found


def _condition(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise BadRequest(f"{where}: expected an object {{field, operator, value}}")
    unknown = sorted(set(item) - {"field", "operator", "value"})
    if unknown:
        raise BadRequest(f"{where}: unknown key {unknown[0]!r}")
    field, operator, value = item.get("field"), item.get("operator"), item.get("value")
    if not isinstance(field, str) or not field or any(not s for s in field.split(".")):
        raise BadRequest(f"{where}.field: expected a dotted path such as ticket.status")
    if operator not in OPERATORS:
        raise BadRequest(f"{where}.operator: {operator!r} is not supported; use one of {', '.join(OPERATORS)}")
    if operator in (IS, IS_NOT) and not _is_scalar(value):
        raise BadRequest(f"{where}.value: expected a string, number, boolean or null")
    if operator in (INCLUDES, NOT_INCLUDES) and (value is None or not _is_scalar(value)):
        raise BadRequest(f"{where}.value: expected a string, number or boolean")
    if operator in (GREATER_THAN, LESS_THAN) and _number(value) is None:
        raise BadRequest(f"{where}.value: expected a number")
    return {"field": field, "operator": operator, "value": value}


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _number(value: Any) -> float | int | None:
    """A condition's numeric value: a number, or a string holding one; finite only."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    return None


def _step(found: list[Any], segment: str) -> list[Any]:
    out: list[Any] = []
    for value in found:
        if isinstance(value, Mapping):
            if segment in value:
                out.append(value[segment])
        elif isinstance(value, list):
            if segment.isdigit():
                if int(segment) < len(value):
                    out.append(value[int(segment)])
            else:
                out.extend(_step(value, segment))
    return out


def _leaves(found: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in found:
        if isinstance(value, list):
            out.extend(_leaves(value))
        elif not isinstance(value, Mapping):
            out.append(value)
    return out


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, numbers compare by value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _holds(condition: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    operator, expected = condition["operator"], condition.get("value")
    found = resolve(payload, condition["field"])
    leaves = _leaves(found)
    if operator == IS:
        return any(_same(v, expected) for v in leaves)
    if operator == IS_NOT:
        return any(not _same(v, expected) for v in leaves)
    if operator == INCLUDES:
        return any(_includes(v, expected) for v in found)
    if operator == NOT_INCLUDES:
        return not any(_includes(v, expected) for v in found)
    if operator in (GREATER_THAN, LESS_THAN):
        bound = _number(expected)
        numbers = [v for v in leaves if isinstance(v, int | float) and not isinstance(v, bool)]
        if bound is None:
            return False
        return any(v > bound if operator == GREATER_THAN else v < bound for v in numbers)
    if operator == PRESENT:
        return bool(leaves)
    return not leaves  # NOT_PRESENT


def _includes(value: Any, expected: Any) -> bool:
    if isinstance(value, str):
        return isinstance(expected, str) and expected in value
    if isinstance(value, list):
        return any(_same(v, expected) for v in _leaves(value))
    return False
