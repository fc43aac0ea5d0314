"""Settings pages: practice details, users, roles ("who sees what"), caseload transfer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from hearth.errors import Invalid
from hearth.practice import service as practice_service
from hearth.practice.profile import (
    ADDRESS_KEYS,
    POLICY_KEYS,
    get_practice,
    time_zones,
    update_practice,
)
from hearth.security.permissions import (
    STAFF_ROLES,
    Perm,
    Principal,
    has,
    permissions,
    require,
)
from hearth.security.users import (
    ClinicianDetails,
    clinician_directory,
    create_staff_user,
    list_staff,
    set_staff_active,
)
from hearth.web.deps import CurrentUser, Db, audit
from hearth.web.templating import render

router = APIRouter(include_in_schema=False)

ROLE_SUMMARIES = {
    "owner": "Runs the practice: every client's identity, schedule and billing; clinical "
    "records of their own care team; settings, users and the whole audit log.",
    "clinician": "Sees and documents the clients on their care team.",
    "supervisor": "A clinician who also reads the records of their supervisees' clients.",
    "biller": "Claims, payments and the billing subset of each client (name, birth date, "
    "address, insurance); never clinical notes, and no diagnoses-entry.",
    "front_desk": "Scheduling, contact details, consents and eligibility; no diagnoses or "
    "clinical records.",
    "admin": "Installs and configures Hearth: settings and users only; sees no client data.",
}
WHO_SEES_WHAT = [
    (
        "Client identity and contact",
        ["all", "care team", "supervisees' clients", "billing subset", "all", "none"],
    ),
    (
        "Appointments, schedule, eligibility flags",
        ["all", "care team", "supervisees' clients", "all", "all", "none"],
    ),
    (
        "Transcripts, notes, signals, measures, journals, plans",
        [
            "own care team; others by break-glass",
            "care team",
            "supervisees' clients",
            "none",
            "none",
            "none",
        ],
    ),
    (
        "Session facts, codes, claims, ledger",
        ["all", "care team (read)", "supervisees' clients (read)", "all", "balances only", "none"],
    ),
    (
        "Audit log, settings, users",
        ["all", "own actions", "own actions", "own actions", "own actions", "settings and users"],
    ),
]


def _sections(principal: Principal) -> list[tuple[str, str, str]]:
    out = []
    if has(principal, Perm.SETTINGS_MANAGE):
        out.append(("Practice", "/settings/practice", "Name, NPI, tax id, address, policies"))
    if has(principal, Perm.USERS_MANAGE):
        out.append(("Users", "/settings/users", "Staff accounts and their roles"))
    out.append(("Roles", "/settings/roles", "Who sees what"))
    if has(principal, Perm.CASELOAD_TRANSFER):
        out.append(("Caseload transfer", "/settings/caseload", "Move a clinician's clients"))
    return out


def _render(
    request: Request, principal: Principal, name: str, ctx: dict[str, Any], status: int = 200
) -> HTMLResponse:
    ctx = {"sections": _sections(principal), **ctx}
    return render(request, name, ctx, status_code=status)


@router.get("/settings", response_class=HTMLResponse)
def settings_index(request: Request, principal: CurrentUser) -> HTMLResponse:
    """The settings sections this user may open."""
    return _render(request, principal, "settings/index.html", {})


# --- practice --------------------------------------------------------------------


class PracticeForm(BaseModel):
    """The practice details form."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    npi: str = ""
    tax_id: str = ""
    phone: str = ""
    time_zone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    address_city: str = ""
    address_state: str = ""
    address_postal_code: str = ""
    policy_cancellation: str = ""
    policy_payment: str = ""
    policy_after_hours: str = ""

    def service_data(self, existing_policies: dict[str, str]) -> dict[str, Any]:
        """The form as profile.update_practice fields (other policies are kept)."""
        policies = dict(existing_policies)
        for key in POLICY_KEYS:
            policies[key] = getattr(self, f"policy_{key}")
        return {
            "name": self.name,
            "npi": self.npi,
            "tax_id": self.tax_id,
            "phone": self.phone,
            "time_zone": self.time_zone,
            "address": {k: getattr(self, f"address_{k}") for k in ADDRESS_KEYS},
            "policies": policies,
        }


def _practice_ctx(db: Session) -> dict[str, Any]:
    practice = get_practice(db)
    policies = dict(practice.policies or {}) if practice else {}
    return {
        "practice": practice,
        "address": (practice.address or {}) if practice else {},
        "policies": policies,
        "policy_keys": POLICY_KEYS,
        "other_policies": {k: v for k, v in policies.items() if k not in POLICY_KEYS},
        "time_zones": sorted(time_zones()),
    }


@router.get("/settings/practice", response_class=HTMLResponse)
def practice_form(request: Request, db: Db, principal: CurrentUser) -> HTMLResponse:
    """The practice details form (owner and admin)."""
    require(principal, Perm.SETTINGS_MANAGE)
    return _render(request, principal, "settings/practice.html", _practice_ctx(db))


@router.post("/settings/practice", response_class=HTMLResponse)
def practice_save(
    request: Request, db: Db, principal: CurrentUser, form: Annotated[PracticeForm, Form()]
) -> Response:
    """Save the practice details."""
    require(principal, Perm.SETTINGS_MANAGE)
    existing = get_practice(db)
    try:
        saved = update_practice(
            db, principal, form.service_data(dict(existing.policies or {}) if existing else {})
        )
    except Invalid as e:
        db.rollback()
        ctx = _practice_ctx(db) | {"error": e.message, "where": e.where, "form": form}
        return _render(request, principal, "settings/practice.html", ctx, 422)
    audit(request, "practice.update", record_type="practice", record_ids=[saved.id])
    return RedirectResponse("/settings/practice?saved=1", status_code=303)


# --- users -----------------------------------------------------------------------


class NewUserForm(BaseModel):
    """The "new user" form."""

    model_config = ConfigDict(extra="ignore")

    email: str = ""
    name: str = ""
    password: str = ""
    roles: list[str] = []
    credentials: str = ""
    licence_number: str = ""
    licence_states: str = ""
    npi: str = ""
    supervisor_id: str = ""


def _users_ctx(db: Session, principal: Principal) -> dict[str, Any]:
    staff = list_staff(db, principal)
    return {
        "staff": staff,
        "roles": STAFF_ROLES,
        "assignable_roles": [r for r in STAFF_ROLES if r != "owner" or "owner" in principal.roles],
        "supervisors": [m for m in staff if m.clinician is not None and m.user.active],
        "names": {m.clinician.id: m.user.name for m in staff if m.clinician is not None},
    }


@router.get("/settings/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, principal: CurrentUser) -> HTMLResponse:
    """Staff users with their roles; create, disable and enable (owner and admin)."""
    ctx = _users_ctx(db, principal)
    audit(request, "user.list", record_type="user", record_ids=[m.user.id for m in ctx["staff"]])
    return _render(request, principal, "settings/users.html", ctx)


@router.post("/settings/users", response_class=HTMLResponse)
def user_create(
    request: Request, db: Db, principal: CurrentUser, form: Annotated[NewUserForm, Form()]
) -> Response:
    """Create a staff user (clinicians and supervisors also get a clinician profile)."""
    details = ClinicianDetails(
        credentials=form.credentials,
        licence_number=form.licence_number,
        licence_states=[s for s in form.licence_states.replace(",", " ").split() if s],
        npi=form.npi,
        supervisor_id=form.supervisor_id or None,
    )
    try:
        member = create_staff_user(
            db,
            principal,
            email=form.email,
            name=form.name,
            password=form.password,
            roles=form.roles,
            clinician=details if set(form.roles) & {"clinician", "supervisor"} else None,
        )
    except Invalid as e:
        db.rollback()
        ctx = _users_ctx(db, principal) | {"error": e.message, "where": e.where, "form": form}
        return _render(request, principal, "settings/users.html", ctx, 422)
    audit(request, "user.create", record_type="user", record_ids=[member.user.id])
    return RedirectResponse("/settings/users?created=1", status_code=303)


@router.post("/settings/users/{user_id}/active", response_class=HTMLResponse)
def user_active(
    request: Request,
    db: Db,
    principal: CurrentUser,
    user_id: str,
    active: Annotated[bool, Form()],
) -> Response:
    """Disable (ending their sessions) or enable a user."""
    set_staff_active(db, principal, user_id, active)
    audit(
        request,
        "user.enable" if active else "user.disable",
        record_type="user",
        record_ids=[user_id],
    )
    return RedirectResponse("/settings/users", status_code=303)


# --- roles -----------------------------------------------------------------------


@router.get("/settings/roles", response_class=HTMLResponse)
def roles_page(request: Request, principal: CurrentUser) -> HTMLResponse:
    """Who sees what: the roles and the permissions each one grants."""
    matrix = {
        role: permissions(Principal(kind="user", id="", roles=frozenset({role})))
        for role in STAFF_ROLES
    }
    ctx = {
        "roles": STAFF_ROLES,
        "summaries": ROLE_SUMMARIES,
        "who_sees_what": WHO_SEES_WHAT,
        "perms_all": list(Perm),
        "matrix": matrix,
    }
    return _render(request, principal, "settings/roles.html", ctx)


# --- caseload transfer ---------------------------------------------------------------


def _caseload_ctx(db: Session) -> dict[str, Any]:
    return {"clinicians": clinician_directory(db)}


@router.get("/settings/caseload", response_class=HTMLResponse)
def caseload_form(request: Request, db: Db, principal: CurrentUser) -> HTMLResponse:
    """Move every client of one clinician to another (owner)."""
    require(principal, Perm.CASELOAD_TRANSFER)
    return _render(request, principal, "settings/caseload.html", _caseload_ctx(db))


@router.post("/settings/caseload", response_class=HTMLResponse)
def caseload_transfer(
    request: Request,
    db: Db,
    principal: CurrentUser,
    from_clinician_id: Annotated[str, Form()] = "",
    to_clinician_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Transfer the caseload; one audit row lists every client moved."""
    require(principal, Perm.CASELOAD_TRANSFER)
    try:
        if not from_clinician_id or not to_clinician_id:
            raise Invalid("choose both clinicians", where="from" if not from_clinician_id else "to")
        moved = practice_service.transfer_caseload(
            db, principal, from_clinician_id, to_clinician_id, reason
        )
    except Invalid as e:
        db.rollback()
        ctx = _caseload_ctx(db) | {"error": e.message, "where": e.where}
        return _render(request, principal, "settings/caseload.html", ctx, 422)
    audit(
        request,
        "caseload.transfer",
        record_type="client",
        record_ids=moved,
        detail=f"from clinician {from_clinician_id} to clinician {to_clinician_id}",
    )
    ctx = _caseload_ctx(db) | {"moved": moved}
    return _render(request, principal, "settings/caseload.html", ctx)
