"""Client pages: the list with live search, the chart, and the chart's forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from hearth.errors import Invalid
from hearth.practice import icd
from hearth.practice import service as practice
from hearth.practice.models import CLIENT_STATUSES, CONSENT_KINDS
from hearth.practice.repository import ClientRepository
from hearth.security.permissions import (
    Perm,
    Principal,
    can_see_diagnoses,
    has,
    require,
    visible_client_fields,
)
from hearth.security.users import clinician_directory, clinician_names
from hearth.web.deps import CurrentUser, Db, audit
from hearth.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

CONSENT_METHODS = ("paper", "portal", "verbal", "electronic")


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NewClientForm(_Form):
    """The "New client" form."""

    legal_first_name: str = ""
    legal_last_name: str = ""
    preferred_name: str = ""
    pronouns: str = ""
    date_of_birth: str = ""
    email: str = ""
    phone: str = ""
    clinician_id: str = ""


class ProfileForm(_Form):
    """The chart's profile form (every editable identity and contact field)."""

    legal_first_name: str = ""
    legal_last_name: str = ""
    preferred_name: str = ""
    pronouns: str = ""
    date_of_birth: str = ""
    email: str = ""
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    address_city: str = ""
    address_state: str = ""
    address_postal_code: str = ""
    emergency_name: str = ""
    emergency_relationship: str = ""
    emergency_phone: str = ""
    sex_on_payer_file: str = ""
    gender_identity: str = ""
    status: str = "active"

    def service_data(self, visible: frozenset[str]) -> dict[str, Any]:
        """The form as practice.service fields, limited to what the user may see."""
        data: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "pronouns",
                "date_of_birth",
                "email",
                "phone",
                "sex_on_payer_file",
                "gender_identity",
                "status",
            )
        }
        address = {
            "line1": self.address_line1,
            "line2": self.address_line2,
            "city": self.address_city,
            "state": self.address_state.upper(),
            "postal_code": self.address_postal_code,
        }
        emergency = {
            "name": self.emergency_name,
            "relationship": self.emergency_relationship,
            "phone": self.emergency_phone,
        }
        data["address"] = {k: v.strip() for k, v in address.items() if v.strip()} or None
        data["emergency_contact"] = {
            k: v.strip() for k, v in emergency.items() if v.strip()
        } or None
        return {k: v for k, v in data.items() if k in visible}


class GuardianForm(_Form):
    """Add a guardian or responsible party."""

    name: str = ""
    relationship_to_client: str = ""
    email: str = ""
    phone: str = ""
    is_responsible_party: bool = False
    is_legal_guardian: bool = False


class ConsentForm(_Form):
    """Record a consent."""

    kind: str = ""
    method: str = "paper"
    text_version: str = ""
    given_by: str = "client"


# --- list ------------------------------------------------------------------------


def _list_context(db: Session, principal: Principal, q: str, status: str | None) -> dict[str, Any]:
    clients = ClientRepository(db, principal).search(q, status=status or None, limit=50)
    visible = visible_client_fields(principal)
    can_create = has(principal, Perm.CLIENT_CREATE)
    return {
        "clients": clients,
        "q": q,
        "status": status or "",
        "statuses": CLIENT_STATUSES,
        "show_contact": "phone" in visible,
        "can_create": can_create,
        "clinicians": clinician_directory(db) if can_create else [],
        "default_clinician": principal.clinician_id if "clinician" in principal.roles else "",
    }


@router.get("/clients", response_class=HTMLResponse)
def client_list(
    request: Request,
    db: Db,
    principal: CurrentUser,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Clients the user may see; the search box narrows the table as you type (htmx)."""
    require(principal, Perm.CLIENT_LIST)
    ctx = _list_context(db, principal, q, status if status in CLIENT_STATUSES else None)
    audit(request, "client.list", record_type="client", record_ids=[c.id for c in ctx["clients"]])
    if is_htmx(request):
        return render(request, "clients/_table.html", ctx)
    return render(request, "clients/list.html", ctx)


@router.post("/clients", response_class=HTMLResponse)
def client_create(
    request: Request, db: Db, principal: CurrentUser, form: Annotated[NewClientForm, Form()]
) -> Response:
    """Register a new client and open their chart."""
    data = form.model_dump(exclude={"clinician_id"})
    try:
        client = practice.create_client(db, principal, data, clinician_id=form.clinician_id or None)
    except Invalid as e:
        db.rollback()
        ctx = _list_context(db, principal, "", None)
        ctx.update(form=form, error=e.message, where=e.where)
        return render(request, "clients/list.html", ctx, status_code=422)
    audit(request, "client.create", record_type="client", record_ids=[client.id])
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


# --- chart -----------------------------------------------------------------------


def chart_context(db: Session, principal: Principal, client_id: str) -> dict[str, Any]:
    """Everything the chart shows, limited to what the principal may see."""
    repo = ClientRepository(db, principal)
    client = repo.get(client_id)
    clinical = repo.in_clinical_scope(client_id)
    visible = visible_client_fields(principal)
    show_dx = has(principal, Perm.DIAGNOSIS_READ) and can_see_diagnoses(principal, clinical)
    directory = clinician_directory(db)
    names = clinician_names(db)
    team = repo.care_team(client_id, include_history=True)
    current_team = {m.clinician_id for m in team if m.ended_at is None}
    return {
        "client": client,
        "view": repo.view(client),
        "visible": visible,
        "can_edit": has(principal, Perm.CLIENT_EDIT_CONTACT),
        "show_diagnoses": show_dx,
        "diagnoses": repo.diagnoses(client_id) if show_dx else [],
        "can_add_diagnosis": (
            has(principal, Perm.DIAGNOSIS_WRITE) and clinical and principal.clinician_id is not None
        ),
        "show_consents": has(principal, Perm.CONSENT_READ),
        "consents": repo.consents(client_id) if has(principal, Perm.CONSENT_READ) else [],
        "can_edit_consents": has(principal, Perm.CONSENT_WRITE),
        "consent_kinds": [k for k in CONSENT_KINDS if k != "recording"],
        "consent_methods": CONSENT_METHODS,
        "guardians": repo.guardians(client_id),
        "show_guardian_contact": "email" in visible,
        "can_add_guardian": has(principal, Perm.GUARDIAN_WRITE),
        "team": team,
        "team_names": names,
        "can_manage_team": has(principal, Perm.CARE_TEAM_MANAGE),
        "team_choices": [
            m for m in directory if m.clinician and m.clinician.id not in current_team
        ],
        "statuses": CLIENT_STATUSES,
    }


@router.get("/clients/{client_id}", response_class=HTMLResponse)
def client_chart(request: Request, db: Db, principal: CurrentUser, client_id: str) -> HTMLResponse:
    """The client's chart: profile, diagnoses, consents, guardians and care team."""
    ctx = chart_context(db, principal, client_id)
    audit(request, "client.view", record_type="client", record_ids=[client_id])
    return render(request, "clients/chart.html", ctx)


def _chart_form(
    request: Request,
    db: Session,
    principal: Principal,
    client_id: str,
    *,
    form_name: str,
    action: str,
    work: Callable[[], object],
    anchor: str,
) -> Response:
    """Run one chart form's service call: redirect back on success, re-show with the error."""
    try:
        work()
    except Invalid as e:
        db.rollback()
        ctx = chart_context(db, principal, client_id)
        ctx["form_error"] = {"form": form_name, "message": e.message, "where": e.where}
        audit(request, action, record_type="client", record_ids=[client_id], outcome="error")
        return render(request, "clients/chart.html", ctx, status_code=422)
    audit(request, action, record_type="client", record_ids=[client_id])
    return RedirectResponse(f"/clients/{client_id}#{anchor}", status_code=303)


@router.post("/clients/{client_id}/profile", response_class=HTMLResponse)
def profile_update(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    form: Annotated[ProfileForm, Form()],
) -> Response:
    """Save the profile form."""
    data = form.service_data(visible_client_fields(principal))
    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="profile",
        action="client.update",
        work=lambda: practice.update_client(db, principal, client_id, data),
        anchor="profile",
    )


@router.post("/clients/{client_id}/diagnoses", response_class=HTMLResponse)
def diagnosis_add(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    code: Annotated[str, Form()] = "",
    primary: Annotated[bool, Form()] = False,
) -> Response:
    """Record an ICD-10-CM diagnosis (care-team clinicians)."""
    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="diagnosis",
        action="diagnosis.add",
        work=lambda: practice.add_diagnosis(db, principal, client_id, code, primary=primary),
        anchor="diagnoses",
    )


@router.post("/clients/{client_id}/diagnoses/{diagnosis_id}/status", response_class=HTMLResponse)
def diagnosis_status(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    diagnosis_id: str,
    status: Annotated[str, Form()] = "",
) -> Response:
    """Mark a diagnosis active, resolved or ruled out."""
    ClientRepository(db, principal).get_clinical(client_id)
    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="diagnosis",
        action="diagnosis.status",
        work=lambda: practice.set_diagnosis_status(db, principal, diagnosis_id, status),
        anchor="diagnoses",
    )


@router.post("/clients/{client_id}/consents", response_class=HTMLResponse)
def consent_grant(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    form: Annotated[ConsentForm, Form()],
) -> Response:
    """Record a consent given by the client or their guardian.

    Recording consent is not taken here: it has its own form with the wording the client
    agrees to and a real decline (``/clients/{id}/recording-consent``)."""
    if form.kind == "recording":
        return RedirectResponse(f"/clients/{client_id}/recording-consent", status_code=303)
    if form.method not in CONSENT_METHODS:
        form.method = "paper"
    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="consent",
        action="consent.grant",
        work=lambda: practice.grant_consent(
            db,
            principal,
            client_id,
            form.kind,
            method=form.method,
            text_version=form.text_version,
            given_by="guardian" if form.given_by == "guardian" else "client",
        ),
        anchor="consents",
    )


@router.post("/clients/{client_id}/consents/{kind}/revoke", response_class=HTMLResponse)
def consent_revoke(
    request: Request, db: Db, principal: CurrentUser, client_id: str, kind: str
) -> Response:
    """Revoke the client's active consent of one kind."""
    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="consent",
        action="consent.revoke",
        work=lambda: practice.revoke_consent(db, principal, client_id, kind),
        anchor="consents",
    )


@router.post("/clients/{client_id}/guardians", response_class=HTMLResponse)
def guardian_add(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    form: Annotated[GuardianForm, Form()],
) -> Response:
    """Add a guardian or responsible party."""
    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="guardian",
        action="guardian.add",
        work=lambda: practice.add_guardian(db, principal, client_id, form.model_dump()),
        anchor="guardians",
    )


@router.post("/clients/{client_id}/care-team", response_class=HTMLResponse)
def care_team_add(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    clinician_id: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "primary",
) -> Response:
    """Add a clinician to the care team (owner)."""

    def work() -> object:
        if not clinician_id:
            raise Invalid("choose a clinician to add", where="clinician_id")
        team_role = role if role in ("primary", "secondary") else "primary"
        return practice.add_to_care_team(db, principal, client_id, clinician_id, team_role)

    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="care_team",
        action="care_team.add",
        work=work,
        anchor="care-team",
    )


@router.post("/clients/{client_id}/care-team/{clinician_id}/remove", response_class=HTMLResponse)
def care_team_remove(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    clinician_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """End a clinician's care-team membership, with a reason (owner)."""

    def work() -> object:
        require(principal, Perm.CARE_TEAM_MANAGE)
        ClientRepository(db, principal).get(client_id)
        if not reason.strip():
            raise Invalid("a reason is required to remove a clinician", where="reason")
        return practice.remove_from_care_team(db, principal, client_id, clinician_id, reason)

    return _chart_form(
        request,
        db,
        principal,
        client_id,
        form_name="care_team",
        action="care_team.remove",
        work=work,
        anchor="care-team",
    )


@router.get("/icd/search", response_class=HTMLResponse)
def icd_lookup(
    request: Request, principal: CurrentUser, code: Annotated[str, Query(max_length=60)] = ""
) -> HTMLResponse:
    """ICD-10-CM suggestions (chapter F) as <option>s for the diagnosis code field."""
    require(principal, Perm.DIAGNOSIS_WRITE)
    results = icd.search(code, limit=20) if len(code.strip()) >= 2 else []
    return render(request, "clients/_icd_options.html", {"results": results})
