"""Choice rules: which ones are valid (`check_rule`) and whether one holds (`evaluate`).

Operators (each comparison also has a `...Path` variant whose operand is a JSONPath to
the value to compare with):

- StringEquals, StringLessThan, StringGreaterThan, StringLessThanEquals, StringGreaterThanEquals
- NumericEquals, NumericLessThan, NumericGreaterThan, NumericLessThanEquals, NumericGreaterThanEquals
- BooleanEquals
- TimestampEquals, TimestampLessThan, TimestampGreaterThan, TimestampLessThanEquals,
  TimestampGreaterThanEquals (RFC 3339 strings, compared as instants: `...T10:00:00+02:00`
  equals `...T08:00:00Z`; a timestamp without an offset is taken as UTC)
- IsPresent, IsNull (operand true or false)
- And, Or (non-empty lists of rules), Not (one rule)

A comparison holds only when both sides have the operator's type (a number never equals
a string, and booleans are not numbers). A Variable, or a `...Path` operand, that leads
nowhere makes the comparison false rather than failing the flow; IsPresent tells the
two cases apart. (ZIS documents the Path variants for String and Numeric equality,
Numeric order and Boolean only; the others are the Amazon States Language's and accepted
here as a superset.)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from hookyard.flows.paths import NOT_FOUND, check_path, child_path, find

Compare = Callable[[Any, Any], bool]

_ORDER: dict[str, Compare] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

# operator name -> (operand kind, comparison, operand is a path)
COMPARISONS: dict[str, tuple[str, Compare, bool]] = {}
for _kind in ("String", "Numeric", "Timestamp"):
    for _suffix, _compare in _ORDER.items():
        COMPARISONS[f"{_kind}{_suffix}"] = (_kind.lower(), _compare, False)
        COMPARISONS[f"{_kind}{_suffix}Path"] = (_kind.lower(), _compare, True)
COMPARISONS["BooleanEquals"] = ("boolean", operator.eq, False)
COMPARISONS["BooleanEqualsPath"] = ("boolean", operator.eq, True)

PRESENCE = frozenset({"IsPresent", "IsNull"})
LOGICAL = frozenset({"And", "Or", "Not"})
OPERATORS = frozenset(COMPARISONS) | PRESENCE


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 date-time as an aware datetime, or None if `value` is not one."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _string(value: Any) -> Any:
    return value if isinstance(value, str) else None


def _numeric(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else None


# operand kind -> `value` as that kind wants it, or None if it is not of that kind
_AS_KIND: dict[str, Callable[[Any], Any]] = {
    "string": _string,
    "numeric": _numeric,
    "boolean": _boolean,
    "timestamp": parse_timestamp,
}

# The exact types a kind takes as they are (a shortcut: no converter call, and the
# comparison of two of them is a bool); subclasses and timestamps take the converter.
_EXACT: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "numeric": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "timestamp": frozenset(),
}

# For evaluate: COMPARISONS with the kind's converter and exact types in place of its
# name; the presence operators have no converter.
_EVALUATED: dict[str, tuple[Callable[[Any], Any] | None, Compare, bool, frozenset[type]]] = {
    name: (_AS_KIND[kind], compare, by_path, _EXACT[kind]) for name, (kind, compare, by_path) in COMPARISONS.items()
}
_EVALUATED.update(dict.fromkeys(PRESENCE, (None, operator.eq, False, frozenset())))


def _typed(kind: str, value: Any) -> Any:
    """`value` as the operator's kind wants it, or None if it is not of that kind."""
    return _AS_KIND[kind](value)


def evaluate(rule: dict[str, Any], data: Any) -> bool:
    """Whether a (validated) choice rule holds for `data`."""
    return first_match((rule,), data) is not None


def first_match(rules: Iterable[dict[str, Any]], data: Any) -> dict[str, Any] | None:
    """The first of `rules` (validated, such as a Choice state's Choices) that holds for
    `data`, or None."""
    for rule in rules:
        variable = rule.get("Variable")
        if variable is None:  # validation keeps Variable out of And / Or / Not rules
            if _logical(rule, data):
                return rule
            continue
        value = find(data, variable)  # NOT_FOUND when it leads nowhere
        holds = False
        for name, operand in rule.items():
            spec = _EVALUATED.get(name)
            if spec is None:
                continue  # Variable, Next, Comment
            as_kind, compare, by_path, exact = spec
            if as_kind is None:  # IsPresent, IsNull
                holds = (value is not NOT_FOUND if name == "IsPresent" else value is None) is operand
            elif value is NOT_FOUND or (by_path and (operand := find(data, operand)) is NOT_FOUND):
                pass  # a side that leads nowhere: the comparison does not hold
            elif type(value) in exact and type(operand) in exact:
                holds = compare(value, operand)
            else:
                left, right = as_kind(value), as_kind(operand)
                holds = left is not None and right is not None and bool(compare(left, right))
            break  # one operator per rule
        if holds:
            return rule
    return None


def _logical(rule: dict[str, Any], data: Any) -> bool:
    if "And" in rule:
        return all(evaluate(inner, data) for inner in rule["And"])
    if "Or" in rule:
        return any(evaluate(inner, data) for inner in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], data)
    raise KeyError("Variable")  # a comparison without one (validation requires it)


def check_rule(
    rule: Any, path: str, add: Callable[[str, str], None], *, states: set[str] | None, top: bool = True
) -> None:
    """Reports problems of one choice rule. `top` rules need a Next naming one of `states`;
    rules nested in And/Or/Not must not have one."""
    if not isinstance(rule, dict):
        add(path, "a choice rule must be an object")
        return
    if top:
        target = rule.get("Next")
        if target is None:
            add(child_path(path, "Next"), "Next is required on a choice rule")
        elif not isinstance(target, str) or (states is not None and target not in states):
            add(child_path(path, "Next"), f"Next names a state that does not exist: {target}")
    elif "Next" in rule:
        add(child_path(path, "Next"), "Next is only allowed on top-level choice rules, not inside And/Or/Not")
    keys = set(rule) - {"Next", "Comment"}
    logical = keys & LOGICAL
    if logical:
        if len(keys) > 1:
            add(path, f"a rule with {' / '.join(sorted(logical))} cannot have other conditions: {sorted(keys)}")
        _check_logical(rule, path, add, sorted(logical)[0])
        return
    if "Variable" not in rule:
        add(child_path(path, "Variable"), "Variable is required in a comparison")
    else:
        problem = check_path(rule["Variable"])
        if problem:
            add(child_path(path, "Variable"), problem)
    conditions = sorted(keys - {"Variable"})
    for name in conditions:
        if name not in OPERATORS:
            add(child_path(path, name), f"unknown Choice operator {name}")
    known = [name for name in conditions if name in OPERATORS]
    if not conditions:
        add(path, "a choice rule needs a comparison operator (such as StringEquals) or And / Or / Not")
    elif len(known) > 1:
        add(path, f"a choice rule takes exactly one comparison operator, not {known}")
    for name in known:
        problem = _check_operand(name, rule[name])
        if problem:
            add(child_path(path, name), problem)


def _check_logical(rule: dict[str, Any], path: str, add: Callable[[str, str], None], name: str) -> None:
    where = child_path(path, name)
    inner = rule[name]
    if name == "Not":
        check_rule(inner, where, add, states=None, top=False)
    elif not isinstance(inner, list) or not inner:
        add(where, f"{name} must be a non-empty array of choice rules")
    else:
        for position, each in enumerate(inner):
            check_rule(each, f"{where}[{position}]", add, states=None, top=False)


def _check_operand(name: str, operand: Any) -> str | None:
    if name in PRESENCE:
        return None if isinstance(operand, bool) else f"{name} takes true or false"
    kind, _, by_path = COMPARISONS[name]
    if by_path:
        return check_path(operand)
    if _typed(kind, operand) is None:
        expected = {
            "string": "a string",
            "numeric": "a number",
            "boolean": "true or false",
            "timestamp": "an RFC 3339 timestamp such as 2024-01-31T12:00:00Z",
        }[kind]
        return f"{name} takes {expected}"
    return None
