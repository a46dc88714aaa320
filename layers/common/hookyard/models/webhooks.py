"""Outbound webhooks, shaped as Zendesk's Webhooks API, and their invocations and attempts.

Separate models for separate jobs: `WebhookInput` is what a client sends (create, full
replace, and the result of a merge patch), `WebhookRecord` is what is stored (secrets
sealed), `Webhook` is what is shown (no secret ever), `InvocationRecord` and
`AttemptRecord` are the delivery log.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from hookyard.models.common import Model, Request, Timestamp

# The one subscription of a webhook connected to triggers (Zendesk's name for it).
TRIGGER_SUBSCRIPTION = "conditional_ticket_events"
SIGNING_ALGORITHM = "SHA256"
# A webhook, the account's webhook counter and one route per subscribed type are written in
# one DynamoDB transaction (at most 100 writes): see hookyard.dal.webhooks.
MAX_SUBSCRIPTIONS = 98

WebhookId = Annotated[str, StringConstraints(min_length=1, max_length=26, pattern=r"^[0-9A-Za-z]+$")]
Printable = r"^[^\x00-\x1f\x7f]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=Printable)]
Description = Annotated[str, StringConstraints(max_length=1024)]
Endpoint = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^[^\s]+$")]
# A subscription names an event type as Zendesk writes it: "<source>:event-type:<type>".
Subscription = Annotated[str, StringConstraints(min_length=1, max_length=400, pattern=r"^[^\x00-\x1f\x7f]+$")]
Credential = Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=r"^[\x20-\x7e]+$")]
VerifyToken = Annotated[str, StringConstraints(min_length=8, max_length=256, pattern=r"^[\x21-\x7e]+$")]
# hookyard.webhooks.retry.RetryPolicy's values (that module imports this one, so the
# names are repeated here rather than imported).
RetryPolicyName = Literal["zendesk", "extended"]


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class RequestFormat(StrEnum):
    JSON = "json"
    XML = "xml"
    FORM_ENCODED = "form_encoded"


class WebhookStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class AuthType(StrEnum):
    BASIC_AUTH = "basic_auth"
    BEARER_TOKEN = "bearer_token"  # noqa: S105 - a type name, not a secret
    API_KEY = "api_key"


class ConnectionMethod(StrEnum):
    """How a webhook is invoked; fixed when it is created (as in Zendesk)."""

    EVENTS = "events"  # subscribed to event types: POST + json, one route per type
    TRIGGERS = "triggers"  # ["conditional_ticket_events"]: invoked by triggers' actions


class VerificationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"


class InvocationStatus(StrEnum):
    """Invocation and attempt statuses (README, "Invocation statuses").

    An invocation is pending while it is `accepted`, `throttled`, `circuit broken` or
    `retrying`, and final once it is `success`, `failed` or `terminated`; a final status
    never changes. An attempt's status says what that one request came to: `success`,
    `timeout`, `throttled` (the endpoint answered 429), `client error`, `server error` or
    `failed` (no answer: connection refused, DNS, TLS, blocked; or a 1xx/3xx answer)."""

    # pending invocations
    ACCEPTED = "accepted"  # queued, not attempted yet
    THROTTLED = "throttled"  # held back by the account's per-minute cap (an attempt: the endpoint's 429)
    CIRCUIT_BROKEN = "circuit broken"  # held back while the webhook's circuit breaker is open
    RETRYING = "retrying"  # an attempt failed and another is scheduled
    # final invocations
    SUCCESS = "success"
    FAILED = "failed"  # the last attempt failed and the policy allows no other
    TERMINATED = "terminated"  # stopped before an answer came: the webhook was deactivated or deleted
    # attempts only
    TIMEOUT = "timeout"
    CLIENT_ERROR = "client error"
    SERVER_ERROR = "server error"
    UNKNOWN = "unknown"  # never written; kept because Zendesk lists it


FINAL_STATUSES = frozenset({InvocationStatus.SUCCESS, InvocationStatus.FAILED, InvocationStatus.TERMINATED})


def connection_method(subscriptions: list[str]) -> ConnectionMethod:
    return ConnectionMethod.TRIGGERS if TRIGGER_SUBSCRIPTION in subscriptions else ConnectionMethod.EVENTS


# ------------------------------------------------------------------ requests


class BasicAuthData(Request):
    username: Credential
    password: Credential


class BearerTokenData(Request):
    token: Credential


class ApiKeyData(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(description="The header's name")
    value: Credential


class _AuthInput(Request):
    add_position: Literal["header"] = "header"


class BasicAuthInput(_AuthInput):
    type: Literal[AuthType.BASIC_AUTH]
    data: BasicAuthData | None = Field(
        default=None, description="Required at creation and when the type changes; omitted: keep the stored one"
    )


class BearerTokenInput(_AuthInput):
    type: Literal[AuthType.BEARER_TOKEN]
    data: BearerTokenData | None = None


class ApiKeyInput(_AuthInput):
    type: Literal[AuthType.API_KEY]
    data: ApiKeyData | None = None


AuthenticationInput = Annotated[BasicAuthInput | BearerTokenInput | ApiKeyInput, Field(discriminator="type")]


class ExternalSourceInput(Request):
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    data: dict[str, Any] = Field(default_factory=dict)


# A field only the server sets, as a client may send it back after reading the webhook
# (zenpy's Webhook object does): accepted, and ignored. Naming each such field keeps
# every other unknown field a 400.
ReadOnly = Annotated[str | int | None, Field(description="Read-only: ignored")]


class VerificationInput(Request):
    """Endpoint verification handshake (Hookyard's addition): when enabled the webhook is
    saved inactive and activated once its endpoint answers a challenge."""

    enabled: bool = False
    verify_token: VerifyToken | None = Field(
        default=None,
        description="Sent as the verifyToken query parameter so the endpoint can tell the handshake is ours. "
        "Write-only. Omitted: a random token per handshake.",
    )
    # What the webhook shows besides `enabled` (read-only: ignored).
    status: ReadOnly = None
    verified_at: ReadOnly = None
    checked_at: ReadOnly = None
    error: ReadOnly = None


class SigningSecretInput(Request):
    """The signing secret as Zendesk shows it, sent back: accepted without a secret (the
    secret is generated, never chosen by a client)."""

    algorithm: ReadOnly = None
    secret: str | None = Field(default=None, description="Must be empty: the secret is generated")

    @field_validator("secret")
    @classmethod
    def _generated(cls, value: str | None) -> None:
        if value is not None:
            # No silent ignore: a client that sets a secret would verify with the wrong one.
            raise PydanticCustomError(
                "generated",
                "is generated by Hookyard and cannot be set; read it with GET /api/v2/webhooks/{id}/signing_secret, "
                "replace it with POST /api/v2/webhooks/{id}/signing_secret",
            )


class WebhookInput(Request):
    """A complete webhook definition (create, PUT, and a PATCH once merged). The fields
    Zendesk shows but only the server sets are accepted and ignored; `id`, on PUT and
    PATCH, must be the webhook's own."""

    id: ReadOnly = None
    name: Name
    description: Description | None = None
    endpoint: Endpoint
    http_method: HttpMethod
    request_format: RequestFormat
    status: WebhookStatus
    subscriptions: Annotated[list[Subscription], Field(min_length=1, max_length=MAX_SUBSCRIPTIONS)] | None = Field(
        default=None, description="Required when the webhook is created; left out of a PUT: kept"
    )
    authentication: AuthenticationInput | None = None
    custom_headers: dict[str, str] | None = None
    external_source: ExternalSourceInput | None = None
    verification: VerificationInput | None = Field(
        default=None, description='Left out of a PUT: kept; {"enabled": false} switches it off'
    )
    retry_policy: RetryPolicyName = Field(
        default="zendesk",
        description="zendesk: Zendesk's published retries (default); extended: retry any failure for about "
        "28 hours (Svix's schedule). Hookyard's addition. Left out of a PUT: kept.",
    )
    created_at: ReadOnly = None
    created_by: ReadOnly = None
    updated_at: ReadOnly = None
    updated_by: ReadOnly = None
    status_reason: ReadOnly = None
    signing_secret: SigningSecretInput | None = None


class CreateWebhookRequest(Request):
    webhook: WebhookInput


class PatchWebhookRequest(Request):
    webhook: dict[str, Any] = Field(
        description="JSON merge patch (RFC 7396) of the webhook: fields given replace, null removes"
    )


class TestHeader(Request):
    key: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    value: Annotated[str, StringConstraints(max_length=1000)]


class TestRequestOptions(Request):
    """Zendesk's `request`: the request to send, alone (a webhook not created yet) or over
    an existing webhook's (what it names replaces the webhook's for this test only)."""

    endpoint: Endpoint | None = Field(default=None, description="Required without webhook_id or webhook")
    http_method: HttpMethod | None = None
    request_format: RequestFormat | None = None
    payload: str | None = Field(default=None, max_length=256 * 1024, description="The body to send, as text")
    headers: list[TestHeader] = Field(default=[], max_length=5, description="Added to the custom headers")
    query_params: list[TestHeader] = Field(
        default=[], max_length=50, alias="queryParams", description="Added to the endpoint's query string"
    )
    authentication: AuthenticationInput | None = Field(
        default=None, description="Without data: the existing webhook's credentials of the same type"
    )


class TestWebhookDefinition(Request):
    """A webhook not created yet: only what a request needs."""

    name: Name | None = None
    endpoint: Endpoint
    http_method: HttpMethod = HttpMethod.POST
    request_format: RequestFormat = RequestFormat.JSON
    subscriptions: list[Subscription] = Field(default_factory=lambda: [TRIGGER_SUBSCRIPTION])
    authentication: AuthenticationInput | None = None
    custom_headers: dict[str, str] | None = None


class TestWebhookRequest(Request):
    """Zendesk's body is `request` alone (with `?webhook_id=` for an existing webhook);
    `webhook_id` and `webhook` in the body are Hookyard's forms of the same."""

    webhook_id: WebhookId | None = Field(default=None, description="An existing webhook (signed with its secret)")
    webhook: TestWebhookDefinition | None = Field(
        default=None, description="A definition not created yet (signed with Zendesk's static test secret)"
    )
    request: TestRequestOptions | None = None


# ------------------------------------------------------------------ stored


class StoredAuthentication(Model):
    type: AuthType
    add_position: str = "header"
    # Shown (not secret): the basic auth user name, or the API key's header name.
    username: str | None = None
    header_name: str | None = None
    sealed: str  # the `data` object as JSON, sealed with crypto.seal


class StoredVerification(Model):
    enabled: bool = False
    status: VerificationStatus = VerificationStatus.PENDING
    verify_token_sealed: str | None = None
    verified_at: Timestamp | None = None
    checked_at: Timestamp | None = None
    error: str | None = None


class WebhookRecord(Model):
    """A webhook as stored: credentials and signing secret sealed (never in clear)."""

    account_id: int
    id: str
    name: str
    description: str | None = None
    endpoint: str
    http_method: HttpMethod
    request_format: RequestFormat
    status: WebhookStatus
    status_reason: str | None = None
    subscriptions: list[str]
    custom_headers: dict[str, str] = Field(default_factory=dict)
    authentication: StoredAuthentication | None = None
    signing_secret_sealed: str
    external_source: dict[str, Any] | None = None
    verification: StoredVerification | None = None
    retry_policy: RetryPolicyName = "zendesk"
    created_at: Timestamp
    created_by: str
    updated_at: Timestamp
    updated_by: str
    version: int = 1

    @property
    def connection(self) -> ConnectionMethod:
        return connection_method(self.subscriptions)

    @property
    def active(self) -> bool:
        return self.status is WebhookStatus.ACTIVE


# ------------------------------------------------------------------ responses


class AuthenticationView(Model):
    """Authentication without its secret: the password, token or key value is never shown."""

    type: AuthType
    add_position: str
    data: dict[str, str] | None = Field(default=None, description="username (basic_auth) or name (api_key) only")


class VerificationView(Model):
    enabled: bool
    status: VerificationStatus
    verified_at: Timestamp | None = None
    checked_at: Timestamp | None = None
    error: str | None = None


class Webhook(Model):
    id: str
    name: str
    description: str | None
    endpoint: str
    http_method: HttpMethod
    request_format: RequestFormat
    status: WebhookStatus
    status_reason: str | None = Field(default=None, description="Why Hookyard deactivated it, if it did")
    subscriptions: list[str]
    authentication: AuthenticationView | None
    custom_headers: dict[str, str]
    external_source: dict[str, Any] | None
    verification: VerificationView | None
    retry_policy: RetryPolicyName
    created_at: Timestamp
    created_by: str
    updated_at: Timestamp
    updated_by: str

    @classmethod
    def of(cls, record: WebhookRecord) -> Webhook:
        auth = record.authentication
        view = None
        if auth is not None:
            shown = (
                {"username": auth.username}
                if auth.username
                else {"name": auth.header_name}
                if auth.header_name
                else None
            )
            view = AuthenticationView(type=auth.type, add_position=auth.add_position, data=shown)
        check = record.verification
        return cls(
            id=record.id,
            name=record.name,
            description=record.description,
            endpoint=record.endpoint,
            http_method=record.http_method,
            request_format=record.request_format,
            status=record.status,
            status_reason=record.status_reason,
            subscriptions=record.subscriptions,
            authentication=view,
            custom_headers=record.custom_headers,
            external_source=record.external_source,
            verification=VerificationView(**check.model_dump(exclude={"verify_token_sealed"})) if check else None,
            retry_policy=record.retry_policy,
            created_at=record.created_at,
            created_by=record.created_by,
            updated_at=record.updated_at,
            updated_by=record.updated_by,
        )


class WebhookResponse(Model):
    webhook: Webhook


class CursorMeta(Model):
    has_more: bool
    after_cursor: str | None
    before_cursor: str | None


class PageLinks(Model):
    prev: str | None
    next: str | None


class WebhookList(Model):
    webhooks: list[Webhook]
    meta: CursorMeta
    links: PageLinks


class SigningSecret(Model):
    algorithm: str = SIGNING_ALGORITHM
    secret: str


class SigningSecretResponse(Model):
    signing_secret: SigningSecret


class TestResponseHeader(Model):
    key: str
    value: str


class TestError(Model):
    type: str = Field(description="timeout or connection")
    detail: str


class TestResponse(Model):
    """Zendesk's `response` (status, headers, payload), and Hookyard's truncated, duration
    and error."""

    status: int | None = Field(description="The endpoint's HTTP status; null when no response came back")
    headers: list[TestResponseHeader]
    payload: str = Field(description="The endpoint's response body, as text (at most 8 KB)")
    truncated: bool = Field(default=False, description="The body was longer than 8 KB")
    duration: int = Field(description="Milliseconds")
    error: TestError | None = Field(default=None, description="Why there is no response (timeout, connection)")


class TestWebhookResponse(Model):
    response: TestResponse


# ------------------------------------------------------------------ invocations


class InvocationTrigger(StrEnum):
    """What made an invocation: an event (routed), a person (redeliver), or a recovery."""

    EVENT = "event"
    MANUAL = "manual"
    RECOVERY = "recovery"


class InvocationRecord(Model):
    """One event or trigger firing delivered to one webhook (with its retries)."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: InvocationStatus
    status_code: int | None = None  # the last attempt's HTTP status (None: no answer yet)
    created_at: Timestamp
    latest_completed_at: Timestamp | None = None
    attempts: int = 0
    trigger: InvocationTrigger = InvocationTrigger.EVENT
    redelivery_of: str | None = None  # the invocation this one sends again (manual, recovery)
    recovery_id: str | None = None
    requested_by: str | None = None  # who asked for a manual or recovery invocation (API token id)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


class RecordedRequest(Model):
    """A request as sent, with secrets redacted (authentication and custom header values)."""

    headers: dict[str, str]
    payload: str | None = None


class RecordedResponse(Model):
    """An answer as received: its headers, and its body up to RESPONSE_PAYLOAD_BYTES."""

    headers: dict[str, str]
    payload: str | None = None
    truncated: bool = False


class AttemptRecord(Model):
    """One HTTP request of an invocation. `number` starts at 1."""

    number: int = Field(ge=1, le=999)
    status: InvocationStatus
    status_code: int | None = None
    completed_at: Timestamp
    duration_ms: int = Field(ge=0)
    error: str | None = None
    request: RecordedRequest | None = None
    response: RecordedResponse | None = None


class Invocation(Model):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: InvocationStatus
    status_code: int | None = Field(description="The last attempt's HTTP status; null if none answered")
    created_at: Timestamp
    latest_completed_at: Timestamp | None
    attempts: int
    trigger: InvocationTrigger = Field(description="event, manual (redeliver) or recovery (Hookyard's addition)")
    redelivery_of: str | None = Field(default=None, description="The invocation this one sends again")
    recovery_id: str | None = None
    requested_by: str | None = Field(default=None, description="The API token that asked for it")


class InvocationResponse(Model):
    invocation: Invocation


class InvocationList(Model):
    invocations: list[Invocation]
    meta: CursorMeta
    links: PageLinks


class Attempt(Model):
    id: str
    invocation_id: str
    number: int
    status: InvocationStatus
    status_code: int | None
    completed_at: Timestamp
    duration: int = Field(description="Milliseconds")
    error: str | None
    request: RecordedRequest | None = Field(
        description="What was sent: headers (authentication and custom header values redacted) and the payload"
    )
    response: RecordedResponse | None = Field(
        description="What came back: headers and the payload (its first 16 KB; truncated says if there was more)"
    )
    response_body: str | None = Field(description="The first 1 KB of the response payload (kept for older clients)")


class AttemptList(Model):
    attempts: list[Attempt]


# ------------------------------------------------------------------ recovery


class RedeliverResponse(Model):
    invocation: Invocation


class RecoverRequest(Request):
    since: datetime = Field(description="Resend the failed invocations from this time on (RFC 3339)")
    until: datetime | None = Field(default=None, description="Up to this time (default: now)")


class RecoveryRecord(Model):
    """A recovery: every invocation of the webhook that ended failed or terminated in
    [since, until], sent again once (per event) as new invocations, page by page."""

    account_id: int
    webhook_id: str
    id: str
    since: Timestamp
    until: Timestamp
    count: int
    sent: int = 0
    status: Literal["running", "done"] = "running"
    requested_by: str
    created_at: Timestamp


class Recovery(Model):
    id: str
    webhook_id: str
    since: Timestamp
    until: Timestamp
    count: int = Field(description="How many invocations it sends again")
    sent: int = Field(description="How many it has sent so far")
    status: Literal["running", "done"]
    requested_by: str
    created_at: Timestamp


class RecoveryResponse(Model):
    recovery: Recovery
