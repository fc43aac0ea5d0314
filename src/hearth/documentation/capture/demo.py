"""Demo: a session recorded in the browser, with its transcript and draft.

The audio is synthetic: two espeak-ng voices reading an invented, everyday exchange (no real
person). The demo clinician (Morgan Demo) has a voice print made from other synthetic lines,
so the transcript's speakers are named and the SOAP draft follows at once. Without espeak-ng
and sox the step is skipped with a log line. The audio stays, encrypted, until the draft is
signed — the Recording panel shows how long.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hearth.documentation import service as docs
from hearth.documentation.audio import synthetic
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture import service
from hearth.documentation.capture import transcription as work
from hearth.documentation.capture.engine import SpeechEngine, VoicePrint, get_engine
from hearth.documentation.capture.storage import AUDIO, AudioStore
from hearth.documentation.transcript import Transcript

if TYPE_CHECKING:
    from hearth.demo.seed import DemoContext

log = logging.getLogger(__name__)

DEMO_CLIENT = "Demohart"  # Cleo Demohart: recording and AI processing consent given
DEMO_LINES = synthetic.THERAPY_DIALOGUE[:8]
ENROLLMENT_LINES = synthetic.CLINICIAN_LINES[:5]


@dataclass(frozen=True)
class DemoAudio:
    """The demo's synthetic audio, the clinician's voice print and the engine's transcript."""

    samples: np.ndarray
    duration: float
    voice: VoicePrint
    transcript: Transcript


_made: dict[int, tuple[SpeechEngine, DemoAudio]] = {}


def demo_audio(engine: SpeechEngine) -> DemoAudio:
    """Speak, enroll and transcribe once per process and engine (the demo is deterministic, so
    seeding again, or after a reset, does not run the models again)."""
    hit = _made.get(id(engine))
    if hit is not None and hit[0] is engine:
        return hit[1]
    me = synthetic.dialogue([(0, t) for t in ENROLLMENT_LINES], synthetic.FEMALE_MALE, seed=3)
    with tempfile.TemporaryDirectory(prefix="hearth-demo-") as folder:
        voice = engine.enroll(synthetic.write_wav(Path(folder) / "voice.wav", me.samples))
    spoken = synthetic.dialogue(DEMO_LINES, synthetic.FEMALE_MALE)
    transcript = engine.transcribe(
        spoken.samples, speakers=2, clinician_voice=voice.profile, progress=None
    )
    made = DemoAudio(spoken.samples, spoken.duration, voice, transcript)
    _made[id(engine)] = (engine, made)
    return made


def seed_recording(ctx: DemoContext) -> None:
    """A recorded session (synthetic espeak-ng audio) with its transcript and draft note."""
    if not synthetic.tools_available():
        log.info("demo recording skipped: espeak-ng and sox are not installed")
        return
    runtime = getattr(ctx, "runtime", None)
    if runtime is None:
        log.info("demo recording skipped: no media folder was given to the seed")
        return
    db = ctx.session
    owner = ctx.principal("owner")
    store = AudioStore(runtime.settings.effective_media_dir)
    made = demo_audio(get_engine(runtime.settings))
    service.enroll_voice(db, owner, made.voice)

    pcm = (np.clip(made.samples, -1, 1) * 32767).astype("<i2").tobytes()
    started = ctx.local(ctx.today - dt.timedelta(days=1), "11:00")
    stopped = started + dt.timedelta(seconds=made.duration)
    session_row = docs.create_session(
        db,
        owner,
        client_ids=[ctx.client_id(DEMO_CLIENT)],
        session_kind="individual",
        modality="in_person",
    )
    rec = service.start_recording(db, owner, session_row.id, now=started)
    frames = -(-len(pcm) // (wire.SAMPLE_RATE))  # 0.5 s frames, as the browser sends them
    store.write(rec.id, AUDIO, [pcm])
    rec.frames_received = frames
    rec.max_seq = rec.contiguous_through = frames - 1
    rec.samples_received = len(pcm) // wire.BYTES_PER_SAMPLE
    rec.assembled = True
    rec.status = "stopped"
    rec.stop_reason = "stopped"
    rec.stopped_at = rec.last_seen_at = stopped
    rec.duration_seconds = made.duration
    db.flush()
    recording_id = rec.id
    service.after_rollback(db, lambda: store.delete(recording_id))
    work.store_result(db, store, rec, made.transcript, stopped)
    row = docs.latest_transcript(db, session_row.id)
    if row is None or not row.utterances:
        log.warning("demo recording: the synthetic audio gave no transcript; no draft")
        return
    if not row.roles_confirmed:  # the voice print did not match: confirm as a clinician would
        docs.confirm_roles(db, owner, row.id, dict(row.speaker_roles))
    docs.draft_for_session(db, owner, session_row.id, template="soap")
