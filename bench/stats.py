"""Small statistics and verdict helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (the spread printed next to each median)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "OVER"


def require(condition: object, message: str) -> None:
    """A check that also runs under `python -O` (unlike assert)."""
    if not condition:
        raise SystemExit(f"bench: {message}")
