"""Use cases of ambient capture: the consent gate, live recordings, uploads, erasure, voices.

Services never commit; the request, the WebSocket's short transactions or the job do.
Every entry point that starts keeping audio checks `recording` consent for every client of
the session. Audio files are removed only after the transaction that records their deletion
commits (``after_commit``), so a rollback never leaves a row that points at nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from hearth.documentation import service as docs
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture import tasks
from hearth.documentation.capture.consent import recording_consent_text
from hearth.documentation.capture.engine import VoicePrint
from hearth.documentation.capture.models import (
    LIVE_STATUSES,
    AudioFrame,
    Recording,
    VoiceEnrollment,
)
from hearth.documentation.capture.storage import UPLOAD, AudioStore
from hearth.documentation.capture.upload import probe_upload
from hearth.documentation.models import ClinicalSession, Note, Transcript
from hearth.errors import Conflict, Forbidden, Invalid, NotFound
from hearth.practice.models import Client, Consent
from hearth.practice.service import active_consent, grant_consent, require_consent
from hearth.security.crypto import derive_key
from hearth.security.permissions import Principal

_HOOKS = "hearth.capture.hooks"


def clinician_of(principal: Principal) -> str:
    """The principal's clinician id; only clinicians record and enroll a voice."""
    if principal.clinician_id is None or not principal.roles & {"clinician", "owner", "supervisor"}:
        raise Forbidden("Only a clinician can record sessions.", code="clinician_only")
    return principal.clinician_id


def after_commit(db: Session, work: Callable[[], object]) -> None:
    """Run ``work`` once ``db`` commits (dropped on rollback): file removal, mostly."""
    _hooks(db)["commit"].append(work)


def after_rollback(db: Session, work: Callable[[], object]) -> None:
    """Run ``work`` if ``db`` rolls back (dropped on commit): removing files just written."""
    _hooks(db)["rollback"].append(work)


def _hooks(db: Session) -> dict[str, list[Callable[[], object]]]:
    if not db.in_transaction():
        db.begin()
    hooks: dict[str, list[Callable[[], object]]] | None = db.info.get(_HOOKS)
    if hooks is None:
        hooks = {"commit": [], "rollback": []}
        db.info[_HOOKS] = hooks
        event.listen(db, "after_commit", _on_commit)
        event.listen(db, "after_soft_rollback", _on_rollback)
    return hooks


def _on_commit(db: Session) -> None:
    hooks = db.info.get(_HOOKS) or {"commit": [], "rollback": []}
    todo = list(hooks["commit"])
    hooks["commit"].clear()
    hooks["rollback"].clear()
    for work in todo:
        work()


def _on_rollback(db: Session, previous_transaction: object) -> None:
    if getattr(previous_transaction, "parent", None) is not None:
        return  # a savepoint: the outer transaction decides
    hooks = db.info.get(_HOOKS) or {"commit": [], "rollback": []}
    todo = list(hooks["rollback"])
    hooks["commit"].clear()
    hooks["rollback"].clear()
    for work in todo:
        work()


# --- the consent gate ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentGate:
    """Whether recording may start, and if not, whose recording consent is missing."""

    missing: tuple[tuple[str, str], ...]  # (client id, name shown)

    @property
    def allowed(self) -> bool:
        return not self.missing

    @property
    def reason(self) -> str:
        """Why the Record button is disabled (empty when it is not)."""
        if not self.missing:
            return ""
        names = ", ".join(name for _, name in self.missing)
        return f"Recording needs recording consent from every client; missing: {names}."


def recording_gate(db: Session, session_id: str) -> ConsentGate:
    """The consent gate of a session: every client needs an active recording consent."""
    missing = []
    for cid in docs.session_client_ids(db, session_id):
        if active_consent(db, cid, "recording") is None:
            client = db.get(Client, cid)
            missing.append((cid, client.display_name if client else cid))
    return ConsentGate(tuple(missing))


def require_recording_consent(db: Session, session_id: str) -> None:
    """Raise ConsentRequired unless every client of the session consented to recording."""
    for cid in docs.session_client_ids(db, session_id):
        require_consent(db, cid, "recording")


def grant_recording_consent(
    db: Session, principal: Principal, client_id: str, *, method: str, given_by: str
) -> Consent:
    """Record the client's (or guardian's) yes to the current recording consent wording."""
    if given_by not in ("client", "guardian"):
        raise Invalid("consent is given by the client or their guardian", where="given_by")
    return grant_consent(
        db,
        principal,
        client_id,
        "recording",
        method=method,
        text_version=recording_consent_text().version,
        given_by=given_by,
    )


# --- recordings ----------------------------------------------------------------------------


def speakers_for(db: Session, session_row: ClinicalSession) -> int:
    """How many voices to separate: clinician and clients (2 for one client, at most 8)."""
    clients = len(docs.session_client_ids(db, session_row.id))
    if session_row.session_kind == "family_without_client":
        clients = max(clients, 2)
    return max(2, min(8, clients + 1))


def get_recording(db: Session, principal: Principal, recording_id: str) -> Recording:
    """A recording of a session the principal may read (care team only)."""
    rec = db.get(Recording, recording_id)
    if rec is None:
        raise NotFound("No such recording.", record_type="recording", record_id=recording_id)
    try:
        docs.get_session(db, principal, rec.session_id)
    except NotFound:
        raise NotFound(
            "No such recording.", record_type="recording", record_id=recording_id
        ) from None
    return rec


def session_recordings(db: Session, principal: Principal, session_id: str) -> list[Recording]:
    """The session's recordings, newest first."""
    docs.get_session(db, principal, session_id)
    return list(
        db.scalars(
            select(Recording)
            .where(Recording.session_id == session_id)
            .order_by(Recording.created_at.desc())
        )
    )


def start_recording(
    db: Session, principal: Principal, session_id: str, *, now: dt.datetime
) -> Recording:
    """Open a live recording (or return the session's unfinished one) once consent is checked."""
    session_row = docs.get_session(db, principal, session_id)
    clinician_of(principal)
    require_recording_consent(db, session_id)
    open_one = db.scalars(
        select(Recording).where(
            Recording.session_id == session_row.id, Recording.status.in_(LIVE_STATUSES)
        )
    ).first()
    if open_one is not None:
        return open_one
    rec = Recording(
        session_id=session_row.id,
        created_by_id=principal.id,
        kind="live",
        status="recording",
        created_at=now,
        last_seen_at=now,
        sample_rate=wire.SAMPLE_RATE,
    )
    db.add(rec)
    db.flush()
    return rec


def socket_token(secret: bytes, recording_id: str, auth_session_id: str) -> str:
    """The per-recording WebSocket token, bound to one sign-in session."""
    key = derive_key(secret, b"hearth recording socket v1")
    msg = f"{recording_id}:{auth_session_id}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def check_socket_token(secret: bytes, recording_id: str, auth_session_id: str, token: str) -> bool:
    """True when ``token`` was issued for this recording and sign-in session."""
    expected = socket_token(secret, recording_id, auth_session_id)
    return hmac.compare_digest(expected, token)


def capture_refusal(db: Session, rec: Recording) -> str | None:
    """Why frames may no longer be taken for this recording, or None while they may."""
    if not rec.live:
        return "consent_revoked" if rec.stop_reason == "consent_revoked" else "finished"
    for cid in docs.session_client_ids(db, rec.session_id):
        if active_consent(db, cid, "recording") is None:
            return "consent_revoked"
    return None


def _live(db: Session, recording_id: str) -> Recording:
    rec = db.get(Recording, recording_id, with_for_update=True)
    if rec is None:
        raise NotFound("No such recording.", record_type="recording", record_id=recording_id)
    return rec


def store_frame(
    db: Session,
    store: AudioStore,
    recording_id: str,
    frame: wire.Frame,
    *,
    now: dt.datetime,
    live_window_seconds: float,
) -> bool:
    """Store one frame once (True if it was new); queue a live window when enough is in."""
    rec = _live(db, recording_id)
    if not rec.live:
        raise Conflict("This recording is finished.", code="recording_finished")
    rec.last_seen_at = now
    digest = hashlib.sha256(frame.pcm).hexdigest()
    if db.get(AudioFrame, (recording_id, frame.seq)) is not None:
        return False
    store.put_frame(recording_id, frame.seq, frame.pcm)
    db.add(
        AudioFrame(
            recording_id=recording_id,
            seq=frame.seq,
            samples=frame.samples,
            sha256=digest,
            received_at=now,
        )
    )
    rec.frames_received += 1
    rec.samples_received += frame.samples
    rec.max_seq = max(rec.max_seq, frame.seq)
    db.flush()
    if frame.seq == rec.contiguous_through + 1:
        later = db.scalars(
            select(AudioFrame.seq)
            .where(AudioFrame.recording_id == recording_id, AudioFrame.seq > frame.seq)
            .order_by(AudioFrame.seq)
        )
        rec.contiguous_through = wire.contiguous_through(later, frame.seq)
    _maybe_queue_live_window(db, rec, live_window_seconds)
    return True


def _maybe_queue_live_window(db: Session, rec: Recording, window_seconds: float) -> None:
    if rec.contiguous_through <= rec.live_queued_through:
        return
    pending = db.scalar(
        select(func.coalesce(func.sum(AudioFrame.samples), 0)).where(
            AudioFrame.recording_id == rec.id,
            AudioFrame.seq > rec.live_queued_through,
            AudioFrame.seq <= rec.contiguous_through,
        )
    )
    if int(pending or 0) >= window_seconds * rec.sample_rate:
        rec.live_queued_through = rec.contiguous_through
        tasks.queue_live_window(db, rec.id, rec.contiguous_through)


def set_connection(
    db: Session, recording_id: str, *, connected: bool, now: dt.datetime
) -> Recording:
    """Note that the page connected or went away (the abandonment clock starts from here)."""
    rec = _live(db, recording_id)
    rec.connected = connected
    rec.last_seen_at = now
    return rec


def set_paused(db: Session, recording_id: str, *, paused: bool, now: dt.datetime) -> Recording:
    """Pause or resume a live recording."""
    rec = _live(db, recording_id)
    if not rec.live:
        raise Conflict("This recording is finished.", code="recording_finished")
    rec.status = "paused" if paused else "recording"
    rec.last_seen_at = now
    return rec


def stop_recording(
    db: Session,
    recording_id: str,
    *,
    frames: int,
    accept_gaps: bool = False,
    now: dt.datetime,
    reason: str = "stopped",
) -> list[int]:
    """Finish a live recording of ``frames`` frames; returns the frame numbers still missing.

    With missing frames and no ``accept_gaps`` nothing changes: the page resends them first.
    """
    rec = _live(db, recording_id)
    if not rec.live:
        return []
    have = db.scalars(select(AudioFrame.seq).where(AudioFrame.recording_id == recording_id))
    total = max(frames, rec.max_seq + 1)
    gaps = wire.missing(have, total)
    if gaps and not accept_gaps:
        return gaps
    finish_live(db, rec, now=now, reason=reason, gaps=len(gaps))
    return []


def finish_live(
    db: Session, rec: Recording, *, now: dt.datetime, reason: str, gaps: int | None = None
) -> None:
    """Close a live recording with what was received, and queue its transcription."""
    if not rec.live:
        return
    if gaps is None:
        have = db.scalars(select(AudioFrame.seq).where(AudioFrame.recording_id == rec.id))
        gaps = len(wire.missing(have, rec.max_seq + 1))
    rec.status = "stopped"
    rec.stop_reason = reason
    rec.stopped_at = now
    rec.connected = False
    rec.gaps = gaps
    rec.duration_seconds = rec.samples_received / rec.sample_rate
    db.flush()
    if rec.frames_received:
        tasks.queue_transcription(db, rec.id)
    else:  # nothing to transcribe, keep or remind anyone about
        rec.status = "failed"
        rec.error = "No audio was received."
        rec.audio_deleted_at = now
        rec.deletion_reason = "nothing_recorded"  # no frame was stored, so no file exists


def stop_by_request(
    db: Session, principal: Principal, recording_id: str, *, now: dt.datetime
) -> Recording:
    """Finish a live recording from the page without its browser (what arrived is kept)."""
    rec = get_recording(db, principal, recording_id)
    clinician_of(principal)
    finish_live(db, rec, now=now, reason="stopped_without_browser")
    return rec


# --- uploads -------------------------------------------------------------------------------


def upload_recording(
    db: Session,
    principal: Principal,
    store: AudioStore,
    session_id: str,
    *,
    fileobj: BinaryIO,
    filename: str,
    now: dt.datetime,
) -> Recording:
    """Keep an uploaded recording (encrypted) and queue its transcription; bad files: 422."""
    session_row = docs.get_session(db, principal, session_id)
    clinician_of(principal)
    require_recording_consent(db, session_id)
    probe = probe_upload(fileobj, filename)
    rec = Recording(
        session_id=session_row.id,
        created_by_id=principal.id,
        kind="upload",
        status="uploaded",
        created_at=now,
        stopped_at=now,
        last_seen_at=now,
        filename=filename,
        upload_format=probe.format,
        duration_seconds=probe.seconds,
    )
    db.add(rec)
    db.flush()
    fileobj.seek(0)
    recording_id = rec.id
    after_rollback(db, lambda: store.delete(recording_id))
    rec.upload_bytes = store.write(rec.id, UPLOAD, iter(lambda: fileobj.read(1 << 20), b""))
    tasks.queue_transcription(db, rec.id)
    return rec


def retry_transcription(db: Session, principal: Principal, recording_id: str) -> Recording:
    """Queue a failed transcription again (from the stored audio)."""
    rec = get_recording(db, principal, recording_id)
    clinician_of(principal)
    if rec.status != "failed" or not rec.has_audio:
        raise Conflict(
            "Only a failed recording with its audio can be tried again.", code="no_retry"
        )
    if not rec.frames_received and rec.kind == "live":
        raise Conflict("This recording holds no audio.", code="no_audio")
    rec.status = "uploaded" if rec.kind == "upload" else "stopped"
    rec.error = None
    rec.progress = 0.0
    tasks.queue_transcription(db, rec.id)
    return rec


# --- deletion ------------------------------------------------------------------------------


def delete_audio(
    db: Session, store: AudioStore, rec: Recording, *, reason: str, now: dt.datetime
) -> bool:
    """Delete a recording's audio (files go after commit); False if it was gone already.

    The caller audits the deletion.
    """
    if rec.audio_deleted_at is not None:
        return False
    rec.audio_deleted_at = now
    rec.deletion_reason = reason
    rec.partial = None
    db.execute(delete(AudioFrame).where(AudioFrame.recording_id == rec.id))
    db.flush()
    recording_id = rec.id
    after_commit(db, lambda: store.delete(recording_id))
    return True


@dataclass(frozen=True)
class Erasure:
    """What erasing a recording at the client's request removed."""

    audio_deleted: bool
    transcript_ids: tuple[str, ...]
    draft_note_ids: tuple[str, ...]
    kept_transcript_ids: tuple[str, ...]  # kept: a signed note rests on them


def erase_recording(
    db: Session, principal: Principal, store: AudioStore, recording_id: str, *, now: dt.datetime
) -> Erasure:
    """The client asks that the recording be erased: its audio, and its transcript with it.

    Draft notes made from that transcript go too. A transcript that a signed note rests on
    stays with the signed record (signed notes never change); the answer says so.
    """
    rec = get_recording(db, principal, recording_id)
    clinician_of(principal)
    if rec.live:
        finish_live(db, rec, now=now, reason="erased_on_request")
    deleted = delete_audio(db, store, rec, reason="erased_on_request", now=now)
    erased: list[str] = []
    drafts: list[str] = []
    kept: list[str] = []
    if rec.transcript_id is not None:
        transcript_id = rec.transcript_id
        notes = list(db.scalars(select(Note).where(Note.transcript_id == transcript_id)))
        if any(n.status != "draft" for n in notes):
            kept.append(transcript_id)
        else:
            for n in notes:
                drafts.append(n.id)
                db.delete(n)
            db.flush()
            row = db.get(Transcript, transcript_id)
            if row is not None:
                db.delete(row)
            rec.transcript_id = None
            erased.append(transcript_id)
    if rec.transcript_id is None:
        rec.status = "erased"
        rec.error = None
    db.flush()
    return Erasure(deleted, tuple(erased), tuple(drafts), tuple(kept))


# --- voice enrollment ----------------------------------------------------------------------


def enroll_voice(db: Session, principal: Principal, voice: VoicePrint) -> VoiceEnrollment:
    """Keep (or replace) the clinician's voice print; the enrollment audio itself is not kept."""
    clinician_id = clinician_of(principal)
    row = db.get(VoiceEnrollment, clinician_id)
    if row is None:
        row = VoiceEnrollment(clinician_id=clinician_id)
        db.add(row)
    row.profile = voice.profile
    row.seconds = voice.seconds
    row.encoder = voice.encoder
    row.created_at = dt.datetime.now(dt.UTC)
    db.flush()
    return row


def voice_enrollment(db: Session, clinician_id: str) -> VoiceEnrollment | None:
    """The clinician's voice print, if enrolled."""
    return db.get(VoiceEnrollment, clinician_id)


def remove_voice(db: Session, principal: Principal) -> bool:
    """Delete the clinician's voice print; False if there was none."""
    row = db.get(VoiceEnrollment, clinician_of(principal))
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True
