"""JSON API of session documentation: sessions, transcripts, drafts, review, signing, exports.

Every route calls ``documentation.service`` (never the tables) and audits what it read or
changed. Notes and transcripts are care-team records: out of scope is 404, a role without
clinical access is 403. Editing a signed note is 409 with code ``note_signed``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from hearth.documentation import export, service
from hearth.documentation.drafting.templates import template_by_key
from hearth.documentation.models import ClinicalSession, Note, NoteAddendum, PlanItem, Transcript
from hearth.documentation.schemas import (
    AddendumCreate,
    AddendumOut,
    CosignRequest,
    DraftRequest,
    NoteOut,
    NoteSummary,
    NoteUpdate,
    PlanCreate,
    PlanItemOut,
    PlanOut,
    RolesConfirm,
    SessionCreate,
    SessionOut,
    SignRequest,
    TranscriptImport,
    TranscriptOut,
    TranscriptSummary,
    UtteranceOut,
)
from hearth.documentation.service import SignOptions
from hearth.documentation.signals.engine import complexity_cues
from hearth.documentation.tasks import queue_draft
from hearth.security.permissions import Principal
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.errors import API_ERRORS

router = APIRouter(prefix="/api/v1", tags=["documentation"], responses=API_ERRORS)

# --- helpers --------------------------------------------------------------------------------


def session_note_ids(db: Session, principal: Principal, row: ClinicalSession) -> list[str]:
    """Ids of the session's notes (for every client of the session)."""
    ids: list[str] = []
    for cid in service.session_client_ids(db, row.id):
        notes = service.notes_for_client(db, principal, cid)
        ids += [n.id for n in notes if n.session_id == row.id]
    return ids


def _session_out(db: Session, principal: Principal, row: ClinicalSession) -> SessionOut:
    latest = service.latest_transcript(db, row.id)
    return SessionOut(
        id=row.id,
        appointment_id=row.appointment_id,
        clinician_id=row.clinician_id,
        client_ids=service.session_client_ids(db, row.id),
        session_kind=row.session_kind,
        modality=row.modality,
        client_location=row.client_location,
        started_at=row.started_at,
        ended_at=row.ended_at,
        time_source=row.time_source,
        created_at=row.created_at,
        transcript=TranscriptSummary.model_validate(latest) if latest else None,
        note_ids=session_note_ids(db, principal, row),
    )


def _transcript_out(row: Transcript) -> TranscriptOut:
    value = service.transcript_value(row)
    return TranscriptOut(
        id=row.id,
        session_id=row.session_id,
        source=row.source,
        source_format=row.source_format,
        filename=row.filename,
        roles_confirmed=row.roles_confirmed,
        speaker_roles=dict(row.speaker_roles),
        speaker_clients=dict(row.speaker_clients),
        utterances=[
            UtteranceOut(
                id=u.id, speaker=u.speaker, role=u.role, start=u.start, end=u.end, text=u.text
            )
            for u in value.utterances
        ],
        created_at=row.created_at,
    )


def note_cues(db: Session, principal: Principal, note: Note) -> dict[str, list[str]]:
    """Interactive-complexity cues of the note's transcript (drafts only; frozen once signed)."""
    if note.status != "draft" or note.transcript_id is None:
        return {}
    return complexity_cues(
        service.transcript_value(service.get_transcript(db, principal, note.transcript_id))
    )


def _note_out(db: Session, principal: Principal, note: Note) -> NoteOut:
    return NoteOut(
        id=note.id,
        session_id=note.session_id,
        client_id=note.client_id,
        transcript_id=note.transcript_id,
        author_id=note.author_id,
        template=note.template,
        status=note.status,
        version=note.version,
        content=note.content,
        risk=note.risk,
        unresolved=service.unresolved(note.content) if note.status == "draft" else [],
        complexity_cues=note_cues(db, principal, note),
        facts=note.facts,
        created_at=note.created_at,
        updated_at=note.updated_at,
        signed_by_id=note.signed_by_id,
        signed_at=note.signed_at,
        content_hash=note.content_hash,
        late_entry=note.late_entry,
        cosign_required=note.cosign_required,
        cosigned_by_id=note.cosigned_by_id,
        cosigned_at=note.cosigned_at,
    )


def goal_note_ids(db: Session, principal: Principal, client_id: str) -> dict[str, list[str]]:
    """Goal id → ids of the client's notes whose statements cite that goal."""
    touched: dict[str, list[str]] = {}
    for note in service.notes_for_client(db, principal, client_id):
        goals = {
            e.removeprefix("goal:")
            for s in (note.content or {}).get("sections", [])
            for st in s.get("statements", [])
            for e in st.get("evidence", [])
            if isinstance(e, str) and e.startswith("goal:")
        }
        for gid in goals:
            touched.setdefault(gid, []).append(note.id)
    return touched


def _plan_items(
    items: list[PlanItem], touched: dict[str, list[str]], plan_id: str | None = None
) -> list[PlanItemOut]:
    return [
        PlanItemOut(
            id=i.id,
            plan_id=i.plan_id,
            parent_id=i.parent_id,
            kind=i.kind,
            text=i.text,
            target_date=i.target_date,
            status=i.status,
            note_ids=touched.get(i.id, []),
        )
        for i in items
        if plan_id is None or i.plan_id == plan_id
    ]


# --- sessions and transcripts ---------------------------------------------------------------


@router.post("/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
def create_session(request: Request, db: Db, principal: CurrentUser, body: SessionCreate) -> Any:
    """Open a documentation session for clients on the clinician's care team."""
    row = service.create_session(
        db,
        principal,
        client_ids=body.client_ids,
        session_kind=body.session_kind,
        modality=body.modality,
        client_location=body.client_location,
        started_at=body.started_at,
        ended_at=body.ended_at,
        appointment_id=body.appointment_id,
    )
    audit(request, "session.create", record_type="session", record_ids=[row.id])
    return _session_out(db, principal, row)


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(request: Request, db: Db, principal: CurrentUser, session_id: str) -> Any:
    """A session with its latest transcript and its notes (care team only)."""
    row = service.get_session(db, principal, session_id)
    audit(request, "session.read", record_type="session", record_ids=[row.id])
    return _session_out(db, principal, row)


@router.post(
    "/sessions/{session_id}/transcripts",
    response_model=TranscriptOut,
    status_code=status.HTTP_201_CREATED,
)
def import_transcript(
    request: Request, db: Db, principal: CurrentUser, session_id: str, body: TranscriptImport
) -> Any:
    """Import a transcript; a malformed file is a 422 naming the line, and nothing is stored."""
    row = service.import_transcript(
        db,
        principal,
        session_id,
        text=body.text,
        filename=body.filename,
        fmt=body.format,
        clinician_label=body.clinician_label,
        mapping=body.mapping,
    )
    audit(request, "transcript.import", record_type="transcript", record_ids=[row.id])
    return _transcript_out(row)


@router.post("/transcripts/{transcript_id}/roles", response_model=TranscriptOut)
def confirm_roles(
    request: Request, db: Db, principal: CurrentUser, transcript_id: str, body: RolesConfirm
) -> Any:
    """Confirm who each speaker is (the mapping step before drafting)."""
    row = service.confirm_roles(db, principal, transcript_id, body.roles, body.speaker_clients)
    audit(request, "transcript.roles", record_type="transcript", record_ids=[row.id])
    return _transcript_out(row)


@router.get("/transcripts/{transcript_id}", response_model=TranscriptOut)
def get_transcript(request: Request, db: Db, principal: CurrentUser, transcript_id: str) -> Any:
    """A transcript with its utterances (care team only; every read is audited)."""
    row = service.get_transcript(db, principal, transcript_id)
    audit(request, "transcript.read", record_type="transcript", record_ids=[row.id])
    return _transcript_out(row)


# --- drafting and review --------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/drafts",
    response_model=list[NoteOut],
    status_code=status.HTTP_201_CREATED,
    responses={202: {"description": "Queued: the draft is made in the background"}},
)
def draft(
    request: Request,
    response: Response,
    db: Db,
    rt: Rt,
    principal: CurrentUser,
    session_id: str,
    body: DraftRequest,
) -> Any:
    """Draft one note per client (per member in a group); needs ai_processing consent."""
    folder = rt.settings.effective_templates_dir
    template_by_key(body.template, folder)  # an unknown template is refused before queueing
    if body.queue:
        row = service.get_session(db, principal, session_id)
        queue_draft(db, row.id, body.template)
        audit(request, "note.draft_queued", record_type="session", record_ids=[row.id])
        response.status_code = status.HTTP_202_ACCEPTED
        return []
    notes = service.draft_for_session(
        db,
        principal,
        session_id,
        template=body.template,
        density=body.density,
        quotes=body.quotes,
        templates_dir=folder,
    )
    audit(request, "note.draft", record_type="note", record_ids=[n.id for n in notes])
    return [_note_out(db, principal, n) for n in notes]


@router.get("/notes/{note_id}", response_model=NoteOut)
def get_note(request: Request, db: Db, principal: CurrentUser, note_id: str) -> Any:
    """A note with its statements, evidence and verification (care team only)."""
    note = service.get_note(db, principal, note_id)
    audit(request, "note.read", record_type="note", record_ids=[note.id])
    return _note_out(db, principal, note)


@router.put("/notes/{note_id}", response_model=NoteOut)
def autosave(
    request: Request, db: Db, principal: CurrentUser, note_id: str, body: NoteUpdate
) -> Any:
    """Save edits with the version they were based on (409 stale_version or note_signed)."""
    note = service.autosave(db, principal, note_id, content=body.content, version=body.version)
    audit(request, "note.update", record_type="note", record_ids=[note.id])
    return _note_out(db, principal, note)


@router.post("/notes/{note_id}/sign", response_model=NoteOut)
def sign(
    request: Request, rt: Rt, db: Db, principal: CurrentUser, note_id: str, body: SignRequest
) -> Any:
    """Sign a draft: password again, flagged statements resolved; the note is then locked."""
    note = service.sign_note(
        db,
        principal,
        note_id,
        password=body.password,
        options=SignOptions(
            late_entry_hours=rt.settings.late_entry_hours,
            confirmed_factors=frozenset(body.complexity_factors),
        ),
    )
    audit(request, "note.sign", record_type="note", record_ids=[note.id])
    return _note_out(db, principal, note)


@router.post("/notes/{note_id}/cosign", response_model=NoteOut)
def cosign(
    request: Request, db: Db, principal: CurrentUser, note_id: str, body: CosignRequest
) -> Any:
    """The supervisor co-signs a supervised clinician's signed note."""
    note = service.cosign_note(db, principal, note_id, password=body.password)
    audit(request, "note.cosign", record_type="note", record_ids=[note.id])
    return _note_out(db, principal, note)


@router.get("/notes/{note_id}/addenda", response_model=list[AddendumOut])
def list_addenda(
    request: Request, db: Db, principal: CurrentUser, note_id: str
) -> list[NoteAddendum]:
    """The note's addenda, oldest first."""
    items = service.addenda(db, principal, note_id)
    audit(request, "note.read", record_type="note", record_ids=[note_id])
    return items


@router.post(
    "/notes/{note_id}/addenda", response_model=AddendumOut, status_code=status.HTTP_201_CREATED
)
def add_addendum(
    request: Request, rt: Rt, db: Db, principal: CurrentUser, note_id: str, body: AddendumCreate
) -> NoteAddendum:
    """Add a dated addendum to a signed note (marked a late entry when well after the session)."""
    row = service.add_addendum(
        db, principal, note_id, body=body.body, late_entry_hours=rt.settings.late_entry_hours
    )
    audit(request, "note.addendum", record_type="note", record_ids=[note_id])
    return row


_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The signed note as PDF"}
}
_TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {}}, "description": "The signed note as plain text"}
}


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/notes/{note_id}/export.pdf", response_class=Response, responses=_PDF)
def export_pdf(request: Request, db: Db, principal: CurrentUser, note_id: str) -> Response:
    """A signed note with its addenda as PDF (drafts are refused with 409)."""
    doc = export.signed_note_export(db, principal, note_id)
    audit(request, "note.export", record_type="note", record_ids=[note_id], detail="pdf")
    return _download(export.render_pdf(doc), "application/pdf", f"{doc.filename_stem}.pdf")


@router.get("/notes/{note_id}/export.txt", response_class=Response, responses=_TEXT)
def export_text(request: Request, db: Db, principal: CurrentUser, note_id: str) -> Response:
    """A signed note with its addenda as plain text (drafts are refused with 409)."""
    doc = export.signed_note_export(db, principal, note_id)
    audit(request, "note.export", record_type="note", record_ids=[note_id], detail="text")
    return _download(
        export.render_text(doc).encode(), "text/plain; charset=utf-8", f"{doc.filename_stem}.txt"
    )


# --- by client ------------------------------------------------------------------------------


@router.get("/clients/{client_id}/notes", response_model=list[NoteSummary])
def client_notes(request: Request, db: Db, principal: CurrentUser, client_id: str) -> list[Note]:
    """The client's notes, newest first (care team only)."""
    notes = service.notes_for_client(db, principal, client_id)
    audit(request, "note.list", record_type="client", record_ids=[client_id])
    return notes


@router.post(
    "/clients/{client_id}/plans", response_model=PlanOut, status_code=status.HTTP_201_CREATED
)
def create_plan(
    request: Request, db: Db, principal: CurrentUser, client_id: str, body: PlanCreate
) -> PlanOut:
    """Write a treatment plan: problems, goals, measurable objectives, interventions."""
    plan = service.create_plan(
        db,
        principal,
        client_id,
        [i.model_dump(exclude_none=True) for i in body.items],
        review_date=body.review_date,
    )
    audit(request, "plan.create", record_type="client", record_ids=[client_id])
    items = service.plan_items(db, principal, client_id)
    return PlanOut(client_id=client_id, items=_plan_items(items, {}, plan.id))


@router.get("/clients/{client_id}/plan", response_model=PlanOut)
def get_plan(request: Request, db: Db, principal: CurrentUser, client_id: str) -> PlanOut:
    """The client's active treatment-plan items, with the notes that touched each goal."""
    items = service.plan_items(db, principal, client_id)
    touched = goal_note_ids(db, principal, client_id)
    audit(request, "plan.read", record_type="client", record_ids=[client_id])
    return PlanOut(client_id=client_id, items=_plan_items(items, touched))
