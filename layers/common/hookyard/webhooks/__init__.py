"""Outbound webhooks: the rules, without I/O except the circuit breaker's store.

- `signing`: signing secrets; Zendesk and Standard Webhooks signature headers; verification.
- `retry`: the retry policies, as a pure `decide(policy, attempt, outcome)`.
- `breaker`: the per-webhook circuit breaker (pure state machine + DynamoDB store).
- `payload`: bus event -> Zendesk webhook payload; event type strings; content types.
- `triggers`: trigger conditions (validate, evaluate: the router's one evaluator).
- `bodies`: trigger request bodies: Liquid templates (validate, render) and the request
  encoding per request format and method (only the webhooks API and delivery import it).
- `headers`: custom header rules and authentication headers.

The webhooks API function validates and tests with these; the delivery function builds,
signs, sends, retries and guards deliveries with them.
"""
