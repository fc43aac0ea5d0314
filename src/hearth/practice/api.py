"""JSON API of the practice slice: clients, diagnoses, consents, care team, caseload transfer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session

from hearth.errors import Invalid
from hearth.practice import service
from hearth.practice.models import CONSENT_KINDS, CareTeamMember, Consent, Diagnosis
from hearth.practice.repository import ClientRepository
from hearth.practice.schemas import (
    CareTeamMemberOut,
    CaseloadTransfer,
    CaseloadTransferResult,
    ClientCreate,
    ClientOut,
    ClientStatus,
    ClientUpdate,
    ConsentCreate,
    ConsentOut,
    DiagnosisCreate,
    DiagnosisOut,
)
from hearth.security.permissions import Perm, Principal, require
from hearth.security.users import clinician_names
from hearth.web.deps import CurrentUser, Db, audit
from hearth.web.errors import API_ERRORS

router = APIRouter(prefix="/api/v1", tags=["clients"], responses=API_ERRORS)


def _view(db: Session, principal: Principal, client_id: str) -> dict[str, Any]:
    repo = ClientRepository(db, principal)
    return repo.view(repo.get(client_id))


@router.get("/clients", response_model=list[ClientOut], response_model_exclude_unset=True)
def list_clients(
    request: Request,
    db: Db,
    principal: CurrentUser,
    q: Annotated[str, Query(max_length=100, description="Name words or 3+-letter prefixes")] = "",
    status: ClientStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Clients the caller may see, searched by name (blind index), with the caller's fields."""
    require(principal, Perm.CLIENT_LIST)
    repo = ClientRepository(db, principal)
    clients = repo.search(q, status=status, limit=limit)
    audit(request, "client.list", record_type="client", record_ids=[c.id for c in clients])
    return [repo.view(c) for c in clients]


@router.post(
    "/clients",
    response_model=ClientOut,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
)
def create_client(
    request: Request, db: Db, principal: CurrentUser, body: ClientCreate
) -> dict[str, Any]:
    """Register a client (a clinician creating one joins its care team)."""
    client = service.create_client(
        db, principal, body.service_data(), clinician_id=body.clinician_id
    )
    audit(request, "client.create", record_type="client", record_ids=[client.id])
    return ClientRepository(db, principal).view(client)


@router.get("/clients/{client_id}", response_model=ClientOut, response_model_exclude_unset=True)
def get_client(request: Request, db: Db, principal: CurrentUser, client_id: str) -> dict[str, Any]:
    """One client, with only the fields the caller's role may see (404 when out of scope)."""
    require(principal, Perm.CLIENT_LIST)
    view = _view(db, principal, client_id)
    audit(request, "client.view", record_type="client", record_ids=[client_id])
    return view


@router.patch("/clients/{client_id}", response_model=ClientOut, response_model_exclude_unset=True)
def update_client(
    request: Request, db: Db, principal: CurrentUser, client_id: str, body: ClientUpdate
) -> dict[str, Any]:
    """Change identity or contact fields; only the fields sent are changed."""
    client = service.update_client(db, principal, client_id, body.service_data())
    audit(request, "client.update", record_type="client", record_ids=[client_id])
    return ClientRepository(db, principal).view(client)


@router.get("/clients/{client_id}/diagnoses", response_model=list[DiagnosisOut])
def list_diagnoses(
    request: Request, db: Db, principal: CurrentUser, client_id: str
) -> list[Diagnosis]:
    """The client's diagnoses (care team, owner and billers; never front desk or admin)."""
    require(principal, Perm.DIAGNOSIS_READ)
    items = ClientRepository(db, principal).diagnoses(client_id)
    audit(request, "diagnosis.list", record_type="client", record_ids=[client_id])
    return items


@router.post(
    "/clients/{client_id}/diagnoses",
    response_model=DiagnosisOut,
    status_code=status.HTTP_201_CREATED,
)
def add_diagnosis(
    request: Request, db: Db, principal: CurrentUser, client_id: str, body: DiagnosisCreate
) -> Diagnosis:
    """Record an ICD-10-CM diagnosis (a care-team clinician; the code is validated)."""
    dx = service.add_diagnosis(db, principal, client_id, body.code, primary=body.primary)
    audit(request, "diagnosis.add", record_type="client", record_ids=[client_id])
    return dx


@router.get("/clients/{client_id}/consents", response_model=list[ConsentOut])
def list_consents(
    request: Request, db: Db, principal: CurrentUser, client_id: str
) -> list[Consent]:
    """Every consent record of the client, newest first."""
    require(principal, Perm.CONSENT_READ)
    items = ClientRepository(db, principal).consents(client_id)
    audit(request, "consent.list", record_type="client", record_ids=[client_id])
    return items


@router.post(
    "/clients/{client_id}/consents", response_model=ConsentOut, status_code=status.HTTP_201_CREATED
)
def grant_consent(
    request: Request, db: Db, principal: CurrentUser, client_id: str, body: ConsentCreate
) -> Consent:
    """Record a consent the client (or their guardian) gave."""
    consent = service.grant_consent(
        db,
        principal,
        client_id,
        body.kind,
        method=body.method,
        text_version=body.text_version,
        given_by=body.given_by,
    )
    audit(request, "consent.grant", record_type="client", record_ids=[client_id])
    return consent


@router.post("/clients/{client_id}/consents/{kind}/revoke", response_model=ConsentOut)
def revoke_consent(
    request: Request, db: Db, principal: CurrentUser, client_id: str, kind: str
) -> Consent:
    """Revoke the client's active consent of this kind (treatment, recording, ...)."""
    if kind not in CONSENT_KINDS:
        raise Invalid(f"consent kind must be one of {', '.join(CONSENT_KINDS)}", where="kind")
    consent = service.revoke_consent(db, principal, client_id, kind)
    audit(request, "consent.revoke", record_type="client", record_ids=[client_id])
    return consent


@router.get("/clients/{client_id}/care-team", response_model=list[CareTeamMemberOut])
def care_team(
    request: Request,
    db: Db,
    principal: CurrentUser,
    client_id: str,
    include_history: bool = False,
) -> list[CareTeamMemberOut]:
    """The clinicians on the client's care team (with past members if include_history)."""
    require(principal, Perm.CLIENT_LIST)
    members: list[CareTeamMember] = ClientRepository(db, principal).care_team(
        client_id, include_history=include_history
    )
    names = clinician_names(db)
    audit(request, "care_team.view", record_type="client", record_ids=[client_id])
    return [
        CareTeamMemberOut(
            id=m.id,
            clinician_id=m.clinician_id,
            clinician_name=names.get(m.clinician_id, ""),
            role=m.role,
            started_at=m.started_at,
            ended_at=m.ended_at,
            reason=m.reason,
        )
        for m in members
    ]


@router.post("/care-team/transfer", response_model=CaseloadTransferResult, tags=["care team"])
def transfer_caseload(
    request: Request, db: Db, principal: CurrentUser, body: CaseloadTransfer
) -> CaseloadTransferResult:
    """Move every current client of one clinician to another (owner); audited as one row."""
    moved = service.transfer_caseload(
        db, principal, body.from_clinician_id, body.to_clinician_id, body.reason
    )
    audit(
        request,
        "caseload.transfer",
        record_type="client",
        record_ids=moved,
        detail=f"from clinician {body.from_clinician_id} to clinician {body.to_clinician_id}",
    )
    return CaseloadTransferResult(
        from_clinician_id=body.from_clinician_id,
        to_clinician_id=body.to_clinician_id,
        client_ids=moved,
    )
