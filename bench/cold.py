"""Cold-start init time of every handler in the precompiled host build.

Each sample is a fresh interpreter (`-I -S`: no site-packages, no PYTHON* env) that puts
only the function's code folder, its layers' python/ folders and the Lambda-runtime
folder (boto3) on sys.path and times `import_module(handler module)` +
`getattr(handler)`, via `hookyard_dev.buildcheck.probe`, which the build check uses too.
The probe reports the import's CPU time (what the interpreter did) and its wall time;
ratios are taken on CPU time, which on a shared machine leaves out the time spent waiting
for a core (wall-time ratios are kept in the results for reference).

The baseline is the smallest honest Lambda handler: `import boto3` and one client at
module level, precompiled the same way and imported the same way with its own folder
and the runtime folder on sys.path. Each round runs the functions in a shuffled order
with a baseline sample before, between and after them (B F B F ... F B), and each
function's ratio for the round is its sample over the mean of the two baselines beside
it: a neighbour's load that comes and goes lands on both sides of each ratio. A run's
ratio is the median over its rounds; with several runs the figure is the median run.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import random
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bench.stats import Runs, bracketed_ratios, median, spread, verdict
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
# sit behind API Gateway for operators, or read a queue.
TARGETS = {"IngestFunction": 1.2}
DEFAULT_TARGET = 1.6


@dataclass(frozen=True)
class Subject:
    name: str
    build_dir: Path  # the probe checks that every module under it came from bytecode
    paths: list[str]
    module: str
    function: str

    @property
    def ships_bytes(self) -> int:
        """Bytes of what is deployed for it: its code and its layers (not the runtime's)."""
        return sum(_folder_bytes(Path(p)) for p in self.paths if Path(p).is_relative_to(self.build_dir.resolve()))


@cache
def _folder_bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file())


@dataclass
class FunctionResult:
    name: str
    module: str
    cpu_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # CPU time over the baselines beside it, per round
    wall_ratios: list[float] = field(default_factory=list)
    modules_from_build: int = 0
    ships_bytes: int = 0

    @property
    def median_ms(self) -> float:
        return median(self.cpu_ms)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "module": self.module,
            "cpu_ms": spread(self.cpu_ms).to_json(1),
            "wall_ms": spread(self.wall_ms).to_json(1),
            "modules_from_build": self.modules_from_build,
            "ships_mb": round(self.ships_bytes / 1e6, 1),
            "cpu_ms_samples": [round(s, 1) for s in self.cpu_ms],
        }
        if self.ratios:
            out["ratio"] = spread(self.ratios).to_json()
            out["wall_ratio"] = spread(self.wall_ratios).to_json()
        return out


@dataclass
class ColdRun:
    rounds: int
    baseline: FunctionResult
    functions: list[FunctionResult]
    load: tuple[float, float]  # 1-minute load average when the run started and ended

    def to_json(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "load_average": {"start": round(self.load[0], 2), "end": round(self.load[1], 2)},
            "baseline": self.baseline.to_json(),
            "functions": {f.name: f.to_json() for f in self.functions},
        }


@dataclass
class ColdResult:
    runs: list[ColdRun]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.runs[0].functions]

    def samples(self, name: str) -> FunctionResult:
        """A function's (or the baseline's) samples over every run, pooled."""
        pooled = FunctionResult(name, "")
        for run in self.runs:
            one = run.baseline if name == BASELINE else next(f for f in run.functions if f.name == name)
            pooled.module, pooled.modules_from_build, pooled.ships_bytes = (
                one.module,
                one.modules_from_build,
                one.ships_bytes,
            )
            pooled.cpu_ms += one.cpu_ms
            pooled.wall_ms += one.wall_ms
            pooled.ratios += one.ratios
            pooled.wall_ratios += one.wall_ratios
        return pooled

    def ratio(self, name: str) -> Runs:
        """The run medians of the function's per-round ratios."""
        return Runs([median(next(f for f in run.functions if f.name == name).ratios) for run in self.runs])

    def to_json(self) -> dict[str, Any]:
        functions = {}
        for name in self.names:
            ratio, target = self.ratio(name), target_for(name)
            functions[name] = {
                "ratio": ratio.to_json(),
                "target": target,
                "verdict": verdict(ratio.median, target),
                "ratio_of_pairs": spread(self.samples(name).ratios).to_json(),
                "wall_ratio_of_pairs": spread(self.samples(name).wall_ratios).to_json(),
                "ships_mb": round(self.samples(name).ships_bytes / 1e6, 1),
            }
        return {
            "measure": "CPU time of the handler module's import, over the baseline's beside it",
            "summary": functions,
            "runs": [run.to_json() for run in self.runs],
        }


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


@dataclass(frozen=True)
class Sample:
    cpu_ms: float
    wall_ms: float
    modules: int


def _sample(subject: Subject) -> Sample:
    report = probe(subject.build_dir, subject.paths, subject.module, subject.function)
    if not report["callable"]:
        raise SystemExit(f"{subject.name}: {subject.module}.{subject.function} is not callable")
    if report["without_bytecode"]:
        raise SystemExit(f"{subject.name}: modules without precompiled bytecode: {report['without_bytecode']}")
    return Sample(float(str(report["cpu_ms"])), float(str(report["ms"])), int(str(report["modules"])))


def run_once(build_dir: Path, rounds: int, warmup_rounds: int = 1, seed: int = 1) -> ColdRun:
    functions = [
        Subject(name, build_dir, paths, module, function)
        for name, (paths, module, function) in handler_paths(build_dir).items()
    ]
    if not functions:
        raise SystemExit(f"no functions in {build_dir / 'template.yaml'}")
    rng = random.Random(seed)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hookyard-bench-") as tmp:
        base = _baseline_subject(Path(tmp), runtime_dir(build_dir))
        results = {s.name: FunctionResult(s.name, s.module, ships_bytes=s.ships_bytes) for s in [base, *functions]}
        for round_no in range(warmup_rounds + rounds):
            order = list(functions)
            rng.shuffle(order)
            before = _sample(base)
            baseline_samples = [before]
            for subject in order:
                sample = _sample(subject)
                after = _sample(base)
                baseline_samples.append(after)
                if round_no < warmup_rounds:  # the first round only warms the page cache
                    before = after
                    continue
                result = results[subject.name]
                result.cpu_ms.append(sample.cpu_ms)
                result.wall_ms.append(sample.wall_ms)
                result.ratios += bracketed_ratios([sample.cpu_ms], [before.cpu_ms], [after.cpu_ms])
                result.wall_ratios += bracketed_ratios([sample.wall_ms], [before.wall_ms], [after.wall_ms])
                result.modules_from_build = sample.modules
                before = after
            if round_no >= warmup_rounds:
                results[BASELINE].cpu_ms += [s.cpu_ms for s in baseline_samples]
                results[BASELINE].wall_ms += [s.wall_ms for s in baseline_samples]
    return ColdRun(rounds, results[BASELINE], [results[s.name] for s in functions], (load_start, os.getloadavg()[0]))


def run(build_dir: Path, rounds: int = 12, runs: int = 1) -> ColdResult:
    """`runs` independent runs of `rounds` rounds each (plus a warm-up round each)."""
    return ColdResult([run_once(build_dir, rounds, seed=1 + n) for n in range(runs)])
