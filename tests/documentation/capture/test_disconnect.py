"""No audio is lost through a 5-minute disconnect: a real WebSocket client against a live
server on 127.0.0.1, with the server's capture clock moved by hand (no 5-minute wait)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
import websockets

from hearth.app import create_app
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture.models import Recording
from hearth.documentation.capture.storage import AUDIO, AudioStore
from hearth.documentation.capture.tasks import sweep_now
from tests.documentation.capture.conftest import FakeClock, frames_of, pcm_tone
from tests.web.support import PASSWORD

pytestmark = pytest.mark.both_backends


@dataclass
class Live:
    url: str
    clock: FakeClock


@pytest.fixture
def live(runtime, world, engine, bound) -> Iterator[Live]:
    """create_app(runtime) served by uvicorn on a free port, with a hand-moved capture clock."""
    app = create_app(runtime)
    clock = FakeClock()
    app.state.capture_clock = clock
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_config=None, log_level="warning", lifespan="off", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)  # polling until the server reports it started
    yield Live(url, clock)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def sign_in(url: str, email: str) -> tuple[str, str]:
    """Sign in through the form; returns the session cookie and the API's CSRF token."""
    with httpx.Client(base_url=url, follow_redirects=False) as http:
        page = http.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = http.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303, r.text
        cookie = http.cookies["hearth_session"]
        return cookie, http.get("/api/v1/me").json()["csrf_token"]


class Page:
    """What the browser page does: keep every frame until it is acknowledged."""

    def __init__(self, url: str, cookie: str, rec: dict) -> None:
        self.ws_url = url.replace("http://", "ws://") + rec["websocket"]
        self.origin = url
        self.cookie = cookie
        self.token = rec["token"]
        self.unacked: dict[int, bytes] = {}
        self.sent: list[bytes] = []

    def record(self, pcm: bytes) -> int:
        seq = len(self.sent)
        self.sent.append(pcm)
        self.unacked[seq] = pcm
        return seq

    async def connect(self):
        ws = await websockets.connect(
            self.ws_url,
            origin=self.origin,
            additional_headers={"Cookie": f"hearth_session={self.cookie}"},
        )
        await ws.send(json.dumps({"type": "hello", "token": self.token}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        return ws, ready

    async def send(self, ws, seqs) -> None:
        for seq in seqs:
            await ws.send(wire.encode_frame(seq, self.unacked[seq]))

    async def read_acks(self, ws, n: int) -> None:
        for _ in range(n):
            msg = json.loads(await ws.recv())
            assert msg["type"] == "ack", msg
            self.unacked.pop(msg["seq"], None)


def server_saw_the_drop(runtime, recording_id: str) -> None:
    """Wait until the server has noted the dropped connection (it does so asynchronously);
    only then may the test move the clock, or the drop would be stamped with the later time."""
    deadline = time.monotonic() + 20
    while True:
        with runtime.db.transaction() as s:
            if not s.get(Recording, recording_id).connected:
                return
        assert time.monotonic() < deadline, "the server never noticed the dropped connection"
        time.sleep(0.02)  # polling until the server records the disconnect


def test_no_audio_is_lost_through_a_five_minute_disconnect(runtime, world, live):
    cookie, csrf = sign_in(live.url, world.fp.emails["clin_a"])
    with httpx.Client(base_url=live.url, cookies={"hearth_session": cookie}) as http:
        r = http.post(
            f"/api/v1/sessions/{world.session_id}/recordings", headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 201, r.text
        rec = r.json()
    page = Page(live.url, cookie, rec)

    async def before_the_drop() -> None:
        ws, ready = await page.connect()
        assert ready["next_seq"] == 0
        seqs = [page.record(p) for p in frames_of(pcm_tone(6.0), 0.5)]
        await page.send(ws, seqs)
        await page.read_acks(ws, len(seqs) - 3)  # the last acknowledgements never arrive
        ws.transport.abort()  # the network drops, without a closing handshake

    asyncio.run(before_the_drop())
    assert len(page.unacked) == 3
    server_saw_the_drop(runtime, rec["id"])

    # Five minutes offline: the page keeps recording into its store; the server's clock moves.
    offline = pcm_tone(300.0, freq=330.0, start=6.0)
    for part in frames_of(offline, 2.0):
        page.record(part)
    live.clock.advance(minutes=5)
    assert sweep_now(runtime, live.clock())["finished"] == 0  # not taken for abandoned
    with runtime.db.transaction() as s:
        assert s.get(Recording, rec["id"]).status == "recording"

    async def after_reconnecting() -> None:
        ws, ready = await page.connect()
        assert ready["next_seq"] >= len(page.sent) - len(page.unacked)
        pending = sorted(page.unacked)
        await page.send(ws, pending)
        await page.read_acks(ws, len(pending))
        assert not page.unacked
        await ws.send(json.dumps({"type": "stop", "frames": len(page.sent)}))
        assert json.loads(await ws.recv()) == {"type": "stopped"}
        await ws.close()

    asyncio.run(after_reconnecting())
    stored = AudioStore(runtime.settings.effective_media_dir).read_all(rec["id"], AUDIO)
    assert stored == b"".join(page.sent)
    assert len(stored) == (6 + 300) * wire.SAMPLE_RATE * 2
    with runtime.db.transaction() as s:
        row = s.get(Recording, rec["id"])
        assert row.gaps == 0
        assert row.status == "transcribed"


def test_a_recording_left_for_an_hour_is_finished_with_what_arrived(runtime, world, live):
    cookie, csrf = sign_in(live.url, world.fp.emails["clin_a"])
    with httpx.Client(base_url=live.url, cookies={"hearth_session": cookie}) as http:
        rec = http.post(
            f"/api/v1/sessions/{world.session_id}/recordings", headers={"X-CSRF-Token": csrf}
        ).json()
    page = Page(live.url, cookie, rec)

    async def stream_then_vanish() -> None:
        ws, _ = await page.connect()
        seqs = [page.record(p) for p in frames_of(pcm_tone(2.0), 0.5)]
        await page.send(ws, seqs)
        await page.read_acks(ws, len(seqs))
        ws.transport.abort()

    asyncio.run(stream_then_vanish())
    server_saw_the_drop(runtime, rec["id"])
    live.clock.advance(minutes=61)
    assert sweep_now(runtime, live.clock())["finished"] == 1
    with runtime.db.transaction() as s:
        row = s.get(Recording, rec["id"])
        assert row.stop_reason == "abandoned"
        assert row.status == "transcribed"
    stored = AudioStore(runtime.settings.effective_media_dir).read_all(rec["id"], AUDIO)
    assert stored == b"".join(page.sent)
