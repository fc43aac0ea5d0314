"""Queued work of messaging: deliver one message (idempotent, retried) and sweep stuck ones."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hearth.db import utcnow
from hearth.jobs import current_runtime, periodic_task, run_each, task
from hearth.messaging.channels import (
    OUTBOX_PROVIDER_ID,
    ChannelUnavailable,
    Envelope,
    channel_for,
)
from hearth.messaging.models import OutboundMessage, needs_messaging_consent
from hearth.practice.service import active_consent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # the first try and five retries
RETRY_DELAY_SECONDS = 30  # then doubled each time: 30 s, 1 min, 2 min, 4 min, 8 min
CLAIM_LEASE = dt.timedelta(minutes=10)  # a "sending" claim older than this was abandoned
STALE_AFTER = dt.timedelta(minutes=15)  # a queued message untouched this long lost its job


class RetryDelivery(Exception):
    """Delivery failed and will be tried again (raised so the queue retries)."""


@task(retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)
def deliver_message(message_id: str) -> str:
    """Deliver one stored message; a sent, failed or cancelled message is left alone."""
    rt = current_runtime()
    with rt.db.transaction() as session:
        envelope = _claim(session, message_id)
    if envelope is None:
        return "skipped"
    settings = rt.settings
    try:
        channel = channel_for(settings, envelope.channel_name)
        if channel is not None:
            provider_id = channel.send(envelope.envelope)
        elif settings.outbox_enabled:
            provider_id = OUTBOX_PROVIDER_ID  # development: the outbox page is the delivery
        else:
            raise ChannelUnavailable(
                f"no {envelope.channel_name} channel is configured (set HEARTH_SMTP_HOST for email)"
            )
    except ChannelUnavailable as e:
        with rt.db.transaction() as session:
            _record_failure(session, message_id, str(e), final=True)
        return "failed"
    except Exception as e:
        with rt.db.transaction() as session:
            final = _record_failure(session, message_id, f"{type(e).__name__}: {e}")
        if final:
            log.warning("message %s failed for good after %d attempts", message_id, MAX_ATTEMPTS)
            return "failed"
        raise RetryDelivery(f"message {message_id} not delivered yet: {e}") from e
    with rt.db.transaction() as session:
        _record_sent(session, message_id, provider_id)
    return "sent"


class _Claimed:
    def __init__(self, channel_name: str, envelope: Envelope) -> None:
        self.channel_name = channel_name
        self.envelope = envelope


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        OutboundMessage.status == "queued",
        and_(
            OutboundMessage.status == "sending",
            OutboundMessage.claimed_at < now - CLAIM_LEASE,
        ),
    )


def _claim(session: Session, message_id: str) -> _Claimed | None:
    """Take the message for one delivery attempt, or None if it is not (or no longer) due."""
    message = session.get(OutboundMessage, message_id)
    now = utcnow()
    if message is None or message.status not in ("queued", "sending"):
        return None
    # Revoking the messaging consent stops queued messages for that client.
    if (
        needs_messaging_consent(message.category, message.client_id)
        and message.client_id is not None
        and active_consent(session, message.client_id, "messaging") is None
    ):
        message.status = "cancelled"
        message.last_error = "the client's messaging consent is not active"
        session.flush()
        return None
    claimed = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, _claimable(now))
        .values(status="sending", claimed_at=now, attempts=OutboundMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        return None  # another worker holds it
    return _Claimed(
        message.channel,
        Envelope(
            message_id=message.id,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
        ),
    )


def _record_sent(session: Session, message_id: str, provider_id: str) -> None:
    message = session.get(OutboundMessage, message_id)
    if message is None:
        return
    message.status = "sent"
    message.sent_at = utcnow()
    message.provider_id = provider_id[:200]
    session.flush()


def _record_failure(session: Session, message_id: str, error: str, *, final: bool = False) -> bool:
    """Count a failed attempt with its error; returns True when no retry is left."""
    message = session.get(OutboundMessage, message_id)
    if message is None:
        return True
    final = final or message.attempts >= MAX_ATTEMPTS
    message.status = "failed" if final else "queued"
    message.last_error = error[:2000]
    session.flush()
    return final


def stale_message_ids(session: Session, now: dt.datetime | None = None) -> list[str]:
    """Messages whose delivery job was lost: queued and untouched, or abandoned mid-send."""
    now = now or utcnow()
    rows = session.scalars(
        select(OutboundMessage.id).where(
            or_(
                and_(
                    OutboundMessage.status == "queued",
                    OutboundMessage.attempts == 0,
                    OutboundMessage.created_at < now - STALE_AFTER,
                ),
                and_(
                    OutboundMessage.status == "queued",
                    OutboundMessage.attempts > 0,
                    OutboundMessage.claimed_at < now - STALE_AFTER - CLAIM_LEASE,
                ),
                and_(
                    OutboundMessage.status == "sending",
                    OutboundMessage.claimed_at < now - CLAIM_LEASE,
                ),
            )
        )
    )
    return list(rows)


@periodic_task(crontab(minute="*/5"))
def requeue_stale_messages() -> int:
    """Every five minutes, queue delivery again for messages whose job was lost."""
    with current_runtime().db.transaction() as session:
        ids = stale_message_ids(session)

    def requeue(_session: Session, message_id: str) -> None:
        deliver_message(message_id)

    ok, _failed = run_each(ids, requeue, label="requeue message")
    return ok
