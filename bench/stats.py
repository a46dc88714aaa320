"""Small statistics and verdict helpers shared by the benchmarks.

On a machine that other jobs share, a sample's time is its own work plus whatever the
neighbours cost it at that moment, and that changes within seconds. So the benchmarks
interleave subject and baseline (`alternating`: AB BA AB ...), take the ratio of each
subject sample to the baseline measured next to it (`paired_ratios`, or
`bracketed_ratios` for a sample between two baselines), and report the median of those
ratios with its spread (p25-p75). Repeated runs (`--runs`) give one median each; the
figure reported is the median run, with the range of runs (`Runs`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (the spread printed next to each median)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


@dataclass(frozen=True)
class Spread:
    """A median and the quartiles around it, over `n` values."""

    median: float
    p25: float
    p75: float
    n: int

    def __str__(self) -> str:
        return f"{self.median:.2f} (p25-p75 {self.p25:.2f}-{self.p75:.2f})"

    def to_json(self, digits: int = 3) -> dict[str, Any]:
        return {
            "median": round(self.median, digits),
            "p25": round(self.p25, digits),
            "p75": round(self.p75, digits),
            "n": self.n,
        }


def spread(values: Sequence[float]) -> Spread:
    q1, q3 = quartiles(values)
    return Spread(median(values), q1, q3, len(values))


def paired_ratios(subject: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """subject[i] / baseline[i]: each subject sample over the baseline sample taken next
    to it, so that a slowdown lasting longer than a pair cancels out."""
    if len(subject) != len(baseline):
        raise ValueError(f"{len(subject)} subject samples but {len(baseline)} baseline samples")
    return [s / b for s, b in zip(subject, baseline, strict=True)]


def bracketed_ratios(subject: Sequence[float], before: Sequence[float], after: Sequence[float]) -> list[float]:
    """subject[i] over the mean of the baselines taken just before and just after it (a
    slowdown that rises or falls steadily across the sample cancels out too)."""
    if len(before) != len(after):
        raise ValueError(f"{len(before)} baselines before but {len(after)} after")
    return paired_ratios(subject, [(b + a) / 2 for b, a in zip(before, after, strict=True)])


def alternating[T](pair: tuple[T, T], rounds: int) -> Iterator[tuple[T, T]]:
    """The pair in order, then reversed, and so on: each side goes first in every other
    round, so that neither always runs just after the other (caches, frequency)."""
    for round_no in range(rounds):
        yield pair if round_no % 2 == 0 else (pair[1], pair[0])


@dataclass(frozen=True)
class Runs:
    """One figure per run (each a median over that run's paired samples): the median run
    and the range."""

    medians: Sequence[float]

    @property
    def median(self) -> float:
        return median(self.medians)

    @property
    def low(self) -> float:
        return min(self.medians)

    @property
    def high(self) -> float:
        return max(self.medians)

    def __str__(self) -> str:
        if len(self.medians) == 1:
            return f"{self.median:.2f}"
        return f"{self.median:.2f} (runs {self.low:.2f}-{self.high:.2f})"

    def to_json(self, digits: int = 3) -> dict[str, Any]:
        return {
            "median": round(self.median, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
            "runs": [round(m, digits) for m in self.medians],
        }


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "OVER"


def require(condition: object, message: str) -> None:
    """A check that also runs under `python -O` (unlike assert)."""
    if not condition:
        raise SystemExit(f"bench: {message}")
