"""JSONPath reads, ResultPath writes, placeholders and `.$` keys."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Any

import pytest

from hookyard.flows.paths import (
    NOT_FOUND,
    InvalidPath,
    PathError,
    PathNotFound,
    check_dynamic,
    check_path,
    child_path,
    compile_path,
    find,
    lookup,
    read_path,
    render_template,
    resolve_parameters,
    write_result_path,
)

DATA = {
    "input": {"ticket_event": {"ticket": {"id": 7, "status": "open", "tags": ["a", "b"]}}},
    "list": [{"n": 1}, {"n": 2}, {"m": 3}],
    "nothing": None,
    "odd key": "spaced",
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.input.ticket_event.ticket.status", "open"),
        ("$.input.ticket_event.ticket.tags[1]", "b"),
        ("$.input.ticket_event.ticket.tags[-1]", "b"),
        ("$.list[0].n", 1),
        ("$['odd key']", "spaced"),
        ("$.nothing", None),
    ],
)
def test_a_plain_path_reads_one_value(path: str, expected: object) -> None:
    assert read_path(DATA, path) == expected


def test_a_path_with_a_wildcard_reads_the_list_of_matches() -> None:
    assert read_path(DATA, "$.list[*].n") == [1, 2]


@pytest.mark.parametrize("path", ["$.missing", "$.input.ticket_event.ticket.status.deeper", "$.list[9]", "$.list.n"])
def test_a_plain_path_that_leads_nowhere_raises_path_not_found(path: str) -> None:
    with pytest.raises(PathNotFound, match="not found"):
        read_path(DATA, path)


def test_lookup_tells_a_missing_value_from_a_null_one() -> None:
    assert lookup(DATA, "$.nothing") == (True, None)
    assert lookup(DATA, "$.absent") == (False, None)


def test_find_gives_the_value_or_not_found() -> None:
    assert find(DATA, "$.input.ticket_event.ticket.id") == 7
    assert find(DATA, "$.nothing") is None
    assert find(DATA, "$.absent") is NOT_FOUND
    assert find(DATA, "$.list[*].n") == [1, 2]
    assert find(DATA, "$.list[*].absent") is NOT_FOUND


def test_paths_enter_objects_and_arrays_only() -> None:
    counts: defaultdict[str, int] = defaultdict(int)
    data: dict[str, Any] = {
        "text": "abc",
        "pair": ("a", "b"),
        "ordered": OrderedDict(a={"b": 1}),
        "counts": counts,
        "list": [{"n": 1}, {"n": 2}],
    }

    assert lookup(data, "$.ordered.a.b") == (True, 1)
    assert lookup(data, "$.list[-1].n") == (True, 2)
    assert lookup(data, "$.list[2]") == (False, None)
    assert lookup(data, "$.list.n") == (False, None)
    assert lookup(data, "$.text[0]") == (False, None)  # not a character of the string
    assert lookup(data, "$.pair[0]") == (False, None)  # only lists are arrays
    assert lookup(data, "$.text.length") == (False, None)
    assert lookup(data, "$.counts.missing") == (False, None)
    assert counts == {}  # a defaultdict is read, never filled in
    assert read_path(data, "$.ordered.a") == {"b": 1}
    with pytest.raises(PathNotFound):
        read_path(data, "$.counts.missing")


@pytest.mark.parametrize("text", ["input.ticket", "$.", "$.a[", "$..", "States.Format('{}', $.a)"])
def test_text_that_is_not_a_jsonpath_is_rejected(text: str) -> None:
    with pytest.raises(InvalidPath):
        compile_path(text)
    assert check_path(text) is not None


def test_compiled_paths_are_cached() -> None:
    assert compile_path("$.input.cached") is compile_path("$.input.cached")


def test_a_result_path_must_be_plain() -> None:
    assert check_path("$.a[*]", plain=True) is not None
    assert check_path("$.a[0].b", plain=True) is None


def test_result_path_dollar_replaces_the_whole_data() -> None:
    assert write_result_path({"a": 1}, "$", {"b": 2}) == {"b": 2}


def test_result_path_creates_missing_objects_without_touching_the_original() -> None:
    # Given data that an earlier state still holds
    original = {"input": {"x": 1}}

    # When a result is written below a path that does not exist yet
    written = write_result_path(original, "$.results.first.value", 42)

    # Then the new data has it, and the original is unchanged
    assert written == {"input": {"x": 1}, "results": {"first": {"value": 42}}}
    assert original == {"input": {"x": 1}}
    assert written["input"] is original["input"]  # untouched branches are shared, not copied


def test_result_path_null_discards_the_result() -> None:
    data = {"a": 1}
    assert write_result_path(data, None, "ignored") is data


def test_result_path_can_replace_an_existing_array_element() -> None:
    original = {"items": [1, 2]}
    assert write_result_path(original, "$.items[1]", 9) == {"items": [1, 9]}
    assert original == {"items": [1, 2]}


@pytest.mark.parametrize(("data", "path"), [({"a": "text"}, "$.a.b"), ({"a": []}, "$.a[0]")])
def test_result_path_through_a_non_object_is_an_error(data: object, path: str) -> None:
    with pytest.raises(PathError):
        write_result_path(data, path, 1)


def test_placeholders_insert_strings_as_they_are_and_other_values_as_json() -> None:
    data = {"s": "high", "n": 7, "b": True, "z": None, "o": {"k": [1, "x"]}}

    rendered = render_template("{{$.s}} {{$.n}} {{$.b}} {{$.z}} {{ $.o }}", data)

    assert rendered == 'high 7 true null {"k":[1,"x"]}'


def test_a_string_that_is_exactly_one_placeholder_stays_a_string() -> None:
    assert render_template("{{$.n}}", {"n": 7}) == "7"


def test_a_placeholder_for_a_missing_path_raises_unless_lenient() -> None:
    with pytest.raises(PathNotFound):
        render_template("Priority: {{$.priority}}", {})
    assert render_template("Priority: {{$.priority}}", {}, strict=False) == "Priority: {{$.priority}}"


def test_text_without_dollar_placeholders_is_left_alone() -> None:
    assert render_template("Liquid {{ticket.id}} stays", {}) == "Liquid {{ticket.id}} stays"


def test_parameters_resolve_nested_dollar_keys_and_keep_literals() -> None:
    # Given Parameters with `.$` keys at several depths, in arrays and beside literals
    template = {
        "ticket_id.$": "$.input.ticket_event.ticket.id",
        "scope.$": "my-integration:{{$.input.ticket_event.ticket.id}}/name",
        "message": "literal {{$.not.rendered}}",
        "nested": {"status.$": "$.input.ticket_event.ticket.status", "fixed": 1},
        "rows": [{"n.$": "$.list[1].n"}, "plain"],
        "all.$": "$",
    }

    # When they are resolved
    resolved = resolve_parameters(template, DATA)

    # Then paths give typed values, templates give strings, and literals are untouched
    assert resolved == {
        "ticket_id": 7,
        "scope": "my-integration:7/name",
        "message": "literal {{$.not.rendered}}",
        "nested": {"status": "open", "fixed": 1},
        "rows": [{"n": 2}, "plain"],
        "all": DATA,
    }


def test_parameters_are_resolved_against_the_data_at_hand_every_time() -> None:
    parameters = {"id.$": "$.id", "text.$": "ticket {{$.id}}", "literal.$": 5, "plain": "$.id"}

    assert resolve_parameters(parameters, {"id": 1}) == {"id": 1, "text": "ticket 1", "literal.$": 5, "plain": "$.id"}
    assert resolve_parameters(parameters, {"id": 2}) == {"id": 2, "text": "ticket 2", "literal.$": 5, "plain": "$.id"}
    assert resolve_parameters({"l.$": "$.l[-1]"}, {"l": [1, 2]}) == {"l": 2}
    with pytest.raises(PathNotFound):
        resolve_parameters({"l.$": "$.l[2]"}, {"l": [1, 2]})


def test_parameters_with_a_missing_path_raise_path_not_found() -> None:
    with pytest.raises(PathNotFound, match=r"\$\.input\.nope"):
        resolve_parameters({"x.$": "$.input.nope"}, DATA)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("$.ok", None),
        ("prefix {{$.ok}}", None),
        ("States.Format('{}', $.a)", "intrinsic functions are not supported"),
        ("States.JsonToString($.a)", "intrinsic functions are not supported"),
        ("plain text", "neither a JSONPath"),
        ("{{$.}}", "not a valid JSONPath"),
        (5, "needs a string value"),
    ],
)
def test_dollar_key_values_are_checked(value: object, problem: str | None) -> None:
    found = check_dynamic(value)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_child_paths_bracket_keys_that_are_not_identifiers() -> None:
    assert child_path("$.States", "Check") == "$.States.Check"
    assert child_path("$.States", "Zendesk.TicketCreated") == '$.States["Zendesk.TicketCreated"]'
