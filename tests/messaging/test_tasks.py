"""Delivering messages: idempotent, failures counted and retried, lost jobs swept up."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.db import utcnow
from hearth.messaging import tasks
from hearth.messaging.models import OutboundMessage
from hearth.messaging.service import queue_message
from hearth.messaging.tasks import RetryDelivery, deliver_message, stale_message_ids
from tests.messaging.smtp import free_port

pytestmark = pytest.mark.both_backends


def _queue(rt, **overrides):
    fields = dict(
        channel="email",
        category="security",
        recipient="pat.example@example.test",
        subject="Your sign-in link",
        body="https://hearth.example.test/portal/auth/abc",
    )
    fields.update(overrides)
    with rt.db.transaction() as s:
        return queue_message(s, **fields).id


def _row(rt, message_id):
    with rt.db.transaction() as s:
        return s.get(OutboundMessage, message_id)


def test_a_sent_message_is_not_sent_twice(bound, smtp_server):
    bound.settings.smtp_host, bound.settings.smtp_port = smtp_server.host, smtp_server.port
    message_id = _queue(bound)  # delivered by the job right after commit (immediate mode)
    smtp_server.received.wait_for(1)

    assert deliver_message.call_local(message_id) == "skipped"
    deliver_message(message_id)  # through the queue again
    assert len(smtp_server.received.messages) == 1
    row = _row(bound, message_id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.provider_id.startswith("<")


def test_failures_are_counted_with_their_error_then_given_up(bound):
    bound.settings.smtp_host, bound.settings.smtp_port = "127.0.0.1", free_port()
    message_id = _queue(bound)  # first attempt fails inside the after-commit job
    row = _row(bound, message_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "SMTP 127.0.0.1" in row.last_error

    for attempt in range(2, tasks.MAX_ATTEMPTS):
        with pytest.raises(RetryDelivery):
            deliver_message.call_local(message_id)
        assert _row(bound, message_id).attempts == attempt
    assert deliver_message.call_local(message_id) == "failed"  # the last attempt
    row = _row(bound, message_id)
    assert (row.status, row.attempts) == ("failed", tasks.MAX_ATTEMPTS)
    assert deliver_message.call_local(message_id) == "skipped"


def test_the_queue_retries_with_backoff():
    assert deliver_message.retries == tasks.MAX_ATTEMPTS - 1
    assert deliver_message.retry_delay == tasks.RETRY_DELAY_SECONDS
    assert deliver_message.task_class.default_retry_backoff == 2


def test_without_a_channel_or_outbox_a_message_fails_without_retrying(bound):
    bound.settings.smtp_host = None
    bound.settings.dev_outbox = False
    message_id = _queue(bound)
    row = _row(bound, message_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "HEARTH_SMTP_HOST" in row.last_error


def test_lost_and_abandoned_deliveries_are_swept_up(bound, smtp_server):
    bound.settings.smtp_host, bound.settings.smtp_port = smtp_server.host, smtp_server.port
    long_ago = utcnow() - dt.timedelta(hours=2)
    with bound.db.transaction() as s:  # rows whose jobs never ran (no queue_message: no job)
        lost = OutboundMessage(
            channel="email",
            category="security",
            recipient="lost@example.test",
            subject="s",
            body="b",
            status="queued",
            attempts=0,
            created_at=long_ago,
        )
        abandoned = OutboundMessage(
            channel="email",
            category="security",
            recipient="abandoned@example.test",
            subject="s",
            body="b",
            status="sending",
            attempts=1,
            claimed_at=long_ago,
            created_at=long_ago,
        )
        fresh = OutboundMessage(
            channel="email",
            category="security",
            recipient="fresh@example.test",
            subject="s",
            body="b",
            status="queued",
            attempts=0,
        )
        s.add_all([lost, abandoned, fresh])
    with bound.db.transaction() as s:
        assert sorted(stale_message_ids(s)) == sorted([lost.id, abandoned.id])

    assert tasks.requeue_stale_messages.call_local() == 2
    got = sorted(r for rcpts, _ in smtp_server.received.wait_for(2) for r in rcpts)
    assert got == ["abandoned@example.test", "lost@example.test"]
    assert _row(bound, abandoned.id).attempts == 2
    assert _row(bound, fresh.id).status == "queued"
