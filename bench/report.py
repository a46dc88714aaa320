"""Printed results: a compact table per benchmark and a Markdown table for the README."""

from __future__ import annotations

from bench.cold import ColdResult, target_for
from bench.stats import median, quartiles, verdict
from bench.warm import TARGET as WARM_TARGET
from bench.warm import WarmResult


def print_cold(result: ColdResult) -> None:
    base = result.baseline
    b1, b3 = quartiles(base.samples_ms)
    label = "baseline (boto3 + 1 client)"
    width = max(len(label), *(len(r.name) for r in result.functions))
    print(f"\n{'function':<{width}}  {'median ms':>9}  {'p25-p75 ms':>13}  {'ratio':>6}  {'target':>7}")
    print(f"{label:<{width}}  {base.median_ms:9.1f}  {b1:6.1f}-{b3:<6.1f}".rstrip())
    for function in result.functions:
        q1, q3 = quartiles(function.samples_ms)
        ratio, target = result.ratio(function), target_for(function.name)
        print(
            f"{function.name:<{width}}  {function.median_ms:9.1f}  {q1:6.1f}-{q3:<6.1f}  {ratio:6.2f}"
            f"  <= {target:<4.1f} {verdict(ratio, target)}"
        )


def _warm_line(result: WarmResult) -> str:
    handler, baseline = median(result.handler_us), median(result.baseline_us)
    return (
        f"Warm ingest ({result.body_bytes} B JSON body, AWS clients faked): "
        f"{handler:.1f} µs/request vs baseline {baseline:.1f} µs, "
        f"ratio {result.ratio:.2f} (target <= {WARM_TARGET:.1f}: {verdict(result.ratio, WARM_TARGET)})"
    )


def print_warm(result: WarmResult) -> None:
    h1, h3 = quartiles(result.handler_us)
    b1, b3 = quartiles(result.baseline_us)
    print(f"\n{'':<20}  {'median µs':>9}  {'p25-p75 µs':>13}  {'ratio':>6}  {'target':>7}")
    print(f"{'baseline (minimal)':<20}  {median(result.baseline_us):9.1f}  {b1:6.1f}-{b3:<6.1f}".rstrip())
    print(
        f"{'ingest handler':<20}  {median(result.handler_us):9.1f}  {h1:6.1f}-{h3:<6.1f}  {result.ratio:6.2f}"
        f"  <= {WARM_TARGET:<4.1f} {verdict(result.ratio, WARM_TARGET)}"
    )


def print_markdown(cold: ColdResult, warm: WarmResult) -> None:
    base = cold.baseline.median_ms
    print("\nMarkdown (README):\n")
    print("| function | median init ms | baseline ms | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for function in cold.functions:
        ratio, target = cold.ratio(function), target_for(function.name)
        print(
            f"| {function.name} | {function.median_ms:.0f} | {base:.0f} | {ratio:.2f} "
            f"| <= {target:.1f} ({verdict(ratio, target)}) |"
        )
    print(f"\n{_warm_line(warm)}")
