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

The registry API validates uploads with `bundle`; the flow runner runs flows with
`engine`, giving it an executor that calls HTTP actions (`actions.http_request` plus the
connection and the guarded client) and built-ins (`actions.BuiltinActions`).
"""
