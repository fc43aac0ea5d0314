"""Staff administration for owners and admins: list, create (with a clinician profile), disable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.errors import Conflict, Forbidden, Invalid, NotFound
from hearth.practice.models import Clinician
from hearth.practice.profile import valid_npi
from hearth.security.models import User
from hearth.security.permissions import Perm, Principal, require
from hearth.security.service import create_user, set_user_active

CLINICAL_ROLES = frozenset({"clinician", "supervisor"})


@dataclass(frozen=True)
class ClinicianDetails:
    """What a clinician's profile needs beyond the user account (all optional)."""

    credentials: str | None = None
    licence_number: str | None = None
    licence_states: list[str] = field(default_factory=list)
    npi: str | None = None
    taxonomy_code: str | None = None
    supervisor_id: str | None = None


@dataclass(frozen=True)
class StaffMember:
    """A user with their clinician profile, if they have one."""

    user: User
    clinician: Clinician | None


def list_staff(session: Session, principal: Principal) -> list[StaffMember]:
    """Every staff user, by name, with their clinician profile."""
    require(principal, Perm.USERS_MANAGE)
    clinicians = {c.user_id: c for c in session.scalars(select(Clinician))}
    users = session.scalars(select(User).order_by(User.name, User.email))
    return [StaffMember(u, clinicians.get(u.id)) for u in users]


def staff_names(session: Session) -> dict[str, str]:
    """Staff names by user id (for showing who did what in the audit log)."""
    return {uid: name for uid, name in session.execute(select(User.id, User.name))}


def clinician_names(session: Session) -> dict[str, str]:
    """Every clinician's name by clinician id (past staff included, for care-team history)."""
    rows = session.execute(select(Clinician.id, User.name).join(User, Clinician.user_id == User.id))
    return {cid: name for cid, name in rows}


def clinician_directory(session: Session) -> list[StaffMember]:
    """Active clinicians with their names (for care-team and caseload choices; no client data)."""
    rows = session.execute(
        select(Clinician, User).join(User, Clinician.user_id == User.id).order_by(User.name)
    )
    return [StaffMember(user, clin) for clin, user in rows if user.active]


def _guard_owner_role(principal: Principal, roles: Iterable[str]) -> None:
    if "owner" in roles and "owner" not in principal.roles:
        raise Forbidden("Only an owner can give or change the owner role.", where="roles")


def create_staff_user(
    session: Session,
    principal: Principal,
    *,
    email: str,
    name: str,
    password: str,
    roles: Iterable[str],
    clinician: ClinicianDetails | None = None,
) -> StaffMember:
    """Create a staff user; clinicians and supervisors also get a clinician profile."""
    require(principal, Perm.USERS_MANAGE)
    role_set = {r.strip() for r in roles if r.strip()}
    _guard_owner_role(principal, role_set)
    if not name.strip():
        raise Invalid("a name is required", where="name")
    user = create_user(session, email=email, name=name, password=password, roles=role_set)
    profile = None
    if role_set & CLINICAL_ROLES or clinician is not None:
        profile = _create_clinician(session, user, clinician or ClinicianDetails())
    return StaffMember(user, profile)


def _create_clinician(session: Session, user: User, details: ClinicianDetails) -> Clinician:
    npi = (details.npi or "").strip() or None
    if npi is not None and not valid_npi(npi):
        raise Invalid("NPI must be 10 digits with a valid check digit", where="npi")
    states = [s.strip().upper() for s in details.licence_states if s.strip()]
    for state in states:
        if len(state) != 2 or not state.isalpha():
            raise Invalid(f"'{state}' is not a two-letter state code", where="licence_states")
    if details.supervisor_id and session.get(Clinician, details.supervisor_id) is None:
        raise Invalid("the chosen supervisor is not a clinician", where="supervisor_id")
    clin = Clinician(
        user_id=user.id,
        credentials=(details.credentials or "").strip() or None,
        licence_number=(details.licence_number or "").strip() or None,
        licence_states=states,
        npi=npi,
        taxonomy_code=(details.taxonomy_code or "").strip() or None,
        supervisor_id=details.supervisor_id or None,
    )
    session.add(clin)
    session.flush()
    return clin


def set_staff_active(
    session: Session, principal: Principal, user_id: str, active: bool
) -> StaffMember:
    """Enable or disable a staff user (never oneself; an owner only by an owner)."""
    require(principal, Perm.USERS_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", record_type="user", record_id=user_id)
    if not active and user.id == principal.id:
        raise Conflict("You cannot disable your own account while signed in with it.")
    _guard_owner_role(principal, user.role_set)
    set_user_active(session, user_id, active)
    clin = session.scalars(select(Clinician).where(Clinician.user_id == user.id)).first()
    return StaffMember(user, clin)
