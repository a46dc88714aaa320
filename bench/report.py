"""Printed results: a compact table per benchmark and a Markdown table for the README."""

from __future__ import annotations

from bench.cold import BASELINE, ColdResult, target_for
from bench.cost import CostResult, markdown_lines
from bench.cost import print_cost as print_cost
from bench.delivery import BATCH, DELAY_SECONDS, DeliveryResult, Kind
from bench.delivery import TARGET as DELIVERY_TARGET
from bench.flow import TARGET as FLOW_TARGET
from bench.flow import FlowResult
from bench.stats import median, quartiles, spread, verdict
from bench.warm import TARGET as WARM_TARGET
from bench.warm import WarmResult


def _loads(loads: list[tuple[float, float]]) -> str:
    return ", ".join(f"{a:.1f}->{b:.1f}" for a, b in loads)


def print_cold(result: ColdResult) -> None:
    base = result.samples(BASELINE)
    label = "baseline (boto3 + 1 client)"
    width = max(len(label), *(len(name) for name in result.names))
    runs = len(result.runs)
    print(
        f"\n{'function':<{width}}  {'CPU ms':>6}  {'p25-p75':>11}  {'wall ms':>7}  {'ratio':>5}  "
        f"{'pairs p25-p75':>13}  {'runs':>9}  {'target':>11}  {'ships':>7}"
    )
    c = spread(base.cpu_ms)
    print(
        f"{label:<{width}}  {c.median:6.1f}  {c.p25:5.0f}-{c.p75:<5.0f}  {median(base.wall_ms):7.1f}  "
        f"{'':>5}  {'':>13}  {'':>9}  {'':>11}  {base.ships_bytes / 1e6:5.1f}MB"
    )
    for name in result.names:
        pooled, ratio, target = result.samples(name), result.ratio(name), target_for(name)
        c, pairs = spread(pooled.cpu_ms), spread(pooled.ratios)
        span = f"{ratio.low:.2f}-{ratio.high:.2f}" if runs > 1 else ""
        print(
            f"{name:<{width}}  {c.median:6.1f}  {c.p25:5.0f}-{c.p75:<5.0f}  {median(pooled.wall_ms):7.1f}  "
            f"{ratio.median:5.2f}  {pairs.p25:6.2f}-{pairs.p75:<6.2f}  {span:>9}  "
            f"<= {target:<3.1f} {verdict(ratio.median, target)}  {pooled.ships_bytes / 1e6:5.1f}MB"
        )
    print(
        f"\n{runs} run(s) of {result.runs[0].rounds} rounds; ratio: CPU time over the mean of the baselines "
        f"just before and after, median over rounds (median run); load average {_loads([r.load for r in result.runs])}"
    )


def _warm_line(result: WarmResult) -> str:
    handler, baseline = median(result.handler_us), median(result.baseline_us)
    return (
        f"Warm ingest ({result.body_bytes} B JSON body, AWS clients faked): "
        f"{handler:.1f} µs/request (CPU) vs baseline {baseline:.1f} µs, "
        f"ratio {result.ratio} (target <= {WARM_TARGET:.1f}: {verdict(result.ratio.median, WARM_TARGET)})"
    )


def print_warm(result: WarmResult) -> None:
    h, b = spread(result.handler_us), spread(result.baseline_us)
    h_wall, b_wall = median(result.pooled("handler_wall_us")), median(result.pooled("baseline_wall_us"))
    pairs = spread(result.pooled("ratios"))
    print(f"\n{'per request':<20}  {'CPU µs':>7}  {'p25-p75':>11}  {'wall µs':>7}  {'ratio':>5}  {'pairs p25-p75':>13}")
    print(f"{'baseline (minimal)':<20}  {b.median:7.1f}  {b.p25:5.1f}-{b.p75:<5.1f}  {b_wall:7.1f}")
    print(
        f"{'ingest handler':<20}  {h.median:7.1f}  {h.p25:5.1f}-{h.p75:<5.1f}  {h_wall:7.1f}"
        f"  {result.ratio.median:5.2f}  {pairs.p25:6.2f}-{pairs.p75:<6.2f}"
        f"  <= {WARM_TARGET:.1f} {verdict(result.ratio.median, WARM_TARGET)}"
    )
    print(
        f"\n{len(result.runs)} run(s) of {result.blocks} block pairs x {result.calls_per_block} calls; ratio "
        f"{result.ratio}: CPU time, each handler block over the baseline block next to it, median over blocks "
        f"(median run); load average {_loads([r.load for r in result.runs])}"
    )


def _flow_line(result: FlowResult) -> str:
    engine, baseline = median(result.engine_us), median(result.baseline_us)
    return (
        f"Flow engine ({result.transitions} Pass/Choice transitions, no-op executor): "
        f"{engine:.1f} µs/transition vs baseline {baseline:.2f} µs (a plain loop doing the same JSONPath reads, "
        f"writes and comparisons), ratio {result.ratio:.1f} (target <= {FLOW_TARGET:.1f}: "
        f"{verdict(result.ratio, FLOW_TARGET)}); with the step records built, as the flow runner reads them: "
        f"{median(result.records_us):.2f} µs, ratio {result.records_ratio:.1f}; the same loop through jsonpath-ng's "
        f"find()/update_or_create(): {median(result.jsonpath_us):.1f} µs"
    )


def print_flow(result: FlowResult) -> None:
    rows = [
        ("baseline (plain loop)", result.baseline_us, ""),
        (
            "run_flow",
            result.engine_us,
            f"{result.ratio:6.2f}  <= {FLOW_TARGET:<4.1f} {verdict(result.ratio, FLOW_TARGET)}",
        ),
        (
            "run_flow + reading steps",
            result.records_us,
            f"{result.records_ratio:6.2f}  (reference: the step records built, as the flow runner reads them)",
        ),
        (
            "jsonpath-ng API loop",
            result.jsonpath_us,
            f"{result.jsonpath_ratio:6.2f}  (reference only: the engine does not call find() for plain paths)",
        ),
    ]
    width = max(len(label) for label, _, _ in rows)
    print(f"\n{'per transition':<{width}}  {'median µs':>9}  {'p25-p75 µs':>13}  {'ratio':>6}  {'target':>7}")
    for label, samples, tail in rows:
        q1, q3 = quartiles(samples)
        print(f"{label:<{width}}  {median(samples):9.2f}  {q1:6.2f}-{q3:<6.2f}  {tail}".rstrip())
    if result.profile:
        print("\nrun_flow under cProfile (% of profiled time; call overhead is inflated):")
        print(f"  {'function':<32}  {'with callees':>12}  {'own':>5}")
        for function, cumulative, own in result.profile:
            print(f"  {function:<32}  {cumulative:11.1f}%  {own:4.1f}%")


def _delivery_line(result: DeliveryResult) -> str:
    adjusted = result.adjusted_ratio
    return (
        f"Delivery batch of {BATCH} to a receiver that answers after {DELAY_SECONDS * 1000:.0f} ms "
        f"(handler on moto): {result.batch.median_ms:.0f} ms vs {result.single.median_ms:.0f} ms for one message, "
        f"ratio {result.ratio}; moto serialises its calls, {result.batch.median_moto_ms:.0f} ms of the batch "
        f"({result.single.median_moto_ms:.0f} ms for one message), without that excess {adjusted} "
        f"(target <= {DELIVERY_TARGET:.1f}: {verdict(adjusted.median, DELIVERY_TARGET)}); the receiver's wait "
        f"adds {result.batch_wait_ms:.0f} ms to the batch, not {BATCH} x {DELAY_SECONDS * 1000:.0f} ms"
    )


def print_delivery(result: DeliveryResult) -> None:
    wait = f"receiver waits {DELAY_SECONDS * 1000:.0f} ms"
    ratios = spread([r for run in result.runs for r in run.ratios])
    adjusted = spread([r for run in result.runs for r in run.adjusted_ratios])
    rows: list[tuple[str, Kind, str]] = [
        (f"1 message, {wait}", result.single, ""),
        (
            f"{BATCH} messages, {wait}",
            result.batch,
            f"{result.ratio.median:5.2f}  {ratios.p25:5.2f}-{ratios.p75:<5.2f}",
        ),
        (
            "  the same less moto's serialisation",
            result.batch,
            f"{result.adjusted_ratio.median:5.2f}  {adjusted.p25:5.2f}-{adjusted.p75:<5.2f}  "
            f"<= {DELIVERY_TARGET:.1f} {verdict(result.adjusted_ratio.median, DELIVERY_TARGET)}",
        ),
        (f"{BATCH} messages, receiver answers at once", result.batch_instant, ""),
        ("1 message, receiver answers at once", result.single_instant, ""),
    ]
    width = max(len(label) for label, _, _ in rows)
    header = f"{'median ms':>9}  {'p25-p75 ms':>13}  {'in moto':>7}  {'ratio':>5}  {'pairs p25-p75':>11}  {'target':>7}"
    print(f"\n{'delivery handler (wall time)':<{width}}  {header}")
    for label, kind, tail in rows:
        q1, q3 = quartiles(kind.ms)
        figures = f"{kind.median_ms:9.1f}  {q1:6.1f}-{q3:<6.1f}  {kind.median_moto_ms:7.1f}"
        if label.startswith("  "):
            figures = f"{'':>9}  {'':>13}  {'':>7}"
        print(f"{label:<{width}}  {figures}  {tail}".rstrip())
    peak, delay_ms = max(result.batch.peak), DELAY_SECONDS * 1000
    print(
        f"\n{len(result.runs)} run(s) of {result.rounds} rounds; ratio {result.ratio}, less moto's serialisation "
        f"{result.adjusted_ratio}: each round's batch over its single message, median over rounds (median run); "
        f"load average {_loads([r.load for r in result.runs])}"
    )
    print(
        f"The receiver's {delay_ms:.0f} ms wait adds {result.batch_wait_ms:.0f} ms to the batch of {BATCH} "
        f"({peak} requests in flight at once; other records' work runs during the wait) and "
        f"{result.single_wait_ms:.0f} ms to one message; {BATCH} sequential deliveries would add "
        f"{BATCH * delay_ms:.0f} ms."
    )
    print(
        f"moto is not thread-safe, so its calls run one at a time: {result.batch.median_moto_ms:.0f} ms of the batch "
        f"({int(median(result.batch.moto_calls))} calls) vs {result.single.median_moto_ms:.0f} ms for one message. "
        f"On AWS the records' calls overlap; taking each round's excess out gives a ratio of "
        f"{result.adjusted_ratio} (an estimate: real AWS calls have network latency of their own)."
    )


def print_markdown(
    cold: ColdResult, warm: WarmResult, flow: FlowResult, delivery: DeliveryResult, cost: CostResult | None = None
) -> None:
    base = median(cold.samples(BASELINE).cpu_ms)
    print("\nMarkdown (README):\n")
    print("| function | ships | init CPU ms | baseline ms | ratio (runs) | target |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in cold.names:
        pooled, ratio, target = cold.samples(name), cold.ratio(name), target_for(name)
        span = f" ({ratio.low:.2f}-{ratio.high:.2f})" if len(cold.runs) > 1 else ""
        print(
            f"| {name} | {pooled.ships_bytes / 1e6:.0f} MB | {median(pooled.cpu_ms):.0f} | {base:.0f} "
            f"| {ratio.median:.2f}{span} | <= {target:.1f} ({verdict(ratio.median, target)}) |"
        )
    print(f"\n{_warm_line(warm)}")
    print(f"\n{_flow_line(flow)}")
    print(f"\n{_delivery_line(delivery)}")
    if cost is not None:
        print()
        print("\n".join(markdown_lines(cost)))
