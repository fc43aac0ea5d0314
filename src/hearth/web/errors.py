"""Errors carry their status: a friendly page for people, a JSON body for programs.

A NotFound/Forbidden that names a record is audited as a denied access; Unauthenticated
on a page sends the browser to the sign-in page; nothing ever shows a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hearth.errors import Forbidden, HearthError, NotFound, Unauthenticated
from hearth.web.deps import SESSION_COOKIE, audit, get_runtime, optional_principal
from hearth.web.templating import is_htmx, render

log = logging.getLogger("hearth.web")

TITLES = {
    400: "That request could not be understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "That conflicts with the record as it is",
    422: "Please check what was entered",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
}
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    """What went wrong: a machine-readable code, a sentence, and where (a field) if known."""

    code: str
    message: str
    where: str | None = None


class ErrorBody(BaseModel):
    """Every error answer of the JSON API."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, all with the ErrorBody model."""
    return {s: {"model": ErrorBody, "description": TITLES.get(s, "Error")} for s in statuses}


API_ERRORS = error_responses(401, 403, 404, 409, 422)


def wants_json(request: Request) -> bool:
    """True for API calls and clients that ask for JSON rather than a page."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _safe_next(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _resolve_principal(request: Request) -> None:
    """For an error raised before any route ran (unknown address), find who is signed in so
    the page shows the right navigation; best effort, never raises."""
    if hasattr(request.state, "principal") or not request.cookies.get(SESSION_COOKIE):
        return
    try:
        with get_runtime(request).db.transaction() as session:
            optional_principal(request, session)
    except Exception:
        log.warning("could not resolve the principal for an error page", exc_info=True)
        request.state.principal = None


def error_response(
    request: Request, status: int, code: str, message: str, where: str | None = None
) -> Response:
    """The JSON body or the friendly page for one error."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, where=where))
    if wants_json(request):
        return JSONResponse(body.model_dump(exclude_none=True), status_code=status)
    _resolve_principal(request)
    template = "_error_fragment.html" if is_htmx(request) else "error.html"
    return render(
        request,
        template,
        {
            "status": status,
            "title": TITLES.get(status, "Something is not right"),
            "message": message,
            "where": where,
            "code": code,
        },
        status_code=status,
    )


async def hearth_error(request: Request, exc: Exception) -> Response:
    """HearthError → its status and code; denied record access is audited."""
    assert isinstance(exc, HearthError)
    if isinstance(exc, NotFound | Forbidden) and exc.record_type and exc.record_id:
        verb = "view" if request.method in ("GET", "HEAD") else "change"
        audit(
            request,
            f"{exc.record_type}.{verb}",
            record_type=exc.record_type,
            record_ids=[exc.record_id],
            outcome="denied",
            detail=exc.code,
        )
    if isinstance(exc, Unauthenticated) and not wants_json(request):
        if request.url.path.startswith("/portal"):
            target = "/portal/sign-in"  # clients and guardians sign in with a link, not a password
        else:
            target = "/login?next=" + quote(_safe_next(request), safe="/")
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return error_response(request, exc.status, exc.code, exc.message, exc.where)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette/FastAPI HTTPException (unknown route, wrong method, ...)."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    default = {404: "There is nothing at this address.", 405: "This address does not accept that."}
    detail = exc.detail if isinstance(exc.detail, str) else None
    message = default.get(status) or detail or TITLES.get(status, "Error")
    response = error_response(request, status, CODES.get(status, "error"), message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header", "cookie")]
    return ".".join(parts) or "request"


async def validation_error(request: Request, exc: Exception) -> Response:
    """Request validation → 422 naming the first bad field (all of them in the message)."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if not errors:
        return error_response(request, 422, "invalid", "The request is not valid.")
    first = _where(errors[0].get("loc", ()))
    parts = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'is not valid')}" for e in errors[:5]]
    return error_response(request, 422, "invalid", "; ".join(parts), first)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Anything else: logged with its traceback, shown as a calm 500."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request,
        500,
        "internal_error",
        "The error has been logged. Nothing you entered was saved; please try again.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on the app."""
    app.add_exception_handler(HearthError, hearth_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
