"""Each function gets, through its layers, what its code imports and nothing else.

What a function imports is the static import graph of its handler over its code and the
layers' code (hookyard_dev.importgraph: imports inside functions count, as they run on
first use). What a layer gives is its own code and its requirements.txt, with what those
require (read from this virtualenv's installed metadata, which pyproject.toml pins to the
same versions). The Lambda runtime gives boto3 and what it requires.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from hookyard_dev.buildcheck import unused_allowed
from hookyard_dev.importgraph import Graph, provided_top_levels, requirement_names, walk
from hookyard_dev.stack import operator_parameters
from hookyard_dev.template import Template
from tests.conftest import OPERATOR_TOKEN, ROOT

RUNTIME_REQUIREMENTS = ["boto3"]  # what python3.13 on Lambda ships itself


@cache
def top_levels(distribution: str) -> frozenset[str]:
    """The top-level modules one installed distribution provides."""
    dist = metadata.distribution(distribution)
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return frozenset(declared)
    names = {re.split(r"[./]", str(f), maxsplit=1)[0] for f in dist.files or () if not str(f).startswith("..")}
    return frozenset(n for n in names if n.isidentifier() and not n.endswith(("dist-info", "__pycache__")))


def closure(distributions: list[str]) -> set[str]:
    """Top-level modules of `distributions` and everything they require (markers evaluated)."""
    seen: set[str] = set()
    modules: set[str] = set()
    todo = list(distributions)
    while todo:
        name = todo.pop()
        key = metadata.distribution(name).metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        modules |= top_levels(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return modules


def layer_gives(template: Template, layer: str) -> set[str]:
    folder = template.layer_dir(layer)
    return provided_top_levels(folder) | closure(requirement_names(folder))


def imports(template: Template, function: str) -> Graph:
    spec = template.functions[function]
    code_paths = [template.root / spec.code_uri, *(template.layer_dir(layer) for layer in spec.layers)]
    return walk(code_paths, spec.module)


# Every function of the template, so that a new one is checked too.
FUNCTIONS = sorted(Template.load(ROOT / "template.yaml", parameters=operator_parameters(OPERATOR_TOKEN)).functions)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_package_a_function_imports_comes_with_its_layers_or_the_runtime(
    template: Template, function: str
) -> None:
    # Given
    spec = template.functions[function]
    given = closure(RUNTIME_REQUIREMENTS).union(*(layer_gives(template, layer) for layer in spec.layers))

    # When
    graph = imports(template, function)
    missing = {name: [str(site) for site in sites] for name, sites in graph.external.items() if name not in given}

    # Then
    assert graph.unresolved == {}
    assert missing == {}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_layer_of_a_function_gives_it_only_packages_it_imports(template: Template, function: str) -> None:
    # Given
    spec = template.functions[function]
    imported = imports(template, function).top_levels

    # When
    unused = [
        f"{layer}: {requirement}"
        for layer in spec.layers
        for requirement in requirement_names(template.layer_dir(layer))
        if not top_levels(requirement) & imported and requirement not in unused_allowed(template, function)
    ]

    # Then
    assert unused == []


def test_only_the_functions_that_render_trigger_bodies_import_liquid(template: Template) -> None:
    # When
    with_liquid = {function for function in FUNCTIONS if "liquid" in imports(template, function).external}

    # Then: the webhooks API checks templates when a trigger is saved; delivery renders them
    assert with_liquid == {"WebhooksApiFunction", "DeliveryFunction"}


def test_a_function_that_needs_a_layer_lists_it_and_globals_give_the_common_one(template: Template) -> None:
    # When
    layers = {function: template.functions[function].layers for function in FUNCTIONS}

    # Then
    assert all(found[0] == "CommonLayer" for found in layers.values())
    assert layers["IngestFunction"] == ("CommonLayer",)


def test_every_layer_pins_what_pyproject_pins(template: Template) -> None:
    # Given: the virtualenv the tests run in is installed from pyproject.toml
    pyproject = tomllib.loads((template.root / "pyproject.toml").read_text())
    pins = {Requirement(text).name: str(Requirement(text).specifier) for text in pyproject["project"]["dependencies"]}

    # When
    layer_pins = {}
    for layer in template.of_type("AWS::Serverless::LayerVersion"):
        path = template.layer_dir(layer) / "requirements.txt"
        lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
        layer_pins.update({Requirement(line).name: str(Requirement(line).specifier) for line in lines if line})

    # Then
    assert layer_pins == {name: pin for name, pin in pins.items() if name != "boto3"}
