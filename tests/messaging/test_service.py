"""Queueing messages: validation, consent, storage encrypted, delivery after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hearth.errors import ConsentRequired, Invalid
from hearth.messaging.models import OutboundMessage
from hearth.messaging.service import queue_message
from hearth.practice import service as practice
from tests.factories import make_client, make_user, principal

pytestmark = pytest.mark.both_backends


def _message(s, **overrides):
    fields = dict(
        channel="email",
        category="security",
        recipient="pat.example@example.test",
        subject="Your sign-in link",
        body="A synthetic test message.",
    )
    fields.update(overrides)
    return queue_message(s, **fields)


def _status(rt, message_id):
    with rt.db.transaction() as s:
        return s.get(OutboundMessage, message_id)


def test_message_is_stored_encrypted_and_delivered_to_outbox_after_commit(bound):
    with bound.db.transaction() as s:
        message = _message(s, body="Body with a marker: zebra-marker-42")
        s.flush()
        raw = s.execute(
            text("SELECT body, recipient FROM outbound_messages WHERE id = :id"),
            {"id": message.id},
        ).one()
        assert b"zebra-marker-42" not in bytes(raw[0])
        assert b"pat.example" not in bytes(raw[1])
        assert message.status == "queued"
    row = _status(bound, message.id)
    assert row.status == "sent"  # no SMTP configured: the development outbox is the delivery
    assert row.provider_id == "dev-outbox"
    assert row.attempts == 1


def test_rolled_back_message_is_neither_stored_nor_sent(bound):
    with pytest.raises(RuntimeError), bound.db.transaction() as s:
        message_id = _message(s).id
        raise RuntimeError("the request failed")
    assert _status(bound, message_id) is None


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"category": "marketing"}, "category"),
        ({"recipient": "not-an-address"}, "recipient"),
        ({"channel": "sms", "recipient": "call me"}, "recipient"),
        ({"subject": "two\nlines"}, "subject"),
        ({"body": "   "}, "body"),
    ],
)
def test_bad_input_names_what_and_where(bound, overrides, where):
    with bound.db.transaction() as s:
        with pytest.raises(Invalid) as err:
            _message(s, **overrides)
        assert err.value.where == where
        assert s.query(OutboundMessage).count() == 0


def test_outreach_needs_messaging_consent_but_security_notices_do_not(bound):
    with bound.db.transaction() as s:
        owner = principal(s, make_user(s, "owner"))
        client = make_client(s, owner, email="pat.example@example.test")
        with pytest.raises(ConsentRequired):
            _message(s, category="administrative", client_id=client.id)
        sign_in = _message(s, category="security", client_id=client.id)
        practice.grant_consent(
            s, owner, client.id, "messaging", method="paper", text_version="test-v1"
        )
        reminder = _message(s, category="administrative", client_id=client.id)
    assert _status(bound, sign_in.id).status == "sent"
    assert _status(bound, reminder.id).status == "sent"


def test_revoking_consent_stops_a_queued_message(bound):
    bound.settings.immediate_jobs = False  # keep the job queued: nothing consumes
    bound.settings.redis_url = None
    from hearth import jobs

    jobs.bind_runtime(bound)
    with bound.db.transaction() as s:
        owner = principal(s, make_user(s, "owner"))
        client = make_client(s, owner, email="pat.example@example.test")
        practice.grant_consent(
            s, owner, client.id, "messaging", method="paper", text_version="test-v1"
        )
        message = _message(s, category="administrative", client_id=client.id)
    with bound.db.transaction() as s:
        practice.revoke_consent(s, owner, client.id, "messaging")

    from hearth.messaging.tasks import deliver_message

    assert deliver_message.call_local(message.id) == "skipped"
    row = _status(bound, message.id)
    assert row.status == "cancelled"
    assert "consent" in row.last_error
