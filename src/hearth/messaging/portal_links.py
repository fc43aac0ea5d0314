"""Portal access by email: sign-in links and purpose links (one page only) for clients.

A link is a single-use, short-lived token (security/service.py) inside a URL
``{base_url}/portal/auth/{token}``. Sign-in links go out as `security` messages,
which no consent gates. Requests are rate-limited per address, and the caller
answers every request the same way, so nobody learns which addresses are on file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.errors import Invalid
from hearth.messaging.contacts import PortalContact, find_portal_contacts, normalise_email
from hearth.messaging.service import queue_message
from hearth.practice.models import Client, Practice
from hearth.security.models import MagicLink
from hearth.security.service import issue_magic_link
from hearth.settings import Settings

LINKS_PER_WINDOW = 5  # sign-in links one address may be sent ...
LINK_WINDOW = dt.timedelta(minutes=15)  # ... within this long
PURPOSE_PREFIX = "path:"


@dataclass(frozen=True)
class SignInRequest:
    """What happened to one request for a sign-in link (for the audit log, never the page)."""

    contacts: list[PortalContact]
    message_id: str | None
    rate_limited: bool

    @property
    def outcome(self) -> str:
        """`ok` when a link was sent or nobody matched; `denied` when rate-limited."""
        return "denied" if self.rate_limited else "ok"


def portal_url(settings: Settings, token: str) -> str:
    """The address a link token opens."""
    return f"{settings.base_url.rstrip('/')}/portal/auth/{token}"


def purpose_path(purpose: str | None) -> str | None:
    """The one page a purpose link opens (None for a sign-in link)."""
    if purpose and purpose.startswith(PURPOSE_PREFIX):
        return purpose.removeprefix(PURPOSE_PREFIX)
    return None


def _check_portal_path(path: str) -> str:
    if (
        not path.startswith("/portal/")
        or path.startswith("/portal/auth/")
        or path.startswith("/portal/sign-in")
        or any(bad in path for bad in ("//", "..", "?", "#", "\\"))
        or len(path) > 190
    ):
        raise Invalid(
            "a purpose link must open one portal page, e.g. /portal/questionnaires/<id>",
            where="path",
        )
    return path


def issue_purpose_link(
    session: Session,
    settings: Settings,
    principal_kind: str,
    principal_id: str,
    path: str,
    *,
    minutes: int | None = None,
) -> str:
    """A single-use link that signs its holder in to one portal page only; returns the URL."""
    purpose = PURPOSE_PREFIX + _check_portal_path(path)
    token = issue_magic_link(
        session,
        settings,
        principal_kind=principal_kind,
        principal_id=principal_id,
        purpose=purpose,
        minutes=minutes,
    )
    return portal_url(settings, token)


def _recent_links(session: Session, contacts: list[PortalContact], now: dt.datetime) -> int:
    ids = [c.principal_id for c in contacts]
    count = session.scalar(
        select(func.count())
        .select_from(MagicLink)
        .where(
            MagicLink.principal_id.in_(ids),
            MagicLink.purpose.is_(None),
            MagicLink.created_at > now - LINK_WINDOW,
        )
    )
    return int(count or 0)


def _practice_name(session: Session) -> str:
    name = session.scalar(select(Practice.name).limit(1))
    return name or "your practice"


def _label(session: Session, contact: PortalContact) -> str:
    if contact.principal_kind == "client":
        return contact.name
    ward = session.get(Client, contact.client_id)
    ward_name = (ward.preferred_name or ward.legal_first_name) if ward else "a client"
    return f"{contact.name}, as guardian of {ward_name}"


def _body(practice: str, minutes: int, links: list[tuple[str, str]]) -> str:
    lines = [
        "Hello,",
        "",
        f"Someone asked to sign in to the client portal of {practice} with this email address.",
    ]
    if len(links) == 1:
        lines += ["Open this link to sign in:", "", links[0][1]]
    else:
        lines += [
            "This address is on file for more than one person. "
            "Open the link of the person you are signing in as:",
            "",
        ]
        lines += [f"{label}: {url}" for label, url in links]
    lines += [
        "",
        f"Each link works once and for {minutes} minutes. If you did not ask for it, "
        "you can ignore this email; nobody can sign in without the link.",
    ]
    return "\n".join(lines) + "\n"


def send_sign_in_links(session: Session, settings: Settings, email: str) -> SignInRequest:
    """Email a sign-in link to each client or active guardian on file at this address."""
    contacts = find_portal_contacts(session, email)
    if not contacts:
        return SignInRequest([], None, rate_limited=False)
    if _recent_links(session, contacts, utcnow()) >= LINKS_PER_WINDOW:
        return SignInRequest(contacts, None, rate_limited=True)
    links = []
    for contact in contacts:
        token = issue_magic_link(
            session,
            settings,
            principal_kind=contact.principal_kind,
            principal_id=contact.principal_id,
        )
        links.append((_label(session, contact), portal_url(settings, token)))
    practice = _practice_name(session)
    wards = {c.client_id for c in contacts}
    message = queue_message(
        session,
        channel="email",
        category="security",
        recipient=normalise_email(email),
        subject=f"Your sign-in link for {practice}",
        body=_body(practice, settings.magic_link_minutes, links),
        client_id=wards.pop() if len(wards) == 1 else None,
    )
    return SignInRequest(contacts, message.id, rate_limited=False)
