"""The benchmarks' schedules and ratios (bench/cold.py, bench/delivery.py): a subject's
ratio comes from samples taken next to its baseline, so a machine that slows down while
a run goes on does not move it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bench import cold
from bench.delivery import DeliveryResult, DeliveryRun, Kind

WORK_MS = {cold.BASELINE: 100.0, "IngestFunction": 120.0, "WebhooksApiFunction": 150.0}


class SlowingMachine:
    """A probe whose every sample costs the subject's work times the machine's slowdown,
    which grows with every sample taken (another job ramping up beside the benchmark)."""

    def __init__(self) -> None:
        self.clock = itertools.count()

    def sample(self, subject: cold.Subject) -> cold.Sample:
        slowdown = 1.0 + 0.05 * next(self.clock)
        cpu = WORK_MS[subject.name] * slowdown
        return cold.Sample(cpu_ms=cpu, wall_ms=2 * cpu, modules=1)


def test_cold_start_ratios_hold_while_the_machine_slows_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given: two functions costing 1.2x and 1.5x the baseline, on a machine that gets 5%
    # slower with every sample (3.4x slower by the end of the run)
    functions = {
        "IngestFunction": ([str(tmp_path)], "ingest.handler", "lambda_handler"),
        "WebhooksApiFunction": ([str(tmp_path)], "webhooks_api.handler", "lambda_handler"),
    }
    monkeypatch.setattr(cold, "handler_paths", lambda build_dir: functions)
    monkeypatch.setattr(cold, "runtime_dir", lambda build_dir: tmp_path)
    monkeypatch.setattr(cold, "_sample", SlowingMachine().sample)

    # When
    result = cold.run(tmp_path, rounds=6)

    # Then: each ratio is the function's own, within the drift across one sample
    assert result.ratio("IngestFunction").median == pytest.approx(1.2, rel=0.01)
    assert result.ratio("WebhooksApiFunction").median == pytest.approx(1.5, rel=0.01)
    # and the baseline was sampled before, between and after the functions of every round
    assert len(result.samples(cold.BASELINE).cpu_ms) == 6 * 3


def kind(ms: list[float], moto_ms: list[float]) -> Kind:
    return Kind(ms=ms, moto_ms=moto_ms, moto_calls=[10] * len(ms), peak=[10] * len(ms))


def test_delivery_ratio_pairs_each_batch_with_the_single_message_of_its_round() -> None:
    # Given: the second round ran twice as slow as the first (a neighbour's job), and in
    # both the batch spent 40 ms more inside moto than one message did
    run = DeliveryRun(
        rounds=2,
        single=kind([250.0, 500.0], [20.0, 40.0]),
        batch=kind([300.0, 600.0], [60.0, 80.0]),
        batch_instant=kind([100.0, 200.0], [60.0, 80.0]),
        single_instant=kind([50.0, 100.0], [20.0, 40.0]),
        load=(4.0, 8.0),
    )

    # When
    result = DeliveryResult([run])

    # Then
    assert run.ratios == pytest.approx([1.2, 1.2])
    assert run.adjusted_ratios == pytest.approx([260 / 250, 560 / 500])
    assert result.ratio.median == pytest.approx(1.2)
    assert result.to_json()["target_applies_to"] == "ratio_without_serialised_moto"
