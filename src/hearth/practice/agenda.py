"""A day's appointments as one principal may see them (the dashboard's schedule)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.practice.models import Appointment, Client
from hearth.practice.repository import ClientRepository, care_team_clinician_ids
from hearth.security.permissions import Perm, Principal, has

ALL_SCHEDULE_ROLES = frozenset({"owner", "front_desk", "biller"})


@dataclass(frozen=True)
class AgendaItem:
    """An appointment with its clinician's name and the names of clients the principal may see."""

    appointment: Appointment
    clinician_name: str
    client_names: list[str]
    hidden_clients: int


class AgendaRepository:
    """Appointments scoped by who asks: all for owner, front desk and biller; else their own."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def between(self, start: dt.datetime, end: dt.datetime) -> list[AgendaItem]:
        """Appointments starting in [start, end), in time order."""
        if not has(self.principal, Perm.SCHEDULE_READ):
            return []
        stmt = select(Appointment).where(Appointment.start >= start, Appointment.start < end)
        if not self.principal.roles & ALL_SCHEDULE_ROLES:
            stmt = stmt.where(Appointment.clinician_id.in_(care_team_clinician_ids(self.principal)))
        appointments = list(self.session.scalars(stmt.order_by(Appointment.start)))
        ids = {cid for a in appointments for cid in a.client_ids}
        repo = ClientRepository(self.session, self.principal)
        names = {
            c.id: c.display_name
            for c in self.session.scalars(repo.readable().where(Client.id.in_(ids)))
        }
        items = []
        for a in appointments:
            shown = [names[c] for c in a.client_ids if c in names]
            items.append(
                AgendaItem(a, a.clinician.user.name, shown, len(a.client_ids) - len(shown))
            )
        return items
