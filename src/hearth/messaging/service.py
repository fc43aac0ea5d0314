"""Use cases of outgoing messages: store a message, then deliver it by a job after commit."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.errors import Invalid
from hearth.jobs import enqueue_after_commit
from hearth.messaging.models import (
    MESSAGE_CATEGORIES,
    MESSAGE_CHANNELS,
    OutboundMessage,
    needs_messaging_consent,
)
from hearth.messaging.tasks import deliver_message
from hearth.practice.service import require_consent

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,}$")


def _check(channel: str, category: str, recipient: str, subject: str | None, body: str) -> None:
    if channel not in MESSAGE_CHANNELS:
        raise Invalid(f"channel must be one of {', '.join(MESSAGE_CHANNELS)}", where="channel")
    if category not in MESSAGE_CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(MESSAGE_CATEGORIES)}", where="category")
    if channel == "email" and not _EMAIL.match(recipient):
        raise Invalid("the recipient is not an email address", where="recipient")
    if channel == "sms" and not _PHONE.match(recipient):
        raise Invalid("the recipient is not a phone number", where="recipient")
    if subject is not None and ("\n" in subject or "\r" in subject):
        raise Invalid("the subject must be one line", where="subject")
    if not body.strip():
        raise Invalid("the message body is empty", where="body")


def queue_message(
    session: Session,
    *,
    channel: str,
    category: str,
    recipient: str,
    subject: str | None,
    body: str,
    client_id: str | None = None,
) -> OutboundMessage:
    """Store a message and deliver it by a job once the transaction commits."""
    recipient = recipient.strip()
    _check(channel, category, recipient, subject, body)
    if needs_messaging_consent(category, client_id):
        assert client_id is not None
        require_consent(session, client_id, "messaging")
    message = OutboundMessage(
        channel=channel,
        category=category,
        recipient=recipient,
        subject=subject,
        body=body,
        client_id=client_id,
        status="queued",
        attempts=0,
    )
    session.add(message)
    session.flush()
    enqueue_after_commit(session, deliver_message, message.id)
    return message


def recent_messages(session: Session, limit: int = 100) -> list[OutboundMessage]:
    """The newest outgoing messages first (the development outbox)."""
    return list(
        session.scalars(
            select(OutboundMessage).order_by(OutboundMessage.created_at.desc()).limit(limit)
        )
    )
