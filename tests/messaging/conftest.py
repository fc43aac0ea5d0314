"""Fixtures for messaging: a bound job runtime and a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hearth import jobs
from hearth.runtime import Runtime
from tests.messaging.smtp import SmtpServer, running_smtp_server


@pytest.fixture
def bound(runtime: Runtime) -> Iterator[Runtime]:
    """The test's runtime, bound as the one jobs use (immediate mode)."""
    jobs.bind_runtime(runtime)
    yield runtime
    jobs.bind_runtime(None)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_server_with_login() -> Iterator[SmtpServer]:
    """A real SMTP server that requires AUTH (test-only, without TLS)."""
    with running_smtp_server(require_login=True) as server:
        yield server
