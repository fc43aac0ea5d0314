"""Queued work of documentation: draft a session's note in the background.

The job takes ids, reloads its rows and acts as the session's clinician, so the ordinary
scoping and consent checks apply. It is safe to run twice: one JobRecord per transcript and
template (``draft:<transcript id>:<template>``) is written in the same transaction as the
notes, so a second run — or a race between two workers — drafts nothing more.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.documentation import service
from hearth.documentation.drafting.templates import available_templates
from hearth.documentation.models import ClinicalSession, Note
from hearth.errors import HearthError
from hearth.jobs import (
    already_done,
    current_runtime,
    enqueue_after_commit,
    job_transaction,
    mark_done,
    task,
)
from hearth.practice.models import Clinician
from hearth.security.models import User
from hearth.security.service import staff_principal

log = logging.getLogger(__name__)

TASK_NAME = "documentation.draft_session"


def draft_key(transcript_id: str, template: str) -> str:
    """The JobRecord id that marks one transcript drafted with one template."""
    return f"draft:{transcript_id}:{template}"


@task(retries=2, retry_delay=30)
def draft_session(session_id: str, template: str = "soap") -> str:
    """Draft the session's note(s) from its latest transcript; returns what happened."""
    try:
        folder = current_runtime().settings.effective_templates_dir
        with job_transaction() as db:
            return draft_session_now(db, session_id, template, templates_dir=folder)
    except HearthError as e:  # consent missing, roles unconfirmed: rolled back, no retry
        log.info("draft of session %s not made: %s (%s)", session_id, e.code, e.message)
        return e.code


def draft_session_now(
    db: Session, session_id: str, template: str = "soap", *, templates_dir: Path | None = None
) -> str:
    """The job's work in the caller's transaction: "drafted", "done", or why nothing was.

    Raises the service's HearthError (ConsentRequired, roles unconfirmed, …) unchanged.
    """
    if template not in available_templates(templates_dir):  # a key, never a path to a file
        return "unknown_template"
    session_row = db.get(ClinicalSession, session_id)
    if session_row is None:
        return "missing"
    transcript = service.latest_transcript(db, session_id)
    if transcript is None:
        return "no_transcript"
    key = draft_key(transcript.id, template)
    if already_done(db, key):
        return "done"
    existing = db.scalars(
        select(Note.id).where(Note.transcript_id == transcript.id, Note.template == template)
    ).first()
    if existing is not None:  # drafted by hand already: remember it and stop
        mark_done(db, key, TASK_NAME, existing)
        return "done"
    clinician = db.get(Clinician, session_row.clinician_id)
    user = db.get(User, clinician.user_id) if clinician else None
    if user is None or not user.active:
        return "no_clinician"
    # Marked first: a second run racing this one fails on the key and rolls back whole.
    # A refusal (HearthError) propagates, so the caller's rollback drops the mark too.
    mark_done(db, key, TASK_NAME)
    notes = service.draft_for_session(
        db, staff_principal(db, user), session_id, template=template, templates_dir=templates_dir
    )
    log.info("drafted %d note(s) for session %s", len(notes), session_id)
    return "drafted"


def queue_draft(db: Session, session_id: str, template: str = "soap") -> None:
    """Queue ``draft_session`` once the request's transaction commits."""
    enqueue_after_commit(db, draft_session, session_id, template)
