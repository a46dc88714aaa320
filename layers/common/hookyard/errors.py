"""Domain errors and the two error bodies they are answered with. Each error carries
its HTTP status; APIs map them to a body in one place (hookyard.api), and ingest uses
the same body without importing the resolver (its cold start is the tightest)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from http import HTTPStatus
from typing import Any


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


class ErrorStyle(StrEnum):
    ZIS = "zis"  # {"errors":[{"code":"1110","detail":"Not Found","status":"404"}]}
    V2 = "v2"  # {"errors":[{"code":"RecordNotFound","title":"Not Found","detail":"..."}]}


def error_body(style: ErrorStyle, error: HookyardError | Sequence[HookyardError]) -> dict[str, Any]:
    """The JSON answer for one error or several, one error object per problem."""
    errors = [error] if isinstance(error, HookyardError) else list(error)
    problems = [(e, detail) for e in errors for detail in e.details()]
    if style is ErrorStyle.ZIS:
        return {"errors": [{"code": e.code, "detail": d, "status": str(e.status)} for e, d in problems]}
    return {"errors": [{"code": e.title, "title": HTTPStatus(e.status).phrase, "detail": d} for e, d in problems]}
