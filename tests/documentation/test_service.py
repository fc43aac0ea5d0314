import datetime as dt

import pytest
from sqlalchemy import func, select

from hearth.documentation import service as docs
from hearth.documentation.models import Transcript
from hearth.documentation.service import SignOptions
from hearth.errors import Conflict, ConsentRequired, Forbidden, Invalid, NotFound
from hearth.practice import service as practice
from tests.factories import PASSWORD, make_client, make_clinician, principal

pytestmark = pytest.mark.both_backends

SESSION = """Dana Testwell: Good morning, Sam. How was your week?
Sam: Hard. I only slept about four hours most nights because of the deadline.
Dana Testwell: That sounds exhausting. Any thoughts of hurting yourself or ending your life?
Sam: No, never. I just feel on edge all the time.
Dana Testwell: Let's practise the breathing exercise, and this week try a wind-down routine \
at 10 pm.
Sam: Okay, I can try that.
"""
START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(runtime):
    with runtime.db.transaction() as s:
        sup_user, sup = make_clinician(s, "supervisor", name="Sue Pervisor")
        user, clin = make_clinician(s, name="Dana Testwell", supervisor=sup)
        other_user, _ = make_clinician(s, name="Oscar Other")
        p = principal(s, user)
        client = make_client(s, p, "Samantha", "Sample", preferred_name="Sam", pronouns="she/her")
        practice.add_to_care_team(s, principal(s, make_clinician(s, "owner")[0]), client.id, sup.id)
        for kind in ("treatment", "ai_processing"):
            practice.grant_consent(s, p, client.id, kind, method="paper", text_version="v1")
        return {"user": user.id, "sup": sup_user.id, "other": other_user.id, "client": client.id}


def who(s, user_id):
    from hearth.security.models import User

    return principal(s, s.get(User, user_id))


def new_session(s, world):
    p = who(s, world["user"])
    row = docs.create_session(
        s,
        p,
        client_ids=[world["client"]],
        started_at=START,
        ended_at=START + dt.timedelta(minutes=53),
    )
    t = docs.import_transcript(s, p, row.id, text=SESSION, filename="s.txt")
    return p, row, t


def test_import_maps_roles_by_name_and_links_the_client(runtime, world):
    with runtime.db.transaction() as s:
        _, row, t = new_session(s, world)
        assert t.speaker_roles == {"Dana Testwell": "clinician", "Sam": "client"}
        assert t.speaker_clients == {"Sam": world["client"]}
        assert t.roles_confirmed


def test_malformed_transcript_writes_nothing(runtime, world):
    with runtime.db.transaction() as s:
        p = who(s, world["user"])
        row = docs.create_session(s, p, client_ids=[world["client"]])
        with pytest.raises(Invalid, match="line 4"):
            docs.import_transcript(
                s, p, row.id, text="WEBVTT\n\n1\n00:00:01.000 --> x\nA: hi\n", filename="bad.vtt"
            )
        assert s.scalar(select(func.count()).select_from(Transcript)) == 0


def test_drafting_needs_ai_processing_consent(runtime, world):
    with runtime.db.transaction() as s:
        p, row, _ = new_session(s, world)
        practice.revoke_consent(s, p, world["client"], "ai_processing")
        with pytest.raises(ConsentRequired):
            docs.draft_for_session(s, p, row.id)


def test_review_sign_addendum_cosign(runtime, world):
    with runtime.db.transaction() as s:
        p, row, _ = new_session(s, world)
        (note,) = docs.draft_for_session(s, p, row.id, template="soap")
        assert note.status == "draft" and note.risk["assessed"] is True
        content = note.content
        subjective = next(x for x in content["sections"] if x["key"] == "subjective")
        subjective["statements"].append({"id": "new1", "text": "Sam takes lorazepam 2 mg nightly."})
        note = docs.autosave(s, p, note.id, content=content, version=note.version)
        added = next(
            st for x in note.content["sections"] for st in x["statements"] if st["id"] == "new1"
        )
        assert added["verification"] == "unsupported" and added["source"] == "clinician"
        with pytest.raises(Conflict, match="saved elsewhere"):
            docs.autosave(s, p, note.id, content=note.content, version=1)
        with pytest.raises(Forbidden):
            docs.sign_note(s, p, note.id, password="wrong password!")
        with pytest.raises(Conflict, match="new1"):
            docs.sign_note(s, p, note.id, password=PASSWORD)
        content = note.content
        for x in content["sections"]:
            x["statements"] = [st for st in x["statements"] if st["id"] != "new1"]
        note = docs.autosave(s, p, note.id, content=content, version=note.version)
        note = docs.sign_note(
            s, p, note.id, password=PASSWORD, options=SignOptions(late_entry_hours=24 * 365 * 10)
        )
        assert note.status == "signed" and len(note.content_hash) == 64
        assert note.facts["face_to_face_minutes"] == 53 and note.facts["time_source"] == "entered"
        assert note.facts["note_hash"] == note.content_hash
        assert note.cosign_required and not note.late_entry
        assert note.edit_metrics["subjective"]["edit_distance"] == 0
        with pytest.raises(Conflict):
            docs.autosave(s, p, note.id, content=note.content, version=note.version)
        add = docs.add_addendum(
            s, p, note.id, body="Client called to confirm the plan.", late_entry_hours=0
        )
        assert add.late_entry
        with pytest.raises(NotFound):
            docs.cosign_note(s, who(s, world["other"]), note.id, password=PASSWORD)
        assert (
            docs.cosign_note(s, who(s, world["sup"]), note.id, password=PASSWORD).status
            == "cosigned"
        )


def test_other_clinician_cannot_see_notes_or_sessions(runtime, world):
    with runtime.db.transaction() as s:
        p, row, t = new_session(s, world)
        (note,) = docs.draft_for_session(s, p, row.id)
        other = who(s, world["other"])
        for call in (
            lambda: docs.get_note(s, other, note.id),
            lambda: docs.get_session(s, other, row.id),
            lambda: docs.get_transcript(s, other, t.id),
        ):
            with pytest.raises(NotFound):
                call()


def test_private_notes_are_the_authors_only(runtime, world):
    with runtime.db.transaction() as s:
        p = who(s, world["user"])
        docs.write_private_note(s, p, world["client"], "My process notes.")
        assert [n.body for n in docs.private_notes(s, p, world["client"])] == ["My process notes."]
        assert docs.private_notes(s, who(s, world["sup"]), world["client"]) == []


def test_treatment_plan_goal_linked_to_note(runtime, world):
    with runtime.db.transaction() as s:
        p, row, _ = new_session(s, world)
        docs.create_plan(
            s,
            p,
            world["client"],
            [
                {"ref": "p1", "kind": "problem", "text": "Insomnia linked to work stress"},
                {
                    "ref": "g1",
                    "kind": "goal",
                    "parent": "p1",
                    "text": "Improve sleep with a wind-down routine",
                },
                {
                    "kind": "objective",
                    "parent": "g1",
                    "text": "Sleep 6 hours on 5 of 7 nights",
                    "target_date": "2027-01-31",
                },
            ],
        )
        with pytest.raises(Invalid, match="parent"):
            docs.create_plan(s, p, world["client"], [{"kind": "goal", "parent": "zz", "text": "x"}])
        (note,) = docs.draft_for_session(s, p, row.id, template="girp")
        goals = next(x for x in note.content["sections"] if x["key"] == "goals")["statements"]
        assert any(e.startswith("goal:") for st in goals for e in st["evidence"])
