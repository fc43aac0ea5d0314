"""A real local SMTP server (aiosmtpd) on 127.0.0.1 and a free port, for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

TEST_LOGIN = (b"hearth-test", b"not-a-real-password")


@dataclass
class Received:
    """Messages a local SMTP server accepted."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(
                (list(envelope.rcpt_tos), message_from_bytes(envelope.original_content))
            )
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[list[str], Message]]:
        """Wait until at least `count` messages arrived (no fixed sleep)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
                self.arrived.wait(left)
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    host: str
    port: int
    received: Received


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == TEST_LOGIN
    return AuthResult(success=ok, handled=False)


@contextmanager
def running_smtp_server(*, require_login: bool = False) -> Iterator[SmtpServer]:
    """Run an SMTP server for the duration of the block (login without TLS if asked)."""
    received = Received()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if require_login:
        kwargs = {"authenticator": _check_login, "auth_require_tls": False}
    controller = Controller(received, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, received)
    finally:
        controller.stop()
