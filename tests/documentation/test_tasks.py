"""The background draft job: runs after commit, acts as the session's clinician, drafts once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from hearth import jobs
from hearth.documentation import service as docs
from hearth.documentation import tasks
from hearth.documentation.models import Note
from hearth.practice import service as practice
from hearth.runtime import Runtime
from hearth.security.models import JobRecord, User
from tests.documentation.test_service import SESSION, START
from tests.factories import make_client, make_clinician, principal

pytestmark = pytest.mark.both_backends


@pytest.fixture
def bound(runtime: Runtime) -> Iterator[Runtime]:
    """The test's runtime, bound as the one jobs use (immediate mode)."""
    jobs.bind_runtime(runtime)
    yield runtime
    jobs.bind_runtime(None)


def make_session(rt: Runtime, *, consent: bool = True) -> tuple[str, str, str]:
    """A session with an imported transcript; returns (session id, client id, user id)."""
    with rt.db.transaction() as s:
        user, _ = make_clinician(s, name="Dana Testwell")
        p = principal(s, user)
        client = make_client(s, p, "Samantha", "Sample", preferred_name="Sam")
        kinds = ("treatment", "ai_processing") if consent else ("treatment",)
        for kind in kinds:
            practice.grant_consent(s, p, client.id, kind, method="paper", text_version="v1")
        row = docs.create_session(
            s, p, client_ids=[client.id], started_at=START, ended_at=START + dt.timedelta(hours=1)
        )
        docs.import_transcript(s, p, row.id, text=SESSION, filename="s.txt")
        return row.id, client.id, user.id


def notes(rt: Runtime) -> list[Note]:
    with rt.db.transaction() as s:
        rows = list(s.scalars(select(Note)))
        s.expunge_all()
        return rows


def test_running_the_job_twice_drafts_once(bound):
    session_id, client_id, _ = make_session(bound)
    assert tasks.draft_session.call_local(session_id, "soap") == "drafted"
    assert tasks.draft_session.call_local(session_id, "soap") == "done"
    tasks.draft_session(session_id, "soap")  # through the queue (immediate mode)
    (note,) = notes(bound)
    assert note.client_id == client_id and note.status == "draft" and note.template == "soap"
    # another template is another job
    assert tasks.draft_session.call_local(session_id, "dap") == "drafted"
    assert sorted(n.template for n in notes(bound)) == ["dap", "soap"]


def test_a_note_drafted_by_hand_is_not_drafted_again(bound):
    session_id, _, user_id = make_session(bound)
    with bound.db.transaction() as s:
        docs.draft_for_session(s, principal(s, s.get(User, user_id)), session_id, template="birp")
    assert tasks.draft_session.call_local(session_id, "birp") == "done"
    assert len(notes(bound)) == 1


def test_without_ai_consent_nothing_is_drafted_and_nothing_is_marked(bound):
    session_id, client_id, user_id = make_session(bound, consent=False)
    assert tasks.draft_session.call_local(session_id, "soap") == "consent_required"
    with bound.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(JobRecord)) == 0
        practice.grant_consent(
            s,
            principal(s, s.get(User, user_id)),
            client_id,
            "ai_processing",
            method="paper",
            text_version="v1",
        )
    assert tasks.draft_session.call_local(session_id, "soap") == "drafted"


def test_queued_after_commit_and_dropped_on_rollback(bound):
    session_id, _, _ = make_session(bound)
    with pytest.raises(RuntimeError), bound.db.transaction() as s:
        tasks.queue_draft(s, session_id, "soap")
        raise RuntimeError("the request failed")
    assert notes(bound) == []
    with bound.db.transaction() as s:
        tasks.queue_draft(s, session_id, "soap")
    assert len(notes(bound)) == 1


def test_missing_sessions_and_transcripts_are_reported_not_retried(bound):
    assert tasks.draft_session.call_local("no-such-session", "soap") == "missing"
    with bound.db.transaction() as s:
        user, _ = make_clinician(s)
        p = principal(s, user)
        client = make_client(s, p)
        empty = docs.create_session(s, p, client_ids=[client.id]).id
    assert tasks.draft_session.call_local(empty, "soap") == "no_transcript"
    session_id, _, _ = make_session(bound)
    assert tasks.draft_session.call_local(session_id, "/etc/x.json") == "unknown_template"
    assert notes(bound) == []
