"""JSON API of ambient capture: start a live recording, upload audio, follow its progress and
live text, stop it without a browser, retry, erase at the client's request.

Recordings are care-team records (out of scope is 404). The recorder page starts recordings
here and streams the audio to the WebSocket named in the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile, status
from pydantic import BaseModel, ConfigDict

from hearth.db import utcnow
from hearth.documentation.capture import service
from hearth.documentation.capture.models import Recording
from hearth.documentation.capture.pages import keep_upload, store_of
from hearth.documentation.capture.ws import PATH
from hearth.errors import Unauthenticated
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.errors import API_ERRORS

router = APIRouter(prefix="/api/v1", tags=["recordings"], responses=API_ERRORS)


class LiveLineOut(BaseModel):
    """A line of the live partial transcript."""

    start: float
    end: float
    text: str


class RecordingOut(BaseModel):
    """A recording: its state, the transcription's progress, and what happened to its audio."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    session_id: str
    kind: str
    status: str
    stop_reason: str | None
    created_at: dt.datetime
    stopped_at: dt.datetime | None
    frames_received: int
    gaps: int
    duration_seconds: float | None
    progress: float
    progress_stage: str | None
    error: str | None
    transcript_id: str | None
    clinician_recognised: bool
    audio_deleted_at: dt.datetime | None
    deletion_reason: str | None


class RecordingDetail(RecordingOut):
    """A recording with its live partial text (until the final transcript replaces it)."""

    partial: list[LiveLineOut]


class LiveRecordingOut(RecordingOut):
    """A live recording and how the page streams to it."""

    token: str
    websocket: str


class ErasureOut(BaseModel):
    """What an erasure removed, and which transcripts a signed note keeps."""

    audio_deleted: bool
    transcript_ids: list[str]
    draft_note_ids: list[str]
    kept_transcript_ids: list[str]


def _detail(rec: Recording) -> dict[str, Any]:
    out = RecordingOut.model_validate(rec).model_dump()
    out["partial"] = list(rec.partial or [])
    return out


@router.post(
    "/sessions/{session_id}/recordings",
    response_model=LiveRecordingOut,
    status_code=status.HTTP_201_CREATED,
)
def start(
    request: Request, db: Db, rt: Rt, principal: CurrentUser, session_id: str
) -> dict[str, Any]:
    """Start (or continue) the session's live recording; needs every client's recording consent."""
    try:
        rec = service.start_recording(db, principal, session_id, now=utcnow())
    except Exception:
        audit(
            request,
            "recording.start",
            record_type="session",
            record_ids=[session_id],
            outcome="denied",
        )
        raise
    auth_row = getattr(request.state, "auth_session", None)
    if auth_row is None:
        raise Unauthenticated("Please sign in.")
    audit(request, "recording.start", record_type="recording", record_ids=[rec.id, session_id])
    out = RecordingOut.model_validate(rec).model_dump()
    out["token"] = service.socket_token(rt.settings.secret_bytes(), rec.id, auth_row.id)
    out["websocket"] = PATH.format(recording_id=rec.id)
    return out


@router.get("/sessions/{session_id}/recordings", response_model=list[RecordingOut])
def list_recordings(
    request: Request, db: Db, principal: CurrentUser, session_id: str
) -> list[Recording]:
    """The session's recordings, newest first."""
    rows = service.session_recordings(db, principal, session_id)
    audit(request, "recording.list", record_type="session", record_ids=[session_id])
    return rows


@router.post(
    "/sessions/{session_id}/recordings/upload",
    response_model=RecordingOut,
    status_code=status.HTTP_202_ACCEPTED,
)
def upload(
    request: Request,
    db: Db,
    rt: Rt,
    principal: CurrentUser,
    session_id: str,
    file: Annotated[UploadFile, File(description="WAV, MP3, M4A, WebM/Opus or OGG")],
) -> Recording:
    """Upload a recording: checked, kept encrypted, then transcribed by a job."""
    try:
        rec = keep_upload(db, rt, principal, session_id, file)
    except Exception:
        audit(
            request,
            "recording.upload",
            record_type="session",
            record_ids=[session_id],
            outcome="error",
        )
        raise
    audit(request, "recording.upload", record_type="recording", record_ids=[rec.id])
    return rec


@router.get("/recordings/{recording_id}", response_model=RecordingDetail)
def read(request: Request, db: Db, principal: CurrentUser, recording_id: str) -> dict[str, Any]:
    """A recording with its progress and live partial text."""
    rec = service.get_recording(db, principal, recording_id)
    audit(request, "recording.read", record_type="recording", record_ids=[rec.id])
    return _detail(rec)


@router.post("/recordings/{recording_id}/stop", response_model=RecordingOut)
def stop(request: Request, db: Db, principal: CurrentUser, recording_id: str) -> Recording:
    """Finish a live recording without its browser; the audio that arrived is transcribed."""
    rec = service.stop_by_request(db, principal, recording_id, now=utcnow())
    audit(request, "recording.stop", record_type="recording", record_ids=[rec.id])
    return rec


@router.post("/recordings/{recording_id}/retry", response_model=RecordingOut)
def retry(request: Request, db: Db, principal: CurrentUser, recording_id: str) -> Recording:
    """Transcribe a failed recording again from its stored audio."""
    rec = service.retry_transcription(db, principal, recording_id)
    audit(request, "recording.retry", record_type="recording", record_ids=[rec.id])
    return rec


@router.post("/recordings/{recording_id}/erase", response_model=ErasureOut)
def erase(
    request: Request, db: Db, rt: Rt, principal: CurrentUser, recording_id: str
) -> dict[str, Any]:
    """Erase a recording at the client's request: audio, transcript and drafts made from it."""
    result = service.erase_recording(db, principal, store_of(rt), recording_id, now=utcnow())
    audit(
        request,
        "recording.erase",
        record_type="recording",
        record_ids=[recording_id, *result.transcript_ids, *result.draft_note_ids],
    )
    if result.audio_deleted:
        audit(
            request,
            "recording.audio_delete",
            record_type="recording",
            record_ids=[recording_id],
            detail="erased_on_request",
        )
    return {
        "audio_deleted": result.audio_deleted,
        "transcript_ids": list(result.transcript_ids),
        "draft_note_ids": list(result.draft_note_ids),
        "kept_transcript_ids": list(result.kept_transcript_ids),
    }
