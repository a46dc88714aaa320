"""Rules for outbound webhooks: what a valid webhook is, how the connection method, the
credentials, the signing secret and the endpoint verification handshake follow its
changes, and the live test request. A webhook's routes in the subscription index are
written by its repository in the same transaction as the webhook.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from hookyard import bus, clock, ids
from hookyard.api import describe_validation_error
from hookyard.bus import Bus
from hookyard.dal.invocations import InvocationsRepository, attempt_id, truncate_body
from hookyard.dal.recoveries import RecoveriesRepository
from hookyard.dal.triggers import TriggersRepository
from hookyard.dal.webhooks import WebhooksRepository
from hookyard.errors import BadRequest, Conflict, HookyardError
from hookyard.merge_patch import merge_patch
from hookyard.models.webhooks import (
    TRIGGER_SUBSCRIPTION,
    Attempt,
    AuthenticationInput,
    AuthType,
    ConnectionMethod,
    HttpMethod,
    Invocation,
    InvocationStatus,
    RequestFormat,
    StoredAuthentication,
    StoredVerification,
    TestError,
    TestRequestOptions,
    TestResponse,
    TestResponseHeader,
    TestWebhookDefinition,
    TestWebhookRequest,
    VerificationInput,
    VerificationStatus,
    WebhookInput,
    WebhookRecord,
    WebhookStatus,
    connection_method,
)
from hookyard.outbound import ConnectionFailed, InvalidUrl, OutboundClient, OutboundError, OutboundTimeout
from hookyard.queues import Queue
from hookyard.webhooks import headers as webhook_headers
from hookyard.webhooks import payload as webhook_payload
from hookyard.webhooks import signing
from hookyard.webhooks.bodies import url_with_query
from hookyard.webhooks.secrets import WebhookSecrets
from webhooks_api.log import logger
from webhooks_api.paging import Page, paginate

COPY_SUFFIX = " (copy)"
NAME_MAX = 255
TEST_BODY_BYTES = 8 * 1024
VERIFY_TIMEOUT_SECONDS = 10.0
TEST_TIMEOUT_SECONDS = 12.0  # as Zendesk: an endpoint has 12 s to answer
SORTS = ("name", "-name", "status", "-status")


@dataclass(frozen=True)
class Services:
    """What the rules need, built once per request by the handler."""

    webhooks: WebhooksRepository
    triggers: TriggersRepository
    invocations: InvocationsRepository
    secrets: WebhookSecrets
    outbound: OutboundClient
    max_webhooks: int
    deliveries: Queue
    recoveries: RecoveriesRepository
    bus: Bus
    retention_days: int


# ------------------------------------------------------------------ create / clone


def create(svc: Services, account_id: int, actor: str, definition: WebhookInput) -> WebhookRecord:
    """Validate and store a new webhook with a new signing secret. With verification
    enabled it is stored inactive and the handshake runs before answering."""
    definition = _validated(svc, definition)
    webhook_id = ids.new_ulid()
    now = clock.now()
    verification = _new_verification(svc.secrets, account_id, webhook_id, definition.verification)
    record = WebhookRecord(
        account_id=account_id,
        id=webhook_id,
        name=definition.name,
        description=definition.description,
        endpoint=definition.endpoint,
        http_method=definition.http_method,
        request_format=definition.request_format,
        status=WebhookStatus.INACTIVE if verification else definition.status,
        subscriptions=_subscriptions(definition),
        custom_headers=definition.custom_headers or {},
        authentication=_authentication(svc.secrets, account_id, webhook_id, definition.authentication, None),
        signing_secret_sealed=svc.secrets.seal_signing_secret(account_id, webhook_id, signing.new_signing_secret()),
        external_source=definition.external_source.model_dump() if definition.external_source else None,
        verification=verification,
        retry_policy=definition.retry_policy,
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
    )
    svc.webhooks.create(record, svc.max_webhooks)
    if verification is not None and definition.status is WebhookStatus.ACTIVE:
        return _verify_and_save(svc, record)
    return record


def clone(svc: Services, account_id: int, actor: str, source_id: str) -> WebhookRecord:
    """A copy of the account's webhook `source_id`: name + " (copy)", a new id and a new
    signing secret, the same credentials (sealed again for the copy), the same status."""
    source = svc.webhooks.get(account_id, source_id)
    webhook_id = ids.new_ulid()
    now = clock.now()
    authentication = None
    data = svc.secrets.authentication_data(source)
    if source.authentication is not None and data is not None:
        authentication = source.authentication.model_copy(
            update={"sealed": svc.secrets.seal_authentication(account_id, webhook_id, data)}
        )
    verification = None
    if source.verification is not None:
        token = svc.secrets.verify_token(source)
        verification = source.verification.model_copy(
            update={
                "verify_token_sealed": svc.secrets.seal_verify_token(account_id, webhook_id, token) if token else None
            }
        )
    name = source.name[: NAME_MAX - len(COPY_SUFFIX)] + COPY_SUFFIX
    record = source.model_copy(
        update={
            "id": webhook_id,
            "name": name,
            "authentication": authentication,
            "verification": verification,
            "signing_secret_sealed": svc.secrets.seal_signing_secret(
                account_id, webhook_id, signing.new_signing_secret()
            ),
            "created_at": now,
            "created_by": actor,
            "updated_at": now,
            "updated_by": actor,
            "version": 1,
        }
    )
    svc.webhooks.create(record, svc.max_webhooks)
    return record


# ------------------------------------------------------------------ read


def list_page(
    svc: Services,
    account_id: int,
    *,
    name_contains: str | None,
    status: WebhookStatus | None,
    sort: str | None,
    size: int,
    after: str | None,
    before: str | None,
) -> Page[WebhookRecord]:
    """Filter and sort in memory: an account has at most MAX_WEBHOOKS_PER_ACCOUNT
    webhooks, so one query reads them all (DynamoDB cannot sort by name)."""
    if sort is not None and sort not in SORTS:
        raise BadRequest(f"sort: must be one of {', '.join(SORTS)}")
    records = svc.webhooks.list_all(account_id)
    if name_contains:
        needle = name_contains.casefold()
        records = [r for r in records if needle in r.name.casefold()]
    if status is not None:
        records = [r for r in records if r.status is status]
    field = (sort or "id").lstrip("-")
    descending = bool(sort and sort.startswith("-"))

    def position(record: WebhookRecord) -> list[str]:
        if field == "name":
            return [record.name.casefold(), record.id]
        if field == "status":
            return [record.status.value, record.name.casefold(), record.id]
        return [record.id]  # ULIDs: creation order

    records.sort(key=position, reverse=descending)
    return paginate(records, position, order=sort or "id", descending=descending, size=size, after=after, before=before)


# ------------------------------------------------------------------ update / delete


def replace(svc: Services, account_id: int, actor: str, webhook_id: str, definition: WebhookInput) -> WebhookRecord:
    """Full replace (PUT). Omitted optional fields are removed, except `subscriptions`,
    `verification` and `retry_policy` (kept), `external_source` (fixed at creation) and
    credentials given without `data` (kept, same type only)."""
    current = svc.webhooks.get(account_id, webhook_id)
    _check_own_id(definition, webhook_id)
    return _update(svc, current, actor, _validated(svc, _with_kept_fields(definition, current), current))


def patch(svc: Services, account_id: int, actor: str, webhook_id: str, changes: dict[str, Any]) -> WebhookRecord:
    """Partial update (PATCH): a JSON merge patch (RFC 7396) over the current definition."""
    current = svc.webhooks.get(account_id, webhook_id)
    merged = merge_patch(definition_of(current), changes)
    try:
        definition = WebhookInput.model_validate(merged)
    except ValidationError as exc:
        raise bad_request("webhook", exc) from None
    _check_own_id(definition, webhook_id)
    return _update(svc, current, actor, _validated(svc, definition, current))


def _with_kept_fields(definition: WebhookInput, current: WebhookRecord) -> WebhookInput:
    """The PUT definition with the stored values of the fields a Zendesk client leaves
    out: Zendesk keeps the subscriptions, and Zendesk clients know nothing of Hookyard's
    verification and retry_policy (leaving those out must not switch verification off)."""
    given = definition.model_fields_set
    kept: dict[str, Any] = {}
    if "subscriptions" not in given:
        kept["subscriptions"] = list(current.subscriptions)
    if "verification" not in given and current.verification is not None:
        kept["verification"] = VerificationInput(enabled=current.verification.enabled)
    if "retry_policy" not in given:
        kept["retry_policy"] = current.retry_policy
    return definition.model_copy(update=kept)


def _check_own_id(definition: WebhookInput, webhook_id: str) -> None:
    """`id` is read-only, but an update naming another webhook is a mistake worth saying
    (zenpy sends the webhook's own id with every update)."""
    if definition.id is not None and str(definition.id) != webhook_id:
        raise BadRequest(f"webhook.id: names another webhook; give this webhook's id ({webhook_id}) or leave it out")


def delete(svc: Services, account_id: int, webhook_id: str) -> None:
    """Remove the webhook and its routes. A webhook that a trigger notifies cannot be
    deleted (the trigger would notify nothing): remove the trigger's action first."""
    record = svc.webhooks.get(account_id, webhook_id)
    users = svc.triggers.using_webhook(account_id, webhook_id)
    if users:
        titles = ", ".join(f'"{t.title}" ({t.id})' for t in users[:5])
        raise Conflict(f"the webhook is notified by trigger(s) {titles}; remove those actions first")
    svc.webhooks.delete(record)


def _update(svc: Services, current: WebhookRecord, actor: str, definition: WebhookInput) -> WebhookRecord:
    if connection_method(_subscriptions(definition)) is not current.connection:
        raise BadRequest(_connection_change(current.connection))
    given_source = definition.external_source.model_dump() if definition.external_source else None
    if given_source is not None and given_source != current.external_source:
        raise BadRequest("external_source: is set when the webhook is created and cannot change")
    verification = _updated_verification(svc.secrets, current, definition)
    endpoint_changed = definition.endpoint != current.endpoint
    needs_handshake = (
        verification is not None
        and definition.status is WebhookStatus.ACTIVE
        and (verification.status is not VerificationStatus.VERIFIED or endpoint_changed)
    )
    if verification is not None and endpoint_changed:
        verification = verification.model_copy(update={"status": VerificationStatus.PENDING, "verified_at": None})
    record = current.model_copy(
        update={
            "name": definition.name,
            "description": definition.description,
            "endpoint": definition.endpoint,
            "http_method": definition.http_method,
            "request_format": definition.request_format,
            "status": WebhookStatus.INACTIVE if needs_handshake else definition.status,
            "status_reason": None,
            "subscriptions": _subscriptions(definition),
            "custom_headers": definition.custom_headers or {},
            "authentication": _authentication(
                svc.secrets, current.account_id, current.id, definition.authentication, current.authentication
            ),
            "verification": verification,
            "retry_policy": definition.retry_policy,
            "updated_at": clock.now(),
            "updated_by": actor,
        }
    )
    record = svc.webhooks.replace(record, current)
    if needs_handshake:
        return _verify_and_save(svc, record)
    return record


def _connection_change(current: ConnectionMethod) -> str:
    if current is ConnectionMethod.TRIGGERS:
        return (
            f'subscriptions: this webhook is connected to triggers (["{TRIGGER_SUBSCRIPTION}"]) and cannot '
            "subscribe to events; a webhook's connection method is fixed when it is created (create a new webhook)"
        )
    return (
        "subscriptions: this webhook is subscribed to events and cannot be connected to triggers "
        f'(["{TRIGGER_SUBSCRIPTION}"]); a webhook\'s connection method is fixed when it is created '
        "(create a new webhook)"
    )


def definition_of(record: WebhookRecord) -> dict[str, Any]:
    """The webhook as a client would send it, without credentials' data (kept unless
    replaced) and without the write-only verify token."""
    definition: dict[str, Any] = {
        "name": record.name,
        "description": record.description,
        "endpoint": record.endpoint,
        "http_method": record.http_method.value,
        "request_format": record.request_format.value,
        "status": record.status.value,
        "subscriptions": list(record.subscriptions),
        "custom_headers": dict(record.custom_headers) or None,
        "external_source": record.external_source,
        "retry_policy": record.retry_policy,
    }
    if record.authentication is not None:
        definition["authentication"] = {
            "type": record.authentication.type.value,
            "add_position": record.authentication.add_position,
        }
    if record.verification is not None:
        definition["verification"] = {"enabled": record.verification.enabled}
    return {k: v for k, v in definition.items() if v is not None}


# ------------------------------------------------------------------ validation


def _validated(svc: Services, definition: WebhookInput, current: WebhookRecord | None = None) -> WebhookInput:
    """The definition with its rules checked (the shape was checked by the model), its
    subscriptions set."""
    if definition.subscriptions is None:
        raise BadRequest("subscriptions: is required when a webhook is created")
    subscriptions = list(dict.fromkeys(definition.subscriptions))  # duplicates are dropped, order kept
    if TRIGGER_SUBSCRIPTION in subscriptions:
        if len(subscriptions) > 1:
            raise BadRequest(
                f'subscriptions: "{TRIGGER_SUBSCRIPTION}" (connected to triggers) cannot be combined with event types'
            )
    else:
        for index, subscription in enumerate(subscriptions):
            try:
                webhook_payload.parse_event_type(subscription)
            except ValueError as exc:
                raise BadRequest(f"subscriptions[{index}]: {exc}") from None
        if definition.http_method is not HttpMethod.POST:
            raise BadRequest("http_method: a webhook subscribed to events always uses POST")
        if definition.request_format is not RequestFormat.JSON:
            raise BadRequest("request_format: a webhook subscribed to events always sends json")
    if current is None or definition.endpoint != current.endpoint:
        # Resolved now, to refuse a private or unresolvable host at once; every delivery
        # checks again (DNS answers change).
        check_endpoint(svc.outbound, definition.endpoint)
    _check_headers(
        definition.custom_headers,
        definition.endpoint,
        definition.authentication,
        current.authentication if current else None,
    )
    return definition.model_copy(update={"subscriptions": subscriptions})


def _subscriptions(definition: WebhookInput) -> list[str]:
    """The subscriptions of a definition `_validated` returned (it always sets them)."""
    assert definition.subscriptions is not None
    return definition.subscriptions


def check_endpoint(outbound: OutboundClient, endpoint: str, field: str = "endpoint") -> None:
    """The endpoint must be an http(s) URL whose host resolves to allowed addresses only."""
    try:
        outbound.check(endpoint)
    except OutboundError as exc:  # not a valid URL, blocked, or the host does not resolve
        raise BadRequest(f"{field}: {exc}") from None


def _check_headers(
    custom_headers: dict[str, str] | None,
    endpoint: str,
    authentication: AuthenticationInput | None,
    stored: StoredAuthentication | None = None,
    field: str = "custom_headers",
) -> dict[str, str]:
    """Check the credentials (they become header values) and the custom headers, which
    may not replace the authentication header. Returns the authentication headers when
    the credentials are given."""
    reserved: list[str] = []
    auth_headers: dict[str, str] = {}
    if authentication is not None and authentication.data is not None:
        auth_headers = webhook_headers.authentication_headers(
            authentication.type, auth_data(authentication), authentication.add_position
        )
        reserved += list(auth_headers)
    elif authentication is not None and stored is not None and stored.type == authentication.type:
        reserved.append(stored.header_name or webhook_headers.AUTHORIZATION)
    webhook_headers.validate_custom_headers(custom_headers, endpoint, reserved=reserved, field=field)
    return auth_headers


def auth_data(authentication: AuthenticationInput) -> dict[str, str]:
    assert authentication.data is not None
    return {k: str(v) for k, v in authentication.data.model_dump().items()}


def bad_request(prefix: str, exc: ValidationError) -> HookyardError:
    problems = [describe_validation_error({**e, "loc": (prefix, *e["loc"])}) for e in exc.errors()]
    return BadRequest("; ".join(problems) or f"{prefix}: is invalid")


# ------------------------------------------------------------------ credentials


def _authentication(
    sealer: WebhookSecrets,
    account_id: int,
    webhook_id: str,
    given: AuthenticationInput | None,
    stored: StoredAuthentication | None,
) -> StoredAuthentication | None:
    """Seal the given credentials; given without `data`, keep the stored ones of the same type."""
    if given is None:
        return None
    if given.data is None:
        if stored is not None and stored.type == given.type:
            return stored
        raise BadRequest("authentication.data: required when authentication is added or its type changes")
    data = auth_data(given)
    return StoredAuthentication(
        type=given.type,
        add_position=given.add_position,
        username=data.get("username"),
        header_name=data["name"] if given.type is AuthType.API_KEY else None,
        sealed=sealer.seal_authentication(account_id, webhook_id, data),
    )


def show_signing_secret(svc: Services, account_id: int, webhook_id: str) -> str:
    return svc.secrets.signing_secret(svc.webhooks.get(account_id, webhook_id))


def reset_signing_secret(svc: Services, account_id: int, actor: str, webhook_id: str) -> str:
    """A new signing secret; deliveries from now on are signed with it."""
    record = svc.webhooks.get(account_id, webhook_id)
    secret = signing.new_signing_secret()
    svc.webhooks.replace(
        record.model_copy(
            update={
                "signing_secret_sealed": svc.secrets.seal_signing_secret(account_id, webhook_id, secret),
                "updated_at": clock.now(),
                "updated_by": actor,
            }
        ),
        record,
    )
    return secret


# ------------------------------------------------------------------ verification


def _new_verification(
    sealer: WebhookSecrets, account_id: int, webhook_id: str, given: VerificationInput | None
) -> StoredVerification | None:
    if given is None or not given.enabled:
        return None
    sealed = sealer.seal_verify_token(account_id, webhook_id, given.verify_token) if given.verify_token else None
    return StoredVerification(enabled=True, verify_token_sealed=sealed)


def _updated_verification(
    sealer: WebhookSecrets, current: WebhookRecord, definition: WebhookInput
) -> StoredVerification | None:
    given = definition.verification
    if given is None or not given.enabled:
        return None
    existing = current.verification
    if existing is None:
        return _new_verification(sealer, current.account_id, current.id, given)
    if given.verify_token is not None:
        # A new token: the endpoint must prove it knows it.
        return existing.model_copy(
            update={
                "verify_token_sealed": sealer.seal_verify_token(current.account_id, current.id, given.verify_token),
                "status": VerificationStatus.PENDING,
                "verified_at": None,
            }
        )
    return existing


def verify(svc: Services, account_id: int, actor: str, webhook_id: str) -> WebhookRecord:
    """Run the handshake again; success activates the webhook, failure leaves it inactive
    with the reason in verification.error."""
    record = svc.webhooks.get(account_id, webhook_id)
    if record.verification is None or not record.verification.enabled:
        raise BadRequest("verification: not enabled for this webhook; enable it with verification.enabled")
    record = record.model_copy(update={"updated_at": clock.now(), "updated_by": actor})
    return _verify_and_save(svc, record)


def _verify_and_save(svc: Services, record: WebhookRecord) -> WebhookRecord:
    """Handshake (GET <endpoint>?verifyToken=..&challenge=..): the endpoint passes when it
    answers 2xx with the challenge in its body, and the webhook becomes active; otherwise
    it is inactive with the reason. Saves the outcome."""
    assert record.verification is not None
    token = svc.secrets.verify_token(record) or secrets.token_urlsafe(24)
    # As its deliveries will be: an endpoint behind authentication sees the same headers.
    headers = {**record.custom_headers, **svc.secrets.auth_headers(record)}
    error = handshake(svc.outbound, record.endpoint, token, headers)
    now = clock.now()
    if error is None:
        verification = record.verification.model_copy(
            update={"status": VerificationStatus.VERIFIED, "verified_at": now, "checked_at": now, "error": None}
        )
        status, reason = WebhookStatus.ACTIVE, None
    else:
        verification = record.verification.model_copy(
            update={"status": VerificationStatus.FAILED, "verified_at": None, "checked_at": now, "error": error}
        )
        status, reason = WebhookStatus.INACTIVE, "endpoint verification failed"
    updated = record.model_copy(update={"verification": verification, "status": status, "status_reason": reason})
    stored = svc.webhooks.replace(updated, record)
    if error is not None:
        notice = {"webhook_id": record.id, "reason": f"endpoint verification failed: {error}"}
        try:
            svc.bus.publish(record.account_id, bus.DEACTIVATED, notice, about_webhook=record.id)
        except Exception:  # the outcome is stored and answered; only the notice is lost
            logger.exception("hookyard event not published", event_type=bus.DEACTIVATED, webhook_id=record.id)
    return stored


def handshake(
    outbound: OutboundClient, endpoint: str, verify_token: str, headers: Mapping[str, str] | None = None
) -> str | None:
    """None if the endpoint answered the challenge, else why not. `headers` (the webhook's
    custom and authentication headers) go with the GET."""
    challenge = secrets.token_urlsafe(24)
    parts = urlsplit(endpoint)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("verifyToken", verify_token), ("challenge", challenge)]
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    send = {"Accept": "*/*", **(headers or {})}
    try:
        response = outbound.request("GET", url, headers=send, timeout=VERIFY_TIMEOUT_SECONDS)
    except OutboundError as exc:
        return f"{exc.kind}: {exc}"
    if not response.ok:
        return f"the endpoint answered HTTP {response.status}, not 2xx"
    if challenge not in response.text():
        return "the endpoint's response does not contain the challenge"
    return None


# ------------------------------------------------------------------ test


@dataclass(frozen=True)
class _TestTarget:
    """What a test request starts from: an existing webhook or a definition."""

    webhook_id: str  # for the signature headers: the webhook's, or "test"
    endpoint: str
    subscriptions: list[str]
    method: HttpMethod
    request_format: RequestFormat
    custom_headers: dict[str, str]
    custom_headers_field: str  # where they came from, for errors
    authentication: AuthenticationInput | None  # a definition's (its data is required)
    stored: StoredAuthentication | None
    stored_headers: dict[str, str]
    secret: str


def test(svc: Services, account_id: int, request: TestWebhookRequest) -> TestResponse:
    """Send one live request and report the endpoint's answer, as Zendesk's Test Webhook:
    an existing webhook (`webhook_id`), a definition (`webhook`), or Zendesk's `request`
    alone; what `request` names (endpoint, method, format, payload, headers, query
    parameters, authentication) replaces the webhook's for this test only. An existing
    webhook is signed with its own secret, anything else with Zendesk's static test secret."""
    options = request.request or TestRequestOptions()
    target = _test_target(svc, account_id, request, options)
    endpoint = target.endpoint
    if options.endpoint is not None:
        check_endpoint(svc.outbound, options.endpoint, "request.endpoint")
        endpoint = options.endpoint
    auth_headers = target.stored_headers
    authentication = options.authentication or target.authentication
    if authentication is not None:
        field = "request.authentication" if options.authentication is not None else "webhook.authentication"
        if authentication.data is not None:
            auth_headers = webhook_headers.authentication_headers(
                authentication.type, auth_data(authentication), authentication.add_position
            )
        elif target.stored is None or target.stored.type != authentication.type:
            # As Zendesk: an existing webhook's credentials go only with their own type.
            raise BadRequest(f"{field}.data: required to test with credentials the webhook does not have")
    extra = {h.key: h.value for h in options.headers}
    # Checked against what is sent: the endpoint (https only) and the credentials' header.
    custom_headers = webhook_headers.validate_custom_headers(
        {**target.custom_headers, **extra},
        endpoint,
        reserved=list(auth_headers),
        field="request.headers" if extra else target.custom_headers_field,
    )
    if options.query_params:
        endpoint = url_with_query(endpoint, urlencode([(p.key, p.value) for p in options.query_params]))
    method = options.http_method or target.method
    request_format = options.request_format or target.request_format
    body_text = options.payload
    if body_text is None:
        body_text = _sample_body(account_id, target.subscriptions, request_format)
    body = body_text.encode() if method in (HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH) else b""
    invocation_id = ids.new_ulid()
    send = {
        **({"Content-Type": webhook_payload.content_type(request_format)} if body else {}),
        **custom_headers,
        **auth_headers,
        **signing.signature_headers(target.secret, target.webhook_id, invocation_id, body, clock.now()),
        "x-zendesk-account-id": str(account_id),
    }
    try:
        response = dataclasses.replace(svc.outbound, max_body_bytes=TEST_BODY_BYTES).request(
            method.value, endpoint, headers=send, body=body or None, timeout=TEST_TIMEOUT_SECONDS
        )
    except InvalidUrl as exc:
        raise BadRequest(f"endpoint: {exc}") from None
    except (OutboundTimeout, ConnectionFailed) as exc:
        return TestResponse(
            status=None, headers=[], payload="", duration=0, error=TestError(type=exc.kind, detail=str(exc))
        )
    except OutboundError as exc:  # blocked after all (DNS changed since the check)
        raise BadRequest(f"endpoint: {exc}") from None
    return TestResponse(
        status=response.status,
        headers=[TestResponseHeader(key=k, value=v) for k, v in response.headers.items()],
        payload=response.text(),
        truncated=response.truncated,
        duration=response.elapsed_ms,
    )


def _test_target(
    svc: Services, account_id: int, request: TestWebhookRequest, options: TestRequestOptions
) -> _TestTarget:
    if request.webhook_id is not None and request.webhook is not None:
        raise BadRequest("give webhook_id (an existing webhook) or webhook (a definition), not both")
    if request.webhook_id is not None:
        record = svc.webhooks.get(account_id, request.webhook_id)
        return _TestTarget(
            webhook_id=record.id,
            endpoint=record.endpoint,
            subscriptions=record.subscriptions,
            method=record.http_method,
            request_format=record.request_format,
            custom_headers=dict(record.custom_headers),
            custom_headers_field="custom_headers",
            authentication=None,
            stored=record.authentication,
            stored_headers=svc.secrets.auth_headers(record),
            secret=svc.secrets.signing_secret(record),
        )
    definition = request.webhook
    if definition is not None:
        check_endpoint(svc.outbound, definition.endpoint, "webhook.endpoint")
    elif options.endpoint is not None:
        definition = TestWebhookDefinition(endpoint=options.endpoint)
    else:
        raise BadRequest(
            "give webhook_id (an existing webhook, also as ?webhook_id=), or request.endpoint "
            "(Zendesk's request definition), or webhook (a definition)"
        )
    return _TestTarget(
        webhook_id="test",
        endpoint=definition.endpoint,
        subscriptions=definition.subscriptions,
        method=definition.http_method,
        request_format=definition.request_format,
        custom_headers=dict(definition.custom_headers or {}),
        custom_headers_field="webhook.custom_headers",
        authentication=definition.authentication,
        stored=None,
        stored_headers={},
        secret=signing.TEST_SIGNING_SECRET,
    )


def _sample_body(account_id: int, subscriptions: list[str], request_format: RequestFormat) -> str:
    """Without a payload: a sample event of the first subscribed type (as Zendesk's test
    panel offers), or an empty JSON object for a trigger-connected webhook."""
    if TRIGGER_SUBSCRIPTION in subscriptions or not subscriptions:
        return "{}" if request_format is RequestFormat.JSON else ""
    try:
        sample = webhook_payload.sample_event(account_id, subscriptions[0])
    except ValueError as exc:
        raise BadRequest(f"webhook.subscriptions[0]: {exc}") from None
    return json.dumps(sample, separators=(",", ":"))


# ------------------------------------------------------------------ invocations


def list_invocations(
    svc: Services,
    account_id: int,
    webhook_id: str,
    *,
    since: datetime | None,
    until: datetime | None,
    status: InvocationStatus | None,
    sort: str | None,
    size: int,
    after: str | None,
    before: str | None,
) -> Page[Invocation]:
    if sort not in (None, "latest_completed_at", "-latest_completed_at"):
        raise BadRequest("sort: must be latest_completed_at or -latest_completed_at")
    svc.webhooks.get(account_id, webhook_id)
    descending = sort != "latest_completed_at"
    records, more = svc.invocations.list_invocations(
        account_id,
        webhook_id,
        limit=size,
        after=after,
        before=before,
        descending=descending,
        since=_utc(since),
        until=_utc(until),
        status=status,
    )
    cursors = [svc.invocations.cursor(r) for r in records]
    backwards = before is not None
    return Page(
        items=[Invocation(**r.model_dump()) for r in records],
        after_cursor=cursors[-1] if cursors else None,
        before_cursor=cursors[0] if cursors else None,
        # Only the direction of travel is known exactly; the other side has at least the
        # item the cursor named.
        has_next=True if backwards else more,
        has_prev=more if backwards else after is not None,
        backwards=backwards,
    )


def list_attempts(svc: Services, account_id: int, webhook_id: str, invocation_id: str) -> list[Attempt]:
    svc.webhooks.get(account_id, webhook_id)
    return [
        Attempt(
            id=attempt_id(invocation_id, a.number),
            invocation_id=invocation_id,
            number=a.number,
            status=a.status,
            status_code=a.status_code,
            completed_at=a.completed_at,
            duration=a.duration_ms,
            error=a.error,
            request=a.request,
            response=a.response,
            response_body=truncate_body(a.response.payload) if a.response else None,
        )
        for a in svc.invocations.list_attempts(account_id, webhook_id, invocation_id)
    ]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)  # a time without an offset is read as UTC
