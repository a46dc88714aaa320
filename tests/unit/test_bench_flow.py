"""The flow benchmark measures what it says: the runner's subject stores a record per
transition, and the baseline builds the very items the store builds (bench/flow.py
refuses to report otherwise). Times are not asserted."""

from __future__ import annotations

from bench import flow


def test_the_flow_benchmark_runs_from_the_source_tree_and_its_baseline_builds_the_runners_items() -> None:
    # When the benchmark runs once from this tree (its checks raise SystemExit on a mismatch)
    result = flow.run(None, blocks=2, runs=1)

    # Then every subject was measured in every block, over the flow's 200 transitions
    assert result.source == "source tree"
    assert result.transitions == 2 * flow.PASS_STATES
    samples = (result.runner_us, result.baseline_us, result.engine_us, result.plain_us, result.jsonpath_us)
    assert [len(s) for s in samples] == [2] * 5
    assert set(result.to_json()) >= {"ratio", "runner_per_transition", "baseline_per_transition", "verdict"}


def test_the_baseline_items_are_the_stores_items_for_a_flow_of_one_pass_state() -> None:
    # Given the store's items for one Pass and one Choice, and the baseline's for the same steps
    engine, activity_module = flow.load(None)
    client = flow.TakingDynamoDB()
    client.keep = True
    with flow.dynamodb_behind_the_seam(client):
        result = engine.run_flow(flow.flow_definition(passes=2), flow.flow_input(), flow.NoActions())
        activity_module.ActivityRepository(flow.ACTIVITY_TABLE).record_steps(
            flow.ACCOUNT_ID, flow.EXECUTION_ID, flow.ATTEMPT, result.steps
        )
        stored = list(client.items)
        client.items.clear()
        flow.plain_records(client, passes=2)(flow.flow_input())

    # Then they hold the same attributes and values, times aside
    assert [item["SK"]["S"] for item in stored] == [
        "STEP#1:1:Read0",
        "STEP#1:2:Check0",
        "STEP#1:3:Read1",
        "STEP#1:4:Done",
    ]
    assert flow.untimed(client.items) == flow.untimed(stored)
    assert all(item.keys() == stored[i].keys() for i, item in enumerate(client.items))
