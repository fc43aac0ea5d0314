"""Pages of ambient capture: the session's Recording panel, upload, progress and live text,
erasure, the recording consent form, and voice enrollment.

The session page (documentation's) loads the panel with htmx; the panel's recorder script
streams to the WebSocket (``ws.py``) and starts recordings through the JSON API
(``api.py``). Every route calls the capture service and audits what it read or changed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.documentation import service as docs
from hearth.documentation.capture import service
from hearth.documentation.capture.consent import recording_consent_text
from hearth.documentation.capture.engine import get_engine
from hearth.documentation.capture.models import LIVE_STATUSES, Recording
from hearth.documentation.capture.retention import RetentionPolicy
from hearth.documentation.capture.storage import AudioStore
from hearth.documentation.capture.upload import EXTENSIONS
from hearth.documentation.models import Note
from hearth.documentation.tasks import draft_key
from hearth.errors import ConsentRequired, Forbidden, HearthError, Invalid
from hearth.jobs import already_done
from hearth.practice import service as practice
from hearth.practice.models import Consent
from hearth.practice.profile import practice_time_zone
from hearth.practice.repository import ClientRepository
from hearth.runtime import Runtime
from hearth.security.permissions import Perm, Principal, has, require
from hearth.web.clients import CONSENT_METHODS
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 3
ACCEPT = ",".join(EXTENSIONS) + ",audio/*"
STATUS_WORDS = {
    "recording": "Recording",
    "paused": "Paused",
    "stopped": "Waiting to be transcribed",
    "uploaded": "Waiting to be transcribed",
    "transcribing": "Transcribing",
    "transcribed": "Transcribed",
    "failed": "Transcription failed",
    "erased": "Erased at the client's request",
}
DELETION_WORDS = {
    "note_signed": "the note was signed",
    "retention_maximum": "the practice's maximum was reached",
    "consent_revoked": "recording consent was revoked",
    "erased_on_request": "the client asked that the recording be erased",
    "orphaned": "its session was removed",
    "nothing_recorded": "no audio arrived",
}


def store_of(rt: Runtime) -> AudioStore:
    """The encrypted audio store of this app."""
    return AudioStore(rt.settings.effective_media_dir)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- the panel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingView:
    """A recording as the panel shows it."""

    rec: Recording
    words: str
    notes: list[Note]
    drafting: bool  # the draft job is still to come
    deletes_on: dt.date | None
    deletion: str

    @property
    def active(self) -> bool:
        """True while the page should keep polling."""
        return self.rec.status in (*LIVE_STATUSES, "stopped", "uploaded", "transcribing") or (
            self.drafting
        )

    @property
    def state_key(self) -> str:
        return f"{self.rec.status}:{len(self.notes)}:{int(self.drafting)}"


def recording_view(db: Session, rt: Runtime, rec: Recording) -> RecordingView:
    """What the panel shows about one recording."""
    notes: list[Note] = []
    drafting = False
    if rec.transcript_id is not None:
        notes = list(db.scalars(select(Note).where(Note.transcript_id == rec.transcript_id)))
        transcript = docs.latest_transcript(db, rec.session_id)
        drafting = (
            not notes
            and transcript is not None
            and transcript.id == rec.transcript_id
            and transcript.roles_confirmed
            and not already_done(db, draft_key(rec.transcript_id, "soap"))
        )
    policy = RetentionPolicy.from_settings(rt.settings)
    deletes_on = None
    if rec.has_audio and not rec.live:
        deletes_on = policy.deletes_on(rec.stopped_at or rec.created_at).date()
    return RecordingView(
        rec=rec,
        words=STATUS_WORDS.get(rec.status, rec.status),
        notes=notes,
        drafting=drafting,
        deletes_on=deletes_on,
        deletion=DELETION_WORDS.get(rec.deletion_reason or "", rec.deletion_reason or ""),
    )


def _panel_context(
    request: Request, db: Session, rt: Runtime, principal: Principal, session_id: str
) -> dict[str, Any]:
    session_row = docs.get_session(db, principal, session_id)
    recordings = service.session_recordings(db, principal, session_id)
    gate = service.recording_gate(db, session_id)
    live = next((r for r in recordings if r.live), None)
    token = ""
    auth_row = getattr(request.state, "auth_session", None)
    if live is not None and auth_row is not None:
        token = service.socket_token(rt.settings.secret_bytes(), live.id, auth_row.id)
    clinician = principal.clinician_id
    return {
        "row": session_row,
        "gate": gate,
        "views": [recording_view(db, rt, r) for r in recordings],
        "live": live,
        "token": token,
        "can_record": clinician is not None,
        "enrolled": bool(clinician and service.voice_enrollment(db, clinician)),
        "accept": ACCEPT,
        "poll": POLL_SECONDS,
        "tz": practice_time_zone(db),
        "window": rt.settings.recording_live_window_seconds,
    }


@router.get("/sessions/{session_id}/recording", response_class=HTMLResponse)
def recording_panel(
    request: Request, db: Db, rt: Rt, principal: CurrentUser, session_id: str
) -> HTMLResponse:
    """The session's Recording panel: consent gate, recorder, upload, recordings."""
    ctx = _panel_context(request, db, rt, principal, session_id)
    audit(
        request,
        "recording.list",
        record_type="session",
        record_ids=[session_id, *(v.rec.id for v in ctx["views"])],
    )
    return render(request, "capture/_panel.html", ctx)


@router.get("/recordings/{recording_id}/status", response_class=HTMLResponse)
def recording_status(
    request: Request, db: Db, rt: Rt, principal: CurrentUser, recording_id: str, was: str = ""
) -> HTMLResponse:
    """One recording's state, progress and live text (polled by htmx while it changes)."""
    rec = service.get_recording(db, principal, recording_id)
    view = recording_view(db, rt, rec)
    audit(request, "recording.read", record_type="recording", record_ids=[rec.id])
    headers = {}
    if was and was != view.state_key and not view.active:
        headers["HX-Refresh"] = "true"  # the transcript and draft are in: show the whole page
    return render(
        request,
        "capture/_status.html",
        {"v": view, "poll": POLL_SECONDS, "tz": practice_time_zone(db)},
        headers=headers,
    )


# --- upload, stop, retry, erase ------------------------------------------------------------


def _problem(
    request: Request, session_id: str, message: str, status: int, *, title: str
) -> HTMLResponse:
    return render(
        request,
        "capture/problem.html",
        {"message": message, "session_id": session_id, "title": title},
        status_code=status,
    )


def keep_upload(
    db: Session, rt: Runtime, principal: Principal, session_id: str, file: UploadFile | None
) -> Recording:
    """An uploaded file (page or API), checked and kept encrypted; its transcription queued."""
    if file is None or not file.filename:
        raise Invalid("choose an audio file to upload", where="file")
    return service.upload_recording(
        db,
        principal,
        store_of(rt),
        session_id,
        fileobj=file.file,
        filename=PurePath(file.filename).name,
        now=utcnow(),
    )


@router.post("/sessions/{session_id}/recordings/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    db: Db,
    rt: Rt,
    principal: CurrentUser,
    session_id: str,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Upload a recording (WAV, MP3, M4A, WebM/Opus, OGG): kept encrypted, then transcribed."""
    try:
        rec = keep_upload(db, rt, principal, session_id, file)
    except (Invalid, ConsentRequired) as e:
        db.rollback()
        audit(
            request,
            "recording.upload",
            record_type="session",
            record_ids=[session_id],
            outcome="error",
        )
        return _problem(request, session_id, e.message, e.status, title="The audio was not kept")
    audit(request, "recording.upload", record_type="recording", record_ids=[rec.id])
    return _redirect(f"/sessions/{session_id}#recording")


@router.post("/recordings/{recording_id}/stop", response_class=HTMLResponse)
def stop(request: Request, db: Db, principal: CurrentUser, recording_id: str) -> Response:
    """Finish a live recording whose browser is gone (the audio that arrived is kept)."""
    rec = service.stop_by_request(db, principal, recording_id, now=utcnow())
    audit(request, "recording.stop", record_type="recording", record_ids=[rec.id])
    return _redirect(f"/sessions/{rec.session_id}#recording")


@router.post("/recordings/{recording_id}/retry", response_class=HTMLResponse)
def retry(request: Request, db: Db, principal: CurrentUser, recording_id: str) -> Response:
    """Transcribe a failed recording again, from its stored audio."""
    rec = service.get_recording(db, principal, recording_id)
    try:
        service.retry_transcription(db, principal, recording_id)
    except HearthError as e:
        db.rollback()
        audit(
            request,
            "recording.retry",
            record_type="recording",
            record_ids=[recording_id],
            outcome="error",
        )
        return _problem(request, rec.session_id, e.message, e.status, title="Not tried again")
    audit(request, "recording.retry", record_type="recording", record_ids=[recording_id])
    return _redirect(f"/sessions/{rec.session_id}#recording")


@router.post("/recordings/{recording_id}/erase", response_class=HTMLResponse)
def erase(
    request: Request,
    db: Db,
    rt: Rt,
    principal: CurrentUser,
    recording_id: str,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Erase a recording at the client's request: its audio, and its transcript with it."""
    rec = service.get_recording(db, principal, recording_id)
    session_id = rec.session_id
    if confirm != "erase":
        return _problem(
            request,
            session_id,
            "Tick the box to confirm that the client asked for the erasure.",
            422,
            title="Nothing was erased",
        )
    result = service.erase_recording(db, principal, store_of(rt), recording_id, now=utcnow())
    audit(
        request,
        "recording.erase",
        record_type="recording",
        record_ids=[recording_id, *result.transcript_ids, *result.draft_note_ids],
        detail="audio deleted" if result.audio_deleted else "audio already deleted",
    )
    if result.audio_deleted:
        audit(
            request,
            "recording.audio_delete",
            record_type="recording",
            record_ids=[recording_id],
            detail="erased_on_request",
        )
    return _redirect(f"/sessions/{session_id}#recording")


# --- recording consent ---------------------------------------------------------------------


def _consent_context(
    db: Session, principal: Principal, client_id: str, return_to: str
) -> dict[str, Any]:
    require(principal, Perm.CONSENT_READ)
    client = ClientRepository(db, principal).get(client_id)
    current = practice.active_consent(db, client_id, "recording")
    history = list(
        db.scalars(
            select(Consent)
            .where(Consent.client_id == client_id, Consent.kind == "recording")
            .order_by(Consent.granted_at.desc())
        )
    )
    return {
        "client": client,
        "text": recording_consent_text(),
        "current": current,
        "history": history,
        "methods": CONSENT_METHODS,
        "can_write": has(principal, Perm.CONSENT_WRITE),
        "return_to": return_to if return_to.startswith("/sessions/") else "",
        "tz": practice_time_zone(db),
    }


@router.get("/clients/{client_id}/recording-consent", response_class=HTMLResponse)
def consent_page(
    request: Request, db: Db, principal: CurrentUser, client_id: str, return_to: str = ""
) -> HTMLResponse:
    """The recording consent: its wording, a real yes or no, and withdrawal."""
    ctx = _consent_context(db, principal, client_id, return_to)
    audit(request, "consent.read", record_type="client", record_ids=[client_id])
    return render(request, "capture/consent.html", ctx)


@router.post("/clients/{client_id}/recording-consent", response_class=HTMLResponse)
def consent_answer(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    answer: Annotated[str, Form()] = "",
    method: Annotated[str, Form()] = "paper",
    given_by: Annotated[str, Form()] = "client",
    return_to: Annotated[str, Form()] = "",
) -> Response:
    """Record the client's answer: agree (a consent with the wording's version) or decline."""
    if answer == "decline":
        require(principal, Perm.CONSENT_WRITE)
        ClientRepository(db, principal).get(client_id)
        audit(
            request,
            "consent.recording_declined",
            record_type="client",
            record_ids=[client_id],
            detail=recording_consent_text().version,
        )
        ctx = _consent_context(db, principal, client_id, return_to)
        ctx["notice"] = "The client declined. Nothing will be recorded; care is unchanged."
        return render(request, "capture/consent.html", ctx)
    try:
        if answer != "agree":
            raise Invalid("choose agree or decline", where="answer")
        if method not in CONSENT_METHODS:
            raise Invalid(f"method must be one of {', '.join(CONSENT_METHODS)}", where="method")
        consent = service.grant_recording_consent(
            db, principal, client_id, method=method, given_by=given_by
        )
    except Invalid as e:
        db.rollback()
        audit(
            request, "consent.grant", record_type="client", record_ids=[client_id], outcome="error"
        )
        ctx = _consent_context(db, principal, client_id, return_to)
        ctx["error"] = {"message": e.message, "where": e.where}
        return render(request, "capture/consent.html", ctx, status_code=422)
    audit(request, "consent.grant", record_type="consent", record_ids=[consent.id, client_id])
    back = return_to if return_to.startswith("/sessions/") else ""
    return _redirect(back + "#recording" if back else f"/clients/{client_id}/recording-consent")


@router.post("/clients/{client_id}/recording-consent/revoke", response_class=HTMLResponse)
def consent_revoke(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    return_to: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw recording consent: recording stops at once, kept audio goes once transcribed."""
    try:
        consent = practice.revoke_consent(db, principal, client_id, "recording")
    except Invalid as e:
        db.rollback()
        ctx = _consent_context(db, principal, client_id, return_to)
        ctx["error"] = {"message": e.message, "where": e.where}
        return render(request, "capture/consent.html", ctx, status_code=422)
    audit(request, "consent.revoke", record_type="consent", record_ids=[consent.id, client_id])
    suffix = f"?return_to={return_to}" if return_to.startswith("/sessions/") else ""
    return _redirect(f"/clients/{client_id}/recording-consent{suffix}")


# --- voice enrollment ----------------------------------------------------------------------


def _voice_page(
    request: Request, db: Session, principal: Principal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    clinician = principal.clinician_id
    ctx = {
        "enrollment": service.voice_enrollment(db, clinician) if clinician else None,
        "is_clinician": clinician is not None,
        "accept": ACCEPT,
        "tz": practice_time_zone(db),
        **extra,
    }
    return render(request, "capture/voice.html", ctx, status_code=status_code)


@router.get("/voice", response_class=HTMLResponse)
def voice_page(request: Request, db: Db, principal: CurrentUser) -> HTMLResponse:
    """Voice enrollment: record about 30 s once, so Hearth knows which speaker is you."""
    audit(request, "voice.read", record_type="user", record_ids=[principal.id])
    return _voice_page(request, db, principal)


@router.post("/voice", response_class=HTMLResponse)
def voice_enroll(
    request: Request,
    db: Db,
    rt: Rt,
    principal: CurrentUser,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Make a voice print from an enrollment recording; the recording itself is not kept."""
    try:
        service.clinician_of(principal)
        if file is None or not file.filename:
            raise Invalid("record or choose an enrollment recording", where="file")
        voice = enroll_from_upload(rt, file)
        service.enroll_voice(db, principal, voice)
    except (Invalid, Forbidden) as e:
        db.rollback()
        audit(
            request, "voice.enroll", record_type="user", record_ids=[principal.id], outcome="error"
        )
        return _voice_page(request, db, principal, status_code=e.status, error=e.message)
    audit(request, "voice.enroll", record_type="user", record_ids=[principal.id])
    return _redirect("/voice?saved=1")


def enroll_from_upload(rt: Runtime, file: UploadFile) -> Any:
    """Decode an uploaded enrollment recording in a private temporary folder, then forget it."""
    suffix = PurePath(file.filename or "voice.wav").suffix.lower()[:8] or ".wav"
    with tempfile.TemporaryDirectory(prefix="hearth-voice-") as folder:
        path = Path(folder) / f"enrollment{suffix}"
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        return get_engine(rt.settings).enroll(path)


@router.post("/voice/remove", response_class=HTMLResponse)
def voice_remove(request: Request, db: Db, principal: CurrentUser) -> Response:
    """Delete your voice print."""
    service.remove_voice(db, principal)
    audit(request, "voice.remove", record_type="user", record_ids=[principal.id])
    return _redirect("/voice")
