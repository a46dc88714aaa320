"""Printed results: a compact table per benchmark and a Markdown table for the README."""

from __future__ import annotations

from bench.cold import ColdResult, target_for
from bench.cost import CostResult, markdown_lines
from bench.cost import print_cost as print_cost
from bench.delivery import BATCH, DELAY_SECONDS, DeliveryResult, Kind
from bench.delivery import TARGET as DELIVERY_TARGET
from bench.flow import FlowResult, flow_line
from bench.flow import print_flow as print_flow
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


def _delivery_line(result: DeliveryResult) -> str:
    return (
        f"Delivery batch of {BATCH} to a receiver that answers after {DELAY_SECONDS * 1000:.0f} ms "
        f"(handler on moto): {result.batch.median_ms:.0f} ms vs {result.single.median_ms:.0f} ms for one message, "
        f"ratio {result.ratio:.2f} (target <= {DELIVERY_TARGET:.1f}: {verdict(result.ratio, DELIVERY_TARGET)}); "
        f"moto serialises its calls, {result.batch.median_moto_ms:.0f} ms of the batch "
        f"({result.single.median_moto_ms:.0f} ms for one message), without that excess about "
        f"{result.adjusted_ratio:.2f}; the receiver's wait adds {result.batch_wait_ms:.0f} ms to the batch, "
        f"not {BATCH} x {DELAY_SECONDS * 1000:.0f} ms"
    )


def print_delivery(result: DeliveryResult) -> None:
    wait = f"receiver waits {DELAY_SECONDS * 1000:.0f} ms"
    rows: list[tuple[str, Kind, str]] = [
        (f"1 message, {wait}", result.single, ""),
        (
            f"{BATCH} messages, {wait}",
            result.batch,
            f"{result.ratio:6.2f}  <= {DELIVERY_TARGET:<4.1f} {verdict(result.ratio, DELIVERY_TARGET)}",
        ),
        (f"{BATCH} messages, receiver answers at once", result.batch_instant, ""),
        ("1 message, receiver answers at once", result.single_instant, ""),
    ]
    width = max(len(label) for label, _, _ in rows)
    header = f"{'median ms':>9}  {'p25-p75 ms':>13}  {'in moto':>7}  {'ratio':>6}  {'target':>7}"
    print(f"\n{'delivery handler':<{width}}  {header}")
    for label, kind, tail in rows:
        q1, q3 = quartiles(kind.ms)
        figures = f"{kind.median_ms:9.1f}  {q1:6.1f}-{q3:<6.1f}  {kind.median_moto_ms:7.1f}"
        print(f"{label:<{width}}  {figures}  {tail}".rstrip())
    peak, delay_ms = max(result.batch.peak), DELAY_SECONDS * 1000
    print(
        f"\nThe receiver's {delay_ms:.0f} ms wait adds {result.batch_wait_ms:.0f} ms to the batch of {BATCH} "
        f"({peak} requests in flight at once; other records' work runs during the wait) and "
        f"{result.single_wait_ms:.0f} ms to one message; {BATCH} sequential deliveries would add "
        f"{BATCH * delay_ms:.0f} ms."
    )
    print(
        f"moto is not thread-safe, so its calls run one at a time: {result.batch.median_moto_ms:.0f} ms of the batch "
        f"({int(median(result.batch.moto_calls))} calls) vs {result.single.median_moto_ms:.0f} ms for one message. "
        f"On AWS the records' calls overlap; taking out the {result.serialised_extra_ms:.0f} ms excess gives about "
        f"{result.batch.median_ms - result.serialised_extra_ms:.0f} ms, a ratio of about {result.adjusted_ratio:.2f} "
        "(an estimate: real AWS calls have network latency of their own)."
    )


def print_markdown(
    cold: ColdResult, warm: WarmResult, flow: FlowResult, delivery: DeliveryResult, cost: CostResult | None = None
) -> None:
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
    print(f"\n{flow_line(flow)}")
    print(f"\n{_delivery_line(delivery)}")
    if cost is not None:
        print()
        print("\n".join(markdown_lines(cost)))
