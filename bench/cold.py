"""Cold-start init time of every handler in the precompiled host build.

Each sample is a fresh interpreter (`-I -S`: no site-packages, no PYTHON* env) that puts
only the function's code folder, the built layer's python/ and the Lambda-runtime folder
(boto3) on sys.path and times `import_module(handler module)` + `getattr(handler)`, via
`hookyard_dev.buildcheck.probe`, which the build check uses too.

The baseline is the smallest honest Lambda handler: `import boto3` and one client at
module level, precompiled the same way and imported the same way with its own folder
and the runtime folder on sys.path. Every round runs the baseline and each function
once, in a shuffled order, so drift (thermal, page cache, a noisy neighbour) lands on
both sides of each ratio.
"""

from __future__ import annotations

import compileall
import py_compile
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import median, quartiles, verdict
from hookyard_dev.buildcheck import handler_paths, probe, runtime_dir

BASELINE = "Baseline"
BASELINE_MODULE = "bench_cold_baseline"
BASELINE_SOURCE = '''"""Cold-start baseline: import boto3 and create one client at module level."""

import boto3

client = boto3.client("dynamodb", region_name="us-east-1")


def lambda_handler(event, context):
    return None
'''

# Init time as a multiple of the baseline's. Ingest is the public hot path; the rest
# sit behind API Gateway for operators and may pay for pydantic models and routing.
TARGETS = {"IngestFunction": 1.3}
DEFAULT_TARGET = 2.0


@dataclass(frozen=True)
class Subject:
    name: str
    build_dir: Path  # the probe checks that every module under it came from bytecode
    paths: list[str]
    module: str
    function: str


@dataclass
class FunctionResult:
    name: str
    module: str
    samples_ms: list[float] = field(default_factory=list)
    modules_from_build: int = 0

    @property
    def median_ms(self) -> float:
        return median(self.samples_ms)


@dataclass
class ColdResult:
    rounds: int
    baseline: FunctionResult
    functions: list[FunctionResult]

    def ratio(self, result: FunctionResult) -> float:
        return result.median_ms / self.baseline.median_ms

    def to_json(self) -> dict[str, Any]:
        def one(result: FunctionResult) -> dict[str, Any]:
            q1, q3 = quartiles(result.samples_ms)
            return {
                "module": result.module,
                "median_ms": round(result.median_ms, 2),
                "p25_ms": round(q1, 2),
                "p75_ms": round(q3, 2),
                "modules_from_build": result.modules_from_build,
                "samples_ms": [round(s, 2) for s in result.samples_ms],
            }

        functions = {}
        for result in self.functions:
            ratio = self.ratio(result)
            target = target_for(result.name)
            functions[result.name] = {
                **one(result),
                "ratio": round(ratio, 3),
                "target": target,
                "verdict": verdict(ratio, target),
            }
        return {"rounds": self.rounds, "baseline": one(self.baseline), "functions": functions}


def target_for(name: str) -> float:
    return TARGETS.get(name, DEFAULT_TARGET)


def _baseline_subject(folder: Path, runtime: Path) -> Subject:
    source = folder / f"{BASELINE_MODULE}.py"
    source.write_text(BASELINE_SOURCE)
    # The same bytecode treatment as the build output (buildcheck.compile_tree).
    ok = compileall.compile_dir(str(folder), quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    if not ok:
        raise SystemExit(f"could not compile the cold-start baseline in {folder}")
    return Subject(BASELINE, folder, [str(folder), str(runtime.resolve())], BASELINE_MODULE, "lambda_handler")


def _sample(subject: Subject) -> tuple[float, int]:
    report = probe(subject.build_dir, subject.paths, subject.module, subject.function)
    if not report["callable"]:
        raise SystemExit(f"{subject.name}: {subject.module}.{subject.function} is not callable")
    if report["without_bytecode"]:
        raise SystemExit(f"{subject.name}: modules without precompiled bytecode: {report['without_bytecode']}")
    return float(str(report["ms"])), int(str(report["modules"]))


def run(build_dir: Path, rounds: int = 15, warmup_rounds: int = 1, seed: int = 1) -> ColdResult:
    functions = [
        Subject(name, build_dir, paths, module, function)
        for name, (paths, module, function) in handler_paths(build_dir).items()
    ]
    if not functions:
        raise SystemExit(f"no functions in {build_dir / 'template.yaml'}")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-") as tmp:
        subjects = [_baseline_subject(Path(tmp), runtime_dir(build_dir)), *functions]
        results = {s.name: FunctionResult(s.name, s.module) for s in subjects}
        for round_no in range(warmup_rounds + rounds):
            order = list(subjects)
            rng.shuffle(order)
            for subject in order:
                ms, modules = _sample(subject)
                if round_no >= warmup_rounds:  # the first round only warms the page cache
                    results[subject.name].samples_ms.append(ms)
                    results[subject.name].modules_from_build = modules
    return ColdResult(rounds, results[BASELINE], [results[s.name] for s in functions])
