"""Use cases on clients and their core records. Services never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.errors import ConsentRequired, Invalid, NotFound
from hearth.messaging.contacts import index_client_contacts, index_guardian_contacts
from hearth.practice import icd
from hearth.practice.models import (
    CLIENT_STATUSES,
    CONSENT_KINDS,
    CareTeamMember,
    Client,
    ClientNameIndex,
    Clinician,
    Consent,
    Diagnosis,
    Guardian,
)
from hearth.practice.repository import ClientRepository
from hearth.security import crypto
from hearth.security.permissions import Perm, Principal, require

CLIENT_EDITABLE = (
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
)
SEX_ON_PAYER_FILE = ("F", "M", "U")


def _clean_client_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in CLIENT_EDITABLE:
            raise Invalid(f"unknown client field '{key}'", where=key)
        out[key] = value.strip() if isinstance(value, str) else value
        if out[key] == "":
            out[key] = None
    for required in ("legal_first_name", "legal_last_name", "date_of_birth"):
        if required in out and not out[required]:
            raise Invalid(f"{required.replace('_', ' ')} is required", where=required)
    if out.get("date_of_birth"):
        try:
            born = dt.date.fromisoformat(str(out["date_of_birth"]))
        except ValueError as e:
            raise Invalid("date of birth must be a date (YYYY-MM-DD)", where="date_of_birth") from e
        if born > dt.date.today() or born.year < 1900:
            raise Invalid("date of birth is not a plausible date", where="date_of_birth")
        out["date_of_birth"] = born.isoformat()
    if out.get("status") and out["status"] not in CLIENT_STATUSES:
        raise Invalid(f"status must be one of {', '.join(CLIENT_STATUSES)}", where="status")
    if out.get("sex_on_payer_file") and out["sex_on_payer_file"] not in SEX_ON_PAYER_FILE:
        raise Invalid("sex on payer file must be F, M or U", where="sex_on_payer_file")
    return out


def reindex_client_name(session: Session, client: Client) -> None:
    """Rewrite the client's blind-index entries from their current names."""
    session.execute(delete(ClientNameIndex).where(ClientNameIndex.client_id == client.id))
    names = " ".join(
        n for n in (client.legal_first_name, client.legal_last_name, client.preferred_name) if n
    )
    for term in sorted(crypto.search_terms(names)):
        session.add(ClientNameIndex(client_id=client.id, term=crypto.blind_index(term)))


def create_client(
    session: Session,
    principal: Principal,
    data: Mapping[str, Any],
    *,
    clinician_id: str | None = None,
) -> Client:
    """Register a client; a clinician creating one joins its care team."""
    require(principal, Perm.CLIENT_CREATE)
    fields = _clean_client_fields(data)
    for required in ("legal_first_name", "legal_last_name", "date_of_birth"):
        if not fields.get(required):
            raise Invalid(f"{required.replace('_', ' ')} is required", where=required)
    client = Client(**fields)
    session.add(client)
    session.flush()
    reindex_client_name(session, client)
    index_client_contacts(session, client)
    team_clinician = clinician_id or (
        principal.clinician_id if "clinician" in principal.roles else None
    )
    if team_clinician:
        _clinician(session, team_clinician)
        session.add(CareTeamMember(client_id=client.id, clinician_id=team_clinician))
    session.flush()
    return client


def update_client(
    session: Session, principal: Principal, client_id: str, data: Mapping[str, Any]
) -> Client:
    """Change a client's identity or contact details."""
    require(principal, Perm.CLIENT_EDIT_CONTACT)
    client = ClientRepository(session, principal).get(client_id)
    fields = _clean_client_fields(data)
    for key, value in fields.items():
        setattr(client, key, value)
    if fields.keys() & {"legal_first_name", "legal_last_name", "preferred_name"}:
        reindex_client_name(session, client)
    if "email" in fields:
        index_client_contacts(session, client)
    session.flush()
    return client


def add_guardian(
    session: Session, principal: Principal, client_id: str, data: Mapping[str, Any]
) -> Guardian:
    """Add a guardian or responsible party to a client."""
    require(principal, Perm.GUARDIAN_WRITE)
    ClientRepository(session, principal).get(client_id)
    name = str(data.get("name") or "").strip()
    relation = str(data.get("relationship_to_client") or "").strip()
    if not name:
        raise Invalid("guardian name is required", where="name")
    if not relation:
        raise Invalid("relationship to the client is required", where="relationship_to_client")
    guardian = Guardian(
        client_id=client_id,
        name=name,
        relationship_to_client=relation,
        email=(data.get("email") or None),
        phone=(data.get("phone") or None),
        is_responsible_party=bool(data.get("is_responsible_party", True)),
        is_legal_guardian=bool(data.get("is_legal_guardian", True)),
    )
    session.add(guardian)
    session.flush()
    index_guardian_contacts(session, guardian)
    return guardian


def add_diagnosis(
    session: Session, principal: Principal, client_id: str, code: str, *, primary: bool = False
) -> Diagnosis:
    """Record an ICD-10-CM diagnosis; only a care-team clinician may enter one."""
    require(principal, Perm.DIAGNOSIS_WRITE)
    repo = ClientRepository(session, principal)
    repo.get_clinical(client_id)
    if principal.clinician_id is None:
        raise Invalid("only a clinician can enter a diagnosis", where="clinician")
    try:
        valid = icd.validate(code)
    except icd.InvalidDiagnosisCode as e:
        raise Invalid(str(e), where="code") from e
    existing = repo.diagnoses(client_id)
    if any(d.code == valid.code and d.status == "active" for d in existing):
        raise Invalid(f"{valid.code} is already an active diagnosis", where="code")
    if primary or not any(d.primary and d.status == "active" for d in existing):
        for d in existing:
            d.primary = False
        primary = True
    dx = Diagnosis(
        client_id=client_id,
        code=valid.code,
        description=valid.description,
        primary=primary,
        entered_by_id=principal.clinician_id,
    )
    session.add(dx)
    session.flush()
    return dx


def set_diagnosis_status(
    session: Session, principal: Principal, diagnosis_id: str, status: str
) -> Diagnosis:
    """Mark a diagnosis active, resolved or ruled out."""
    require(principal, Perm.DIAGNOSIS_WRITE)
    if status not in ("active", "resolved", "ruled_out"):
        raise Invalid("status must be active, resolved or ruled_out", where="status")
    dx = session.get(Diagnosis, diagnosis_id)
    if dx is None:
        raise NotFound("No such diagnosis.", record_type="diagnosis", record_id=diagnosis_id)
    ClientRepository(session, principal).get_clinical(dx.client_id)
    dx.status = status
    if status != "active":
        dx.primary = False
    session.flush()
    return dx


# --- consent -----------------------------------------------------------------


def active_consent(session: Session, client_id: str, kind: str) -> Consent | None:
    """The client's current, unrevoked consent of this kind, if any."""
    return session.scalars(
        select(Consent)
        .where(Consent.client_id == client_id, Consent.kind == kind, Consent.revoked_at.is_(None))
        .order_by(Consent.granted_at.desc())
        .limit(1)
    ).first()


def require_consent(session: Session, client_id: str, kind: str) -> Consent:
    """Raise ConsentRequired unless the client has an active consent of this kind."""
    if kind not in CONSENT_KINDS:
        raise ValueError(f"unknown consent kind {kind!r}")
    consent = active_consent(session, client_id, kind)
    if consent is None:
        raise ConsentRequired(
            f"the client has not given {kind.replace('_', ' ')} consent",
            record_type="client",
            record_id=client_id,
        )
    return consent


def grant_consent(
    session: Session,
    principal: Principal,
    client_id: str,
    kind: str,
    *,
    method: str,
    text_version: str,
    given_by: str = "client",
    at: dt.datetime | None = None,
) -> Consent:
    """Record a consent (a new row; an earlier active one of the same kind stays as history)."""
    if principal.is_staff:
        require(principal, Perm.CONSENT_WRITE)
        ClientRepository(session, principal).get(client_id)
    elif principal.id != client_id and principal.kind != "guardian":
        raise NotFound("No such client.", record_type="client", record_id=client_id)
    if kind not in CONSENT_KINDS:
        raise Invalid(f"consent kind must be one of {', '.join(CONSENT_KINDS)}", where="kind")
    if not text_version.strip():
        raise Invalid("the consent text version is required", where="text_version")
    if active_consent(session, client_id, kind) is not None:
        raise Invalid(f"{kind.replace('_', ' ')} consent is already active", where="kind")
    consent = Consent(
        client_id=client_id,
        kind=kind,
        method=method,
        text_version=text_version.strip(),
        granted_at=at or utcnow(),
        recorded_by_id=principal.id if principal.is_staff else None,
        given_by=given_by,
    )
    session.add(consent)
    session.flush()
    return consent


def revoke_consent(session: Session, principal: Principal, client_id: str, kind: str) -> Consent:
    """Revoke the client's active consent of this kind."""
    if principal.is_staff:
        require(principal, Perm.CONSENT_WRITE)
        ClientRepository(session, principal).get(client_id)
    consent = active_consent(session, client_id, kind)
    if consent is None:
        raise Invalid(f"there is no active {kind.replace('_', ' ')} consent", where="kind")
    consent.revoked_at = utcnow()
    session.flush()
    return consent


# --- care team -----------------------------------------------------------------


def _clinician(session: Session, clinician_id: str) -> Clinician:
    c = session.get(Clinician, clinician_id)
    if c is None:
        raise NotFound("No such clinician.", record_type="clinician", record_id=clinician_id)
    return c


def add_to_care_team(
    session: Session, principal: Principal, client_id: str, clinician_id: str, role: str = "primary"
) -> CareTeamMember:
    """Give a clinician access to a client's records."""
    require(principal, Perm.CARE_TEAM_MANAGE)
    ClientRepository(session, principal).get(client_id)
    _clinician(session, clinician_id)
    current = session.scalars(
        select(CareTeamMember).where(
            CareTeamMember.client_id == client_id,
            CareTeamMember.clinician_id == clinician_id,
            CareTeamMember.ended_at.is_(None),
        )
    ).first()
    if current is not None:
        return current
    member = CareTeamMember(client_id=client_id, clinician_id=clinician_id, role=role)
    session.add(member)
    session.flush()
    return member


def remove_from_care_team(
    session: Session, principal: Principal, client_id: str, clinician_id: str, reason: str
) -> CareTeamMember:
    """End a clinician's care-team membership (kept as history)."""
    require(principal, Perm.CARE_TEAM_MANAGE)
    member = session.scalars(
        select(CareTeamMember).where(
            CareTeamMember.client_id == client_id,
            CareTeamMember.clinician_id == clinician_id,
            CareTeamMember.ended_at.is_(None),
        )
    ).first()
    if member is None:
        raise NotFound("That clinician is not on this client's care team.")
    member.ended_at = utcnow()
    member.reason = reason
    session.flush()
    return member


def transfer_caseload(
    session: Session,
    principal: Principal,
    from_clinician_id: str,
    to_clinician_id: str,
    reason: str,
) -> list[str]:
    """Move every current client of one clinician to another; returns the client ids moved."""
    require(principal, Perm.CASELOAD_TRANSFER)
    if from_clinician_id == to_clinician_id:
        raise Invalid("choose a different clinician to receive the caseload", where="to")
    _clinician(session, from_clinician_id)
    _clinician(session, to_clinician_id)
    if not reason.strip():
        raise Invalid("a reason is required for a caseload transfer", where="reason")
    now = utcnow()
    moved: list[str] = []
    members = session.scalars(
        select(CareTeamMember).where(
            CareTeamMember.clinician_id == from_clinician_id, CareTeamMember.ended_at.is_(None)
        )
    ).all()
    for m in members:
        m.ended_at = now
        m.reason = f"caseload transfer: {reason.strip()}"
        already = session.scalars(
            select(CareTeamMember).where(
                CareTeamMember.client_id == m.client_id,
                CareTeamMember.clinician_id == to_clinician_id,
                CareTeamMember.ended_at.is_(None),
            )
        ).first()
        if already is None:
            session.add(
                CareTeamMember(
                    client_id=m.client_id, clinician_id=to_clinician_id, role=m.role, started_at=now
                )
            )
        moved.append(m.client_id)
    session.flush()
    return sorted(moved)
