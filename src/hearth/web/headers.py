"""Security headers on every response, and the pre-sign-in CSRF cookie when a page made one."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hearth.web.deps import CSRF_COOKIE

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets style attributes in the markup it renders, and its CSS uses data: icons.
DOCS_CSP = CSP + "; style-src 'self' 'unsafe-inline'"
DOCS_PATHS = ("/docs",)


def cookie_secure(scope: Scope, base_url: str) -> bool:
    """Cookies are Secure when the request came over https or the site is served on https."""
    return scope.get("scheme") == "https" or base_url.startswith("https://")


def csrf_cookie_header(token: str, secure: bool) -> str:
    """The Set-Cookie value of the double-submit CSRF cookie used before sign-in."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[CSRF_COOKIE] = token
    morsel = cookie[CSRF_COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


class SecurityHeadersMiddleware:
    """Adds CSP, frame, referrer and caching headers; sets a new CSRF cookie if one was made."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = DOCS_CSP if path in DOCS_PATHS else CSP
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "public, max-age=3600")
                else:
                    headers["Cache-Control"] = "no-store"
                state: dict[str, Any] = scope.get("state") or {}
                token = state.get("new_csrf_cookie")
                if token:
                    secure = cookie_secure(scope, self.base_url)
                    headers.append("Set-Cookie", csrf_cookie_header(token, secure))
            await send(message)

        await self.app(scope, receive, send_wrapper)
