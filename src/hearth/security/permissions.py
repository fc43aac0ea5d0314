"""Who sees what (ARCHITECTURE.md): every permission rule of Hearth, in one place.

Pure: no database. Repositories ask these functions which rows and fields a
principal may see; routes ask `require(principal, permission)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hearth.errors import Forbidden

STAFF_ROLES = ("owner", "clinician", "supervisor", "biller", "front_desk", "admin")


class Perm(StrEnum):
    """Actions a route or service may need."""

    CLIENT_LIST = "client.list"
    CLIENT_CREATE = "client.create"
    CLIENT_EDIT_CONTACT = "client.edit_contact"
    CLINICAL_READ = "clinical.read"
    DIAGNOSIS_READ = "diagnosis.read"
    DIAGNOSIS_WRITE = "diagnosis.write"
    CONSENT_READ = "consent.read"
    CONSENT_WRITE = "consent.write"
    GUARDIAN_WRITE = "guardian.write"
    CARE_TEAM_MANAGE = "care_team.manage"
    CASELOAD_TRANSFER = "caseload.transfer"
    SCHEDULE_READ = "schedule.read"
    SCHEDULE_WRITE = "schedule.write"
    BILLING_READ = "billing.read"
    BILLING_WRITE = "billing.write"
    SETTINGS_MANAGE = "settings.manage"
    USERS_MANAGE = "users.manage"
    AUDIT_READ_ALL = "audit.read_all"
    AUDIT_READ_OWN = "audit.read_own"
    OUTBOX_READ = "outbox.read"


_ROLE_PERMS: dict[str, frozenset[Perm]] = {
    "owner": frozenset(
        {
            Perm.CLIENT_LIST,
            Perm.CLIENT_CREATE,
            Perm.CLIENT_EDIT_CONTACT,
            Perm.CLINICAL_READ,
            Perm.DIAGNOSIS_READ,
            Perm.CONSENT_READ,
            Perm.CONSENT_WRITE,
            Perm.GUARDIAN_WRITE,
            Perm.CARE_TEAM_MANAGE,
            Perm.CASELOAD_TRANSFER,
            Perm.SCHEDULE_READ,
            Perm.SCHEDULE_WRITE,
            Perm.BILLING_READ,
            Perm.BILLING_WRITE,
            Perm.SETTINGS_MANAGE,
            Perm.USERS_MANAGE,
            Perm.AUDIT_READ_ALL,
            Perm.AUDIT_READ_OWN,
            Perm.OUTBOX_READ,
        }
    ),
    "clinician": frozenset(
        {
            Perm.CLIENT_LIST,
            Perm.CLIENT_CREATE,
            Perm.CLIENT_EDIT_CONTACT,
            Perm.CLINICAL_READ,
            Perm.DIAGNOSIS_READ,
            Perm.DIAGNOSIS_WRITE,
            Perm.CONSENT_READ,
            Perm.CONSENT_WRITE,
            Perm.GUARDIAN_WRITE,
            Perm.SCHEDULE_READ,
            Perm.SCHEDULE_WRITE,
            Perm.BILLING_READ,
            Perm.AUDIT_READ_OWN,
        }
    ),
    "supervisor": frozenset(
        {
            Perm.CLIENT_LIST,
            Perm.CLINICAL_READ,
            Perm.DIAGNOSIS_READ,
            Perm.CONSENT_READ,
            Perm.SCHEDULE_READ,
            Perm.BILLING_READ,
            Perm.AUDIT_READ_OWN,
        }
    ),
    "biller": frozenset(
        {
            Perm.CLIENT_LIST,
            Perm.DIAGNOSIS_READ,
            Perm.SCHEDULE_READ,
            Perm.BILLING_READ,
            Perm.BILLING_WRITE,
            Perm.AUDIT_READ_OWN,
        }
    ),
    "front_desk": frozenset(
        {
            Perm.CLIENT_LIST,
            Perm.CLIENT_CREATE,
            Perm.CLIENT_EDIT_CONTACT,
            Perm.CONSENT_READ,
            Perm.CONSENT_WRITE,
            Perm.GUARDIAN_WRITE,
            Perm.SCHEDULE_READ,
            Perm.SCHEDULE_WRITE,
            Perm.AUDIT_READ_OWN,
            Perm.OUTBOX_READ,
        }
    ),
    "admin": frozenset(
        {Perm.SETTINGS_MANAGE, Perm.USERS_MANAGE, Perm.AUDIT_READ_OWN, Perm.OUTBOX_READ}
    ),
}

# Client fields each role may see (identity/contact table of ARCHITECTURE.md).
ALL_CLIENT_FIELDS = frozenset(
    {
        "id",
        "legal_first_name",
        "legal_last_name",
        "preferred_name",
        "pronouns",
        "date_of_birth",
        "email",
        "phone",
        "address",
        "emergency_contact",
        "sex_on_payer_file",
        "gender_identity",
        "status",
    }
)
_CLIENT_FIELDS: dict[str, frozenset[str]] = {
    "owner": ALL_CLIENT_FIELDS,
    "clinician": ALL_CLIENT_FIELDS,
    "supervisor": ALL_CLIENT_FIELDS,
    "front_desk": ALL_CLIENT_FIELDS,
    "biller": frozenset(
        {
            "id",
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "address",
            "sex_on_payer_file",
            "status",
        }
    ),
    "admin": frozenset(),
}


class Scope(StrEnum):
    """Which clients' rows a principal may read."""

    ALL = "all"
    CARE_TEAM = "care_team"  # own care team (plus supervisees' clients for supervisors)
    NONE = "none"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a staff user (with roles) or a portal client/guardian."""

    kind: str  # user | client | guardian
    id: str
    roles: frozenset[str] = frozenset()
    clinician_id: str | None = None
    supervisee_ids: frozenset[str] = field(default_factory=frozenset)
    name: str = ""
    purpose: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind == "user"


class PermissionDenied(Forbidden):
    """The principal's roles do not grant this permission (403)."""

    code = "permission_denied"

    def __init__(self, perm: str, message: str | None = None) -> None:
        super().__init__(message or f"your role does not allow this ({perm})")
        self.perm = perm


def permissions(principal: Principal) -> frozenset[Perm]:
    """Every permission the principal's roles grant."""
    if not principal.is_staff:
        return frozenset()
    out: set[Perm] = set()
    for role in principal.roles:
        out |= _ROLE_PERMS.get(role, frozenset())
    return frozenset(out)


def has(principal: Principal, perm: Perm) -> bool:
    """True when any of the principal's roles grants perm."""
    return perm in permissions(principal)


def require(principal: Principal, perm: Perm) -> None:
    """Raise PermissionDenied unless the principal holds perm."""
    if not has(principal, perm):
        raise PermissionDenied(perm)


def client_scope(principal: Principal) -> Scope:
    """Which clients' identity rows the principal may read."""
    roles = principal.roles if principal.is_staff else frozenset()
    if roles & {"owner", "front_desk", "biller"}:
        return Scope.ALL
    if roles & {"clinician", "supervisor"}:
        return Scope.CARE_TEAM
    return Scope.NONE


def clinical_scope(principal: Principal) -> Scope:
    """Which clients' clinical records (notes, transcripts, plans, diagnoses) may be read.

    The owner sees their own care team; others' clinical records only by break-glass.
    """
    roles = principal.roles if principal.is_staff else frozenset()
    if roles & {"owner", "clinician", "supervisor"}:
        return Scope.CARE_TEAM
    return Scope.NONE


def visible_client_fields(principal: Principal) -> frozenset[str]:
    """The union of client fields the principal's roles may see."""
    roles = principal.roles if principal.is_staff else frozenset()
    out: set[str] = set()
    for role in roles:
        out |= _CLIENT_FIELDS.get(role, frozenset())
    return frozenset(out)


def can_see_diagnoses(principal: Principal, in_clinical_scope: bool) -> bool:
    """Diagnoses: care team clinically; owner and billers for claims; never front desk or admin."""
    roles = principal.roles if principal.is_staff else frozenset()
    return in_clinical_scope or bool(roles & {"biller", "owner"})


def can_read_audit(principal: Principal) -> Scope:
    """Owner reads the whole audit log; everyone else only their own actions."""
    if has(principal, Perm.AUDIT_READ_ALL):
        return Scope.ALL
    if has(principal, Perm.AUDIT_READ_OWN):
        return Scope.CARE_TEAM  # meaning: own rows only
    return Scope.NONE
