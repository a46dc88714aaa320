"""Choice rules: every operator, its Path variant, And / Or / Not, and their checks."""

from __future__ import annotations

from typing import Any

import pytest

from hookyard.flows.choice import COMPARISONS, OPERATORS, check_rule, evaluate, first_match, parse_timestamp

DATA: dict[str, Any] = {
    "s": "beta",
    "n": 10,
    "f": 2.5,
    "t": True,
    "ts": "2024-05-01T12:00:00Z",
    "null": None,
    "other": {
        "s": "beta",
        "lower": "alpha",
        "zeta": "zeta",
        "n": 10,
        "small": 3,
        "t": True,
        "ts": "2024-05-01T14:00:00+02:00",
        "later": "2024-06-01T00:00:00Z",
    },
}


def holds(rule: dict[str, Any]) -> bool:
    return evaluate(rule, DATA)


# (operator, variable, operand that makes it true, operand that makes it false)
CASES = [
    ("StringEquals", "$.s", "beta", "gamma"),
    ("StringLessThan", "$.s", "gamma", "alpha"),
    ("StringGreaterThan", "$.s", "alpha", "gamma"),
    ("StringLessThanEquals", "$.s", "beta", "alpha"),
    ("StringGreaterThanEquals", "$.s", "beta", "gamma"),
    ("NumericEquals", "$.n", 10, 11),
    ("NumericLessThan", "$.n", 11, 10),
    ("NumericGreaterThan", "$.n", 9.5, 10),
    ("NumericLessThanEquals", "$.n", 10, 9),
    ("NumericGreaterThanEquals", "$.f", 2.5, 3),
    ("BooleanEquals", "$.t", True, False),
    ("TimestampEquals", "$.ts", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:01Z"),
    ("TimestampLessThan", "$.ts", "2024-05-01T12:00:01Z", "2024-05-01T12:00:00Z"),
    ("TimestampGreaterThan", "$.ts", "2024-04-30T23:59:59Z", "2024-05-01T12:00:00Z"),
    ("TimestampLessThanEquals", "$.ts", "2024-05-01T12:00:00Z", "2024-05-01T11:59:59Z"),
    ("TimestampGreaterThanEquals", "$.ts", "2024-05-01T12:00:00Z", "2024-05-01T12:00:01Z"),
]


@pytest.mark.parametrize(("operator", "variable", "true_operand", "false_operand"), CASES)
def test_each_comparison_operator_compares_with_its_literal(
    operator: str, variable: str, true_operand: object, false_operand: object
) -> None:
    assert holds({"Variable": variable, operator: true_operand})
    assert not holds({"Variable": variable, operator: false_operand})


@pytest.mark.parametrize(
    ("operator", "variable", "true_path", "false_path"),
    [
        ("StringEqualsPath", "$.s", "$.other.s", "$.other.lower"),
        ("StringLessThanPath", "$.other.lower", "$.s", "$.other.lower"),
        ("StringGreaterThanPath", "$.s", "$.other.lower", "$.other.s"),
        ("StringLessThanEqualsPath", "$.s", "$.other.s", "$.other.lower"),
        ("StringGreaterThanEqualsPath", "$.s", "$.other.lower", "$.other.zeta"),
        ("NumericEqualsPath", "$.n", "$.other.n", "$.other.small"),
        ("NumericLessThanPath", "$.other.small", "$.n", "$.other.small"),
        ("NumericGreaterThanPath", "$.n", "$.other.small", "$.other.n"),
        ("NumericLessThanEqualsPath", "$.n", "$.other.n", "$.other.small"),
        ("NumericGreaterThanEqualsPath", "$.n", "$.other.n", "$.f.missing"),
        ("BooleanEqualsPath", "$.t", "$.other.t", "$.s"),
        ("TimestampEqualsPath", "$.ts", "$.other.ts", "$.other.later"),
        ("TimestampLessThanPath", "$.ts", "$.other.later", "$.other.ts"),
        ("TimestampGreaterThanPath", "$.other.later", "$.ts", "$.other.later"),
        ("TimestampLessThanEqualsPath", "$.ts", "$.other.ts", "$.s"),
        ("TimestampGreaterThanEqualsPath", "$.ts", "$.other.ts", "$.other.later"),
    ],
)
def test_each_path_variant_compares_with_the_value_at_its_path(
    operator: str, variable: str, true_path: str, false_path: str
) -> None:
    assert holds({"Variable": variable, operator: true_path})
    assert not holds({"Variable": variable, operator: false_path})


def test_every_comparison_operator_is_covered_by_these_tests() -> None:
    tested = {case[0] for case in CASES} | {f"{case[0]}Path" for case in CASES}
    assert tested == set(COMPARISONS)


def test_is_present_and_is_null() -> None:
    assert holds({"Variable": "$.null", "IsPresent": True})
    assert holds({"Variable": "$.absent", "IsPresent": False})
    assert not holds({"Variable": "$.absent", "IsPresent": True})
    assert holds({"Variable": "$.null", "IsNull": True})
    assert not holds({"Variable": "$.s", "IsNull": True})
    assert holds({"Variable": "$.s", "IsNull": False})
    assert not holds({"Variable": "$.absent", "IsNull": True})


def test_a_missing_variable_makes_a_comparison_false_instead_of_failing() -> None:
    assert not holds({"Variable": "$.absent", "StringEquals": "beta"})
    assert holds({"Not": {"Variable": "$.absent", "StringEquals": "beta"}})


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.n", "StringEquals": "10"},
        {"Variable": "$.s", "NumericEquals": 10},
        {"Variable": "$.t", "NumericEquals": 1},
        {"Variable": "$.n", "BooleanEquals": True},
        {"Variable": "$.s", "TimestampEquals": "2024-05-01T12:00:00Z"},
    ],
)
def test_a_value_of_another_type_never_matches(rule: dict[str, Any]) -> None:
    assert not holds(rule)


def test_and_or_not_combine_rules() -> None:
    yes = {"Variable": "$.s", "StringEquals": "beta"}
    no = {"Variable": "$.n", "NumericEquals": 0}

    assert holds({"And": [yes, {"Variable": "$.t", "BooleanEquals": True}]})
    assert not holds({"And": [yes, no]})
    assert holds({"Or": [no, yes]})
    assert not holds({"Or": [no, no]})
    assert holds({"Not": no})
    assert holds({"And": [{"Not": no}, {"Or": [no, {"Not": {"Not": yes}}]}]})


def test_first_match_gives_the_first_rule_that_holds() -> None:
    no = {"Variable": "$.n", "NumericEquals": 0, "Next": "A"}
    yes = {"Variable": "$.s", "StringEquals": "beta", "Next": "B"}
    also = {"Not": no, "Next": "C"}

    assert first_match([no, yes, also], DATA) is yes
    assert first_match([no, also, yes], DATA) is also
    assert first_match([no, {"Variable": "$.absent", "IsNull": True, "Next": "D"}], DATA) is None
    assert first_match([], DATA) is None


def test_timestamps_without_an_offset_are_utc_and_dates_alone_are_not_timestamps() -> None:
    assert parse_timestamp("2024-05-01T12:00:00") == parse_timestamp("2024-05-01T12:00:00Z")
    assert parse_timestamp("2024-05-01t12:00:00z") == parse_timestamp("2024-05-01T12:00:00Z")
    assert parse_timestamp("2024-05-01") is None
    assert parse_timestamp("yesterday") is None


def problems(rule: Any, *, top: bool = True) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    check_rule(rule, "$.r", lambda path, message: found.append((path, message)), states={"Next1"}, top=top)
    return found


def test_a_valid_rule_has_no_problems() -> None:
    assert problems({"Variable": "$.a", "StringEquals": "x", "Next": "Next1"}) == []
    assert problems({"And": [{"Variable": "$.a", "IsPresent": True}], "Next": "Next1"}) == []


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"Variable": "$.a", "StringMatches": "x*", "Next": "Next1"}, "$.r.StringMatches", "unknown Choice operator"),
        ({"Variable": "$.a", "StringEquals": "x"}, "$.r.Next", "Next is required"),
        ({"Variable": "$.a", "StringEquals": "x", "Next": "Gone"}, "$.r.Next", "does not exist"),
        ({"StringEquals": "x", "Next": "Next1"}, "$.r.Variable", "Variable is required"),
        ({"Variable": "$.a", "Next": "Next1"}, "$.r", "needs a comparison operator"),
        ({"Variable": "$.a", "NumericEquals": "1", "Next": "Next1"}, "$.r.NumericEquals", "takes a number"),
        ({"Variable": "$.a", "TimestampEquals": "soon", "Next": "Next1"}, "$.r.TimestampEquals", "RFC 3339"),
        ({"Variable": "$.a", "StringEqualsPath": "a.b", "Next": "Next1"}, "$.r.StringEqualsPath", "JSONPath"),
        ({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1, "Next": "Next1"}, "$.r", "exactly one"),
        ({"And": [], "Next": "Next1"}, "$.r.And", "non-empty array"),
        ({"Or": [{"Variable": "$.a", "IsNull": "yes"}], "Next": "Next1"}, "$.r.Or[0].IsNull", "true or false"),
        ({"Not": {"Variable": "$.a", "IsNull": True, "Next": "Next1"}, "Next": "Next1"}, "$.r.Not.Next", "only"),
    ],
)
def test_bad_rules_are_reported_at_their_path(rule: dict[str, Any], path: str, message: str) -> None:
    found = problems(rule)
    assert any(where == path and message in text for where, text in found), found


def test_operator_names_match_zis() -> None:
    assert "IsPresent" in OPERATORS
    assert "NumericGreaterThanEqualsPath" in OPERATORS
    assert "StringMatches" not in OPERATORS
