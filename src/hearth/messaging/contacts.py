"""Finding a portal principal by contact address without decrypting every row.

Client and guardian emails are encrypted, so SQL cannot compare them. Each
principal's normalised email gets one blind-index row (HMAC with the keyring's
index key) in ``contact_index``; practice/service.py calls ``index_client_contacts``
and ``index_guardian_contacts`` whenever it creates or changes those records.
A lookup by index is confirmed against the decrypted address, so a stale index
row can never sign anybody in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hearth.messaging.models import ContactIndex
from hearth.practice.models import Client, Guardian
from hearth.security import crypto


@dataclass(frozen=True)
class PortalContact:
    """A client or guardian who may receive a sign-in link at an address."""

    principal_kind: str  # client | guardian
    principal_id: str
    name: str
    client_id: str  # the client whose record this is (the guardian's ward)


def normalise_email(email: str) -> str:
    """Lower-case, trimmed email address."""
    return email.strip().lower()


def email_term(email: str) -> str:
    """The blind-index value of an email address."""
    return crypto.blind_index("email:" + normalise_email(email))


def _set_index(session: Session, kind: str, principal_id: str, email: str | None) -> None:
    session.execute(
        delete(ContactIndex).where(
            ContactIndex.principal_kind == kind,
            ContactIndex.principal_id == principal_id,
            ContactIndex.channel == "email",
        )
    )
    if email and email.strip():
        session.add(
            ContactIndex(
                principal_kind=kind,
                principal_id=principal_id,
                channel="email",
                term=email_term(email),
            )
        )


def index_client_contacts(session: Session, client: Client) -> None:
    """Rewrite the client's contact index from their current email."""
    _set_index(session, "client", client.id, client.email)
    session.flush()


def index_guardian_contacts(session: Session, guardian: Guardian) -> None:
    """Rewrite the guardian's contact index from their current email."""
    _set_index(session, "guardian", guardian.id, guardian.email)
    session.flush()


def reindex_all_contacts(session: Session) -> int:
    """Rebuild the whole contact index (after a restore or an index-key change)."""
    session.execute(delete(ContactIndex))
    n = 0
    for client in session.scalars(select(Client)):
        _set_index(session, "client", client.id, client.email)
        n += 1
    for guardian in session.scalars(select(Guardian)):
        _set_index(session, "guardian", guardian.id, guardian.email)
        n += 1
    session.flush()
    return n


def find_portal_contacts(session: Session, email: str) -> list[PortalContact]:
    """Clients and active guardians whose email is this address (discharged clients excluded)."""
    wanted = normalise_email(email)
    if "@" not in wanted:
        return []
    rows = session.execute(
        select(ContactIndex.principal_kind, ContactIndex.principal_id).where(
            ContactIndex.channel == "email", ContactIndex.term == email_term(wanted)
        )
    ).all()
    found: list[PortalContact] = []
    for kind, principal_id in rows:
        if kind == "client":
            client = session.get(Client, principal_id)
            if (
                client is not None
                and client.status != "discharged"
                and normalise_email(client.email or "") == wanted
            ):
                found.append(PortalContact("client", client.id, client.display_name, client.id))
        elif kind == "guardian":
            guardian = session.get(Guardian, principal_id)
            if (
                guardian is not None
                and guardian.active
                and normalise_email(guardian.email or "") == wanted
            ):
                ward = session.get(Client, guardian.client_id)
                if ward is not None and ward.status != "discharged":
                    found.append(
                        PortalContact("guardian", guardian.id, guardian.name, guardian.client_id)
                    )
    return sorted(found, key=lambda c: (c.principal_kind, c.name, c.principal_id))
