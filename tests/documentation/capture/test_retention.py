"""When audio is kept, the clinician reminded and warned, and audio deleted (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.documentation.capture.retention import AudioFacts, RetentionPolicy, decide

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
POLICY = RetentionPolicy(max_days=30, reminder_days=7, final_warning_days=3)


def facts(**kw) -> AudioFacts:
    base = {
        "since": T0,
        "live": False,
        "transcribed": True,
        "notes_signed": False,
        "consent_revoked": False,
        "reminded": False,
        "final_warning_at": None,
    }
    return AudioFacts(**{**base, **kw})


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("kw", "days", "action", "reason"),
    [
        ({"live": True}, 40, "keep", "still recording"),
        ({"notes_signed": True}, 0, "delete", "note_signed"),
        (
            {"notes_signed": True, "transcribed": False},
            2,
            "keep",
            "waiting for the note to be signed",
        ),
        ({"consent_revoked": True}, 0, "delete", "consent_revoked"),
        (
            {"consent_revoked": True, "transcribed": False},
            1,
            "keep",
            "waiting for the note to be signed",
        ),
        ({}, 6.9, "keep", "waiting for the note to be signed"),
        ({}, 7, "remind", "note still unsigned"),
        ({"reminded": True}, 20, "keep", "waiting for the note to be signed"),
        ({"reminded": True}, 27, "final_warning", "maximum is near"),
        ({"reminded": True, "final_warning_at": at(27)}, 29, "keep", "final warning sent"),
        ({"reminded": True, "final_warning_at": at(27)}, 30, "delete", "retention_maximum"),
        # a late final warning still gives a day's notice
        ({"final_warning_at": at(40)}, 40.5, "keep", "final warning sent"),
        ({"final_warning_at": at(40)}, 41, "delete", "retention_maximum"),
        ({}, 45, "final_warning", "maximum is near"),
    ],
)
def test_decisions(kw, days, action, reason):
    decision = decide(facts(**kw), POLICY, at(days))
    assert (decision.action, decision.reason) == (action, reason)


def test_the_policy_comes_from_settings_and_dates_the_deletion(settings):
    settings.recording_retention_days = 14
    policy = RetentionPolicy.from_settings(settings)
    assert policy.max_days == 14
    assert policy.deletes_on(T0) == at(14)
