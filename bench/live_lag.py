"""Live lag: how long after words are spoken their text appears in the live transcript.

A whole Hearth runs as the user would start it (`hearth run`: web server and job consumer in
one process, SQLite, demo practice) in a scratch folder. This script plays the browser: it
signs in as the demo clinician, opens a session for a client with recording consent, starts
a live recording and streams a synthetic espeak-ng dialogue over the WebSocket in 0.5 s
frames at real-time pace, as the page's AudioWorklet does. Meanwhile it polls the
recording's live text (GET /api/v1/recordings/{id}, as the page does) and notes when each
line first appears. A line's lag is that moment minus the moment its last word was
streamed, and, the stricter figure, minus the moment its first word was streamed (a word
spoken at the start of a window waits for the window to fill). At the end it stops and
reports when the final transcript was ready.

Target (issue 4): live lag <= 10 s.

    .venv/bin/python bench/live_lag.py                # 5 minutes of dialogue
    .venv/bin/python bench/live_lag.py --minutes 10 --window 10

Needs the Debian packages espeak-ng and sox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import websockets

DEMO_EMAIL = "clinician@example.test"
DEMO_PASSWORD = "hearth-demo-password"  # noqa: S105 - the demo practice's published password
FRAME_SECONDS = 0.5
POLL_SECONDS = 0.25


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dialogue_pcm(minutes: float) -> bytes:
    from hearth.documentation.audio import synthetic

    d = synthetic.dialogue(synthetic.long_session_lines(minutes), ("en-us+f3", "en-us+m3"))
    return (np.clip(d.samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def start_hearth(folder: Path, port: int, window: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HEARTH_ENV": "development",
        "HEARTH_DATA_DIR": str(folder),
        "HEARTH_RECORDING_LIVE_WINDOW_SECONDS": str(window),
        "HEARTH_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("HEARTH_DATABASE_URL", None)
    env.pop("HEARTH_REDIS_URL", None)
    hearth = Path(sys.executable).with_name("hearth")
    log = (folder / "hearth.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our own hearth command
        [str(hearth), "run", "--seed-if-empty", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while True:
        if proc.poll() is not None:
            sys.exit(f"hearth run exited; see {folder / 'hearth.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("hearth run did not become ready in 5 minutes")
        time.sleep(0.5)  # waiting for the server to report ready


def sign_in(http: httpx.Client) -> str:
    page = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    r = http.post(
        "/login",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.text
    return str(http.get("/api/v1/me").json()["csrf_token"])


def open_recording(http: httpx.Client, csrf: str) -> dict[str, object]:
    """A new session for the first client whose consent allows recording, and its recording."""
    headers = {"X-CSRF-Token": csrf}
    for client in http.get("/api/v1/clients").json():
        r = http.post(
            "/api/v1/sessions",
            headers=headers,
            json={"client_ids": [client["id"]], "session_kind": "individual"},
        )
        if r.status_code != 201:
            continue
        rec = http.post(f"/api/v1/sessions/{r.json()['id']}/recordings", headers=headers)
        if rec.status_code == 201:
            return dict(rec.json())
    sys.exit("no demo client with recording consent")


async def stream(
    base: str, cookie: str, rec: dict[str, object], pcm: bytes, http: httpx.AsyncClient
) -> dict[str, object]:
    from hearth.documentation.capture import frames as wire

    size = int(FRAME_SECONDS * wire.SAMPLE_RATE) * wire.BYTES_PER_SAMPLE
    frames = [pcm[i : i + size] for i in range(0, len(pcm), size)]
    ws = await websockets.connect(
        base.replace("http://", "ws://") + str(rec["websocket"]),
        origin=base,
        additional_headers={"Cookie": f"hearth_session={cookie}"},
        max_size=None,
    )
    await ws.send(json.dumps({"type": "hello", "token": rec["token"]}))
    ready = json.loads(await ws.recv())
    assert ready["type"] == "ready", ready

    seen: dict[tuple[float, float, str], float] = {}  # (start, end, text) -> when it appeared
    t0 = time.monotonic()
    done = asyncio.Event()

    async def read_acks() -> None:
        acked = 0
        while acked < len(frames):
            msg = json.loads(await ws.recv())
            if msg.get("type") == "ack":
                acked += 1

    async def poll() -> None:
        while not done.is_set():
            r = await http.get(f"/api/v1/recordings/{rec['id']}")
            now = time.monotonic() - t0
            for line in r.json().get("partial") or []:
                key = (float(line["start"]), float(line["end"]), line["text"])
                seen.setdefault(key, now)
            await asyncio.sleep(POLL_SECONDS)

    acks = asyncio.create_task(read_acks())
    poller = asyncio.create_task(poll())
    for seq, frame in enumerate(frames):
        # Real-time pace: frame seq is sent once its half second has been "spoken".
        due = t0 + (seq + 1) * FRAME_SECONDS
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await ws.send(wire.encode_frame(seq, frame))
    await acks
    # Wait for the live text to catch up with the last full window, then stop.
    spoken = len(pcm) / wire.BYTES_PER_SAMPLE / wire.SAMPLE_RATE
    await asyncio.sleep(0)
    stop_at = time.monotonic() - t0
    await ws.send(json.dumps({"type": "stop", "frames": len(frames)}))
    while json.loads(await ws.recv()).get("type") != "stopped":
        pass
    await ws.close()
    while True:
        r = (await http.get(f"/api/v1/recordings/{rec['id']}")).json()
        if r["status"] in ("transcribed", "failed"):
            break
        await asyncio.sleep(POLL_SECONDS)
    final_at = time.monotonic() - t0
    done.set()
    await poller
    return {
        "seen": seen,
        "spoken": spoken,
        "stop_at": stop_at,
        "final_at": final_at,
        "status": r["status"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=6.0, help="live window, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    pcm = dialogue_pcm(args.minutes)
    folder = Path(tempfile.mkdtemp(prefix="hearth-live-lag-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_hearth(folder, port, args.window)
    try:
        with httpx.Client(base_url=base, follow_redirects=False) as http:
            csrf = sign_in(http)
            cookie = http.cookies["hearth_session"]
            rec = open_recording(http, csrf)

        async def go() -> dict[str, object]:
            async with httpx.AsyncClient(
                base_url=base, cookies={"hearth_session": cookie}, timeout=30
            ) as ahttp:
                return await stream(base, cookie, rec, pcm, ahttp)

        result = asyncio.run(go())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    seen: dict[tuple[float, float, str], float] = result["seen"]  # type: ignore[assignment]
    words = sum(len(text.split()) for (_, _, text) in seen)
    print(f"audio streamed: {result['spoken']:.0f} s at real-time pace, window {args.window:g} s")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if not seen:
        print("no live text appeared")
    for name, index in (("last word", 1), ("first word", 0)):
        lags = sorted(appeared - key[index] for key, appeared in seen.items())
        if not lags:
            break
        p95 = lags[min(len(lags) - 1, round(0.95 * (len(lags) - 1)))]
        print(
            f"live lines: {len(lags)} ({words} words); lag from a line's {name}: median"
            f" {statistics.median(lags):.1f} s, p95 {p95:.1f} s, max {lags[-1]:.1f} s"
            " (target <= 10 s)"
        )
    after_stop = float(result["final_at"]) - float(result["stop_at"])  # type: ignore[arg-type]
    print(f"final transcript {result['status']} {after_stop:.1f} s after stop")
    print(
        "command: .venv/bin/python bench/live_lag.py"
        f" --minutes {args.minutes:g} --window {args.window:g}"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"scratch folder: {folder}")


if __name__ == "__main__":
    main()
