"""The audit middleware: one audit row per request and action, written after the request.

Routes buffer rows with ``web.deps.audit(...)``. When the request is over — its own
transaction committed or rolled back — this middleware fills in method, path, status,
client address and actor, and writes the rows through ``runtime.audit`` in their own
transaction, so a refused access is recorded even though the request's work rolled back.
A request that buffered nothing gets one generic ``http.<method>`` row.

It is also the last line of defence: an unexpected exception becomes a calm 500 page
(logged with its traceback) instead of a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hearth.runtime import Runtime
from hearth.security.audit import AuditEntry
from hearth.security.permissions import Principal

log = logging.getLogger("hearth.audit")

UNAUDITED_PREFIXES = ("/static/", "/healthz", "/readyz", "/favicon")


def outcome_for(status: int) -> str:
    """ok below 400; denied for 401/403; error otherwise."""
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "denied"
    return "error"


def complete_entries(
    entries: list[AuditEntry],
    *,
    method: str,
    path: str,
    status: int,
    ip: str | None,
    principal: Principal | None,
) -> list[AuditEntry]:
    """Fill request facts into buffered rows, or make the generic row when none were buffered."""
    if not entries:
        entries = [AuditEntry(action=f"http.{method.lower()}", outcome=outcome_for(status))]
    for e in entries:
        e.method, e.path, e.status, e.ip = method, path[:500], status, ip
        if e.actor_id is None and principal is not None:
            e.actor_kind, e.actor_id = principal.kind, principal.id
        if e.outcome == "ok" and status >= 400:
            e.outcome = outcome_for(status)  # the work this row describes did not happen
    return entries


class AuditMiddleware:
    """Pure ASGI middleware around the whole app (outside routing and error handlers)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            status = 500
            if started:
                log.exception("error after the response started on %s", path)
            else:
                await self._server_error(scope, receive, send_wrapper, exc)
        finally:
            if not path.startswith(UNAUDITED_PREFIXES):
                await self._write(scope, status)

    async def _server_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        from hearth.web.errors import unexpected_error

        try:
            response = await unexpected_error(Request(scope, receive), exc)
        except Exception:  # the error page itself failed: plain text, still no traceback
            log.exception("error page failed")
            from starlette.responses import PlainTextResponse

            response = PlainTextResponse("Something went wrong on our side.", status_code=500)
        await response(scope, receive, send)

    async def _write(self, scope: Scope, status: int) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        client = scope.get("client")
        entries = complete_entries(
            list(state.get("audit_entries") or []),
            method=scope.get("method", "GET"),
            path=scope.get("path", ""),
            status=status,
            ip=client[0] if client else None,
            principal=state.get("principal"),
        )
        try:
            await run_in_threadpool(self.runtime.audit, *entries)
        except Exception:
            log.exception("could not write %d audit row(s) for %s", len(entries), scope["path"])
