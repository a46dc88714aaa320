"""hookyard_dev.buildcheck: every handler imports from the build output with only its
code, its layers and the runtime's packages, and gets every package it imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hookyard_dev.buildcheck import check_imports, compile_tree

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    Layers:
      - !Ref BaseLayer
Resources:
  BaseLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {{ ContentUri: BaseLayer }}
  ExtraLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {{ ContentUri: ExtraLayer }}
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: AppFunction
      Handler: app.handler.lambda_handler
{layers}
"""

HANDLER = """
import base


def lambda_handler(event, context):
    import extra  # on first use only: the import check cannot see it by importing

    return extra.VALUE
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def make_build(root: Path, function_layers: list[str]) -> Path:
    """A build output as `sam build` lays it out: a folder per function and per layer
    (the layer's packages under python/), and the built template naming them."""
    build = root / "build"
    layers = ""
    if function_layers:
        layers = "      Layers:\n" + "".join(f"        - !Ref {name}\n" for name in function_layers)
    write(build / "template.yaml", TEMPLATE.format(layers=layers))
    write(build / "AppFunction" / "app" / "__init__.py", "")
    write(build / "AppFunction" / "app" / "handler.py", HANDLER)
    write(build / "BaseLayer" / "python" / "base" / "__init__.py", "NAME = 'base'\n")
    write(build / "ExtraLayer" / "python" / "extra" / "__init__.py", "VALUE = 1\n")
    # What buildcheck.runtime_dir would pip-install: a stand-in, so the test needs no network.
    write(root / "lambda-runtime" / "boto3" / "__init__.py", "")
    compile_tree(build)
    return build


def test_a_function_whose_layers_give_what_it_imports_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given
    build = make_build(tmp_path, function_layers=["ExtraLayer"])

    # When
    failures = check_imports(build)

    # Then
    assert failures == 0
    assert "ok   AppFunction" in capsys.readouterr().out


def test_a_function_missing_a_package_it_imports_on_first_use_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: the handler imports `extra` inside lambda_handler, and no layer of it has it
    build = make_build(tmp_path, function_layers=[])

    # When
    failures = check_imports(build)

    # Then
    out = capsys.readouterr().out
    assert failures == 1
    assert "FAIL AppFunction: imports extra, which none of its code, layers or the runtime provides" in out
    assert "app/handler.py:6 (in a function)" in out


def test_a_layer_that_gives_a_function_nothing_it_imports_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: besides ExtraLayer (for `extra`), a layer with a package the function never imports
    build = make_build(tmp_path, function_layers=["ExtraLayer"])
    write(build / "UnusedLayer" / "python" / "unused" / "__init__.py", "")
    template = (build / "template.yaml").read_text()
    template = template.replace(
        "        - !Ref ExtraLayer\n", "        - !Ref ExtraLayer\n        - !Ref UnusedLayer\n"
    )
    template += "  UnusedLayer:\n    Type: AWS::Serverless::LayerVersion\n    Properties: { ContentUri: UnusedLayer }\n"
    (build / "template.yaml").write_text(template)
    compile_tree(build)

    # When
    failures = check_imports(build)

    # Then
    assert failures == 1
    assert "FAIL AppFunction: layer UnusedLayer gives it nothing it imports (unused)" in capsys.readouterr().out


def test_a_layer_requirement_that_a_function_never_imports_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: ExtraLayer was built from requirements naming `extra` and `unused-dist`
    build = make_build(tmp_path, function_layers=["ExtraLayer"])
    python = build / "ExtraLayer" / "python"
    write(python / "requirements.txt", "extra==1.0  # the function's\nUnused_Dist==2.0\n")
    write(python / "extra-1.0.dist-info" / "RECORD", "extra/__init__.py,,\nextra-1.0.dist-info/RECORD,,\n")
    write(python / "unused_dist-2.0.dist-info" / "RECORD", "unused/__init__.py,,\n")
    write(python / "unused" / "__init__.py", "")

    # When
    failures = check_imports(build)

    # Then
    assert failures == 1
    assert "FAIL AppFunction: layer ExtraLayer ships unused-dist, which it never imports" in capsys.readouterr().out


def test_a_layer_requirement_the_template_lets_a_function_leave_unused_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: as above, and the function's Metadata names the requirement it does not import
    build = make_build(tmp_path, function_layers=["ExtraLayer"])
    python = build / "ExtraLayer" / "python"
    write(python / "requirements.txt", "extra==1.0\nunused-dist==2.0\n")
    write(python / "extra-1.0.dist-info" / "RECORD", "extra/__init__.py,,\n")
    write(python / "unused_dist-2.0.dist-info" / "RECORD", "unused/__init__.py,,\n")
    template = (build / "template.yaml").read_text()
    resource = "  AppFunction:\n    Type: AWS::Serverless::Function\n"
    template = template.replace(resource, resource + "    Metadata:\n      UnusedLayerRequirements: [Unused_Dist]\n")
    (build / "template.yaml").write_text(template)

    # When
    failures = check_imports(build)

    # Then
    assert failures == 0
    assert "ok   AppFunction" in capsys.readouterr().out
