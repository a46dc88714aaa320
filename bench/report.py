"""Printed results: a compact table per benchmark and a Markdown table for the README."""

from __future__ import annotations

from bench.cold import BASELINE, ColdResult, target_for
from bench.cost import CostResult, markdown_lines
from bench.cost import print_cost as print_cost
from bench.delivery import BATCH, DELAY_SECONDS, DeliveryResult, Kind
from bench.delivery import TARGET as DELIVERY_TARGET
from bench.flow import FlowResult, flow_line
from bench.flow import print_flow as print_flow
from bench.latency import LatencyResult
from bench.routing import BATCH as ROUTING_BATCH
from bench.routing import FANOUT, RoutingResult
from bench.routing import TARGET as ROUTING_TARGET
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
    print(f"\n{flow_line(flow)}")
    print(f"\n{_delivery_line(delivery)}")
    if cost is not None:
        print()
        print("\n".join(markdown_lines(cost)))


# ------------------------------------------------------------------ routing (bench/routing.py)


def _routes_label(result: RoutingResult, table: str, matches: int | None = None) -> str:
    label = f"{result.table_routes[table]:,} routes"
    return label if matches is None else f"{label}, {matches} {'match' if matches == 1 else 'matches'}"


def routing_line(result: RoutingResult) -> str:
    small, big = result.small, result.big
    fan = result.case("matched", FANOUT[-1])
    return (
        f"Routing (router on moto, CPU time, batches of {ROUTING_BATCH}): an event matching one webhook costs "
        f"{big.median_us:.0f} µs with {_routes_label(result, 'big')} in the index vs {small.median_us:.0f} µs with "
        f"{_routes_label(result, 'small')}, ratio {result.ratio:.2f} (target <= {ROUTING_TARGET:.1f}: "
        f"{verdict(result.ratio, ROUTING_TARGET)}; outside moto {result.outside_moto_ratio:.2f}); "
        f"{big.per_event('dynamodb.Query'):.0f} Queries per event reading {big.items_per_event:.0f} item in all, "
        f"{big.per_batch('sqs.SendMessageBatch'):.0f} SendMessageBatch per batch of {ROUTING_BATCH}; "
        f"fan-out to {FANOUT[-1]} webhooks: {fan.per_destination_us:.0f} µs per destination, each one beyond "
        f"the first {result.marginal_us('matched', FANOUT[-1]):.0f} µs (to {FANOUT[1]}: "
        f"{result.marginal_us('matched', FANOUT[1]):.0f} µs); with / without "
        f"{result.table_routes['big'] - result.table_routes['matched']:,} unmatched routes: "
        f"{result.unmatched_ratio(FANOUT[-1]):.2f}"
    )


def print_routing(result: RoutingResult) -> None:
    width = len(_routes_label(result, "big", FANOUT[-1])) + 2
    print(f"\n{'CPU µs per event':<{width}}  {'median':>7}  {'p25-p75':>13}  {'in moto':>7}  {'outside':>7}  ratio")
    for table in ("small", "big"):
        case = result.case(table, 1)
        q1, q3 = quartiles(case.us)
        tail = ""
        if table == "big":
            tail = (
                f"  {result.ratio:.2f} <= {ROUTING_TARGET:.1f} {verdict(result.ratio, ROUTING_TARGET)}"
                f" (outside moto {result.outside_moto_ratio:.2f}, wall clock {result.wall_ratio:.2f})"
            )
        print(
            f"{_routes_label(result, table, 1):<{width}}  {case.median_us:7.0f}  {q1:6.0f}-{q3:<6.0f}"
            f"  {median(case.moto_us):7.0f}  {median(case.own_us):7.0f}{tail}"
        )

    print(
        f"\n{'fan-out, CPU µs':<{width}}  {'/event':>7}  {'/destination':>12}  {'each extra':>10}"
        f"  {'items read/event':>16}  {'Query/event':>11}  {'SendMessageBatch/event':>22}"
    )
    for table in ("matched", "big"):
        for matches in FANOUT:
            case = result.case(table, matches)
            extra = f"{result.marginal_us(table, matches):10.0f}" if matches > 1 else f"{'':10}"
            print(
                f"{_routes_label(result, table, matches):<{width}}  {case.median_us:7.0f}"
                f"  {case.per_destination_us:12.0f}  {extra}  {case.items_per_event:16.1f}"
                f"  {case.per_event('dynamodb.Query'):11.1f}  {case.per_event('sqs.SendMessageBatch'):22.1f}"
            )
    ratios = ", ".join(f"{m}: {result.unmatched_ratio(m):.2f}" for m in FANOUT)
    unmatched = result.table_routes["big"] - result.table_routes["matched"]
    print(f"per event with / without the {unmatched:,} unmatched routes, by matches: {ratios}")

    print(f"\nAWS calls per batch of {ROUTING_BATCH} events, each matching 1 webhook (botocore before-call hooks):")
    for table in ("small", "big"):
        case = result.case(table, 1)
        calls = ", ".join(f"{op} {case.per_batch(op):g}" for op in case.calls)
        label = _routes_label(result, table)
        print(f"  {label:>15}: {calls}; the Queries read {case.items_per_event:.1f} items per event")
    print(
        "  a Query per partition the event can match (its type, then the account's wildcard), "
        "a SendMessageBatch per 10 destinations of the batch"
    )
    stock, partition = result.stock_query_ms, result.partition_query_ms
    print(
        f"\nmoto as shipped: one Query of that partition took {stock['small']:.1f} ms (CPU) in the "
        f"{_routes_label(result, 'small')} table and {stock['big']:.0f} ms in the {_routes_label(result, 'big')} "
        f"one (moto sorts the whole table for each Query; DynamoDB reads only the partition); by partition "
        f"{partition['small']:.1f} and {partition['big']:.1f} ms, same answers. The batches above run with moto's "
        "Query and SendMessage at AWS's complexity (bench/routing.py says how)."
    )
    print(f"(writing the tables took {result.setup_s:.0f} s, the timed rounds {result.timed_s:.0f} s)")


# ------------------------------------------------------------------ latency (bench/latency.py)


def latency_line(result: LatencyResult) -> str:
    before, after, pause = result.before, result.after, result.budget_ms
    return (
        f"End-to-end latency on `hookyard dev` (ingest's 200 -> receiver called, {result.events} events each, "
        f"alternating): p50 {before.p50:.0f} ms before the router ({result.before_commit}) vs {after.p50:.0f} ms "
        f"after ({result.after_commit or 'this tree'}), {result.p50_added_ms:+.0f} ms; p95 {before.p95:.0f} vs "
        f"{after.p95:.0f} ms, {result.p95_added_ms:+.0f} ms (target: no more than the poll pause the hop adds, "
        f"{pause:.0f} ms: p50 {verdict(result.p50_added_ms, pause)}, p95 {verdict(result.p95_added_ms, pause)}; "
        f"one whole poll period, pause + empty receive, is {result.period_ms:.0f} ms; this tree's pollers wake "
        "when something is sent, as a long poll would)"
    )


def print_latency(result: LatencyResult) -> None:
    print(f"\n{'ingest 200 -> receiver':<24}  {'p50 ms':>7}  {'p95 ms':>7}  {'min-max ms':>15}  {'ingest p50 ms':>13}")
    after = f"after ({result.after_commit or 'this tree'})"
    for label, side in ((f"before ({result.before_commit})", result.before), (after, result.after)):
        spread = f"{min(side.latency_ms):.0f}-{max(side.latency_ms):.0f}"
        print(f"{label:<24}  {side.p50:7.0f}  {side.p95:7.0f}  {spread:>15}  {median(side.ingest_ms):13.0f}")
    budget = result.budget_ms
    print(
        f"{'added by the router':<24}  {result.p50_added_ms:+7.0f}  {result.p95_added_ms:+7.0f}"
        f"  (poll pause {budget:.0f} ms: p50 {verdict(result.p50_added_ms, budget)},"
        f" p95 {verdict(result.p95_added_ms, budget)})"
    )
    print(
        f"one poll period (pause + an empty ReceiveMessage, {median(result.after.receive_ms):.0f} ms): "
        f"{result.period_ms:.0f} ms. This tree's pollers wake as soon as something is sent (hookyard_dev's "
        "Arrivals, as Lambda's long polls pick a message up), so the router's hop costs its own time, not a period."
    )
    old, new = result.layout["before"], result.layout["after"]
    print(
        f"stacks checked: before has no routing queue and {old['bus_rules_with_one_webhook']} bus rule(s) with one "
        f"webhook; after has a routing queue and {new['bus_rules_with_one_webhook']} ({result.elapsed_s:.0f} s)"
    )
