"""The client portal's door: sign-in links by email, their redemption, and the portal home.

Clients and guardians never have passwords. They ask for a link on /portal/sign-in,
open it from their email, and get a server-side session (a purpose link's session
opens one page only). Every answer to a link request is the same, so the page
never tells who is on file.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hearth.errors import Forbidden
from hearth.messaging.portal_links import purpose_path, send_sign_in_links
from hearth.security import service as auth
from hearth.web.deps import (
    SESSION_COOKIE,
    Db,
    OptionalPrincipal,
    Rt,
    audit,
    require_portal,
    require_principal,
)
from hearth.web.headers import cookie_secure
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)

SENT_MESSAGE = (
    "If that address is on file, we have sent a link to it. "
    "It works once and for a short time; check your inbox (and spam folder)."
)


@router.get("/portal/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, principal: OptionalPrincipal) -> Response:
    """The form asking for the email address a sign-in link goes to."""
    if principal is not None and not principal.is_staff and principal.purpose is None:
        return RedirectResponse("/portal", status_code=303)
    return render(request, "portal/sign_in.html", {"email": ""})


@router.post("/portal/sign-in", response_class=HTMLResponse)
def request_link(
    request: Request, db: Db, rt: Rt, email: Annotated[str, Form(max_length=320)] = ""
) -> Response:
    """Send a sign-in link if the address is on file; the answer is the same either way."""
    email = email.strip()
    if "@" not in email or len(email) < 3:
        return render(
            request,
            "portal/sign_in.html",
            {"email": email, "error": "Enter the email address the practice has for you."},
            status_code=422,
        )
    result = send_sign_in_links(db, rt.settings, email)
    audit(
        request,
        "portal.link_request",
        record_type=result.contacts[0].principal_kind if result.contacts else None,
        record_ids=[c.principal_id for c in result.contacts],
        outcome=result.outcome,
        detail="rate limited"
        if result.rate_limited
        else ("sent" if result.contacts else "no match"),
    )
    return render(request, "portal/link_sent.html", {"message": SENT_MESSAGE})


@router.get("/portal/auth/{token}", response_class=HTMLResponse)
def redeem_link(
    request: Request, token: str, db: Db, rt: Rt, current: OptionalPrincipal
) -> Response:
    """Use a link once: open a portal session and go to the portal (or the link's one page)."""
    try:
        link = auth.redeem_magic_link(db, token)
    except Forbidden as e:
        audit(request, "portal.link_redeem", outcome="denied", detail=e.code)
        return _link_refused(request)
    target = purpose_path(link.purpose) or "/portal"
    if (
        current is not None
        and (current.kind, current.id) == (link.principal_kind, link.principal_id)
        and current.purpose is None
    ):
        # Already fully signed in as this person: keep that session, just go to the page.
        audit(
            request,
            "portal.link_redeem",
            record_type=link.principal_kind,
            record_ids=[link.principal_id],
            detail="already signed in",
        )
        return RedirectResponse(target, status_code=303)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        auth.revoke_session(db, old)  # a new session id on every sign-in
    new = auth.open_session(
        db,
        rt.settings,
        principal_kind=link.principal_kind,
        principal_id=link.principal_id,
        purpose=link.purpose,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    principal = auth.principal_for_session(db, new.row)
    if principal is None:  # discharged client or inactive guardian since the link was sent
        auth.revoke_session(db, new.token)
        audit(
            request,
            "portal.link_redeem",
            record_type=link.principal_kind,
            record_ids=[link.principal_id],
            outcome="denied",
            detail="principal inactive",
        )
        return _link_refused(request)
    request.state.principal = principal
    request.state.auth_session = new.row
    audit(
        request,
        "portal.sign_in",
        record_type=link.principal_kind,
        record_ids=[link.principal_id],
        detail="purpose link" if link.purpose else "sign-in link",
    )
    response = RedirectResponse(target, status_code=303)
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


def _link_refused(request: Request) -> Response:
    return render(request, "portal/link_invalid.html", {"email": ""}, status_code=403)


@router.get("/portal", response_class=HTMLResponse)
def portal_home(request: Request, principal: OptionalPrincipal) -> Response:
    """The portal home of a signed-in client or guardian."""
    if principal is None:
        return RedirectResponse("/portal/sign-in", status_code=303)
    portal_principal = require_portal(require_principal(request, principal))
    return render(request, "portal/home.html", {"person": portal_principal})
