"""Session documentation pages: sessions, transcript import, speaker mapping, the note editor
beside its transcript, signing, addenda, private notes and treatment plans.

Every page calls ``documentation.service`` (never the tables) and audits the notes and
transcripts it shows. The note editor autosaves with htmx; a stale version or a signed note
answers 409 with a message the page shows, and the text stays on the page.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hearth.db import utcnow
from hearth.documentation import service as docs
from hearth.documentation.api import goal_note_ids, note_cues, session_note_ids
from hearth.documentation.drafting.templates import builtin_templates
from hearth.documentation.facts import COMPLEXITY_FACTORS
from hearth.documentation.models import Note, Transcript
from hearth.documentation.service import SignOptions
from hearth.errors import Conflict, ConsentRequired, Forbidden, Invalid
from hearth.practice.agenda import AgendaRepository
from hearth.practice.models import CLIENT_LOCATIONS, MODALITIES, SESSION_KINDS, Client
from hearth.practice.profile import practice_time_zone
from hearth.practice.repository import ClientRepository
from hearth.security.permissions import Principal
from hearth.security.users import clinician_names, staff_names
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

TEMPLATES = ("soap", "dap", "birp", "girp", "intake", "discharge")
DENSITIES = ("brief", "standard", "detailed")
QUOTES = ("none", "some", "many")
PLAN_KINDS = ("problem", "goal", "objective", "intervention")
MAX_UPLOAD_BYTES = 5_000_000
PLAN_ROWS = 8


async def _form(request: Request) -> FormData:
    """The posted form as sent (field order kept), for forms with per-statement fields."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_form)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _client(db: Session, principal: Principal, client_id: str) -> Client:
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
    client = _client(db, principal, client_id)
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
        _client(db, principal, client_id)
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
    return _redirect(f"/sessions/{row.id}")


# --- the session page: import, mapping, drafting ---------------------------------------------


def _session_context(db: Session, principal: Principal, session_id: str) -> dict[str, Any]:
    row = docs.get_session(db, principal, session_id)
    transcript = docs.latest_transcript(db, row.id)
    client_ids = docs.session_client_ids(db, row.id)
    clients = _clients(db, principal, client_ids)
    speakers: list[dict[str, Any]] = []
    if transcript is not None:
        value = docs.transcript_value(transcript)
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
        "roles": [*roles, "other"],
        "notes": notes,
        "templates": [(k, builtin_templates()[k].title) for k in TEMPLATES],
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
    return _redirect(f"/sessions/{session_id}#{'draft' if row.roles_confirmed else 'speakers'}")


@router.post("/transcripts/{transcript_id}/roles", response_class=HTMLResponse)
def transcript_roles(
    request: Request, db: Db, principal: CurrentUser, transcript_id: str, form: PostedForm
) -> Response:
    """The mapping step: each speaker → clinician, client, client_a…, other, and which client."""
    row = docs.get_transcript(db, principal, transcript_id)
    session_id = row.session_id
    roles: dict[str, str] = {}
    links: dict[str, str] = {}
    i = 0
    while f"speaker_{i}" in form:
        label = str(form[f"speaker_{i}"])
        roles[label] = str(form.get(f"role_{i}", "unknown"))
        if form.get(f"client_{i}"):
            links[label] = str(form[f"client_{i}"])
        i += 1
    try:
        docs.confirm_roles(db, principal, transcript_id, roles, links)
    except Invalid as e:
        db.rollback()
        audit(
            request,
            "transcript.roles",
            record_type="transcript",
            record_ids=[transcript_id],
            outcome="error",
        )
        return _session_page(
            request, db, principal, session_id, status_code=422, roles_error=e.message
        )
    audit(request, "transcript.roles", record_type="transcript", record_ids=[transcript_id])
    return _redirect(f"/sessions/{session_id}#draft")


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
        if template not in TEMPLATES:
            raise Invalid(f"template must be one of {', '.join(TEMPLATES)}", where="template")
        notes = docs.draft_for_session(
            db, principal, session_id, template=template, density=density, quotes=quotes
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
    return _redirect(f"/notes/{notes[0].id}")


# --- the note editor ------------------------------------------------------------------------


def content_from_form(
    items: Iterable[tuple[str, Any]], previous: Mapping[str, Any]
) -> tuple[dict[str, Any], str]:
    """The editor's fields as note content (every section kept) and the button pressed, if any.

    Fields: ``statement`` = "section|id" in order, ``text:<id>``, ``accepted:<id>``,
    ``confirmed:<id>`` (kept only while the text is unchanged) and ``op`` = "accept:<id>",
    "confirm:<id>", "remove:<id>" or "accept_all".
    """
    order: list[tuple[str, str]] = []
    texts: dict[str, str] = {}
    accepted: set[str] = set()
    confirmed: set[str] = set()
    op = ""
    for key, value in items:
        value = value if isinstance(value, str) else ""
        if key == "statement":
            section, _, sid = value.partition("|")
            order.append((section, sid))
        elif key.startswith("text:"):
            texts[key[5:]] = value
        elif key.startswith("accepted:"):
            accepted.add(key[9:])
        elif key.startswith("confirmed:"):
            confirmed.add(key[10:])
        elif key == "op":
            op = value
    before = {st["id"]: st for s in previous.get("sections", []) for st in s.get("statements", [])}
    sections: dict[str, list[dict[str, Any]]] = {s["key"]: [] for s in previous.get("sections", [])}
    for section, sid in order:
        if section not in sections:
            raise Invalid(f"{section!r} is not a section of this note", where="statement")
        text = texts.get(sid, "").strip()
        old = before.get(sid)
        unchanged = old is not None and str(old.get("text", "")).strip() == text
        sections[section].append(
            {
                "id": sid,
                "text": text,
                "accepted": sid in accepted,
                "confirmed": sid in confirmed and unchanged,
            }
        )
    verb, _, target = op.partition(":")
    for statements in sections.values():
        for st in list(statements):
            if verb == "accept_all" and before.get(st["id"], {}).get("source") == "engine":
                st["accepted"] = True
            if st["id"] != target:
                continue
            if verb == "accept":
                st["accepted"] = True
            elif verb == "confirm":
                st["confirmed"] = True
            elif verb == "remove":
                statements.remove(st)
    return {"sections": [{"key": k, "statements": v} for k, v in sections.items()]}, op


def _evidence_labels(db: Session, principal: Principal, note: Note) -> dict[str, str]:
    """Readable labels for record evidence (goal:ID → the goal's text, profile fields)."""
    labels = {
        "profile:preferred_name": "the client's preferred name",
        "profile:pronouns": "the client's pronouns",
    }
    for item in docs.plan_items(db, principal, note.client_id):
        labels[f"goal:{item.id}"] = f"treatment-plan {item.kind}: {item.text}"
    return labels


def _note_context(db: Session, principal: Principal, note: Note) -> dict[str, Any]:
    client = _client(db, principal, note.client_id)
    session_row = docs.get_session(db, principal, note.session_id)
    transcript: Transcript | None = (
        docs.get_transcript(db, principal, note.transcript_id) if note.transcript_id else None
    )
    utterances = docs.transcript_value(transcript).utterances if transcript else ()
    names = staff_names(db)
    cues = note_cues(db, principal, note)
    signals = list((note.risk or {}).get("signals", []))
    return {
        "note": note,
        "content": note.content,
        "client": client,
        "session_row": session_row,
        "transcript": transcript,
        "utterances": utterances,
        "signals": signals,
        "alerts": [s for s in signals if s.get("alert")],
        "risk_assessed": bool((note.risk or {}).get("assessed")),
        "unresolved": docs.unresolved(note.content) if note.status == "draft" else [],
        "can_edit": note.status == "draft" and note.author_id == principal.clinician_id,
        "can_cosign": (
            note.status == "signed"
            and note.cosign_required
            and note.author_id in principal.supervisee_ids
        ),
        "can_addend": note.status != "draft" and principal.clinician_id is not None,
        "addenda": docs.addenda(db, principal, note.id) if note.status != "draft" else [],
        "names": names,
        "author_name": clinician_names(db).get(note.author_id, ""),
        "cues": [(f, cues[f]) for f in COMPLEXITY_FACTORS if f in cues],
        "evidence_labels": _evidence_labels(db, principal, note),
        "by_id": {st["id"]: st for s in note.content["sections"] for st in s["statements"]},
        # One empty "add a statement" box per section; its id is fixed for this version, so
        # text kept in the tab (after a lost sign-in) finds its box again on reload.
        "new_ids": {
            s["key"]: f"n{note.version}x{i}" for i, s in enumerate(note.content["sections"])
        },
        "tz": practice_time_zone(db),
        "saved_at": None,
    }


def _audit_note_read(request: Request, note: Note) -> None:
    audit(request, "note.read", record_type="note", record_ids=[note.id])
    if note.transcript_id:
        audit(request, "transcript.read", record_type="transcript", record_ids=[note.transcript_id])


def _note_page(
    request: Request,
    db: Session,
    principal: Principal,
    note_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    note = docs.get_note(db, principal, note_id)
    ctx = _note_context(db, principal, note)
    ctx.update(extra)
    _audit_note_read(request, note)
    return render(request, "documentation/note.html", ctx, status_code=status_code)


@router.get("/notes/{note_id}", response_class=HTMLResponse)
def note_page(request: Request, db: Db, principal: CurrentUser, note_id: str) -> Response:
    """The note beside its transcript: edit and sign a draft, or read a signed note."""
    return _note_page(request, db, principal, note_id)


def _status(request: Request, message: str, kind: str, status_code: int) -> HTMLResponse:
    return render(
        request,
        "documentation/_save_status.html",
        {"message": message, "kind": kind},
        status_code=status_code,
    )


@router.post("/notes/{note_id}/autosave", response_class=HTMLResponse)
def note_autosave(
    request: Request, db: Db, principal: CurrentUser, note_id: str, form: PostedForm
) -> Response:
    """Save the editor (htmx autosave as the clinician types, or the Save button)."""
    note = docs.get_note(db, principal, note_id)
    try:
        try:
            version = int(str(form.get("version", "")))
        except ValueError as e:
            raise Invalid("the note's version is missing; reload the page", where="version") from e
        content, op = content_from_form(form.multi_items(), note.content)
        note = docs.autosave(db, principal, note_id, content=content, version=version)
    except (Conflict, Invalid) as e:
        db.rollback()
        audit(request, "note.update", record_type="note", record_ids=[note_id], outcome="error")
        stale = e.code in ("stale_version", "note_signed")
        message = (
            "Saved elsewhere — this note changed in another window since you opened it. "
            "Reload to see the latest version; your text stays in this tab until then."
            if e.code == "stale_version"
            else e.message
        )
        if is_htmx(request):
            return _status(request, message, "stale" if stale else "error", e.status)
        return _note_page(request, db, principal, note_id, status_code=e.status, save_error=message)
    audit(request, "note.update", record_type="note", record_ids=[note.id])
    if not is_htmx(request):
        return _redirect(f"/notes/{note.id}")
    ctx = _note_context(db, principal, note)
    ctx["saved_at"] = utcnow()
    _audit_note_read(request, note)
    if op:
        return render(
            request,
            "documentation/_editor.html",
            ctx,
            headers={"HX-Retarget": "#note-editor", "HX-Reswap": "outerHTML"},
        )
    posted = [v.partition("|")[2] for v in form.getlist("statement") if isinstance(v, str)]
    ctx["posted_ids"] = posted
    return render(request, "documentation/_saved.html", ctx)


@router.post("/notes/{note_id}/sign", response_class=HTMLResponse)
def note_sign(
    request: Request,
    rt: Rt,
    db: Db,
    principal: CurrentUser,
    note_id: str,
    password: Annotated[str, Form()] = "",
    factors: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Sign a draft with the password again, confirming the complexity factors chosen."""
    try:
        note = docs.sign_note(
            db,
            principal,
            note_id,
            password=password,
            options=SignOptions(
                late_entry_hours=rt.settings.late_entry_hours,
                confirmed_factors=frozenset(f for f in factors or [] if f),
            ),
        )
    except (Conflict, Invalid, Forbidden) as e:
        db.rollback()
        audit(request, "note.sign", record_type="note", record_ids=[note_id], outcome="denied")
        return _note_page(
            request, db, principal, note_id, status_code=e.status, sign_error=e.message
        )
    audit(request, "note.sign", record_type="note", record_ids=[note.id])
    return _redirect(f"/notes/{note.id}")


@router.post("/notes/{note_id}/cosign", response_class=HTMLResponse)
def note_cosign(
    request: Request,
    db: Db,
    principal: CurrentUser,
    note_id: str,
    password: Annotated[str, Form()] = "",
) -> Response:
    """The supervisor's co-signature (password again)."""
    try:
        note = docs.cosign_note(db, principal, note_id, password=password)
    except (Conflict, Forbidden) as e:
        db.rollback()
        audit(request, "note.cosign", record_type="note", record_ids=[note_id], outcome="denied")
        return _note_page(
            request, db, principal, note_id, status_code=e.status, cosign_error=e.message
        )
    audit(request, "note.cosign", record_type="note", record_ids=[note.id])
    return _redirect(f"/notes/{note.id}")


@router.post("/notes/{note_id}/addenda", response_class=HTMLResponse)
def note_addendum(
    request: Request,
    rt: Rt,
    db: Db,
    principal: CurrentUser,
    note_id: str,
    body: Annotated[str, Form()] = "",
) -> Response:
    """Add an addendum to a signed note."""
    try:
        docs.add_addendum(
            db, principal, note_id, body=body, late_entry_hours=rt.settings.late_entry_hours
        )
    except (Conflict, Invalid, Forbidden) as e:
        db.rollback()
        audit(request, "note.addendum", record_type="note", record_ids=[note_id], outcome="error")
        return _note_page(
            request,
            db,
            principal,
            note_id,
            status_code=e.status,
            addendum_error=e.message,
            addendum_text=body,
        )
    audit(request, "note.addendum", record_type="note", record_ids=[note_id])
    return _redirect(f"/notes/{note_id}#addenda")


# --- private psychotherapy notes ------------------------------------------------------------


def _private_page(
    request: Request,
    db: Session,
    principal: Principal,
    client_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    client = _client(db, principal, client_id)
    rows = docs.private_notes(db, principal, client_id)
    audit(request, "private_note.read", record_type="private_note", record_ids=[r.id for r in rows])
    ctx = {
        "client": client,
        "rows": rows,
        "tz": practice_time_zone(db),
        "can_write": principal.clinician_id is not None,
        **extra,
    }
    return render(request, "documentation/private_notes.html", ctx, status_code=status_code)


@router.get("/clients/{client_id}/private-notes", response_class=HTMLResponse)
def private_notes_page(
    request: Request, db: Db, principal: CurrentUser, client_id: str
) -> Response:
    """The signed-in clinician's own private psychotherapy notes about the client."""
    return _private_page(request, db, principal, client_id)


@router.post("/clients/{client_id}/private-notes", response_class=HTMLResponse)
def private_note_add(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    body: Annotated[str, Form()] = "",
) -> Response:
    """Write a private psychotherapy note (author only, never processed or exported)."""
    try:
        row = docs.write_private_note(db, principal, client_id, body)
    except (Invalid, Forbidden) as e:
        db.rollback()
        return _private_page(
            request, db, principal, client_id, status_code=e.status, error=e.message, text=body
        )
    audit(request, "private_note.create", record_type="private_note", record_ids=[row.id])
    return _redirect(f"/clients/{client_id}/private-notes")


# --- treatment plans ------------------------------------------------------------------------


def plan_items_from_rows(rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Outline rows (kind, text, target date) as plan items with parents.

    A goal belongs to the problem above it; objectives and interventions to the goal above
    them (or the problem when no goal came first). Blank rows are skipped.
    """
    items: list[dict[str, Any]] = []
    last: dict[str, str] = {}
    for n, (kind, text, target) in enumerate(rows, start=1):
        if not text.strip():
            continue
        if kind not in PLAN_KINDS:
            raise Invalid(f"row {n}: choose problem, goal, objective or intervention", where="kind")
        ref = f"r{n}"
        item: dict[str, Any] = {"ref": ref, "kind": kind, "text": text.strip()}
        parent = (
            last.get("problem")
            if kind == "goal"
            else (last.get("goal") or last.get("problem"))
            if kind in ("objective", "intervention")
            else None
        )
        if parent:
            item["parent"] = parent
        if target:
            try:
                item["target_date"] = dt.date.fromisoformat(target)
            except ValueError as e:
                raise Invalid(f"row {n}: the target date is not a date", where="target") from e
        if kind == "problem":
            last = {"problem": ref}
        elif kind == "goal":
            last["goal"] = ref
        items.append(item)
    return items


def _plan_page(
    request: Request,
    db: Session,
    principal: Principal,
    client_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    client = _client(db, principal, client_id)
    items = docs.plan_items(db, principal, client_id)
    touched = goal_note_ids(db, principal, client_id)
    notes = {n.id: n for n in docs.notes_for_client(db, principal, client_id)}
    children: dict[str | None, list[Any]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    audit(request, "plan.read", record_type="client", record_ids=[client_id])
    ctx = {
        "client": client,
        "roots": children.get(None, []),
        "children": children,
        "touched": touched,
        "notes": notes,
        "kinds": PLAN_KINDS,
        "rows": PLAN_ROWS,
        "tz": practice_time_zone(db),
        "can_write": principal.clinician_id is not None,
        **extra,
    }
    return render(request, "documentation/plan.html", ctx, status_code=status_code)


@router.get("/clients/{client_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, db: Db, principal: CurrentUser, client_id: str) -> Response:
    """The treatment plan: problems → goals → objectives → interventions, and notes per goal."""
    return _plan_page(request, db, principal, client_id)


@router.post("/clients/{client_id}/plan", response_class=HTMLResponse)
def plan_create(
    request: Request, db: Db, principal: CurrentUser, client_id: str, form: PostedForm
) -> Response:
    """Write a treatment plan from the outline rows."""
    rows = [
        (
            str(form.get(f"kind_{i}", "")),
            str(form.get(f"text_{i}", "")),
            str(form.get(f"target_{i}", "")),
        )
        for i in range(1, 51)
        if f"kind_{i}" in form
    ]
    review = str(form.get("review_date", ""))
    try:
        items = plan_items_from_rows(rows)
        try:
            review_date = dt.date.fromisoformat(review) if review else None
        except ValueError as e:
            raise Invalid("the review date is not a date", where="review_date") from e
        docs.create_plan(db, principal, client_id, items, review_date=review_date)
    except (Invalid, Forbidden) as e:
        db.rollback()
        return _plan_page(
            request, db, principal, client_id, status_code=e.status, error=e.message, posted=rows
        )
    audit(request, "plan.create", record_type="client", record_ids=[client_id])
    return _redirect(f"/clients/{client_id}/plan")


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
