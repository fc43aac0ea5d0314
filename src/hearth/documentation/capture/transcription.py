"""The database side of capture's jobs: claim a recording, assemble its frames, keep progress,
store the transcript, keep the live partial text, and the retention sweep's steps.

Each function works in the caller's transaction; ``tasks.py`` opens short transactions
around the slow parts (decrypting, recognising) so no transaction stays open while a model
runs. A transcript is stored once per recording: a JobRecord ``transcribe:<id>`` is written
with it, so two racing runs commit one transcript.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hearth.db import Database
from hearth.documentation import service as docs
from hearth.documentation.capture.engine import Audio, LiveLine
from hearth.documentation.capture.models import (
    LIVE_STATUSES,
    AudioFrame,
    Recording,
    VoiceEnrollment,
)
from hearth.documentation.capture.retention import AudioFacts, RetentionPolicy, decide
from hearth.documentation.capture.storage import AUDIO, UPLOAD, AudioStore
from hearth.documentation.models import ClinicalSession, Note
from hearth.documentation.roles import assign_roles
from hearth.documentation.tasks import queue_draft
from hearth.documentation.transcript import Transcript as TranscriptValue
from hearth.jobs import already_done, mark_done
from hearth.practice.models import Clinician
from hearth.practice.service import active_consent
from hearth.security.models import User
from hearth.security.permissions import Principal
from hearth.security.service import staff_principal

log = logging.getLogger(__name__)

TASK_NAME = "capture.transcribe_recording"
STALLED_AFTER = dt.timedelta(minutes=15)  # no progress for this long: the worker died
SINGLE_CLIENT_KINDS = ("intake", "individual", "crisis")


def transcribe_key(recording_id: str) -> str:
    """The JobRecord id that marks a recording transcribed."""
    return f"transcribe:{recording_id}"


def consent_revoked(db: Session, session_id: str) -> bool:
    """True when a client of the session has no active recording consent (any more)."""
    return any(
        active_consent(db, cid, "recording") is None
        for cid in docs.session_client_ids(db, session_id)
    )


def consent_revoked_for_client(db: Session, client_id: str) -> bool:
    """True when the client has no active recording consent."""
    return active_consent(db, client_id, "recording") is None


# --- claiming and audio --------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A recording this run will transcribe, and what the engine needs to know."""

    recording_id: str
    kind: str
    speakers: int
    clinician_voice: dict[str, Any] | None
    filename: str | None


def claim(db: Session, recording_id: str, now: dt.datetime) -> Claim | str:
    """Mark the recording as being transcribed, or say why there is nothing to do."""
    rec = db.get(Recording, recording_id, with_for_update=True)
    if rec is None:
        return "missing"
    if rec.transcript_id is not None or already_done(db, transcribe_key(recording_id)):
        return "done"
    if rec.audio_deleted_at is not None or rec.status == "erased":
        return "no_audio"
    if rec.status in LIVE_STATUSES:
        return "still_recording"
    if (
        rec.status == "transcribing"
        and rec.progress_at is not None
        and now - rec.progress_at < STALLED_AFTER
    ):
        return "running"
    session_row = db.get(ClinicalSession, rec.session_id)
    if session_row is None:
        return "missing"
    from hearth.documentation.capture.service import speakers_for

    voice = db.get(VoiceEnrollment, session_row.clinician_id)
    rec.status = "transcribing"
    rec.attempts += 1
    rec.progress = 0.0
    rec.progress_stage = "preparing the audio"
    rec.progress_at = now
    rec.error = None
    db.flush()
    return Claim(
        recording_id=rec.id,
        kind=rec.kind,
        speakers=speakers_for(db, session_row),
        clinician_voice=dict(voice.profile) if voice else None,
        filename=rec.filename,
    )


def assemble(database: Database, store: AudioStore, recording_id: str) -> None:
    """Join a live recording's frames, in order, into one encrypted file (once)."""
    with database.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is None or rec.assembled:
            return
        seqs = list(
            db.scalars(
                select(AudioFrame.seq)
                .where(AudioFrame.recording_id == recording_id)
                .order_by(AudioFrame.seq)
            )
        )
    store.write(recording_id, AUDIO, store.frames(recording_id, seqs))
    with database.transaction() as db:
        rec = db.get(Recording, recording_id, with_for_update=True)
        if rec is None:
            return
        rec.assembled = True
        db.execute(delete(AudioFrame).where(AudioFrame.recording_id == recording_id))
    store.delete_frames(recording_id)


def pcm_to_float(pcm: bytes) -> np.ndarray:
    """Signed 16-bit little-endian PCM as float32 samples in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


@contextmanager
def audio_input(store: AudioStore, c: Claim) -> Iterator[Audio]:
    """The audio to transcribe: samples of a live recording, or the upload as a private
    temporary file (decrypted for the decoder, removed as soon as the block ends)."""
    if c.kind == "live":
        yield pcm_to_float(store.read_all(c.recording_id, AUDIO))
        return
    suffix = PurePath(c.filename or "upload").suffix.lower()[:8]
    with tempfile.TemporaryDirectory(prefix="hearth-audio-") as folder:
        path = Path(folder) / f"recording{suffix}"
        with path.open("wb") as f:
            for chunk in store.read(c.recording_id, UPLOAD):
                f.write(chunk)
        yield path


def report_progress(
    db: Session, recording_id: str, fraction: float, stage: str, now: dt.datetime
) -> None:
    """Store the job's progress (0 to 1) and what it is doing; the page polls it."""
    rec = db.get(Recording, recording_id)
    if rec is None or rec.status != "transcribing":
        return
    rec.progress = max(0.0, min(1.0, fraction))
    rec.progress_stage = stage
    rec.progress_at = now


def fail(db: Session, recording_id: str, message: str) -> None:
    """Mark the transcription failed with a message for the clinician (audio is kept)."""
    rec = db.get(Recording, recording_id)
    if rec is None or rec.transcript_id is not None or rec.status == "erased":
        return
    rec.status = "failed"
    rec.error = message[:500]
    rec.progress_stage = None


# --- storing the transcript ----------------------------------------------------------------


def label_roles(t: TranscriptValue, *, single_client: bool) -> TranscriptValue:
    """Roles as capture stores them: confirmed when the clinician's voice was recognised in a
    one-client session; otherwise suggestions for the clinician's mapping step."""
    if not any(u.role == "clinician" for u in t.utterances):
        return assign_roles(t)
    out = []
    for u in t.utterances:
        if u.role == "clinician":
            out.append(replace(u, role_source="given"))
        elif single_client:
            out.append(replace(u, role="client", role_source="given"))
        else:
            out.append(replace(u, role_source="inferred"))
    return t.with_utterances(out)


@dataclass(frozen=True)
class Saved:
    """What storing a transcription did."""

    result: str  # transcribed | done | discarded
    transcript_id: str | None = None
    audio_deleted: bool = False
    session_id: str | None = None


def _creator(db: Session, rec: Recording) -> Principal:
    user = db.get(User, rec.created_by_id)
    if user is not None:
        return staff_principal(db, user)
    return Principal(kind="user", id=rec.created_by_id)


def save(
    db: Session, store: AudioStore, recording_id: str, t: TranscriptValue, now: dt.datetime
) -> Saved:
    """Store the job's transcript once (JobRecord ``transcribe:<id>``) and queue the draft."""
    rec = db.get(Recording, recording_id, with_for_update=True)
    if rec is None:
        return Saved("discarded")
    if rec.transcript_id is not None:
        return Saved("done", rec.transcript_id)
    if rec.audio_deleted_at is not None or rec.status == "erased":
        return Saved("discarded")
    if not mark_done(db, transcribe_key(recording_id), TASK_NAME):
        return Saved("done")
    saved = store_result(db, store, rec, t, now)
    queue_draft(db, rec.session_id)
    return saved


def store_result(
    db: Session, store: AudioStore, rec: Recording, t: TranscriptValue, now: dt.datetime
) -> Saved:
    """Store the transcript (source "asr") with its roles, clear the live text, take the
    session's times from a live recording, and delete the audio at once if a client revoked
    recording consent meanwhile."""
    session_row = db.get(ClinicalSession, rec.session_id)
    assert session_row is not None
    client_ids = docs.session_client_ids(db, session_row.id)
    single = len(client_ids) == 1 and session_row.session_kind in SINGLE_CLIENT_KINDS
    labelled = label_roles(t, single_client=single)
    row = docs.store_transcript(
        db, _creator(db, rec), session_row, labelled, "asr", "audio", rec.filename
    )
    rec.transcript_id = row.id
    rec.status = "transcribed"
    rec.progress = 1.0
    rec.progress_stage = "done"
    rec.progress_at = now
    rec.partial = None
    rec.clinician_recognised = any(u.role == "clinician" for u in t.utterances)
    if t.metadata.get("duration"):
        rec.duration_seconds = float(t.metadata["duration"])
    if rec.kind == "live" and session_row.started_at is None and rec.stopped_at is not None:
        session_row.started_at = rec.created_at
        session_row.ended_at = rec.stopped_at
        session_row.time_source = "recording"
    db.flush()
    deleted = False
    if consent_revoked(db, session_row.id):
        from hearth.documentation.capture.service import delete_audio

        deleted = delete_audio(db, store, rec, reason="consent_revoked", now=now)
    return Saved("transcribed", row.id, deleted, session_row.id)


# --- the live partial transcript -----------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """New contiguous frames to transcribe live, and where they start in the recording."""

    recording_id: str
    first: int
    last: int
    offset: float


def live_window(db: Session, recording_id: str, upto: int) -> Window | str:
    """The frames after the live text so far, up to ``upto``, or why there is nothing to do."""
    rec = db.get(Recording, recording_id)
    if rec is None:
        return "missing"
    if rec.transcript_id is not None or rec.assembled or rec.audio_deleted_at is not None:
        return "finished"
    if rec.partial_through >= upto:
        return "done"
    if consent_revoked(db, rec.session_id):
        return "consent_revoked"
    first = rec.partial_through + 1
    before = db.scalar(
        select(func.coalesce(func.sum(AudioFrame.samples), 0)).where(
            AudioFrame.recording_id == recording_id, AudioFrame.seq < first
        )
    )
    return Window(recording_id, first, upto, int(before or 0) / rec.sample_rate)


def save_partial(db: Session, w: Window, lines: list[LiveLine]) -> bool:
    """Append the window's lines to the live text, unless another run did this window first."""
    rec = db.get(Recording, w.recording_id, with_for_update=True)
    if rec is None or rec.partial_through != w.first - 1 or rec.transcript_id is not None:
        return False
    rec.partial = [*(rec.partial or []), *(line.to_json() for line in lines)]
    rec.partial_through = w.last
    return True


# --- the sweep -----------------------------------------------------------------------------


def abandoned(db: Session, now: dt.datetime, after: dt.timedelta) -> list[str]:
    """Live recordings nobody has streamed to for ``after`` (the page is gone for good)."""
    return list(
        db.scalars(
            select(Recording.id).where(
                Recording.status.in_(LIVE_STATUSES), Recording.last_seen_at <= now - after
            )
        )
    )


def lost_jobs(db: Session, now: dt.datetime) -> list[str]:
    """Recordings whose transcription job died or was never run (picked up again)."""
    stale = now - STALLED_AFTER
    return list(
        db.scalars(
            select(Recording.id).where(
                Recording.audio_deleted_at.is_(None),
                Recording.transcript_id.is_(None),
                (
                    (Recording.status == "transcribing")
                    & ((Recording.progress_at.is_(None)) | (Recording.progress_at <= stale))
                )
                | (Recording.status.in_(("stopped", "uploaded")) & (Recording.stopped_at <= stale)),
            )
        )
    )


def with_audio(db: Session) -> list[str]:
    """Recordings whose audio is still kept."""
    return list(db.scalars(select(Recording.id).where(Recording.audio_deleted_at.is_(None))))


def facts(db: Session, rec: Recording) -> AudioFacts:
    """What the retention decision needs to know about a recording."""
    notes = list(db.scalars(select(Note.status).where(Note.session_id == rec.session_id)))
    return AudioFacts(
        since=rec.stopped_at or rec.created_at,
        live=rec.live,
        transcribed=rec.transcript_id is not None,
        notes_signed=bool(notes) and all(s != "draft" for s in notes),
        consent_revoked=consent_revoked(db, rec.session_id),
        reminded=rec.reminded_at is not None,
        final_warning_at=rec.final_warning_at,
    )


def clinician_email(db: Session, rec: Recording) -> tuple[str, str] | None:
    """The email address and name of the session's clinician (for reminders)."""
    session_row = db.get(ClinicalSession, rec.session_id)
    clinician = db.get(Clinician, session_row.clinician_id) if session_row else None
    user = db.get(User, clinician.user_id) if clinician else None
    return (user.email, user.name) if user and user.active else None


def retention_step(
    db: Session,
    store: AudioStore,
    recording_id: str,
    policy: RetentionPolicy,
    now: dt.datetime,
    base_url: str,
) -> str:
    """Apply the retention decision to one recording: keep, remind, warn or delete."""
    from hearth.documentation.capture.service import delete_audio
    from hearth.messaging.service import queue_message

    rec = db.get(Recording, recording_id, with_for_update=True)
    if rec is None or rec.audio_deleted_at is not None:
        return "gone"
    decision = decide(facts(db, rec), policy, now)
    if decision.action == "delete":
        delete_audio(db, store, rec, reason=decision.reason, now=now)
        return f"deleted:{decision.reason}"
    if decision.action in ("remind", "final_warning"):
        to = clinician_email(db, rec)
        when = policy.deletes_on(rec.stopped_at or rec.created_at)
        final = decision.action == "final_warning"
        if final:
            when = max(when, now + dt.timedelta(days=1))
            rec.final_warning_at = now
        rec.reminded_at = rec.reminded_at or now
        if to is not None:
            queue_message(
                db,
                channel="email",
                category="administrative",
                recipient=to[0],
                subject=("Final notice: " if final else "")
                + "a session recording is waiting for its note",
                body=reminder_body(to[1], rec, when, base_url, final=final),
            )
        return decision.action
    return "kept"


def reminder_body(
    name: str, rec: Recording, deletes_on: dt.datetime, base_url: str, *, final: bool
) -> str:
    """The reminder's text: no client names, only the session link and the dates."""
    recorded = (rec.stopped_at or rec.created_at).date().isoformat()
    lines = [
        f"Hello {name},",
        "",
        f"A session recorded on {recorded} is waiting for its note to be signed. Its audio is "
        "kept, encrypted, until the note is signed.",
        f"The audio will be deleted on {deletes_on.date().isoformat()} even if the note is "
        "still unsigned; the transcript stays with the session.",
        "",
        f"Open the session: {base_url.rstrip('/')}/sessions/{rec.session_id}",
    ]
    if final:
        lines.insert(2, "This is the final notice.")
    return "\n".join(lines)


def recording_ids_in_sessions_of(db: Session, client_id: str) -> list[str]:
    """Recordings of every session the client took part in."""
    from hearth.documentation.models import SessionClient

    return list(
        db.scalars(
            select(Recording.id)
            .join(SessionClient, SessionClient.session_id == Recording.session_id)
            .where(SessionClient.client_id == client_id)
        )
    )
