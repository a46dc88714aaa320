"""No module holds an exception instance: raising one object again and again grows its
traceback, which keeps every request that raised it alive."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from tests.conftest import ROOT


def _modules() -> list[str]:
    roots = [ROOT / "layers" / "common" / "hookyard", *sorted((ROOT / "functions").glob("*/*/__init__.py"))]
    names = []
    for root in roots:
        package = root if root.is_dir() else root.parent
        names.append(package.name)
        prefix = f"{package.name}."
        names += [info.name for info in pkgutil.walk_packages([str(package)], prefix)]
    return names


@pytest.mark.parametrize("name", _modules())
def test_no_module_keeps_an_exception_instance_to_raise(name: str) -> None:
    # When
    module = importlib.import_module(name)

    # Then
    shared = [attr for attr, value in vars(module).items() if isinstance(value, BaseException)]
    assert shared == [], f"{name} holds exception instances {shared}: raise a new one each time"
