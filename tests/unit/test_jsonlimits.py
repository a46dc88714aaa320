"""hookyard.jsonlimits: JSON that nests too deep is refused as it is parsed, without
recursing, and brackets in strings do not count."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from hookyard.jsonlimits import MAX_DEPTH, NestedTooDeep, loads, nests_deeper


def depth_of(value: Any) -> int:
    """The reference: how deep a parsed document nests (recursive; small inputs only)."""
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def random_document(rng: random.Random, depth: int) -> Any:
    """A document exactly `depth` deep, with shallower siblings and strings of brackets."""
    if depth == 0:
        return rng.choice([1, -2.5e3, True, None, "", '"[{', "]]}}", "[[[["])
    siblings = [random_document(rng, rng.randrange(depth)) for _ in range(rng.randrange(3))]
    items = [*siblings, random_document(rng, depth - 1)]
    rng.shuffle(items)
    if rng.random() < 0.5:
        return items
    return {f"{rng.choice(['k', '[', '}'])}{i}": v for i, v in enumerate(items)}


def arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# ------------------------------------------------------------------ depth


@pytest.mark.parametrize("seed", range(100))
def test_loads_refuses_exactly_the_documents_deeper_than_the_limit(seed: int) -> None:
    # Given a random document and limits just below, at and above its depth
    rng = random.Random(seed)  # noqa: S311 - test data, seeded to be repeatable
    document = random_document(rng, rng.randrange(1, 10))
    text = json.dumps(document)
    depth = depth_of(document)

    for limit in (0, depth - 1, depth, depth + 1):
        # When
        try:
            parsed = loads(text, limit=limit)
        except NestedTooDeep:
            refused = True
        else:
            refused = False
            assert parsed == document

        # Then
        assert refused is (depth > limit), (limit, text)
        assert nests_deeper(document, limit) is (depth > limit)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        (arrays(MAX_DEPTH), False),
        (objects(MAX_DEPTH), False),
        (arrays(MAX_DEPTH + 1), True),
        (objects(MAX_DEPTH + 1), True),
        ("[" + ",".join([arrays(MAX_DEPTH - 1)] * 100) + "]", False),
        ("[" + ",".join([arrays(MAX_DEPTH)] * 100) + "]", True),
        ("[" + "[]," * 1000 + "[]]", False),
        (json.dumps(["[" * 1000, {"{" * 1000: "]" * 1000}]), False),  # brackets in strings
        (arrays(10_000), True),  # past what the parser itself can recurse
        (objects(100_000), True),
    ],
)
def test_loads_counts_arrays_and_objects_inside_one_another(text: str, refused: bool) -> None:
    # When
    try:
        loads(text)
    except NestedTooDeep:
        outcome = True
    else:
        outcome = False

    # Then
    assert outcome is refused


@pytest.mark.parametrize("value", [1, "[[[[", None, [], {}])
def test_a_scalar_or_an_empty_container_nests_no_deeper_than_one(value: Any) -> None:
    # When / Then
    assert nests_deeper(value, 1) is False


# ------------------------------------------------------------------ errors


def test_the_refusal_names_the_limit() -> None:
    # When / Then
    with pytest.raises(NestedTooDeep, match=f"more than {MAX_DEPTH} levels deep; the limit is {MAX_DEPTH} levels"):
        loads(arrays(MAX_DEPTH + 1))


def test_the_refusal_is_a_value_error_as_invalid_json_is() -> None:
    # Given the callers that refuse invalid JSON by catching ValueError
    # When / Then
    with pytest.raises(ValueError, match="levels deep"):
        loads(arrays(100_000))


def test_text_that_is_not_json_raises_the_parsers_error() -> None:
    # When / Then
    with pytest.raises(json.JSONDecodeError):
        loads("{not json")


def test_loads_uses_the_decoder_it_is_given() -> None:
    # Given a decoder that refuses NaN
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    decoder = json.JSONDecoder(parse_constant=no_constants)

    # When / Then
    with pytest.raises(ValueError, match="NaN is not JSON"):
        loads("[NaN]", decoder)
