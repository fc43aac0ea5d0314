"""Every query over client data, scoped by the principal who asks.

A route never filters by owner itself: it asks a repository built for the
requesting principal, which can only ever return what that principal may see.
A client outside the principal's scope is reported as not found (404), so the
existence of other clinicians' clients is not disclosed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select, true
from sqlalchemy.orm import Session

from hearth.errors import NotFound
from hearth.practice.models import (
    CareTeamMember,
    Client,
    ClientNameIndex,
    Clinician,
    Consent,
    Diagnosis,
    Guardian,
)
from hearth.security import crypto
from hearth.security.permissions import (
    Principal,
    Scope,
    can_see_diagnoses,
    client_scope,
    clinical_scope,
    visible_client_fields,
)


def care_team_clinician_ids(principal: Principal) -> set[str]:
    """The clinicians whose care teams the principal reaches (self and supervisees)."""
    ids: set[str] = set()
    if principal.clinician_id and principal.roles & {"clinician", "owner", "supervisor"}:
        ids.add(principal.clinician_id)
    if "supervisor" in principal.roles:
        ids |= set(principal.supervisee_ids)
    return ids


class ClientRepository:
    """Clients and their core records as one principal may see them."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    # --- scoping -------------------------------------------------------------
    def _care_team_clients(self) -> Select[str]:
        ids = care_team_clinician_ids(self.principal)
        return select(CareTeamMember.client_id).where(
            CareTeamMember.ended_at.is_(None), CareTeamMember.clinician_id.in_(ids)
        )

    def _scoped(self, scope: Scope) -> Select[Client]:
        stmt = select(Client)
        if scope is Scope.ALL:
            return stmt.where(true())
        if scope is Scope.CARE_TEAM:
            return stmt.where(Client.id.in_(self._care_team_clients()))
        return stmt.where(false())

    def readable(self) -> Select[Client]:
        """Clients whose identity rows the principal may read."""
        return self._scoped(client_scope(self.principal))

    def in_clinical_scope(self, client_id: str) -> bool:
        """True when the principal may read this client's clinical records."""
        if clinical_scope(self.principal) is Scope.NONE:
            return False
        stmt = self._care_team_clients().where(CareTeamMember.client_id == client_id)
        return self.session.execute(stmt.limit(1)).first() is not None

    # --- reads ---------------------------------------------------------------
    def get(self, client_id: str) -> Client:
        """The client, or NotFound when it does not exist or is out of scope."""
        client = self.session.scalars(self.readable().where(Client.id == client_id)).first()
        if client is None:
            raise NotFound("No such client.", record_type="client", record_id=client_id)
        return client

    def get_clinical(self, client_id: str) -> Client:
        """The client, only if the principal may read its clinical records."""
        client = self.get(client_id)
        if not self.in_clinical_scope(client_id):
            raise NotFound("No such client.", record_type="client", record_id=client_id)
        return client

    def search(
        self, query: str = "", *, status: str | None = None, limit: int = 50
    ) -> list[Client]:
        """Clients matching every word of query (names or 3+-letter prefixes), by blind index."""
        stmt = self.readable()
        if status:
            stmt = stmt.where(Client.status == status)
        tokens = crypto.normalise_tokens(query)
        for tok in tokens:
            stmt = stmt.where(
                Client.id.in_(
                    select(ClientNameIndex.client_id).where(
                        ClientNameIndex.term == crypto.blind_index(tok)
                    )
                )
            )
        clients = list(self.session.scalars(stmt.limit(limit * 4 if not tokens else 1000)))
        clients.sort(key=lambda c: (c.legal_last_name.lower(), c.legal_first_name.lower()))
        return clients[:limit]

    def view(self, client: Client) -> dict[str, Any]:
        """The client's fields the principal may see; others are left out."""
        fields = visible_client_fields(self.principal)
        out = {f: getattr(client, f) for f in sorted(fields)}
        out["display_name"] = client.display_name
        return out

    def diagnoses(self, client_id: str) -> list[Diagnosis]:
        """Diagnoses, for care team (clinically) and for owner and billers (claims)."""
        self.get(client_id)
        if not can_see_diagnoses(self.principal, self.in_clinical_scope(client_id)):
            return []
        return list(
            self.session.scalars(
                select(Diagnosis)
                .where(Diagnosis.client_id == client_id)
                .order_by(Diagnosis.primary.desc(), Diagnosis.entered_at)
            )
        )

    def consents(self, client_id: str) -> list[Consent]:
        """Every consent record of the client, newest first."""
        self.get(client_id)
        return list(
            self.session.scalars(
                select(Consent)
                .where(Consent.client_id == client_id)
                .order_by(Consent.granted_at.desc())
            )
        )

    def guardians(self, client_id: str) -> list[Guardian]:
        """Guardians and responsible parties of the client."""
        self.get(client_id)
        return list(self.session.scalars(select(Guardian).where(Guardian.client_id == client_id)))

    def care_team(self, client_id: str, *, include_history: bool = False) -> list[CareTeamMember]:
        """Current (or all) care-team memberships of the client."""
        self.get(client_id)
        stmt = select(CareTeamMember).where(CareTeamMember.client_id == client_id)
        if not include_history:
            stmt = stmt.where(CareTeamMember.ended_at.is_(None))
        return list(self.session.scalars(stmt.order_by(CareTeamMember.started_at)))


def clinicians(session: Session) -> list[Clinician]:
    """All clinicians of the practice (staff directory; no client data)."""
    return list(session.scalars(select(Clinician)))
