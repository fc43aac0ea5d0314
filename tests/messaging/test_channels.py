"""The email channel against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from hearth.messaging.channels import (
    DeliveryFailed,
    EmailChannel,
    Envelope,
    channel_for,
    register_channel,
    unregister_channel,
)
from tests.messaging.smtp import free_port

ENVELOPE = Envelope(
    message_id="m1",
    recipient="pat.example@example.test",
    subject="Your sign-in link",
    body="Open https://hearth.example.test/portal/auth/abc to sign in.",
)


def test_email_is_switched_off_without_smtp_host(settings):
    settings.smtp_host = None
    assert EmailChannel.from_settings(settings) is None
    assert channel_for(settings, "email") is None
    assert channel_for(settings, "sms") is None  # scheduling adds SMS later


def test_email_channel_delivers_over_smtp(settings, smtp_server):
    settings.smtp_host, settings.smtp_port = smtp_server.host, smtp_server.port
    settings.mail_from = "Hearth Test Practice <no-reply@practice.example.test>"
    channel = channel_for(settings, "email")
    assert isinstance(channel, EmailChannel)

    provider_id = channel.send(ENVELOPE)

    [(rcpts, mail)] = smtp_server.received.wait_for(1)
    assert rcpts == ["pat.example@example.test"]
    assert mail["Subject"] == "Your sign-in link"
    assert mail["From"] == "Hearth Test Practice <no-reply@practice.example.test>"
    assert mail["Message-ID"] == provider_id
    assert provider_id.endswith("@practice.example.test>")
    assert "https://hearth.example.test/portal/auth/abc" in mail.get_payload()


def test_email_channel_logs_in_when_configured(smtp_server_with_login):
    channel = EmailChannel(
        smtp_server_with_login.host,
        smtp_server_with_login.port,
        sender="no-reply@practice.example.test",
        username="hearth-test",
        password="not-a-real-password",
    )
    channel.send(ENVELOPE)
    assert len(smtp_server_with_login.received.wait_for(1)) == 1

    wrong = EmailChannel(
        smtp_server_with_login.host,
        smtp_server_with_login.port,
        sender="no-reply@practice.example.test",
        username="hearth-test",
        password="wrong",
    )
    with pytest.raises(DeliveryFailed, match="SMTP"):
        wrong.send(ENVELOPE)


def test_unreachable_server_is_a_delivery_failure():
    channel = EmailChannel("127.0.0.1", free_port(), sender="no-reply@practice.example.test")
    with pytest.raises(DeliveryFailed, match=r"SMTP 127\.0\.0\.1"):
        channel.send(ENVELOPE)


def test_channels_can_be_registered(settings):
    class FakeSms:
        name = "sms"

        def send(self, message):
            return "fake-1"

    previous = register_channel("sms", lambda s: FakeSms())
    try:
        assert channel_for(settings, "sms").send(ENVELOPE) == "fake-1"
    finally:
        if previous is None:
            unregister_channel("sms")
        else:
            register_channel("sms", previous)
