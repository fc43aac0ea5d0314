"""Sign-in, sign-out and password change pages for staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hearth.errors import Invalid, Unauthenticated
from hearth.security import service as auth
from hearth.security.models import User
from hearth.security.service import AccountLocked, LoginFailed
from hearth.web.deps import SESSION_COOKIE, CurrentUser, Db, OptionalPrincipal, Rt, audit
from hearth.web.headers import cookie_secure
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)

LOGIN_FAILED_MESSAGE = (
    "We could not sign you in with that email and password. "
    "After several failed attempts an account is paused for a few minutes."
)


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in (anything else becomes the dashboard)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str = "/") -> Response:
    """The sign-in form (signed-in staff go straight on)."""
    if principal is not None and principal.is_staff:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    rt: Rt,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password, open a new server-side session and set its cookie."""
    try:
        user = auth.authenticate(db, rt.settings, email, password)
    except LoginFailed as e:
        # The failure count must be kept, so this returns (commits) rather than raising.
        audit(
            request,
            "auth.login",
            record_type="user" if e.record_id else None,
            record_ids=[e.record_id] if e.record_id else [],
            outcome="denied",
            detail="locked" if isinstance(e, AccountLocked) else "bad credentials",
        )
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "email": email, "error": LOGIN_FAILED_MESSAGE},
            status_code=401,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        auth.revoke_session(db, old)  # a new id on every sign-in (no session fixation)
    new = auth.open_session(
        db,
        rt.settings,
        principal_kind="user",
        principal_id=user.id,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    request.state.principal = auth.staff_principal(db, user)
    audit(request, "auth.login", record_type="user", record_ids=[user.id])
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=rt.settings.session_max_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request.scope, rt.settings.base_url),
    )
    return response


@router.post("/logout")
def logout(request: Request, db: Db, principal: OptionalPrincipal) -> Response:
    """End this server-side session and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.revoke_session(db, token)
    audit(request, "auth.logout")
    target = "/login" if principal is None or principal.is_staff else "/portal/sign-in"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: CurrentUser) -> Response:
    """The change-password form."""
    return render(request, "account/password.html", {})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: Db,
    principal: CurrentUser,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    confirm_password: Annotated[str, Form()],
) -> Response:
    """Change the password; every other session of this user is ended."""
    user = db.get(User, principal.id)
    row = getattr(request.state, "auth_session", None)
    if user is None or row is None:
        raise Unauthenticated("Please sign in.")
    try:
        if new_password != confirm_password:
            raise Invalid("The new password and its confirmation differ.", where="confirm_password")
        auth.change_password(db, user, current_password, new_password, keep_session=row.id)
    except Invalid as e:
        db.rollback()
        audit(
            request,
            "auth.password_change",
            record_type="user",
            record_ids=[principal.id],
            outcome="error",
            detail=e.where,
        )
        return render(
            request,
            "account/password.html",
            {"error": e.message, "where": e.where},
            status_code=422,
        )
    audit(request, "auth.password_change", record_type="user", record_ids=[principal.id])
    return render(request, "account/password.html", {"done": True})
