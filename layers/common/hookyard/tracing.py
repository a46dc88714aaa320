"""X-Ray tracing for the functions whose time goes to calls made elsewhere: delivery
(receivers) and the flow runner (HTTP actions), and their DynamoDB, SQS, KMS and
EventBridge calls.

With the template's `Tracing=Active`, Lambda traces every function (its init and each
invocation) with no code at all. A handler decorated with `traced(service)` goes
further: on its first invocation, when the stack traces (HOOKYARD_TRACING), it makes
Powertools' Tracer (which patches botocore: a subsegment per AWS call) and runs inside
its capture_lambda_handler (a `## lambda_handler` subsegment annotated with ColdStart and
the service); and every outbound HTTP request (hookyard.outbound, on urllib3, which the
X-Ray SDK's httplib patch does not see) becomes a subsegment of its own, named by its
host, with method, URL (without its query, which may carry a token) and status, or the
exception as its fault. A request sent on a thread of its own (a delivery batch's sends)
hangs under the function's segment: X-Ray's Lambda context gives each thread the
invocation's segment.

Only these functions import this module, and nothing imports aws-xray-sdk unless the
stack traces: a function's init never pays for it (about 20 ms).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from hookyard import outbound
from hookyard.config import TracingSettings, get_settings

TRACED_MODULES = ("botocore",)  # outbound HTTP: remote_call

Handler = Callable[[Any, Any], Any]


def traced(service: str) -> Callable[[Handler], Handler]:
    """Decorate a Lambda handler: with the stack's Tracing=Active, it runs traced (see the
    module docstring); otherwise as it is. Decided on the first invocation: the
    environment is not read at import."""

    def decorate(handler: Handler) -> Handler:
        chosen: list[Handler] = []

        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            if not chosen:
                chosen.append(_with_tracer(service, handler))
            return chosen[0](event, context)

        return run

    return decorate


def _with_tracer(service: str, handler: Handler) -> Handler:
    if get_settings(TracingSettings).tracing != "Active":
        return handler
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=service, patch_modules=TRACED_MODULES)
    if tracer.disabled:  # outside Lambda (hookyard dev, sam local): there is no daemon
        return handler
    outbound.observe_requests(remote_call)
    # The response (a batch's failures) is not worth a trace's size; errors are kept.
    return tracer.capture_lambda_handler(handler, capture_response=False)  # type: ignore[no-any-return]


@contextmanager
def remote_call(method: str, url: str) -> Iterator[Callable[[int], None]]:
    """One outbound HTTP request as an X-Ray subsegment (namespace `remote`); the value
    takes the answer's status."""
    from aws_xray_sdk.core import xray_recorder  # type: ignore[import-untyped]

    parts = urlsplit(url)
    with xray_recorder.in_subsegment(parts.hostname or "remote") as subsegment:
        subsegment.namespace = "remote"
        subsegment.put_http_meta("method", method)
        subsegment.put_http_meta("url", f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}")
        yield lambda status: subsegment.put_http_meta("status", status)
