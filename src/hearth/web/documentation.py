"""Session documentation pages: a client's sessions, the session page (transcript import,
speaker mapping, drafting) and the dashboard's documentation panels.

Every page calls ``documentation.service`` (never the tables) and audits the notes and
transcripts it shows. The note editor is in ``web/notes.py``; private notes and treatment
plans in ``web/clinical_records.py``; they share the helpers below.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hearth.db import utcnow
from hearth.documentation import service as docs
from hearth.documentation.api import session_note_ids
from hearth.documentation.drafting.templates import (
    builtin_templates,
    practice_templates,
)
from hearth.documentation.models import Note
from hearth.errors import Conflict, ConsentRequired, Forbidden, Invalid
from hearth.practice.agenda import AgendaRepository
from hearth.practice.models import CLIENT_LOCATIONS, MODALITIES, SESSION_KINDS, Client
from hearth.practice.profile import practice_time_zone
from hearth.practice.repository import ClientRepository
from hearth.security.permissions import Principal
from hearth.security.users import clinician_names
from hearth.web.deps import CurrentUser, Db, audit, get_runtime
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)

TEMPLATES = ("soap", "dap", "birp", "girp", "intake", "discharge")


def _template_choices(request: Request) -> tuple[list[tuple[str, str]], list[str]]:
    """Built-in templates in their usual order, then the practice's own (HEARTH_TEMPLATES_DIR),
    and what is wrong with practice files that cannot be used."""
    folder = get_runtime(request).settings.effective_templates_dir
    own, problems = practice_templates(folder)
    builtin = builtin_templates()
    choices = [(k, (own.get(k) or builtin[k]).title) for k in TEMPLATES]
    choices += [(k, f"{t.title} (this practice)") for k, t in own.items() if k not in builtin]
    return choices, problems


DENSITIES = ("brief", "standard", "detailed")
QUOTES = ("none", "some", "many")
MAX_UPLOAD_BYTES = 5_000_000


async def _form(request: Request) -> FormData:
    """The posted form as sent (field order kept), for forms with per-statement fields."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_form)]


def see_other(url: str) -> RedirectResponse:
    """A 303 redirect after a form post."""
    return RedirectResponse(url, status_code=303)


def clinical_client(db: Session, principal: Principal, client_id: str) -> Client:
    """The client, if the principal may read their clinical records (else 404)."""
    return ClientRepository(db, principal).get_clinical(client_id)


def _clients(db: Session, principal: Principal, client_ids: Iterable[str]) -> list[Client]:
    repo = ClientRepository(db, principal)
    return [repo.get_clinical(cid) for cid in client_ids]


def _local_datetime(day: str, hhmm: str, zone: zoneinfo.ZoneInfo, where: str) -> dt.datetime:
    try:
        return dt.datetime.combine(
            dt.date.fromisoformat(day), dt.time.fromisoformat(hhmm), tzinfo=zone
        )
    except ValueError as e:
        raise Invalid(f"{where.replace('_', ' ')} is not a valid date and time", where=where) from e


# --- a client's sessions and notes ----------------------------------------------------------


def _client_appointments(
    db: Session, principal: Principal, client_id: str, now: dt.datetime
) -> list[Any]:
    """The client's appointments of the last 30 days and today, newest first."""
    items = AgendaRepository(db, principal).between(
        now - dt.timedelta(days=30), now + dt.timedelta(days=1)
    )
    found = [i for i in items if client_id in i.appointment.client_ids]
    return sorted(found, key=lambda i: i.appointment.start, reverse=True)


def _sessions_context(db: Session, principal: Principal, client_id: str) -> dict[str, Any]:
    client = clinical_client(db, principal, client_id)
    sessions = docs.sessions_for_client(db, principal, client_id)
    notes = docs.notes_for_client(db, principal, client_id)
    latest = {s.id: docs.latest_transcript(db, s.id) for s in sessions}
    by_session: dict[str, list[Note]] = {}
    for n in notes:
        by_session.setdefault(n.session_id, []).append(n)
    return {
        "client": client,
        "sessions": sessions,
        "latest": latest,
        "notes": notes,
        "notes_by_session": by_session,
        "appointments": _client_appointments(db, principal, client_id, utcnow()),
        "kinds": SESSION_KINDS,
        "modalities": MODALITIES,
        "locations": CLIENT_LOCATIONS,
        "tz": practice_time_zone(db),
        "can_write": principal.clinician_id is not None,
        "today": utcnow().astimezone(practice_time_zone(db)).date().isoformat(),
    }


@router.get("/clients/{client_id}/sessions", response_class=HTMLResponse)
def client_sessions(
    request: Request, db: Db, principal: CurrentUser, client_id: str
) -> HTMLResponse:
    """The client's sessions and notes, and the "New session" form."""
    ctx = _sessions_context(db, principal, client_id)
    audit(request, "note.list", record_type="client", record_ids=[client_id])
    return render(request, "documentation/client_sessions.html", ctx)


@router.get("/clients/{client_id}/sessions/summary", response_class=HTMLResponse)
def chart_summary(request: Request, db: Db, principal: CurrentUser, client_id: str) -> HTMLResponse:
    """The chart's "Sessions and notes" section (htmx): recent notes for the care team."""
    ClientRepository(db, principal).get(client_id)
    if not ClientRepository(db, principal).in_clinical_scope(client_id):
        return render(
            request, "documentation/_chart_summary.html", {"allowed": False, "client_id": client_id}
        )
    notes = docs.notes_for_client(db, principal, client_id)[:5]
    audit(request, "note.list", record_type="client", record_ids=[client_id])
    return render(
        request,
        "documentation/_chart_summary.html",
        {"allowed": True, "client_id": client_id, "notes": notes, "tz": practice_time_zone(db)},
    )


@router.post("/clients/{client_id}/sessions", response_class=HTMLResponse)
def session_create(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    appointment_id: Annotated[str, Form()] = "",
    session_kind: Annotated[str, Form()] = "individual",
    modality: Annotated[str, Form()] = "in_person",
    client_location: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    """Open a session, from one of the client's appointments or with kind, place and times."""
    try:
        clinical_client(db, principal, client_id)
        zone = practice_time_zone(db)
        if appointment_id:
            offered = _client_appointments(db, principal, client_id, utcnow())
            if appointment_id not in {i.appointment.id for i in offered}:
                raise Invalid("choose one of the client's appointments", where="appointment_id")
            # every client of the appointment takes part (a couples session has two)
            row = docs.create_session(db, principal, client_ids=[], appointment_id=appointment_id)
        else:
            started = _local_datetime(day, start, zone, "start") if day and start else None
            ended = _local_datetime(day, end, zone, "end") if day and end else None
            row = docs.create_session(
                db,
                principal,
                client_ids=[client_id],
                session_kind=session_kind,
                modality=modality,
                client_location=client_location or None,
                started_at=started,
                ended_at=ended,
            )
    except (Invalid, Forbidden) as e:
        db.rollback()
        ctx = _sessions_context(db, principal, client_id)
        ctx["error"] = {"message": e.message, "where": e.where}
        audit(
            request, "session.create", record_type="client", record_ids=[client_id], outcome="error"
        )
        return render(request, "documentation/client_sessions.html", ctx, status_code=e.status)
    audit(request, "session.create", record_type="session", record_ids=[row.id])
    return see_other(f"/sessions/{row.id}")


# --- the session page: import, mapping, drafting ---------------------------------------------


def _session_context(db: Session, principal: Principal, session_id: str) -> dict[str, Any]:
    row = docs.get_session(db, principal, session_id)
    transcript = docs.latest_transcript(db, row.id)
    client_ids = docs.session_client_ids(db, row.id)
    clients = _clients(db, principal, client_ids)
    speakers: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    if transcript is not None:
        value = docs.transcript_value(transcript)
        lines = [
            {"id": u.id, "speaker": u.speaker, "start": u.start, "text": u.text}
            for u in value.utterances
        ]
        for label in value.speakers():
            turns = [u for u in value.utterances if u.speaker == label]
            speakers.append(
                {
                    "label": label,
                    "role": turns[0].role,
                    "client_id": transcript.speaker_clients.get(label, ""),
                    "turns": len(turns),
                    "sample": turns[0].text[:160],
                }
            )
    note_ids = session_note_ids(db, principal, row)
    notes = [docs.get_note(db, principal, nid) for nid in note_ids]
    roles = ["clinician", "client"]
    roles += [f"client_{chr(ord('a') + i)}" for i in range(max(2, len(speakers)))]
    return {
        "row": row,
        "clients": clients,
        "transcript": transcript,
        "speakers": speakers,
        "lines": lines,
        "roles": [*roles, "other"],
        "notes": notes,
        "templates": [],
        "densities": DENSITIES,
        "quotes": QUOTES,
        "tz": practice_time_zone(db),
        "clinician_name": clinician_names(db).get(row.clinician_id, ""),
    }


def _session_page(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ctx = _session_context(db, principal, session_id)
    ctx["templates"], ctx["template_problems"] = _template_choices(request)
    ctx.update(extra)
    audit(request, "session.read", record_type="session", record_ids=[session_id])
    if ctx["transcript"] is not None and ctx["speakers"]:
        audit(
            request,
            "transcript.read",
            record_type="transcript",
            record_ids=[ctx["transcript"].id],
        )
    return render(request, "documentation/session.html", ctx, status_code=status_code)


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(request: Request, db: Db, principal: CurrentUser, session_id: str) -> Response:
    """One session: import a transcript, confirm speakers, draft a note."""
    return _session_page(request, db, principal, session_id)


@dataclass(frozen=True)
class Upload:
    """A transcript file from the import form: its text and name, or why it was unreadable."""

    text: str = ""
    filename: str | None = None
    error: str | None = None


async def _upload(file: Annotated[UploadFile | None, File()] = None) -> Upload:
    """Read the uploaded transcript file (UTF-8, at most 5 MB); no file is an empty Upload."""
    if file is None or not file.filename:
        return Upload()
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    name = file.filename
    if len(raw) > MAX_UPLOAD_BYTES:
        return Upload(filename=name, error=f"{name}: the file is larger than 5 MB")
    try:
        return Upload(raw.decode("utf-8-sig"), name)
    except UnicodeDecodeError as e:
        return Upload(filename=name, error=f"{name}: the file is not UTF-8 text (byte {e.start})")


@router.post("/sessions/{session_id}/transcripts", response_class=HTMLResponse)
def transcript_import(
    request: Request,
    db: Db,
    principal: CurrentUser,
    session_id: str,
    upload: Annotated[Upload, Depends(_upload)],
    text: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form()] = "",
    clinician_label: Annotated[str, Form()] = "",
) -> Response:
    """Import an uploaded or pasted transcript; errors name the file and line, nothing is kept."""
    try:
        if upload.error:
            raise Invalid(upload.error, where="file")
        body = upload.text or text
        if not body.strip():
            raise Invalid("choose a transcript file or paste the transcript", where="text")
        row = docs.import_transcript(
            db,
            principal,
            session_id,
            text=body,
            filename=upload.filename if upload.text else None,
            fmt=fmt if fmt in ("vtt", "srt", "text", "json") else None,
            clinician_label=clinician_label.strip() or None,
        )
    except Invalid as e:
        db.rollback()
        audit(
            request,
            "transcript.import",
            record_type="session",
            record_ids=[session_id],
            outcome="error",
        )
        return _session_page(
            request,
            db,
            principal,
            session_id,
            status_code=422,
            import_error=e.message,
            pasted=text,
        )
    audit(request, "transcript.import", record_type="transcript", record_ids=[row.id])
    return see_other(f"/sessions/{session_id}#{'draft' if row.roles_confirmed else 'speakers'}")


def _transcript_change(
    request: Request,
    db: Session,
    principal: Principal,
    transcript_id: str,
    *,
    action: str,
    change: Callable[[], object],
    error_key: str,
    then: str,
) -> Response:
    """Apply a change to a transcript; audited either way, the session page again on error."""
    session_id = docs.get_transcript(db, principal, transcript_id).session_id
    try:
        change()
    except Invalid as e:
        db.rollback()
        audit(
            request, action, record_type="transcript", record_ids=[transcript_id], outcome="error"
        )
        return _session_page(
            request, db, principal, session_id, status_code=422, **{error_key: e.message}
        )
    audit(request, action, record_type="transcript", record_ids=[transcript_id])
    return see_other(f"/sessions/{session_id}#{then}")


@router.post("/transcripts/{transcript_id}/roles", response_class=HTMLResponse)
def transcript_roles(
    request: Request, db: Db, principal: CurrentUser, transcript_id: str, form: PostedForm
) -> Response:
    """The mapping step: each speaker → clinician, client, client_a…, other, and which client."""
    roles: dict[str, str] = {}
    links: dict[str, str] = {}
    i = 0
    while f"speaker_{i}" in form:
        label = str(form[f"speaker_{i}"])
        roles[label] = str(form.get(f"role_{i}", "unknown"))
        if form.get(f"client_{i}"):
            links[label] = str(form[f"client_{i}"])
        i += 1
    return _transcript_change(
        request,
        db,
        principal,
        transcript_id,
        action="transcript.roles",
        change=lambda: docs.confirm_roles(db, principal, transcript_id, roles, links),
        error_key="roles_error",
        then="draft",
    )


@router.post("/transcripts/{transcript_id}/speakers", response_class=HTMLResponse)
def transcript_speakers(
    request: Request, db: Db, principal: CurrentUser, transcript_id: str, form: PostedForm
) -> Response:
    """Correct who said individual lines (``line_<utterance id>`` → a speaker name)."""
    moves = {k.removeprefix("line_"): str(v) for k, v in form.items() if k.startswith("line_")}
    return _transcript_change(
        request,
        db,
        principal,
        transcript_id,
        action="transcript.speakers",
        change=lambda: docs.reassign_speakers(db, principal, transcript_id, moves),
        error_key="lines_error",
        then="speakers",
    )


def _draft_refused(request: Request, session_id: str) -> None:
    audit(request, "note.draft", record_type="session", record_ids=[session_id], outcome="error")


@router.post("/sessions/{session_id}/drafts", response_class=HTMLResponse)
def draft_note(
    request: Request,
    db: Db,
    principal: CurrentUser,
    session_id: str,
    template: Annotated[str, Form()] = "soap",
    density: Annotated[str, Form()] = "standard",
    quotes: Annotated[str, Form()] = "some",
) -> Response:
    """Draft the note(s); a missing ai_processing consent is explained with a link to consents."""
    try:
        notes = docs.draft_for_session(
            db,
            principal,
            session_id,
            template=template,
            density=density,
            quotes=quotes,
            templates_dir=get_runtime(request).settings.effective_templates_dir,
        )
    except ConsentRequired as e:
        db.rollback()
        _draft_refused(request, session_id)
        return _session_page(
            request,
            db,
            principal,
            session_id,
            status_code=409,
            consent_error={"message": e.message, "client_id": e.record_id},
        )
    except (Conflict, Invalid) as e:
        db.rollback()
        _draft_refused(request, session_id)
        return _session_page(
            request, db, principal, session_id, status_code=e.status, draft_error=e.message
        )
    audit(request, "note.draft", record_type="note", record_ids=[n.id for n in notes])
    return see_other(f"/notes/{notes[0].id}")


# --- the dashboard's documentation panels ---------------------------------------------------


def dashboard_context(db: Session, principal: Principal) -> dict[str, Any]:
    """Notes awaiting the user's review or co-signature, and per-clinician metrics for owners."""
    repo = ClientRepository(db, principal)
    awaiting = []
    for note in docs.notes_awaiting(db, principal):
        if not repo.in_clinical_scope(note.client_id):
            continue
        client = repo.get(note.client_id)
        awaiting.append(
            {
                "note": note,
                "client_name": client.display_name,
                "unresolved": len(docs.unresolved(note.content)) if note.status == "draft" else 0,
                "cosign": note.status != "draft",
                "alerts": sum(1 for x in (note.risk or {}).get("signals", []) if x.get("alert")),
            }
        )
    metrics: list[dict[str, Any]] = []
    if "owner" in principal.roles:
        names = clinician_names(db)
        metrics = [
            {**m, "name": names.get(m["clinician_id"], "Unknown clinician")}
            for m in docs.clinician_metrics(db)
        ]
    return {"awaiting": awaiting, "note_metrics": metrics}


def dashboard_audit(request: Request, ctx: Mapping[str, Any]) -> None:
    """Audit the notes the dashboard lists."""
    if ctx.get("awaiting"):
        audit(
            request,
            "note.list",
            record_type="note",
            record_ids=[a["note"].id for a in ctx["awaiting"]],
        )
