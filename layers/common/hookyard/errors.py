"""Domain errors. Each carries its HTTP status; APIs map them to a body in one place."""

from __future__ import annotations


class HookyardError(Exception):
    """Base of every error a client can cause or must be told about."""

    status: int = 500
    code: str = "1500"
    title: str = "InternalError"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def details(self) -> list[str]:
        """One entry per problem; an API answers each as its own error object."""
        return [self.detail]


class BadRequest(HookyardError):
    status, code, title = 400, "1010", "InvalidInput"


class Unauthorized(HookyardError):
    status, code, title = 401, "1001", "Unauthorized"


class Forbidden(HookyardError):
    status, code, title = 403, "1003", "Forbidden"


class NotFound(HookyardError):
    status, code, title = 404, "1110", "RecordNotFound"

    def __init__(self, detail: str = "Not Found") -> None:
        super().__init__(detail)


class Conflict(HookyardError):
    status, code, title = 409, "1409", "Conflict"


class PayloadTooLarge(HookyardError):
    status, code, title = 413, "1013", "PayloadTooLarge"


class UnsupportedMediaType(HookyardError):
    status, code, title = 415, "1015", "UnsupportedMediaType"


class LimitExceeded(HookyardError):
    status, code, title = 429, "1429", "LimitExceeded"


class ServiceUnavailable(HookyardError):
    status, code, title = 503, "1503", "ServiceUnavailable"

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
