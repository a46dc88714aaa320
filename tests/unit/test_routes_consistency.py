"""template.yaml routes and the Powertools resolvers' routes must be the same set, so a
route cannot exist on one side only (a 404 from the function, or an unreachable handler)."""

from __future__ import annotations

import importlib
import re

import pytest

from hookyard_dev.template import Template

RESOLVER_FUNCTIONS = ("AccountsApiFunction", "InboundWebhooksApiFunction", "RegistryApiFunction", "WebhooksApiFunction")
FUNCTIONS_WITHOUT_RESOLVER = ("IngestFunction", "ConsoleFunction")


def _template_routes(template: Template, function_id: str) -> set[tuple[str, str]]:
    return {
        (route.method, re.sub(r"\{([A-Za-z0-9_]+)\}", r"<\1>", route.path))
        for route in template.functions[function_id].routes
    }


def _resolver_routes(template: Template, function_id: str) -> set[tuple[str, str]]:
    app = importlib.import_module(template.functions[function_id].module).app
    return {(route.method.upper(), route.path) for route in app._static_routes + app._dynamic_routes}


def test_every_function_with_api_routes_is_checked(template: Template) -> None:
    # When
    with_routes = {function_id for function_id, spec in template.functions.items() if spec.routes}

    # Then
    assert with_routes == set(RESOLVER_FUNCTIONS) | set(FUNCTIONS_WITHOUT_RESOLVER)


@pytest.mark.parametrize("function_id", RESOLVER_FUNCTIONS)
def test_every_template_route_is_registered_in_the_resolver(template: Template, function_id: str) -> None:
    # When
    missing = _template_routes(template, function_id) - _resolver_routes(template, function_id)

    # Then
    assert missing == set()


@pytest.mark.parametrize("function_id", RESOLVER_FUNCTIONS)
def test_every_resolver_route_is_in_the_template(template: Template, function_id: str) -> None:
    # When
    unreachable = _resolver_routes(template, function_id) - _template_routes(template, function_id)

    # Then
    assert unreachable == set()


@pytest.mark.parametrize("function_id", FUNCTIONS_WITHOUT_RESOLVER)
def test_a_function_without_a_resolver_exposes_its_handler(template: Template, function_id: str) -> None:
    # Given
    spec = template.functions[function_id]

    # When
    module = importlib.import_module(spec.module)

    # Then
    assert callable(getattr(module, spec.function_name))
    assert not hasattr(module, "app")


def test_the_authorizer_has_no_api_routes_and_exposes_its_handler(template: Template) -> None:
    # Given
    spec = template.functions["AuthorizerFunction"]

    # When
    module = importlib.import_module(spec.module)

    # Then
    assert spec.routes == ()
    assert callable(getattr(module, spec.function_name))
