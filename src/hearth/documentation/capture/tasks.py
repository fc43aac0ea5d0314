"""Queued work of ambient capture: transcription with progress, live partial text, consent
revocation, and a periodic sweep (retention, abandoned recordings, lost jobs, orphan files).

Jobs take ids, reload their rows, and are safe to run twice. Audio stays on disk until a
transcript is stored, so a crashed transcription simply runs again from the stored audio:
Huey retries it, and the sweep queues it again when a worker died mid-way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from hearth.db import utcnow
from hearth.documentation.capture import transcription as work
from hearth.documentation.capture.engine import get_engine
from hearth.documentation.capture.models import Recording
from hearth.documentation.capture.retention import RetentionPolicy
from hearth.documentation.capture.storage import AudioStore, StorageError
from hearth.errors import HearthError, Unavailable
from hearth.jobs import current_runtime, enqueue_after_commit, periodic_task, run_each, task
from hearth.practice.models import Consent
from hearth.runtime import Runtime
from hearth.security.audit import AuditEntry

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
PROGRESS_EVERY = 1.0  # seconds between progress writes
STAGES = (
    (0.05, "decoding the audio"),
    (0.85, "recognising speech"),
    (1.0, "telling speakers apart"),
)


def store_for(rt: Runtime) -> AudioStore:
    """The encrypted audio store under the runtime's media folder."""
    return AudioStore(rt.settings.effective_media_dir)


def audit_deletion(rt: Runtime, recording_id: str, reason: str) -> None:
    """One audit row for an audio deletion made by a job (no person acted)."""
    rt.audit(
        AuditEntry(
            action="recording.audio_delete",
            actor_kind="system",
            record_type="recording",
            record_ids=[recording_id],
            detail=reason,
        )
    )


def _stage(fraction: float) -> str:
    return next(name for upto, name in STAGES if fraction <= upto)


# --- transcription -------------------------------------------------------------------------


@task(retries=2, retry_delay=60)
def transcribe_recording(recording_id: str) -> str:
    """Transcribe a finished recording, store the transcript and queue the note draft."""
    return transcribe_now(current_runtime(), recording_id)


def transcribe_now(rt: Runtime, recording_id: str, clock: Clock = utcnow) -> str:
    """The job's work: claim, assemble, recognise with progress, store; returns the outcome."""
    store = store_for(rt)
    with rt.db.transaction() as db:
        claimed = work.claim(db, recording_id, clock())
    if isinstance(claimed, str):
        return claimed
    last = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and fraction < 1.0:
            return
        last[0] = now
        with rt.db.transaction() as db:
            work.report_progress(db, recording_id, fraction * 0.95, _stage(fraction), clock())

    try:
        if claimed.kind == "live":
            work.assemble(rt.db, store, recording_id)
        with work.audio_input(store, claimed) as audio:
            result = get_engine(rt.settings).transcribe(
                audio,
                speakers=claimed.speakers,
                clinician_voice=claimed.clinician_voice,
                progress=progress,
            )
    except (StorageError, HearthError) as e:
        message = e.message if isinstance(e, HearthError) else str(e)
        with rt.db.transaction() as db:
            work.fail(db, recording_id, f"Transcription failed: {message}")
        if isinstance(e, Unavailable):
            raise  # the model or device may come back: let the queue retry
        return "failed"
    except Exception as e:
        log.exception("transcription of recording %s failed", recording_id)
        with rt.db.transaction() as db:
            work.fail(
                db,
                recording_id,
                f"Transcription stopped unexpectedly ({type(e).__name__}); the audio is kept. "
                "It is retried automatically twice; if this message stays, use Try again.",
            )
        raise
    with rt.db.transaction() as db:
        saved = work.save(db, store, recording_id, result, clock())
    if saved.audio_deleted:
        audit_deletion(rt, recording_id, "consent_revoked")
    return saved.result


def queue_transcription(db: Session, recording_id: str) -> None:
    """Queue ``transcribe_recording`` once ``db`` commits."""
    enqueue_after_commit(db, transcribe_recording, recording_id)


# --- live partial text ---------------------------------------------------------------------


@task()
def transcribe_live_window(recording_id: str, upto: int) -> str:
    """Transcribe the newest frames of a live recording and append them to its live text."""
    return live_window_now(current_runtime(), recording_id, upto)


def live_window_now(rt: Runtime, recording_id: str, upto: int) -> str:
    """The live-window job's work; returns what happened."""
    with rt.db.transaction() as db:
        window = work.live_window(db, recording_id, upto)
    if isinstance(window, str):
        return window
    store = store_for(rt)
    try:
        pcm = b"".join(store.frames(recording_id, range(window.first, window.last + 1)))
    except StorageError:
        return "finished"  # assembled or deleted meanwhile; the final transcript follows
    lines = get_engine(rt.settings).transcribe_window(work.pcm_to_float(pcm), offset=window.offset)
    with rt.db.transaction() as db:
        saved = work.save_partial(db, window, lines)
    return "saved" if saved else "skipped"


def queue_live_window(db: Session, recording_id: str, upto: int) -> None:
    """Queue ``transcribe_live_window`` once ``db`` commits."""
    enqueue_after_commit(db, transcribe_live_window, recording_id, upto)


# --- consent revoked -----------------------------------------------------------------------


@task()
def recording_consent_revoked(client_id: str) -> str:
    """A client revoked recording consent: finish live capture, delete audio whose transcript
    is stored (the rest goes as soon as its transcript is)."""
    return consent_revoked_now(current_runtime(), client_id)


def consent_revoked_now(rt: Runtime, client_id: str, clock: Clock = utcnow) -> str:
    """The revocation job's work; returns a summary."""
    from hearth.documentation.capture.service import delete_audio, finish_live

    store = store_for(rt)
    deleted: list[str] = []
    stopped = 0
    with rt.db.transaction() as db:
        if not work.consent_revoked_for_client(db, client_id):
            return "consent_active"
        for rid in work.recording_ids_in_sessions_of(db, client_id):
            rec = db.get(Recording, rid, with_for_update=True)
            if rec is None or rec.audio_deleted_at is not None:
                continue
            if rec.live:
                finish_live(db, rec, now=clock(), reason="consent_revoked")
                stopped += 1
            elif rec.transcript_id is not None and delete_audio(
                db, store, rec, reason="consent_revoked", now=clock()
            ):
                deleted.append(rid)
    for rid in deleted:
        audit_deletion(rt, rid, "consent_revoked")
    return f"stopped {stopped}, deleted {len(deleted)}"


def _on_revoked(target: Consent, value: dt.datetime | None, oldvalue: object, _i: object) -> None:
    """When a recording consent is revoked, queue the revocation job after the commit."""
    if target.kind != "recording" or value is None or isinstance(oldvalue, dt.datetime):
        return
    session = object_session(target)
    if session is not None:
        enqueue_after_commit(session, recording_consent_revoked, target.client_id)


if not event.contains(Consent.revoked_at, "set", _on_revoked):
    event.listen(Consent.revoked_at, "set", _on_revoked)


# --- the sweep -----------------------------------------------------------------------------


@periodic_task(crontab(minute="*/10"), name="capture.sweep_recordings")
def sweep_recordings() -> dict[str, int]:
    """Every ten minutes: finish abandoned recordings, restart lost jobs, apply retention."""
    return sweep_now(current_runtime())


def sweep_now(rt: Runtime, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweep's work at ``now``; one bad recording never stops the rest."""
    from hearth.documentation.capture.service import finish_live

    now = now or utcnow()
    store = store_for(rt)
    settings = rt.settings
    counts = {"finished": 0, "requeued": 0, "deleted": 0, "reminded": 0, "orphans": 0}
    with rt.db.transaction() as db:
        gone = work.abandoned(db, now, dt.timedelta(minutes=settings.recording_abandon_minutes))
        lost = work.lost_jobs(db, now)
        kept = work.with_audio(db)

    def finish(db: Session, rid: str) -> None:
        rec = db.get(Recording, rid, with_for_update=True)
        if rec is not None and rec.live:
            finish_live(db, rec, now=now, reason="abandoned")
            counts["finished"] += 1

    run_each(gone, finish, label="finishing an abandoned recording")

    def requeue(db: Session, rid: str) -> None:
        queue_transcription(db, rid)
        counts["requeued"] += 1

    run_each(lost, requeue, label="queueing a lost transcription again")

    policy = RetentionPolicy.from_settings(settings)
    deletions: list[tuple[str, str]] = []

    def retain(db: Session, rid: str) -> None:
        outcome = work.retention_step(db, store, rid, policy, now, settings.base_url)
        if outcome.startswith("deleted:"):
            deletions.append((rid, outcome.removeprefix("deleted:")))
        elif outcome in ("remind", "final_warning"):
            counts["reminded"] += 1

    run_each(kept, retain, label="applying audio retention")
    for rid, reason in deletions:
        audit_deletion(rt, rid, reason)
    counts["deleted"] = len(deletions)
    counts["orphans"] = sweep_orphans(rt, store, now)
    return counts


ORPHAN_AGE = dt.timedelta(hours=1)  # younger folders may belong to an upload not yet committed


def sweep_orphans(rt: Runtime, store: AudioStore, now: dt.datetime | None = None) -> int:
    """Delete audio folders whose recording row is gone or whose audio was deleted."""
    removed = 0
    cutoff = (now or utcnow()) - ORPHAN_AGE
    for rid in store.recording_ids():
        try:
            with rt.db.transaction() as db:
                rec = db.get(Recording, rid)
                orphan = rec is None or rec.audio_deleted_at is not None
            if rec is None and store.modified_at(rid) > cutoff:
                continue
            if orphan and store.delete(rid):
                removed += 1
                if rec is None:
                    audit_deletion(rt, rid, "orphaned")
        except Exception:
            log.exception("removing the audio folder of recording %s failed", rid)
    return removed
