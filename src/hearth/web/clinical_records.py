"""Private psychotherapy notes (their author only) and treatment plans (problems, goals,
objectives, interventions, and the notes that touched each goal)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from hearth.documentation import service as docs
from hearth.documentation.api import goal_note_ids
from hearth.errors import Forbidden, Invalid
from hearth.practice.profile import practice_time_zone
from hearth.security.permissions import Principal
from hearth.web.deps import CurrentUser, Db, audit
from hearth.web.documentation import PostedForm, clinical_client, see_other
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)

PLAN_KINDS = ("problem", "goal", "objective", "intervention")
PLAN_ROWS = 8


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
    client = clinical_client(db, principal, client_id)
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
    return see_other(f"/clients/{client_id}/private-notes")


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
    client = clinical_client(db, principal, client_id)
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
    return see_other(f"/clients/{client_id}/plan")
