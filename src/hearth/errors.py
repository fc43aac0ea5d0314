"""Errors that carry their meaning: an HTTP status and a machine-readable code."""

from __future__ import annotations


class HearthError(Exception):
    """Base of every expected error; never shown with a stack trace."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        record_type: str | None = None,
        record_id: str | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.record_type = record_type
        self.record_id = record_id
        self.where = where

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.where:
            body["where"] = self.where
        return {"error": body}


class NotFound(HearthError):
    """The record does not exist or the principal may not know it exists (404)."""

    status = 404
    code = "not_found"


class Forbidden(HearthError):
    """The principal is known but may not do this (403)."""

    status = 403
    code = "forbidden"


class Unauthenticated(HearthError):
    """Sign-in is needed (401, or a redirect to the login page)."""

    status = 401
    code = "unauthenticated"


class Conflict(HearthError):
    """The request conflicts with the record's state (409)."""

    status = 409
    code = "conflict"


class Invalid(HearthError):
    """The input is malformed; the message says what and where (422)."""

    status = 422
    code = "invalid"


class ConsentRequired(Conflict):
    """The client has not given (or has revoked) the consent this work needs."""

    code = "consent_required"


class Unavailable(HearthError):
    """A dependency (database, queue, outside service) is unavailable (503)."""

    status = 503
    code = "unavailable"
