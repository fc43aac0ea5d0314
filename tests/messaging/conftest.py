"""Fixtures for messaging: a bound job runtime and a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hearth import jobs
from hearth.runtime import Runtime


@pytest.fixture
def bound(runtime: Runtime) -> Iterator[Runtime]:
    """The test's runtime, bound as the one jobs use (immediate mode)."""
    jobs.bind_runtime(runtime)
    yield runtime
    jobs.bind_runtime(None)


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


def _start(**kwargs: Any) -> tuple[Controller, SmtpServer]:
    received = Received()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, received)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port."""
    controller, server = _start()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server_with_login() -> Iterator[SmtpServer]:
    """A real SMTP server that requires AUTH LOGIN/PLAIN (test-only, no TLS)."""

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"hearth-test",
            b"not-a-real-password",
        )
        return AuthResult(success=ok)

    controller, server = _start(authenticator=authenticator, auth_require_tls=False)
    yield server
    controller.stop()
