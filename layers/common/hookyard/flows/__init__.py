"""ZIS bundles and flows, as pure Python (no AWS, no network, no sleeps).

- `bundle`: `validate_bundle(document, integration) -> Bundle`, or `BundleInvalid` (400)
  with every problem's resource, JSON path and message.
- `language`: the flow language rules (which states and fields a flow may use).
- `choice`: Choice rule operators: checks and evaluation.
- `paths`: JSONPath reads, ResultPath writes, `{{$.path}}` placeholders, `.$` keys.
- `engine`: `run_flow(...) -> FlowResult(outcome, steps)`: the interpreter, resumable
  from a checkpoint (Wait, Retry intervals), deterministic step keys for replay, ZIS's
  limits and whole-flow retry decision (`flow_retry_delay`).
- `actions`: `http_request(definition, parameters) -> RenderedRequest` for
  ZIS::Action::Http, and `BuiltinActions` (Jq, LoadConfig, PatchConfig over a ConfigStore).
- `runnable`: `RunnableFlow(definition, actions)`, a flow as the runner runs it, made
  from a validated bundle at upload (or read from a document stored before).

The registry API validates uploads with `bundle` and stores each flow as a `runnable`
one; the flow runner runs those with `engine` (never validating again), giving it an
executor that calls HTTP actions (`actions.http_request` plus the connection and the
guarded client) and built-ins (`actions.BuiltinActions`).
"""
