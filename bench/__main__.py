"""`python -m bench` (`make bench`, after `make build-host`).

1. Cold start: init (import) CPU time of every handler from the precompiled host build,
   each function with only its own layers, as a ratio to a boto3-plus-one-client
   handler imported the same way, sampled just before and after it.
2. Warm ingest: CPU time per request of the built ingest handler with in-memory AWS
   fakes, as a ratio to the request's irreducible work, block by block.
3. Flow transitions: time per state transition of run_flow and the step records the
   flow runner stores (from the built layer) over a 200-transition Pass/Choice flow, as
   a ratio to a plain loop doing the same JSONPath reads, writes and comparisons and
   building the same records (bench/flow.py; `python -m bench.flow` runs it alone).
4. Delivery batch: the delivery handler (source tree, on moto, in a child process) on
   10 messages to a receiver that answers after 200 ms, as a ratio to 1 message.
5. AWS cost per million events (bench/cost.py: source tree, on moto, in a child
   process): every AWS request of four paths counted and priced with bench/prices.json,
   as a ratio to each path's floor.
6. Routing: the router (source tree, on moto, in a child process) per event with 100,000
   routes in the subscription index, as a ratio to 10; fan-out to 1, 10, 100 webhooks;
   AWS calls per routed event.
7. Latency: `hookyard dev` for this tree and for the commit before the router, side by
   side, ingest accepted -> receiver called, p50/p95 and what the router's hop adds.

Baselines are measured in the same run, interleaved with the subjects (AB BA ...), and
each ratio is a subject sample over the baseline measured next to it, so that a busy
machine's load lands on both sides (bench/stats.py); the figure is the median of those
ratios, printed with its spread (p25-p75). `--runs N` repeats the cold, warm and
delivery benchmarks N times and reports the median run with the range of runs. Targets
are printed with PASS/OVER; they are informational, the exit code is 0 either way.
Results also go to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cold, cost, delivery, flow, latency, routing, warm
from bench.report import (
    latency_line,
    print_cold,
    print_cost,
    print_delivery,
    print_flow,
    print_latency,
    print_markdown,
    print_routing,
    print_warm,
    routing_line,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build-host")
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of the cold, warm and delivery benchmarks (default 1; README: 3)"
    )
    parser.add_argument("--rounds", type=int, default=12, help="cold-start rounds per run (default 12)")
    parser.add_argument("--blocks", type=int, default=30, help="warm ingest block pairs per run (default 30)")
    parser.add_argument("--calls", type=int, default=300, help="warm ingest calls per block (default 300)")
    parser.add_argument("--flow-blocks", type=int, default=20, help="flow engine blocks (default 20)")
    parser.add_argument("--flow-runs", type=int, default=25, help="flow runs per block (default 25)")
    parser.add_argument("--delivery-rounds", type=int, default=9, help="delivery rounds per run (default 9)")
    parser.add_argument(
        "--cost-events", type=int, default=cost.EVENTS, help=f"cost: events per path (default {cost.EVENTS})"
    )
    parser.add_argument("--routing-rounds", type=int, default=routing.ROUNDS, help="routing rounds")
    parser.add_argument("--latency-events", type=int, default=latency.EVENTS, help="latency events per stack")
    args = parser.parse_args(argv)
    build_dir: Path = args.build_dir
    if not (build_dir / "template.yaml").exists():
        print(f"no build at {build_dir}: run `make build-host` first", file=sys.stderr)
        return 2

    started = time.perf_counter()
    print(f"Python {platform.python_version()} on {platform.machine()}, build {build_dir}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print(
        f"cold start: {args.runs} run(s) of {args.rounds} rounds (+1 warm-up) of every function, shuffled, "
        "with a baseline before, between and after them ...",
        flush=True,
    )
    cold_result = cold.run(build_dir, rounds=args.rounds, runs=args.runs)
    print_cold(cold_result)

    print(
        f"\nwarm ingest: {args.runs} run(s) of {args.blocks} alternating block pairs of {args.calls} calls ...",
        flush=True,
    )
    warm_result = warm.run(build_dir, blocks=args.blocks, calls=args.calls, runs=args.runs)
    print_warm(warm_result)

    print(
        f"\nflow transitions: {args.flow_blocks} alternating blocks of {args.flow_runs} runs of a "
        f"{2 * flow.PASS_STATES}-transition Pass/Choice flow ...",
        flush=True,
    )
    flow_result = flow.run(build_dir, blocks=args.flow_blocks, runs=args.flow_runs)
    print_flow(flow_result)

    print(
        f"\ndelivery batch: {args.runs} run(s) of {args.delivery_rounds} rounds (+1 warm-up) of 1 and "
        f"{delivery.BATCH} messages, "
        f"receiver waiting {delivery.DELAY_SECONDS * 1000:.0f} ms or answering at once (child process, moto) ...",
        flush=True,
    )
    delivery_result = delivery.run(rounds=args.delivery_rounds, runs=args.runs)
    print_delivery(delivery_result)

    print(
        f"\ncost: {args.cost_events} events per path (+{cost.WARMUP} warm-up) through the handlers on moto, "
        f"every AWS request counted (child process) ...",
        flush=True,
    )
    cost_result = cost.run(events=args.cost_events)
    print_cost(cost_result)

    print(f"\n{routing.describe(args.routing_rounds)}", flush=True)
    routing_result = routing.run(rounds=args.routing_rounds)
    print_routing(routing_result)

    print(f"\n{latency.describe(args.latency_events)}", flush=True)
    latency_result = latency.run(events=args.latency_events)
    print_latency(latency_result)

    print_markdown(cold_result, warm_result, flow_result, delivery_result, cost_result)
    print(f"\n{routing_line(routing_result)}\n\n{latency_line(latency_result)}")
    elapsed = time.perf_counter() - started

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "build_dir": str(build_dir),
        "elapsed_s": round(elapsed, 1),
        "cold_start": cold_result.to_json(),
        "warm_ingest": warm_result.to_json(),
        "flow_engine": flow_result.to_json(),
        "delivery_batch": delivery_result.to_json(),
        "cost": cost_result.to_json(),
        "routing": routing_result.to_json(),
        "latency": latency_result.to_json(),
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
