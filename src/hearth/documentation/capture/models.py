"""Tables of ambient capture: recordings, their stored frames, and clinicians' voice prints.

Audio itself lives under HEARTH_MEDIA_DIR, encrypted (``storage.py``); these rows say what
is stored, where a recording is in its life, and when its audio was deleted and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hearth.db import Base, UTCDateTime, utcnow
from hearth.security.crypto import EncryptedJSON, EncryptedText
from hearth.security.models import new_id

RECORDING_KINDS = ("live", "upload")
# recording/paused: the browser is streaming; stopped/uploaded: audio complete, waiting for
# the transcription job; transcribing; transcribed; failed (a retry is possible); erased (at
# the client's request, before or without a transcript that a signed note keeps).
RECORDING_STATUSES = (
    "recording",
    "paused",
    "stopped",
    "uploaded",
    "transcribing",
    "transcribed",
    "failed",
    "erased",
)
LIVE_STATUSES = ("recording", "paused")
# Why audio was deleted (every deletion is audited as well).
DELETION_REASONS = (
    "note_signed",
    "retention_maximum",
    "consent_revoked",
    "erased_on_request",
    "orphaned",
    "nothing_recorded",
)


class Recording(Base):
    """One recording of a session: streamed live from the browser or uploaded as a file."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))  # live | upload
    status: Mapped[str] = mapped_column(String(16), index=True)
    stop_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)

    # live capture: frames 0..n-1 of 16 kHz mono int16 PCM
    sample_rate: Mapped[int] = mapped_column(Integer, default=16_000)
    frames_received: Mapped[int] = mapped_column(Integer, default=0)
    contiguous_through: Mapped[int] = mapped_column(Integer, default=-1)
    max_seq: Mapped[int] = mapped_column(Integer, default=-1)
    samples_received: Mapped[int] = mapped_column(Integer, default=0)
    gaps: Mapped[int] = mapped_column(Integer, default=0)  # frames never received (accepted)
    assembled: Mapped[bool] = mapped_column(Boolean, default=False)

    # upload
    filename: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    upload_format: Mapped[str | None] = mapped_column(String(10), nullable=True)
    upload_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)

    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)

    # live partial transcript (superseded by the final transcript)
    partial: Mapped[list[dict[str, Any]] | None] = mapped_column(EncryptedJSON, nullable=True)
    partial_through: Mapped[int] = mapped_column(Integer, default=-1)
    live_queued_through: Mapped[int] = mapped_column(Integer, default=-1)

    # the transcription job
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_stage: Mapped[str | None] = mapped_column(String(40), nullable=True)
    progress_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    transcript_id: Mapped[str | None] = mapped_column(
        ForeignKey("transcripts.id", ondelete="SET NULL"), nullable=True
    )
    clinician_recognised: Mapped[bool] = mapped_column(Boolean, default=False)

    # retention
    audio_deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deletion_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    final_warning_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def live(self) -> bool:
        """True while the browser may still stream frames."""
        return self.status in LIVE_STATUSES

    @property
    def has_audio(self) -> bool:
        """True until the audio is deleted."""
        return self.audio_deleted_at is None


class AudioFrame(Base):
    """One stored frame of a live recording: stored once, however often it is resent."""

    __tablename__ = "audio_frames"

    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VoiceEnrollment(Base):
    """A clinician's voice print (a speaker embedding, encrypted); the audio is not kept."""

    __tablename__ = "voice_enrollments"

    clinician_id: Mapped[str] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), primary_key=True
    )
    profile: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # the audio package's JSON
    seconds: Mapped[float] = mapped_column(Float)
    encoder: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
