"""Domain errors: raised by services, turned into a flash + 4xx for pages and a
``{"error": {"code", "message", "fields"}}`` body for the API by one handler."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no. ``message`` is shown to the user as is; ``advice`` (optional) says what
    they can do about it."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: Any, *, fields: dict[str, Any] | None = None, code: str | None = None,
                 advice: Any = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
        self.advice = advice
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message),
                                "fields": {k: [str(m) for m in (v if isinstance(v, list) else [v])]
                                           for k, v in self.fields.items()}}
        if self.advice:
            body["advice"] = str(self.advice)
        return {"error": body}


class ValidationFailed(DomainError):
    status_code = 400
    code = "validation_failed"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class IllegalTransition(Conflict):
    """A state machine was asked to move along an edge it does not have."""

    code = "illegal_transition"
