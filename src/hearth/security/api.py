"""JSON API of the security core: who am I, staff users, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from hearth.security.audit_query import AuditFilter, search_audit
from hearth.security.permissions import permissions
from hearth.security.users import (
    ClinicianDetails,
    StaffMember,
    create_staff_user,
    list_staff,
)
from hearth.web.deps import CurrentPrincipal, CurrentUser, Db, audit, csrf_token_for
from hearth.web.errors import API_ERRORS

router = APIRouter(prefix="/api/v1", responses=API_ERRORS)


class Me(BaseModel):
    """The signed-in principal, its permissions, and the CSRF token for unsafe requests."""

    kind: str
    id: str
    name: str
    roles: list[str]
    clinician_id: str | None
    permissions: list[str]
    csrf_token: str


class ClinicianIn(BaseModel):
    """A clinician profile for a new user (clinicians and supervisors)."""

    model_config = ConfigDict(extra="forbid")

    credentials: str | None = None
    licence_number: str | None = None
    licence_states: list[str] = []
    npi: str | None = Field(default=None, description="10 digits with a valid check digit")
    taxonomy_code: str | None = None
    supervisor_id: str | None = Field(default=None, description="The supervisor's clinician id")


class UserCreate(BaseModel):
    """A new staff user."""

    model_config = ConfigDict(extra="forbid")

    email: str
    name: str = Field(min_length=1)
    password: str
    roles: list[str] = Field(min_length=1, examples=[["clinician"]])
    clinician: ClinicianIn | None = None


class UserOut(BaseModel):
    """A staff user (never their password hash or MFA secret)."""

    id: str
    email: str
    name: str
    roles: list[str]
    active: bool
    clinician_id: str | None
    created_at: dt.datetime


class AuditEventOut(BaseModel):
    """One audit row."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor_kind: str
    actor_id: str | None
    action: str
    outcome: str
    method: str | None
    path: str | None
    status: int | None
    record_type: str | None
    record_ids: list[str]
    ip: str | None
    detail: str | None


class AuditPageOut(BaseModel):
    """One page of audit rows, newest first."""

    items: list[AuditEventOut]
    total: int
    page: int
    page_size: int
    pages: int


def _user_out(member: StaffMember) -> UserOut:
    u = member.user
    return UserOut(
        id=u.id,
        email=u.email,
        name=u.name,
        roles=sorted(u.role_set),
        active=u.active,
        clinician_id=member.clinician.id if member.clinician else None,
        created_at=u.created_at,
    )


@router.get("/me", response_model=Me, tags=["account"])
def me(request: Request, principal: CurrentPrincipal) -> Me:
    """Who is signed in, what they may do, and the token to send as X-CSRF-Token."""
    return Me(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        roles=sorted(principal.roles),
        clinician_id=principal.clinician_id,
        permissions=sorted(p.value for p in permissions(principal)),
        csrf_token=csrf_token_for(request),
    )


@router.get("/users", response_model=list[UserOut], tags=["users"])
def users(request: Request, db: Db, principal: CurrentUser) -> list[UserOut]:
    """Every staff user (owner and admin)."""
    staff = list_staff(db, principal)
    audit(request, "user.list", record_type="user", record_ids=[m.user.id for m in staff])
    return [_user_out(m) for m in staff]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(request: Request, db: Db, principal: CurrentUser, body: UserCreate) -> UserOut:
    """Create a staff user; roles are any of owner, clinician, supervisor, biller, front_desk,
    admin (only an owner may grant owner)."""
    details = ClinicianDetails(**body.clinician.model_dump()) if body.clinician else None
    member = create_staff_user(
        db,
        principal,
        email=body.email,
        name=body.name,
        password=body.password,
        roles=body.roles,
        clinician=details,
    )
    audit(request, "user.create", record_type="user", record_ids=[member.user.id])
    return _user_out(member)


@router.get("/audit", response_model=AuditPageOut, tags=["audit"])
def audit_log(
    request: Request,
    db: Db,
    principal: CurrentUser,
    actor_id: str | None = None,
    action: Annotated[
        str | None, Query(description="Exact, or a prefix ending in '.' or '*'")
    ] = None,
    outcome: Annotated[str | None, Query(pattern="^(ok|denied|error)$")] = None,
    record_id: str | None = None,
    since: Annotated[dt.datetime | None, Query(description="Inclusive, ISO 8601")] = None,
    until: Annotated[dt.datetime | None, Query(description="Exclusive, ISO 8601")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPageOut:
    """Audit rows, newest first: every row for the owner, one's own rows for other staff."""
    f = AuditFilter(
        actor_id=actor_id,
        action=action,
        outcome=outcome,
        record_id=record_id,
        since=_aware(since),
        until=_aware(until),
    )
    result = search_audit(db, principal, f, page=page, page_size=page_size)
    audit(request, "audit.list")
    return AuditPageOut(
        items=[AuditEventOut.model_validate(e) for e in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        pages=result.pages,
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
