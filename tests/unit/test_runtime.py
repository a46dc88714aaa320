"""hookyard_dev.runtime: a function's handler run in this process as Lambda runs it."""

from __future__ import annotations

import threading
from typing import Any

from hookyard_dev.runtime import FunctionRuntime
from hookyard_dev.template import FunctionSpec


class Probe:
    """A handler that counts how many of its invocations run at once. Each waits at a
    barrier for a second one to arrive; if none can (they do not overlap), the barrier
    gives up and the invocation goes on alone."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(2, timeout=0.5)

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            pass
        finally:
            with self.lock:
                self.active -= 1
        return {"statusCode": 200, "body": event["n"]}


PROBE = Probe()
probe_handler = PROBE.handle


def test_a_function_runs_one_invocation_at_a_time_as_one_lambda_environment_does() -> None:
    # Given a function whose handler keeps module-level state per invocation (as the
    # Powertools resolver does), asked twice at once (two HTTP requests, one function)
    spec = FunctionSpec(
        logical_id="ProbeFunction",
        code_uri="tests/unit/",
        handler=f"{__name__}.probe_handler",
        environment={},
        timeout=10,
        memory=128,
    )
    runtime = FunctionRuntime(spec)
    answers: list[Any] = []

    # When both invocations are made from two threads
    threads = [threading.Thread(target=lambda n=n: answers.append(runtime.invoke({"n": n}))) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then they ran one after the other, and each got its own answer
    assert PROBE.peak == 1
    assert sorted(a["body"] for a in answers) == [1, 2]
