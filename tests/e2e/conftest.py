"""End-to-end fixtures: a live Hearth server and Debian's Chromium driven by Playwright.

One browser for the e2e package, a fresh browser context (cookies, storage) per test.
The driver is package-scoped, not session-scoped: while Playwright's sync driver is
running, its event loop blocks ``asyncio.run`` in the main thread, which tests
collected after this package may need.
The server is uvicorn in a background thread serving ``create_app`` for the test's
own ``runtime`` (a fresh copy of the migrated database). Browsers are never
downloaded: Playwright drives the system Chromium at ``/usr/bin/chromium``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from hearth.practice.models import Clinician, Practice
from hearth.practice.service import create_client
from hearth.runtime import Runtime
from hearth.security.models import User
from hearth.security.service import create_user, staff_principal
from tests.conftest import need_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
SERVER_START_SECONDS = 20.0
PAGE_TIMEOUT_MS = 10_000
PASSWORD = "correct-horse-battery-e2e"  # synthetic test password, long enough for the policy


# --- the live server ---------------------------------------------------------------


@dataclass
class LiveServer:
    """A running Hearth server: its base URL and the runtime behind it."""

    url: str
    runtime: Runtime


def _wait_until_healthy(url: str, thread: threading.Thread, deadline: float) -> None:
    """Poll /healthz until it answers 200, the server thread dies, or the deadline passes."""
    last: str = "no answer yet"
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError(f"the Hearth server thread stopped while starting ({last})")
            try:
                response = http.get(f"{url}/healthz")
            except httpx.TransportError as e:
                last = f"{type(e).__name__}: {e}"
            else:
                if response.status_code == 200:
                    return
                last = f"/healthz answered {response.status_code}: {response.text[:200]}"
            time.sleep(0.05)  # polling interval while waiting for a condition, not a fixed wait
    raise TimeoutError(f"the Hearth server did not become healthy in time ({last})")


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    """Serve create_app(runtime) with uvicorn on 127.0.0.1 and a free port."""
    from hearth.app import create_app

    app = create_app(runtime, run_jobs=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="hearth-e2e-server", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, thread, time.monotonic() + SERVER_START_SECONDS)
        yield LiveServer(url=url, runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


# --- the browser -------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's sync driver, started once for the e2e tests and stopped after them."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_service("Playwright", False, "pip install -e '.[dev]'")
        raise
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the e2e tests (never `playwright install`)."""
    need_service("Chromium", CHROMIUM.exists(), "apt-get install -y chromium")
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@dataclass
class PageProblems:
    """What went wrong inside the page: uncaught script errors and off-machine requests."""

    script_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


@pytest.fixture
def page(
    browser: Browser,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Iterator[Page]:
    """A page in a fresh browser context pointed at the live server.

    Requests to any host but the live server are refused (Hearth makes no network
    calls and vendors its assets), and uncaught script errors fail the test.
    On failure a screenshot and the page's HTML are kept in the test's tmp_path.
    """
    problems = PageProblems()
    own = urlsplit(live_server.url).netloc
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            problems.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.on("pageerror", lambda exc: problems.script_errors.append(str(exc)))
    yield tab
    report = getattr(request.node, "e2e_report_call", None)
    if report is not None and report.failed:
        try:
            tab.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            (tmp_path / "failure.html").write_text(tab.content())
            print(f"e2e failure at {tab.url}; screenshot and HTML in {tmp_path}")
        except Exception as e:  # the page may already be gone; the test's own error matters
            print(f"e2e failure at {tab.url}; could not keep a screenshot: {e}")
    context.close()
    assert not problems.outside_requests, f"requests left the machine: {problems.outside_requests}"
    assert not problems.script_errors, f"uncaught script errors: {problems.script_errors}"


# --- seeded practice ---------------------------------------------------------------


@dataclass(frozen=True)
class StaffLogin:
    """A seeded staff user's sign-in and identity."""

    email: str
    password: str
    name: str
    user_id: str
    clinician_id: str


@dataclass(frozen=True)
class SeededPractice:
    """Two clinicians with their own caseloads (synthetic names only)."""

    clinician: StaffLogin
    other_clinician: StaffLogin
    clients: dict[str, str]  # display name -> client id, the first clinician's caseload
    other_client: tuple[str, str]  # (display name, client id) of the other clinician's client


def _clinician(session: Session, email: str, name: str) -> StaffLogin:
    user = create_user(session, email=email, name=name, password=PASSWORD, roles=["clinician"])
    clinician = Clinician(user_id=user.id, credentials="LCSW", licence_states=["ZZ"])
    session.add(clinician)
    session.flush()
    return StaffLogin(
        email=email, password=PASSWORD, name=name, user_id=user.id, clinician_id=clinician.id
    )


def _client(session: Session, clinician: StaffLogin, first: str, last: str, born: str) -> str:
    user = session.get(User, clinician.user_id)
    assert user is not None
    principal = staff_principal(session, user)
    client = create_client(
        session,
        principal,
        {"legal_first_name": first, "legal_last_name": last, "date_of_birth": born},
    )
    return str(client.id)


@pytest.fixture
def practice(live_server: LiveServer) -> SeededPractice:
    """Seed a practice through the services: two clinicians, each with their own clients."""
    with live_server.runtime.db.transaction() as s:
        s.add(Practice(name="Example Test Practice", time_zone="America/New_York"))
        ada = _clinician(s, "ada.testwell@example.test", "Ada Testwell")
        ben = _clinician(s, "ben.mockford@example.test", "Ben Mockford")
        clients = {
            "Zivra Fictional": _client(s, ada, "Zivra", "Fictional", "1985-04-12"),
            "Quentin Placeholder": _client(s, ada, "Quentin", "Placeholder", "1990-11-03"),
            "Oriel Samplewood": _client(s, ada, "Oriel", "Samplewood", "1978-02-27"),
        }
        other = ("Yusuf Notreal", _client(s, ben, "Yusuf", "Notreal", "1982-07-19"))
    return SeededPractice(clinician=ada, other_clinician=ben, clients=clients, other_client=other)
