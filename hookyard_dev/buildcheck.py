"""Checks on `sam build` output.

  python -m hookyard_dev.buildcheck compile DIR   precompile bytecode for the runtime
  python -m hookyard_dev.buildcheck imports DIR   import every handler as Lambda would

`imports` runs each function in a fresh interpreter with no site-packages, with only
the function's code folder, the built layer's python/ and a folder holding what the
Lambda runtime itself provides (boto3) on sys.path; it fails if any handler does not
import or if any of our modules was not loaded from precompiled bytecode.
"""

from __future__ import annotations

import compileall
import json
import py_compile
import subprocess
import sys
from pathlib import Path

from hookyard_dev.template import Template

RUNTIME_PACKAGES = ["boto3"]  # what python3.13 on Lambda ships outside /var/task and /opt

_PROBE = r"""
import json, sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
import importlib
module = importlib.import_module({module!r})
handler = getattr(module, {function!r})
elapsed = time.perf_counter() - started
ours = [m for m in list(sys.modules.values())
        if getattr(m, "__file__", None) and m.__file__.startswith({build!r}) and m.__file__.endswith(".py")]
missing = [m.__name__ for m in ours if not (m.__cached__ and __import__("os").path.exists(m.__cached__))]
print(json.dumps({{"ms": elapsed * 1000, "modules": len(ours), "without_bytecode": missing,
                   "callable": callable(handler)}}))
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


def handler_paths(build_dir: Path) -> dict[str, tuple[list[str], str, str]]:
    """Function logical id -> (sys.path entries, module, function) from the built template."""
    template = Template.load(build_dir / "template.yaml", parameters={"OperatorTokenSha256": "0" * 64})
    layers = [str((build_dir / p / "python").resolve()) for p in (d.name for d in template.layer_dirs())]
    out = {}
    for logical_id, spec in template.functions.items():
        code = str((build_dir / spec.code_uri).resolve())
        out[logical_id] = ([code, *layers, str(runtime_dir(build_dir).resolve())], spec.module, spec.function_name)
    return out


def probe(build_dir: Path, paths: list[str], module: str, function: str) -> dict[str, object]:
    """Import one handler in a fresh interpreter (-I -S: no site-packages, no env)."""
    code = _PROBE.format(paths=paths, module=module, function=function, build=str(build_dir.resolve()))
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{module} does not import from {build_dir}:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def check_imports(build_dir: Path) -> int:
    failures = 0
    for logical_id, (paths, module, function) in handler_paths(build_dir).items():
        try:
            report = probe(build_dir, paths, module, function)
        except RuntimeError as exc:
            print(f"FAIL {logical_id}: {exc}")
            failures += 1
            continue
        if report["without_bytecode"] or not report["callable"]:
            print(f"FAIL {logical_id}: modules without precompiled bytecode: {report['without_bytecode']}")
            failures += 1
            continue
        print(
            f"ok   {logical_id}: {module}.{function} imports in {report['ms']:.0f} ms "
            f"({report['modules']} modules, all from bytecode)"
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
