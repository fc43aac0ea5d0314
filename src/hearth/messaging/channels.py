"""Delivery channels behind one small interface: email over SMTP now, SMS later.

A channel sends one message and returns the provider's id for it. Channels that
are not configured are switched off (``channel_for`` returns None); in
development the outbox page (/dev/outbox) stands in for them, so every message
is visible without a mail server. Other slices add channels with
``register_channel`` (scheduling adds SMS through a provider adapter).
"""

from __future__ import annotations

import smtplib
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from hearth.settings import Settings

OUTBOX_PROVIDER_ID = "dev-outbox"


class DeliveryFailed(Exception):
    """The channel could not deliver now; the job retries later."""


class ChannelUnavailable(Exception):
    """No channel is configured for the message; retrying will not help."""


@dataclass(frozen=True)
class Envelope:
    """What a channel needs to send one message (decrypted, in memory only)."""

    message_id: str
    recipient: str
    subject: str | None
    body: str


class Channel(ABC):
    """One way of reaching a person."""

    name: str

    @abstractmethod
    def send(self, message: Envelope) -> str:
        """Deliver the message; return the provider's id for it. Raises DeliveryFailed."""


class EmailChannel(Channel):
    """Email over SMTP (optionally STARTTLS and login), configured by HEARTH_SMTP_* settings."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailChannel | None:
        """The channel the settings describe, or None when HEARTH_SMTP_HOST is unset."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )

    def build(self, message: Envelope) -> EmailMessage:
        """The RFC 5322 message for an envelope."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "hearth.invalid"
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        mail.set_content(message.body)
        return mail

    def send(self, message: Envelope) -> str:
        """Send over SMTP; returns the Message-ID header."""
        mail = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {e}") from e
        if refused:
            raise DeliveryFailed(f"SMTP server refused the recipient: {sorted(refused)}")
        return str(mail["Message-ID"])


ChannelFactory = Callable[[Settings], Channel | None]

_FACTORIES: dict[str, ChannelFactory] = {"email": EmailChannel.from_settings}


def register_channel(name: str, factory: ChannelFactory) -> ChannelFactory | None:
    """Install the factory for a channel name; returns the one it replaced (to restore)."""
    previous = _FACTORIES.get(name)
    _FACTORIES[name] = factory
    return previous


def unregister_channel(name: str) -> None:
    """Remove a channel factory (the channel is then switched off)."""
    _FACTORIES.pop(name, None)


def channel_for(settings: Settings, name: str) -> Channel | None:
    """The configured channel of that name, or None when it is switched off."""
    factory = _FACTORIES.get(name)
    return factory(settings) if factory is not None else None
