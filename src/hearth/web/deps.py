"""Request dependencies: runtime, one DB session per request, principal, CSRF, audit buffer.

Route signatures read like the clinic: ``db: Db``, ``user: CurrentUser``,
``principal: CurrentPrincipal``. The request's session commits when the route
returns and rolls back when it raises; audit rows are buffered on the request
and written in their own transaction by the audit middleware (web/audit.py),
so a refused access is recorded even though the request's work rolls back.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hearth.errors import Forbidden, Unauthenticated
from hearth.runtime import Runtime
from hearth.security import service as auth
from hearth.security.audit import AuditEntry
from hearth.security.models import AuthSession
from hearth.security.permissions import Principal

SESSION_COOKIE = "hearth_session"
CSRF_COOKIE = "hearth_csrf"  # double-submit token for forms shown before sign-in
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_runtime(request: Request) -> Runtime:
    """The process's Runtime (set by create_app)."""
    rt: Runtime = request.app.state.runtime
    return rt


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: commit on success, roll back on error."""
    session = get_runtime(request).db.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


Rt = Annotated[Runtime, Depends(get_runtime)]
# scope="function": the session commits before the response is sent, so a redirect after a
# form post never shows the page before its write is visible.
Db = Annotated[Session, Depends(get_db, scope="function")]


def _auth_session(request: Request, db: Session) -> AuthSession | None:
    if hasattr(request.state, "auth_session"):
        cached: AuthSession | None = request.state.auth_session
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    row = auth.load_session(db, get_runtime(request).settings, token) if token else None
    request.state.auth_session = row
    if row is not None:  # kept as a plain value: error pages render after a rollback
        request.state.csrf_token = row.csrf_token
    return row


def optional_principal(request: Request, db: Db) -> Principal | None:
    """The signed-in principal, or None."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    row = _auth_session(request, db)
    principal = auth.principal_for_session(db, row) if row is not None else None
    request.state.principal = principal
    return principal


def require_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    """The signed-in principal, or Unauthenticated (login redirect for pages)."""
    if principal is None:
        raise Unauthenticated("Please sign in.")
    if principal.purpose is not None and not _purpose_allows(principal.purpose, request.url.path):
        raise Forbidden("This link opens one page only.", code="purpose_limited")
    return principal


def _purpose_allows(purpose: str, path: str) -> bool:
    """A purpose session (e.g. 'path:/portal/questionnaires/abc') opens only that page."""
    if purpose.startswith("path:"):
        allowed = purpose.removeprefix("path:")
        return path == allowed or path.startswith(allowed.rstrip("/") + "/")
    return False


def require_staff(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    """A signed-in staff user."""
    if not principal.is_staff:
        raise Forbidden("This page is for practice staff.", code="staff_only")
    return principal


def require_portal(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    """A signed-in client or guardian."""
    if principal.is_staff:
        raise Forbidden("This page is for clients and guardians.", code="portal_only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
CurrentUser = Annotated[Principal, Depends(require_staff)]
CurrentClient = Annotated[Principal, Depends(require_portal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


# --- CSRF ------------------------------------------------------------------------


def csrf_token_for(request: Request) -> str:
    """The token a page must put in its forms (session token, or the double-submit cookie)."""
    cached = getattr(request.state, "csrf_token", None)
    if cached:
        return str(cached)
    row = getattr(request.state, "auth_session", None)
    if row is not None:
        return str(row.csrf_token)
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf_cookie", None) or secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = token
    return token


async def csrf_protect(request: Request, db: Db) -> None:
    """Refuse an unsafe request whose CSRF token does not match (every form post)."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    row = _auth_session(request, db)
    expected = row.csrf_token if row is not None else request.cookies.get(CSRF_COOKIE)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden(
            "The form's security token is missing or out of date. Reload the page and try again.",
            code="csrf_failed",
        )


# --- audit buffer ------------------------------------------------------------------


def audit(
    request: Request,
    action: str,
    *,
    record_type: str | None = None,
    record_ids: Iterable[str] = (),
    outcome: str = "ok",
    detail: str | None = None,
) -> None:
    """Buffer an audit row for this request (written by the audit middleware)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    _entries(request).append(
        AuditEntry(
            action=action,
            outcome=outcome,
            actor_kind=principal.kind if principal else "anonymous",
            actor_id=principal.id if principal else None,
            record_type=record_type,
            record_ids=sorted(set(record_ids)),
            detail=detail,
        )
    )


def _entries(request: Request) -> list[AuditEntry]:
    if not hasattr(request.state, "audit_entries"):
        request.state.audit_entries = []
    entries: list[AuditEntry] = request.state.audit_entries
    return entries
