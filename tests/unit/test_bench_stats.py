"""bench/stats.py: ratios from interleaved samples, their median and spread, and figures
over repeated runs, so that a benchmark on a busy machine still says what it measures."""

from __future__ import annotations

import pytest

from bench.stats import Runs, Spread, alternating, bracketed_ratios, paired_ratios, spread


def test_paired_ratios_cancel_a_slowdown_that_hits_both_sides_of_a_pair() -> None:
    # Given: the machine gets three times slower during the run (another job starts);
    # the subject always costs 1.5x the baseline measured next to it
    load = [1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0]
    baseline = [100 * f for f in load]
    subject = [150 * f for f in load]

    # When
    ratios = paired_ratios(subject, baseline)

    # Then
    assert spread(ratios).median == pytest.approx(1.5)


def test_bracketed_ratios_use_the_baselines_on_both_sides_of_each_sample() -> None:
    # Given: B S B S B with load rising linearly, each subject sample halfway between two baselines
    baselines = [100.0, 200.0, 300.0]
    subject = [1.2 * 150.0, 1.2 * 250.0]

    # When
    ratios = bracketed_ratios(subject, baselines[:-1], baselines[1:])

    # Then
    assert ratios == pytest.approx([1.2, 1.2])


def test_paired_ratios_refuse_sides_of_different_lengths() -> None:
    # When / Then
    with pytest.raises(ValueError, match="2 subject samples but 3 baseline samples"):
        paired_ratios([1.0, 2.0], [1.0, 2.0, 3.0])


def test_spread_is_the_median_and_the_quartiles() -> None:
    # When
    found = spread([5.0, 1.0, 4.0, 2.0, 3.0])

    # Then
    assert found == Spread(median=3.0, p25=2.0, p75=4.0, n=5)
    assert str(found) == "3.00 (p25-p75 2.00-4.00)"


def test_alternating_order_puts_each_side_first_in_every_other_round() -> None:
    # When
    order = [list(pair) for pair in alternating(("A", "B"), rounds=4)]

    # Then
    assert order == [["A", "B"], ["B", "A"], ["A", "B"], ["B", "A"]]


def test_runs_report_the_median_run_and_the_range_of_runs() -> None:
    # Given: three runs of one benchmark, each with its own median ratio
    medians = [1.31, 1.18, 1.22]

    # When
    runs = Runs(medians)

    # Then
    assert runs.median == pytest.approx(1.22)
    assert (runs.low, runs.high) == (1.18, 1.31)
    assert str(runs) == "1.22 (runs 1.18-1.31)"
    assert str(Runs([1.25])) == "1.25"
