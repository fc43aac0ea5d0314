"""When a recording's audio may, must or must not be deleted (pure: the clock is a value).

Audio is kept until its transcript is safe. Then it goes once every note drafted from the
session is signed, or at once when a client revoked recording consent. While a note stays
unsigned the audio waits: the clinician is reminded, warned a last time, and the audio is
deleted at the practice maximum (never sooner than a day after the final warning).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["keep", "remind", "final_warning", "delete"]
GRACE_AFTER_FINAL_WARNING = dt.timedelta(days=1)


@dataclass(frozen=True)
class RetentionPolicy:
    """The practice's limits (HEARTH_RECORDING_* settings)."""

    max_days: int = 30
    reminder_days: int = 7
    final_warning_days: int = 3

    @classmethod
    def from_settings(cls, settings: Any) -> RetentionPolicy:
        """The policy the settings ask for."""
        return cls(
            max_days=settings.recording_retention_days,
            reminder_days=settings.recording_reminder_days,
            final_warning_days=settings.recording_final_warning_days,
        )

    def deletes_on(self, since: dt.datetime) -> dt.datetime:
        """When audio complete at ``since`` reaches the practice maximum."""
        return since + dt.timedelta(days=self.max_days)


@dataclass(frozen=True)
class AudioFacts:
    """What the decision needs to know about one recording's audio."""

    since: dt.datetime  # when the audio was complete (stopped or uploaded)
    live: bool
    transcribed: bool
    notes_signed: bool  # at least one note of the session, and every one of them signed
    consent_revoked: bool
    reminded: bool
    final_warning_at: dt.datetime | None


@dataclass(frozen=True)
class Decision:
    """What to do now, and why (the reason is stored with a deletion and audited)."""

    action: Action
    reason: str = ""


def decide(facts: AudioFacts, policy: RetentionPolicy, now: dt.datetime) -> Decision:
    """The retention step due for one recording's audio at ``now``."""
    if facts.live:
        return Decision("keep", "still recording")
    if facts.transcribed and facts.notes_signed:
        return Decision("delete", "note_signed")
    if facts.transcribed and facts.consent_revoked:
        return Decision("delete", "consent_revoked")
    age = now - facts.since
    maximum = dt.timedelta(days=policy.max_days)
    if facts.final_warning_at is not None:
        if age >= maximum and now - facts.final_warning_at >= GRACE_AFTER_FINAL_WARNING:
            return Decision("delete", "retention_maximum")
        return Decision("keep", "final warning sent")
    if age >= maximum - dt.timedelta(days=policy.final_warning_days):
        return Decision("final_warning", "maximum is near")
    if age >= dt.timedelta(days=policy.reminder_days) and not facts.reminded:
        return Decision("remind", "note still unsigned")
    return Decision("keep", "waiting for the note to be signed")
