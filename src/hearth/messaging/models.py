"""Outgoing messages (stored, then delivered by a job) and the contact blind index."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hearth.db import Base, UTCDateTime, utcnow
from hearth.security.crypto import EncryptedText
from hearth.security.models import new_id

MESSAGE_CHANNELS = ("email", "sms")
MESSAGE_CATEGORIES = ("security", "administrative", "billing", "clinical")
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed", "cancelled")
# Sign-in links and security notices are never gated by the messaging consent.
UNGATED_CATEGORIES = frozenset({"security"})


def needs_messaging_consent(category: str, client_id: str | None) -> bool:
    """True when a message of this category about a client needs the `messaging` consent."""
    return client_id is not None and category not in UNGATED_CATEGORIES


class OutboundMessage(Base):
    """A message to a person, with its delivery state (shown on /dev/outbox in development)."""

    __tablename__ = "outbound_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    category: Mapped[str] = mapped_column(
        String(20)
    )  # security | administrative | billing | clinical
    recipient: Mapped[str] = mapped_column(EncryptedText)
    subject: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    body: Mapped[str] = mapped_column(EncryptedText)
    client_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    status: Mapped[str] = mapped_column(
        String(12), default="queued", index=True
    )  # queued | sending | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ContactIndex(Base):
    """Blind index (HMAC) of a portal principal's contact address, for sign-in by email.

    Contact addresses are encrypted, so they cannot be compared in SQL; this table
    holds one keyed hash per principal and channel, kept current by
    ``messaging.contacts`` whenever a client's or guardian's contact changes.
    """

    __tablename__ = "contact_index"
    __table_args__ = (Index("ix_contact_index_term", "channel", "term"),)

    principal_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # client | guardian
    principal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)  # email | sms
    term: Mapped[str] = mapped_column(String(64))
