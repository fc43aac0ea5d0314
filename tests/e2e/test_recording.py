"""Recording a session in Chromium with a fake microphone: record, live text, stop, and the
transcript and draft appear.

The microphone plays a two-voice dialogue made with espeak-ng in the test (Chromium's
--use-file-for-fake-audio-capture). The clinician's voice print comes from other synthetic
lines in the same voice, so the transcript names the speakers and the note is drafted without
a mapping step. The speech models are the real ones (bundled Whisper tiny.en, resemblyzer).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from hearth.documentation import service as docs
from hearth.documentation.audio import synthetic
from hearth.documentation.capture import service as capture
from hearth.documentation.capture.engine import PipelineEngine
from hearth.documentation.capture.models import Recording
from hearth.practice import service as practice_service
from hearth.security.models import User
from hearth.security.service import staff_principal
from tests.conftest import need_service
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS, LiveServer, SeededPractice
from tests.e2e.support import sign_in_to_dashboard, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright, Route, WebSocketRoute

pytestmark = pytest.mark.e2e

TRANSCRIBE_TIMEOUT_MS = 120_000  # first use loads the speech models


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fake microphone's dialogue (clinician en-us+f3, client en-us+m3) and an enrollment."""
    need_service("espeak-ng and sox", synthetic.tools_available(), "apt-get install espeak-ng sox")
    folder = tmp_path_factory.mktemp("microphone")
    d = synthetic.dialogue(synthetic.THERAPY_DIALOGUE[:6], synthetic.FEMALE_MALE)
    mic = synthetic.write_wav(folder / "dialogue.wav", d.samples)
    me = synthetic.dialogue(
        [(0, t) for t in synthetic.CLINICIAN_LINES[:8]], synthetic.FEMALE_MALE, seed=3
    )
    return mic, synthetic.write_wav(folder / "enrollment.wav", me.samples)


@pytest.fixture(scope="module")
def mic_browser(playwright_driver: Playwright, speech: tuple[Path, Path]) -> Iterator[Browser]:
    """Chromium whose microphone plays the dialogue, with the permission prompt answered."""
    need_service("Chromium", CHROMIUM.exists(), "apt-get install -y chromium")
    mic, _ = speech
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def mic_page(mic_browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page on the live server; requests elsewhere are refused and script errors fail."""
    own = urlsplit(live_server.url).netloc
    context = mic_browser.new_context(base_url=live_server.url, permissions=["microphone"])
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    outside: list[str] = []
    errors: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not outside, f"requests left the machine: {outside}"
    assert not errors, f"uncaught script errors: {errors}"


@pytest.fixture
def ready_session(
    live_server: LiveServer, practice: SeededPractice, speech: tuple[Path, Path]
) -> str:
    """Zivra consented to recording and AI processing; Ada enrolled her voice; a session."""
    _, enrollment = speech
    voice = PipelineEngine(None, "cpu").enroll(enrollment)
    client_id = practice.clients["Zivra Fictional"]
    with live_server.runtime.db.transaction() as s:
        ada = staff_principal(s, s.get(User, practice.clinician.user_id))
        for kind in ("treatment", "recording", "ai_processing"):
            if practice_service.active_consent(s, client_id, kind) is None:
                practice_service.grant_consent(
                    s, ada, client_id, kind, method="paper", text_version="e2e-v1"
                )
        capture.enroll_voice(s, ada, voice)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        row = docs.create_session(s, ada, client_ids=[client_id], started_at=start)
        return row.id


def frames_received(live_server: LiveServer, session_id: str) -> int:
    with live_server.runtime.db.transaction() as s:
        rec = s.query(Recording).filter(Recording.session_id == session_id).first()
        return rec.frames_received if rec else 0


def recording_status(live_server: LiveServer, session_id: str) -> str | None:
    with live_server.runtime.db.transaction() as s:
        rec = s.query(Recording).filter(Recording.session_id == session_id).first()
        return rec.status if rec else None


def test_record_stop_and_the_transcript_and_draft_appear(
    mic_page: Page, live_server: LiveServer, practice: SeededPractice, ready_session: str
) -> None:
    page = mic_page
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    page.goto(f"/sessions/{ready_session}")
    panel = page.locator("#recording")
    record = panel.get_by_role("button", name="Record", exact=True)
    expect(record).to_be_enabled()

    record.click()

    expect(panel.get_by_role("button", name="Pause")).to_be_visible()
    expect(panel.locator("p[data-status]")).to_contain_text("Recording")
    # about 14 s of the dialogue reach the server (0.5 s frames), acknowledged one by one
    wait_until(
        lambda: frames_received(live_server, ready_session) >= 28,
        what="28 acknowledged frames",
        timeout=60,
    )
    expect(panel.get_by_role("timer")).not_to_have_text("00:00")
    # the level meter moves with the microphone
    page.wait_for_function(
        "() => document.querySelector('#recording meter[data-level]').value > 0",
        timeout=PAGE_TIMEOUT_MS,
    )
    # pause and resume: the server is told, and frames go on arriving after the resume
    panel.get_by_role("button", name="Pause").click()
    expect(panel.locator("p[data-status]")).to_contain_text("Paused")
    wait_until(
        lambda: recording_status(live_server, ready_session) == "paused",
        what="the server to mark the recording paused",
        timeout=30,
    )
    paused_at = frames_received(live_server, ready_session)
    panel.get_by_role("button", name="Resume", exact=True).click()
    expect(panel.locator("p[data-status]")).to_contain_text("Recording")
    wait_until(
        lambda: frames_received(live_server, ready_session) >= paused_at + 4,
        what="frames after the resume",
        timeout=60,
    )
    assert recording_status(live_server, ready_session) == "recording"
    # the live transcript shows text before Stop
    expect(panel.locator("[data-live-text] li").first).to_be_visible(timeout=60_000)

    panel.get_by_role("button", name="Stop").click()

    # once transcribed and drafted, the page reloads with the transcript and the note
    expect(page.get_by_role("heading", name="Notes of this session")).to_be_visible(
        timeout=TRANSCRIBE_TIMEOUT_MS
    )
    expect(page.locator("#recording [data-recording-status]").first).to_have_attribute(
        "data-recording-status", "transcribed", timeout=PAGE_TIMEOUT_MS
    )
    note = page.locator("a[href^='/notes/']").first
    expect(note).to_be_visible()
    with live_server.runtime.db.transaction() as s:
        rec = s.query(Recording).filter(Recording.session_id == ready_session).one()
        assert rec.gaps == 0 and rec.stop_reason == "stopped"
        assert rec.clinician_recognised
    note.click()
    expect(page.get_by_text("week", exact=False).first).to_be_visible()


def poll_with_page(page: Page, check: Callable[[], object], *, what: str) -> None:
    """Poll `check`, letting Playwright dispatch events between checks; fail after 60 s."""
    deadline = time.monotonic() + 60
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after 60 s waiting for {what}")
        page.wait_for_timeout(50)  # polling interval that also runs Playwright's callbacks


class LossyConnection:
    """A WebSocket route whose first connection passes the first `keep` frames and swallows
    the rest (never acknowledged, so the page keeps them); with `break_after`, it then closes
    that connection after swallowing that many. Later connections pass everything."""

    def __init__(self, page: Page, *, keep: int = 8, break_after: int | None = None) -> None:
        self.keep, self.break_after = keep, break_after
        self.swallowed: list[int] = []
        self.connections = 0
        page.route_web_socket("**/ws/recordings/**", self.route)

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.connections += 1
        first = self.connections == 1
        seen = [0]

        def page_to_server(message: str | bytes) -> None:
            if first and isinstance(message, bytes):
                seen[0] += 1
                if seen[0] > self.keep:
                    self.swallowed.append(seen[0])
                    if len(self.swallowed) == self.break_after:
                        ws.close(code=4000, reason="network gone")
                    return
            server.send(message)

        ws.on_message(page_to_server)


def start_recording_in_the_page(page: Page, practice: SeededPractice, session_id: str) -> None:
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    page.goto(f"/sessions/{session_id}")
    panel = page.locator("#recording")
    panel.get_by_role("button", name="Record", exact=True).click()
    expect(panel.get_by_role("button", name="Pause")).to_be_visible()


def stop_and_find_no_gap(page: Page, live_server: LiveServer, session_id: str) -> Recording:
    page.locator("#recording").get_by_role("button", name="Stop").click()
    expect(page.locator("#recording [data-recording-status]").first).to_have_attribute(
        "data-recording-status", "transcribed", timeout=TRANSCRIBE_TIMEOUT_MS
    )
    with live_server.runtime.db.transaction() as s:
        rec = s.query(Recording).filter(Recording.session_id == session_id).one()
        assert rec.gaps == 0 and rec.frames_received == rec.max_seq + 1
        return rec


def test_frames_lost_in_a_network_drop_are_sent_again_from_the_browser_store(
    mic_page: Page, live_server: LiveServer, practice: SeededPractice, ready_session: str
) -> None:
    """The connection drops frames, then breaks; the page reconnects by itself and sends
    what was never acknowledged from IndexedDB, so the recording has no gap."""
    page = mic_page
    net = LossyConnection(page, keep=8, break_after=6)
    start_recording_in_the_page(page, practice, ready_session)
    # Playwright runs the route's callbacks only while this thread is inside Playwright, so
    # the waits poll through the page rather than sleeping.
    poll_with_page(page, lambda: net.connections >= 2, what="the page to reconnect")
    poll_with_page(
        page,
        lambda: frames_received(live_server, ready_session) >= 24,
        what="24 frames after the reconnect",
    )
    stop_and_find_no_gap(page, live_server, ready_session)
    assert len(net.swallowed) == 6


def test_frames_unsent_when_the_page_reloads_are_sent_from_the_browser_store(
    mic_page: Page, live_server: LiveServer, practice: SeededPractice, ready_session: str
) -> None:
    """Frames the network swallowed are still in IndexedDB when the clinician reloads the
    page; the reloaded page sends them, offers to resume, and the recording has no gap."""
    page = mic_page
    net = LossyConnection(page, keep=8)
    start_recording_in_the_page(page, practice, ready_session)
    poll_with_page(page, lambda: len(net.swallowed) >= 6, what="six swallowed frames")

    page.reload()
    expect(page.locator("#recording p[data-status]")).to_contain_text("This recording is open")
    poll_with_page(page, lambda: net.connections >= 2, what="the reloaded page to connect")
    poll_with_page(
        page,
        lambda: frames_received(live_server, ready_session) >= 8 + len(net.swallowed),
        what="the swallowed frames, sent again after the reload",
    )
    rec = stop_and_find_no_gap(page, live_server, ready_session)
    assert rec.frames_received >= 8 + len(net.swallowed)
