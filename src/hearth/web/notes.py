"""The note editor beside its transcript: autosave with versions, accept, confirm and remove
controls, signing with the password again, co-signature and addenda.

The editor autosaves with htmx as the clinician types; a stale version or a signed note
answers 409 with a message the page shows, and the text stays on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.documentation import service as docs
from hearth.documentation.api import note_cues
from hearth.documentation.facts import COMPLEXITY_FACTORS
from hearth.documentation.models import Note, Transcript
from hearth.documentation.service import SignOptions
from hearth.errors import Conflict, Forbidden, Invalid
from hearth.practice.profile import practice_time_zone
from hearth.security.permissions import Principal
from hearth.security.users import clinician_names, staff_names
from hearth.web.deps import CurrentUser, Db, Rt, audit
from hearth.web.documentation import PostedForm, clinical_client, see_other
from hearth.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


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


def marked_text(text: str, words: Iterable[Mapping[str, Any]]) -> Markup:
    """The utterance text with the words speech recognition was unsure of marked for review
    (in order: each flagged word is looked for after the previous one)."""
    out, pos = [], 0
    for w in words:
        if not w.get("review"):
            continue
        bare = re.sub(r"^\W+|\W+$", "", str(w.get("word", "")))
        if not bare:
            continue
        m = re.compile(r"(?<!\w)" + re.escape(bare) + r"(?!\w)", re.IGNORECASE).search(text, pos)
        if m is None:
            continue
        out.append(escape(text[pos : m.start()]))
        out.append(
            Markup('<mark class="review" title="Low confidence: check against the recording">')
            + escape(m.group(0))
            + Markup("</mark>")
        )
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _note_context(db: Session, principal: Principal, note: Note) -> dict[str, Any]:
    client = clinical_client(db, principal, note.client_id)
    session_row = docs.get_session(db, principal, note.session_id)
    transcript: Transcript | None = (
        docs.get_transcript(db, principal, note.transcript_id) if note.transcript_id else None
    )
    utterances = docs.transcript_value(transcript).utterances if transcript else ()
    review = {
        u["id"]: marked_text(u["text"], u["words"])
        for u in (transcript.utterances if transcript else [])
        if any(w.get("review") for w in u.get("words") or ())
    }
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
        "review_text": review,
        "review_words": sum(str(t).count('<mark class="review"') for t in review.values()),
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
        return see_other(f"/notes/{note.id}")
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


def _note_action(
    request: Request,
    db: Session,
    principal: Principal,
    note_id: str,
    *,
    action: str,
    work: Callable[[], object],
    refused: str,
    error_key: str,
    anchor: str = "",
    **keep: Any,
) -> Response:
    """Sign, co-sign or add to a note; audited either way, the note page again on refusal
    (with what the user typed in ``keep``)."""
    try:
        work()
    except (Conflict, Invalid, Forbidden) as e:
        db.rollback()
        audit(request, action, record_type="note", record_ids=[note_id], outcome=refused)
        return _note_page(
            request, db, principal, note_id, status_code=e.status, **{error_key: e.message}, **keep
        )
    audit(request, action, record_type="note", record_ids=[note_id])
    return see_other(f"/notes/{note_id}{anchor}")


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
    options = SignOptions(
        late_entry_hours=rt.settings.late_entry_hours,
        confirmed_factors=frozenset(f for f in factors or [] if f),
    )
    return _note_action(
        request,
        db,
        principal,
        note_id,
        action="note.sign",
        work=lambda: docs.sign_note(db, principal, note_id, password=password, options=options),
        refused="denied",
        error_key="sign_error",
    )


@router.post("/notes/{note_id}/cosign", response_class=HTMLResponse)
def note_cosign(
    request: Request,
    db: Db,
    principal: CurrentUser,
    note_id: str,
    password: Annotated[str, Form()] = "",
) -> Response:
    """The supervisor's co-signature (password again)."""
    return _note_action(
        request,
        db,
        principal,
        note_id,
        action="note.cosign",
        work=lambda: docs.cosign_note(db, principal, note_id, password=password),
        refused="denied",
        error_key="cosign_error",
    )


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
    return _note_action(
        request,
        db,
        principal,
        note_id,
        action="note.addendum",
        work=lambda: docs.add_addendum(
            db, principal, note_id, body=body, late_entry_hours=rt.settings.late_entry_hours
        ),
        refused="error",
        error_key="addendum_error",
        anchor="#addenda",
        addendum_text=body,
    )
