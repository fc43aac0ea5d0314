"""Outgoing messages: every message is stored, then delivered by a job."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hearth.db import Base, UTCDateTime, utcnow
from hearth.security.crypto import EncryptedText
from hearth.security.models import new_id


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
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
