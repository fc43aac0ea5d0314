"""The recording WebSocket, ``/ws/recordings/{recording_id}``: frames in, acknowledgements out.

Who may connect: a browser from this site (the Origin header is checked; CSRF tokens do
not apply to WebSockets), signed in (the session cookie), on the session's care team, that
sends the recording's token — an HMAC bound to the recording and the sign-in session — in
its first message. Every frame is stored once and acknowledged; a frame sent again after a
dropped connection or a reload is acknowledged again and not stored twice.

Recording consent is checked with every frame and every two seconds while nothing
arrives: when a client revokes it, the socket closes at once with code 4403 and a reason,
and the audio captured so far goes on to transcription (it is deleted as soon as its
transcript is stored).

The route is a plain Starlette WebSocket route (``install``): the app's HTTP dependencies
(CSRF, the request's database session) do not apply to it. Database work runs in worker
threads, one short transaction per message. ``app.state.capture_clock`` (tests) replaces
the clock that stamps frames and measures abandonment.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from hearth.db import utcnow
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture import service
from hearth.documentation.capture.models import Recording
from hearth.documentation.capture.storage import AudioStore
from hearth.errors import Conflict, Forbidden, HearthError, NotFound
from hearth.runtime import Runtime
from hearth.security import service as auth
from hearth.security.audit import AuditEntry
from hearth.security.permissions import Principal
from hearth.web.deps import SESSION_COOKIE

log = logging.getLogger(__name__)

PATH = "/ws/recordings/{recording_id}"
HELLO_SECONDS = 10.0
IDLE_CHECK_SECONDS = 2.0
TOUCH_EVERY = dt.timedelta(seconds=30)
Clock = Callable[[], dt.datetime]

AUTH_CHECK_SECONDS = 30.0
REASONS = {
    "signed_out": "You were signed out; sign in again to go on recording.",
    "consent_revoked": "Recording consent was revoked; the recording stopped.",
    "finished": "This recording is finished.",
    "superseded": "The recording continued in another window.",
}


def install(app: FastAPI) -> None:
    """Add the recording WebSocket route to the app."""
    app.router.add_websocket_route(PATH, recording_socket)


def clock_of(app: Any) -> Clock:
    """The clock capture uses in this app (``app.state.capture_clock``, else real time)."""
    clock: Clock | None = getattr(app.state, "capture_clock", None)
    return clock or utcnow


def origin_allowed(origin: str | None, base_url: str, socket_url: str) -> bool:
    """True when ``origin`` is this site: the configured base URL or the host connected to."""
    if not origin:
        return False
    got = urlsplit(origin)
    allowed = {(urlsplit(base_url).scheme, urlsplit(base_url).netloc)}
    own = urlsplit(socket_url)
    allowed.add(({"ws": "http", "wss": "https"}.get(own.scheme, own.scheme), own.netloc))
    return (got.scheme, got.netloc) in allowed


# --- one connection per recording in this process ------------------------------------------

_open: dict[str, WebSocket] = {}


async def _supersede(recording_id: str, websocket: WebSocket) -> None:
    previous = _open.get(recording_id)
    _open[recording_id] = websocket
    if previous is not None and previous.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError):  # it closed meanwhile
            await previous.close(code=wire.CLOSE_FINISHED, reason=REASONS["superseded"])


# --- database work (in worker threads) -----------------------------------------------------


@dataclass(frozen=True)
class Joined:
    """A connection that passed every check."""

    principal: Principal
    status: str
    next_seq: int
    have_through: int


class Refused(Exception):
    """The connection is refused: close code and a reason the page can show."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _join(
    rt: Runtime, recording_id: str, cookie: str | None, token: str, now: dt.datetime
) -> Joined:
    if not cookie:
        raise Refused(wire.CLOSE_UNAUTHENTICATED, "Please sign in again.")
    with rt.db.transaction() as db:
        row = auth.load_session(db, rt.settings, cookie)
        principal = auth.principal_for_session(db, row) if row is not None else None
        if row is None or principal is None or not principal.is_staff:
            raise Refused(wire.CLOSE_UNAUTHENTICATED, "Please sign in again.")
        try:
            rec = service.get_recording(db, principal, recording_id)
            service.clinician_of(principal)
        except (NotFound, Forbidden) as e:
            raise Refused(wire.CLOSE_NOT_FOUND, e.message) from None
        if not service.check_socket_token(rt.settings.secret_bytes(), rec.id, row.id, token):
            raise Refused(wire.CLOSE_UNAUTHENTICATED, "This recording link is out of date.")
        refusal = service.capture_refusal(db, rec)
        if refusal == "consent_revoked":
            service.finish_live(db, rec, now=now, reason="consent_revoked")
        if refusal is not None:
            raise Refused(
                wire.CLOSE_CONSENT if refusal == "consent_revoked" else wire.CLOSE_FINISHED,
                REASONS[refusal],
            )
        service.set_connection(db, rec.id, connected=True, now=now)
        return Joined(principal, rec.status, rec.max_seq + 1, rec.contiguous_through)


def _refusal(rt: Runtime, recording_id: str, now: dt.datetime, touch: bool) -> str | None:
    with rt.db.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is None:
            return "finished"
        refusal = service.capture_refusal(db, rec)
        if refusal == "consent_revoked":
            service.finish_live(db, rec, now=now, reason="consent_revoked")
        elif refusal is None and touch:
            rec.last_seen_at = now
        return refusal


def _store(rt: Runtime, recording_id: str, frame: wire.Frame, now: dt.datetime) -> str | None:
    store = AudioStore(rt.settings.effective_media_dir)
    with rt.db.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is None:
            return "finished"
        refusal = service.capture_refusal(db, rec)
        if refusal == "consent_revoked":
            service.finish_live(db, rec, now=now, reason="consent_revoked")
        if refusal is not None:
            return refusal
        service.store_frame(
            db,
            store,
            recording_id,
            frame,
            now=now,
            live_window_seconds=rt.settings.recording_live_window_seconds,
        )
        return None


def _signed_in(rt: Runtime, cookie: str | None) -> bool:
    """True while the sign-in session behind the socket is still live (logout ends it)."""
    if not cookie:
        return False
    with rt.db.transaction() as db:
        return auth.load_session(db, rt.settings, cookie) is not None


def _pause(rt: Runtime, recording_id: str, paused: bool, now: dt.datetime) -> str:
    with rt.db.transaction() as db:
        return service.set_paused(db, recording_id, paused=paused, now=now).status


def _stop(
    rt: Runtime, recording_id: str, frames: int, accept_gaps: bool, now: dt.datetime
) -> list[int]:
    with rt.db.transaction() as db:
        return service.stop_recording(
            db, recording_id, frames=frames, accept_gaps=accept_gaps, now=now
        )


def _left(rt: Runtime, recording_id: str, now: dt.datetime) -> None:
    with rt.db.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is not None and rec.live:
            service.set_connection(db, recording_id, connected=False, now=now)


def _audit(
    rt: Runtime, action: str, principal: Principal | None, recording_id: str, **kw: Any
) -> None:
    rt.audit(
        AuditEntry(
            action=action,
            actor_kind=principal.kind if principal else "anonymous",
            actor_id=principal.id if principal else None,
            record_type="recording",
            record_ids=[recording_id],
            method="WS",
            path=PATH.format(recording_id=recording_id),
            **kw,
        )
    )


# --- the socket ----------------------------------------------------------------------------


async def recording_socket(websocket: WebSocket) -> None:
    """Receive a live recording's frames; acknowledge each; pause, resume and stop."""
    rt: Runtime = websocket.app.state.runtime
    clock = clock_of(websocket.app)
    recording_id = str(websocket.path_params["recording_id"])
    if not origin_allowed(
        websocket.headers.get("origin"), rt.settings.base_url, str(websocket.url)
    ):
        await run_in_threadpool(
            _audit, rt, "recording.connect", None, recording_id, outcome="denied", detail="origin"
        )
        await websocket.close(code=wire.CLOSE_POLICY)
        return
    await websocket.accept()
    principal: Principal | None = None
    try:
        token = await _hello(websocket)
        joined = await run_in_threadpool(
            _join, rt, recording_id, websocket.cookies.get(SESSION_COOKIE), token, clock()
        )
        principal = joined.principal
    except Refused as e:
        await run_in_threadpool(
            _audit,
            rt,
            "recording.connect",
            principal,
            recording_id,
            outcome="denied",
            detail=e.reason,
        )
        await _close(websocket, e.code, e.reason)
        return
    except WebSocketDisconnect:
        return
    await _supersede(recording_id, websocket)
    await run_in_threadpool(_audit, rt, "recording.connect", principal, recording_id)
    await websocket.send_text(
        wire.message(
            "ready",
            next_seq=joined.next_seq,
            have_through=joined.have_through,
            status=joined.status,
        )
    )
    try:
        await _serve(websocket, rt, clock, recording_id, principal)
    except WebSocketDisconnect:
        pass
    finally:
        if _open.get(recording_id) is websocket:
            del _open[recording_id]
            await run_in_threadpool(_left, rt, recording_id, clock())


async def _hello(websocket: WebSocket) -> str:
    try:
        first = await asyncio.wait_for(websocket.receive(), HELLO_SECONDS)
    except TimeoutError:
        raise Refused(wire.CLOSE_UNAUTHENTICATED, "No greeting from the page.") from None
    if first.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(first.get("code", 1000))
    try:
        hello = wire.decode_control(first.get("text") or "")
    except wire.FrameError as e:
        raise Refused(wire.CLOSE_BAD_MESSAGE, str(e)[:120]) from None
    if hello.type != "hello":
        raise Refused(wire.CLOSE_BAD_MESSAGE, "The first message must be hello.")
    return str(hello.body["token"])


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state == WebSocketState.CONNECTED:
        try:
            await websocket.send_text(wire.message("error", code=code, message=reason))
            await websocket.close(code=code, reason=reason[:120])
        except (RuntimeError, WebSocketDisconnect):
            pass


async def _serve(
    websocket: WebSocket, rt: Runtime, clock: Clock, recording_id: str, principal: Principal
) -> None:
    last_touch = clock()
    cookie = websocket.cookies.get(SESSION_COOKIE)
    checked = time.monotonic()
    while True:
        if time.monotonic() - checked >= AUTH_CHECK_SECONDS:
            checked = time.monotonic()
            if not await run_in_threadpool(_signed_in, rt, cookie):
                await _close(websocket, wire.CLOSE_UNAUTHENTICATED, REASONS["signed_out"])
                return
        try:
            msg = await asyncio.wait_for(websocket.receive(), IDLE_CHECK_SECONDS)
        except TimeoutError:
            now = clock()
            touch = now - last_touch >= TOUCH_EVERY
            refusal = await run_in_threadpool(_refusal, rt, recording_id, now, touch)
            if touch:
                last_touch = now
            if refusal is not None:
                await _refused(websocket, rt, recording_id, principal, refusal)
                return
            continue
        if msg["type"] == "websocket.disconnect":
            return
        if msg.get("bytes") is not None:
            try:
                frame = wire.decode_frame(msg["bytes"])
            except wire.FrameError as e:
                await websocket.send_text(wire.message("error", code="bad_frame", message=str(e)))
                continue
            now = clock()
            refusal = await run_in_threadpool(_store, rt, recording_id, frame, now)
            if refusal is not None:
                await _refused(websocket, rt, recording_id, principal, refusal)
                return
            last_touch = now
            await websocket.send_text(wire.message("ack", seq=frame.seq))
            continue
        try:
            control = wire.decode_control(msg.get("text") or "")
        except wire.FrameError as e:
            await websocket.send_text(wire.message("error", code="bad_message", message=str(e)))
            continue
        if await _control(websocket, rt, clock, recording_id, principal, control):
            return


async def _control(
    websocket: WebSocket,
    rt: Runtime,
    clock: Clock,
    recording_id: str,
    principal: Principal,
    control: wire.Control,
) -> bool:
    """Handle a control message; True when the connection is over."""
    try:
        if control.type in ("pause", "resume"):
            status = await run_in_threadpool(
                _pause, rt, recording_id, control.type == "pause", clock()
            )
            await websocket.send_text(wire.message("state", status=status))
        elif control.type == "ping":
            await websocket.send_text(wire.message("pong"))
        elif control.type == "stop":
            gaps = await run_in_threadpool(
                _stop,
                rt,
                recording_id,
                int(control.body["frames"]),
                bool(control.body.get("accept_gaps")),
                clock(),
            )
            if gaps:
                await websocket.send_text(wire.message("missing", seqs=gaps[:1000]))
                return False
            await run_in_threadpool(_audit, rt, "recording.stop", principal, recording_id)
            await websocket.send_text(wire.message("stopped"))
            await websocket.close(code=wire.CLOSE_NORMAL)
            return True
        elif control.type == "hello":
            await websocket.send_text(
                wire.message("error", code="bad_message", message="hello once")
            )
    except Conflict as e:
        await _close(websocket, wire.CLOSE_FINISHED, e.message)
        return True
    except HearthError as e:
        await websocket.send_text(wire.message("error", code=e.code, message=e.message))
    return False


async def _refused(
    websocket: WebSocket, rt: Runtime, recording_id: str, principal: Principal, refusal: str
) -> None:
    if refusal == "consent_revoked":
        await run_in_threadpool(
            _audit, rt, "recording.consent_stop", principal, recording_id, detail=refusal
        )
    code = wire.CLOSE_CONSENT if refusal == "consent_revoked" else wire.CLOSE_FINISHED
    await _close(websocket, code, REASONS.get(refusal, REASONS["finished"]))
