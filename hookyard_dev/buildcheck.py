"""Checks on `sam build` output.

  python -m hookyard_dev.buildcheck compile DIR   precompile bytecode for the runtime
  python -m hookyard_dev.buildcheck imports DIR   import every handler as Lambda would

`imports` runs each function in a fresh interpreter with no site-packages, with only
the function's code folder, its layers' python/ folders (the ones the template gives it)
and a folder holding what the Lambda runtime itself provides (boto3) on sys.path; it
fails if any handler does not import or if any of our modules was not loaded from
precompiled bytecode. It also walks the function's import graph statically
(hookyard_dev.importgraph: imports inside functions count, they run on first use) and
fails if a package the function imports cannot be found on that path, or if one of its
layers gives it nothing it imports.
"""

from __future__ import annotations

import compileall
import json
import py_compile
import subprocess
import sys
from pathlib import Path

from hookyard_dev.importgraph import (
    Site,
    installed_distributions,
    normalized,
    provided_top_levels,
    requirement_names,
    walk,
)
from hookyard_dev.template import Template

RUNTIME_PACKAGES = ["boto3"]  # what python3.13 on Lambda ships outside /var/task and /opt

_PROBE = r"""
import json, sys, time
sys.path[:0] = {paths!r}
started, cpu_started = time.perf_counter(), time.process_time()
import importlib
module = importlib.import_module({module!r})
handler = getattr(module, {function!r})
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
ours = [m for m in list(sys.modules.values())
        if getattr(m, "__file__", None) and m.__file__.startswith({build!r}) and m.__file__.endswith(".py")]
missing = [m.__name__ for m in ours if not (m.__cached__ and __import__("os").path.exists(m.__cached__))]
import importlib.util
not_found = [name for name in {requires!r} if importlib.util.find_spec(name) is None]
print(json.dumps({{"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "modules": len(ours), "without_bytecode": missing,
                   "callable": callable(handler), "not_found": not_found}}))
"""


def compile_tree(build_dir: Path) -> None:
    """Bytecode for the interpreter running this (the runtime's version), checked by
    hash only: Lambda's code is read-only, so timestamps buy nothing."""
    ok = compileall.compile_dir(
        str(build_dir), quiet=1, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    if not ok:
        raise SystemExit(f"compileall failed in {build_dir}")
    print(f"precompiled bytecode for Python {sys.version_info.major}.{sys.version_info.minor} in {build_dir}")


def runtime_dir(build_dir: Path) -> Path:
    """A folder with only the packages the Lambda runtime provides, installed once."""
    target = build_dir.parent / "lambda-runtime"
    if not (target / "boto3").exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), *RUNTIME_PACKAGES],
            check=True,
        )
    return target


def load_built_template(build_dir: Path) -> Template:
    return Template.load(build_dir / "template.yaml", parameters={"OperatorTokenSha256": "0" * 64})


def layer_python_dirs(build_dir: Path, template: Template, logical_id: str) -> dict[str, str]:
    """Layer logical id -> its built python/ folder, for the layers the template gives a function."""
    return {
        layer: str((build_dir / template.layer_dir(layer).name / "python").resolve())
        for layer in template.functions[logical_id].layers
    }


def handler_paths(build_dir: Path, template: Template | None = None) -> dict[str, tuple[list[str], str, str]]:
    """Function logical id -> (sys.path entries, module, function) from the built template:
    the function's code folder, its own layers in the template's order, the runtime's folder."""
    template = template or load_built_template(build_dir)
    runtime = str(runtime_dir(build_dir).resolve())
    out = {}
    for logical_id, spec in template.functions.items():
        code = str((build_dir / spec.code_uri).resolve())
        layers = list(layer_python_dirs(build_dir, template, logical_id).values())
        out[logical_id] = ([code, *layers, runtime], spec.module, spec.function_name)
    return out


def probe(
    build_dir: Path, paths: list[str], module: str, function: str, requires: list[str] | None = None
) -> dict[str, object]:
    """Import one handler in a fresh interpreter (-I -S: no site-packages, no env), timing
    the import (wall and CPU); then look for each top-level name in `requires` on the
    same path without importing it (importlib.util.find_spec)."""
    code = _PROBE.format(
        paths=paths, module=module, function=function, build=str(build_dir.resolve()), requires=requires or []
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{module} does not import from {build_dir}:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def unused_allowed(template: Template, logical_id: str) -> set[str]:
    """Layer requirements a function is allowed not to import: its resource's
    `Metadata: UnusedLayerRequirements`, a choice made (and explained) in the template.
    Globals' layers cannot be left out of one function (SAM appends lists)."""
    names = template.resources[logical_id].get("Metadata", {}).get("UnusedLayerRequirements", [])
    return {normalized(str(name)) for name in names}


def _where(build_dir: Path, sites: list[Site]) -> str:
    root = build_dir.resolve()
    return ", ".join(
        f"{site.file.relative_to(root) if site.file.is_relative_to(root) else site.file}:{site.line}"
        + (" (in a function)" if site.deferred else "")
        for site in sorted(sites)
    )


def check_function(build_dir: Path, template: Template, logical_id: str) -> tuple[list[str], dict[str, object]]:
    """(problems, the probe's report) for one function of the build."""
    paths, module, function = handler_paths(build_dir, template)[logical_id]
    graph = walk([Path(p) for p in paths], module)
    try:
        report = probe(build_dir, paths, module, function, sorted(graph.external))
    except RuntimeError as exc:
        return [str(exc)], {}
    problems = []
    if report["without_bytecode"]:
        problems.append(f"modules without precompiled bytecode: {report['without_bytecode']}")
    if not report["callable"]:
        problems.append(f"{module}.{function} is not callable")
    for name in report["not_found"]:  # type: ignore[attr-defined]
        problems.append(
            f"imports {name}, which none of its code, layers or the runtime provides "
            f"({_where(build_dir, graph.external[name])})"
        )
    for name, sites in graph.unresolved.items():
        problems.append(f"imports {name}, which is not in the build ({_where(build_dir, sites)})")
    for layer, folder in layer_python_dirs(build_dir, template, logical_id).items():
        if not provided_top_levels(Path(folder)) & graph.top_levels:
            problems.append(f"layer {layer} gives it nothing it imports (unused)")
            continue
        installed = installed_distributions(Path(folder))
        for requirement in requirement_names(Path(folder)):  # SAM copies requirements.txt into python/
            if requirement not in installed:
                problems.append(f"layer {layer} requires {requirement}, which is not installed in it")
            elif not installed[requirement] & graph.top_levels and requirement not in unused_allowed(
                template, logical_id
            ):
                problems.append(f"layer {layer} ships {requirement}, which it never imports")
    return problems, report


def check_imports(build_dir: Path) -> int:
    template = load_built_template(build_dir)
    failures = 0
    for logical_id in template.functions:
        problems, report = check_function(build_dir, template, logical_id)
        for problem in problems:
            print(f"FAIL {logical_id}: {problem}")
        if problems:
            failures += 1
            continue
        print(
            f"ok   {logical_id}: {template.functions[logical_id].handler} imports in {report['ms']:.0f} ms "
            f"({report['modules']} modules, all from bytecode; every package it imports is on its path)"
        )
    return failures


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("compile", "imports"):
        print(__doc__)
        return 2
    build_dir = Path(argv[1])
    if argv[0] == "compile":
        compile_tree(build_dir)
        return 0
    failures = check_imports(build_dir)
    print(f"{'FAILED' if failures else 'passed'}: build-output import check ({failures} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
