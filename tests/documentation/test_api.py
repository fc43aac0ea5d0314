"""The documentation JSON API: sessions, transcripts, drafts, review, signing, exports, plans.

Runs on SQLite and, when configured, PostgreSQL. Everyone here is synthetic and fake.
"""

# ruff: noqa: F811
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from hearth.documentation.models import Note, PrivateNote, Transcript
from hearth.practice import service as practice
from hearth.security import service as auth
from hearth.security.models import User

# The web fixtures (app, fake practice, signed-in browsers) are imported by name so pytest
# finds them here; test parameters then shadow the imports, as fixtures do.
from tests.web.support import PASSWORD, app, audit_rows, browser, fake  # noqa: F401

pytestmark = pytest.mark.both_backends

# "Clin A Demo" and "Clin B Demo" are the fake practice's clinicians (tests/web/support.py).
TRANSCRIPT = """Clin A Demo: Good morning, Maria. How have you been sleeping this week?
Maria: Badly. I only slept about four hours most nights because of the deadline at work.
Clin A Demo: That sounds exhausting. Any thoughts of hurting yourself or ending your life?
Maria: No, never. I just feel on edge all the time.
Clin A Demo: Let's practise the breathing exercise, and this week try a wind-down routine at 10 pm.
Maria: Okay, I can try that.
"""
OLIVE_TRANSCRIPT = TRANSCRIPT.replace("Clin A Demo", "Clin B Demo").replace("Maria", "Olive")
UNMAPPED = """A: How was the week at work?
B: Long. The deadline kept me up until two most nights.
A: What helped, if anything?
B: Walking at lunch helped a little.
"""
MALFORMED_VTT = "WEBVTT\n\n1\n00:00:01.000 --> x\nA: hi\n"
START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def grant_ai(runtime, fake, *client_keys: str) -> None:
    """Treatment and ai_processing consent for the named fake clients."""
    with runtime.db.transaction() as s:
        owner = auth.staff_principal(s, s.get(User, fake.users["owner"]))
        for key in client_keys:
            for kind in ("treatment", "ai_processing"):
                practice.grant_consent(
                    s, owner, fake.clients[key], kind, method="paper", text_version="v1"
                )


def new_session(b, client_id: str, **extra) -> dict:
    body = {
        "client_ids": [client_id],
        "started_at": START.isoformat(),
        "ended_at": (START + dt.timedelta(minutes=53)).isoformat(),
        **extra,
    }
    r = b.api("POST", "/api/v1/sessions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def imported(b, session_id: str, text: str = TRANSCRIPT, **extra) -> dict:
    r = b.api(
        "POST",
        f"/api/v1/sessions/{session_id}/transcripts",
        json={"text": text, "filename": "session.txt", **extra},
    )
    assert r.status_code == 201, r.text
    return r.json()


def drafted(b, session_id: str, template: str = "soap") -> dict:
    r = b.api("POST", f"/api/v1/sessions/{session_id}/drafts", json={"template": template})
    assert r.status_code == 201, r.text
    (note,) = r.json()
    return note


def resolve_all(content: dict) -> dict:
    """The clinician takes responsibility for every flagged statement (the "confirm" control)."""
    for section in content["sections"]:
        for st in section["statements"]:
            if st["verification"] != "supported":
                st["confirmed"] = True
    return content


def signed(b, note: dict) -> dict:
    r = b.api(
        "PUT",
        f"/api/v1/notes/{note['id']}",
        json={"content": resolve_all(note["content"]), "version": note["version"]},
    )
    assert r.status_code == 200, r.text
    r = b.api("POST", f"/api/v1/notes/{note['id']}/sign", json={"password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


def count(runtime, model) -> int:
    with runtime.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_session_import_draft_review_sign_addendum_export(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session = new_session(b, fake.clients["maria"])
    assert session["client_ids"] == [fake.clients["maria"]] and session["transcript"] is None

    bad = b.api(
        "POST",
        f"/api/v1/sessions/{session['id']}/transcripts",
        json={"text": MALFORMED_VTT, "filename": "bad.vtt"},
    )
    assert bad.status_code == 422
    assert "line 4" in bad.json()["error"]["message"]
    assert "bad.vtt" in bad.json()["error"]["message"]
    assert count(runtime, Transcript) == 0

    t = imported(b, session["id"])
    assert t["roles_confirmed"] and t["speaker_roles"]["Clin A Demo"] == "clinician"
    assert [u["id"] for u in t["utterances"]] == ["u1", "u2", "u3", "u4", "u5", "u6"]
    assert b.get(f"/api/v1/transcripts/{t['id']}").json()["utterances"][1]["speaker"] == "Maria"

    note = drafted(b, session["id"])
    assert note["status"] == "draft" and note["version"] == 1
    assert note["risk"]["assessed"] is True
    keys = [s["key"] for s in note["content"]["sections"]]
    assert keys == ["subjective", "objective", "assessment", "plan", "risk"]
    evidence = {
        e for s in note["content"]["sections"] for st in s["statements"] for e in st["evidence"]
    }
    assert evidence & {"u2", "u4"}

    # autosave with the version; an invented medication is flagged; a stale version is 409
    content = note["content"]
    content["sections"][0]["statements"].append(
        {"id": "mine1", "text": "Maria takes lorazepam 2 mg nightly."}
    )
    saved = b.api("PUT", f"/api/v1/notes/{note['id']}", json={"content": content, "version": 1})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert "mine1" in saved.json()["unresolved"]
    stale = b.api("PUT", f"/api/v1/notes/{note['id']}", json={"content": content, "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"

    wrong = b.api("POST", f"/api/v1/notes/{note['id']}/sign", json={"password": "not it at all"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "reauth_failed"
    flagged = b.api("POST", f"/api/v1/notes/{note['id']}/sign", json={"password": PASSWORD})
    assert flagged.status_code == 409
    assert flagged.json()["error"]["code"] == "unresolved_statements"
    assert "mine1" in flagged.json()["error"]["message"]

    done = signed(b, saved.json())
    assert done["status"] == "signed" and len(done["content_hash"]) == 64
    assert done["facts"]["note_hash"] == done["content_hash"]
    assert done["unresolved"] == []

    again = b.api(
        "PUT", f"/api/v1/notes/{note['id']}", json={"content": content, "version": done["version"]}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "note_signed"
    assert b.api("POST", f"/api/v1/notes/{note['id']}/sign", json={"password": PASSWORD}).json()[
        "error"
    ]["code"] == ("note_signed")

    add = b.api(
        "POST", f"/api/v1/notes/{note['id']}/addenda", json={"body": "Maria called to confirm."}
    )
    assert add.status_code == 201 and len(add.json()["content_hash"]) == 64
    assert [a["body"] for a in b.get(f"/api/v1/notes/{note['id']}/addenda").json()] == [
        "Maria called to confirm."
    ]

    pdf = b.get(f"/api/v1/notes/{note['id']}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    txt = b.get(f"/api/v1/notes/{note['id']}/export.txt")
    assert txt.status_code == 200 and done["content_hash"] in txt.text
    assert "Maria called to confirm." in txt.text

    listed = b.get(f"/api/v1/clients/{fake.clients['maria']}/notes").json()
    assert [n["id"] for n in listed] == [note["id"]] and listed[0]["status"] == "signed"
    assert "content" not in listed[0]
    got = b.get(f"/api/v1/sessions/{session['id']}").json()
    assert got["note_ids"] == [note["id"]] and got["transcript"]["id"] == t["id"]

    actions = {r.action for r in audit_rows(runtime, actor_id=fake.users["clin_a"])}
    assert {"transcript.read", "note.read", "note.sign", "note.update", "note.export"} <= actions


def test_drafts_are_never_exported(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session = new_session(b, fake.clients["maria"])
    imported(b, session["id"])
    note = drafted(b, session["id"])
    for suffix in ("pdf", "txt"):
        r = b.get(f"/api/v1/notes/{note['id']}/export.{suffix}")
        assert r.status_code == 409 and r.json()["error"]["code"] == "note_draft"


def test_private_notes_are_not_notes_and_cannot_be_exported(runtime, fake, browser):
    from hearth.documentation import service as docs

    with runtime.db.transaction() as s:
        p = auth.staff_principal(s, s.get(User, fake.users["clin_a"]))
        private = docs.write_private_note(s, p, fake.clients["maria"], "Only mine.").id
    b = browser("clin_a", fake)
    for path in (f"/api/v1/notes/{private}", f"/api/v1/notes/{private}/export.txt"):
        assert b.get(path).status_code == 404
    assert count(runtime, PrivateNote) == 1


def test_unmapped_speakers_need_the_mapping_step_before_drafting(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session = new_session(b, fake.clients["maria"])
    t = imported(b, session["id"], UNMAPPED)
    assert not t["roles_confirmed"]
    refused = b.api("POST", f"/api/v1/sessions/{session['id']}/drafts", json={})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "roles_unconfirmed"
    bad = b.api("POST", f"/api/v1/transcripts/{t['id']}/roles", json={"roles": {"A": "boss"}})
    assert bad.status_code == 422
    ok = b.api(
        "POST",
        f"/api/v1/transcripts/{t['id']}/roles",
        json={
            "roles": {"A": "clinician", "B": "client"},
            "speaker_clients": {"B": fake.clients["maria"]},
        },
    )
    assert ok.status_code == 200 and ok.json()["roles_confirmed"]
    assert ok.json()["speaker_clients"] == {"B": fake.clients["maria"]}
    assert drafted(b, session["id"])["status"] == "draft"


def test_drafting_without_ai_consent_is_refused_with_a_clear_message(runtime, fake, browser):
    b = browser("clin_a", fake)
    session = new_session(b, fake.clients["maria"])
    imported(b, session["id"])
    r = b.api("POST", f"/api/v1/sessions/{session['id']}/drafts", json={"template": "dap"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "consent_required"
    assert "ai processing" in r.json()["error"]["message"]
    assert count(runtime, Note) == 0


def test_templates_are_the_built_in_set_only(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session = new_session(b, fake.clients["maria"])
    imported(b, session["id"])
    r = b.api("POST", f"/api/v1/sessions/{session['id']}/drafts", json={"template": "/etc/x.json"})
    assert r.status_code == 422 and r.json()["error"]["where"] == "template"


def test_supervised_clinicians_note_waits_for_the_supervisors_cosignature(runtime, fake, browser):
    grant_ai(runtime, fake, "olive")
    b = browser("clin_b", fake)
    session = new_session(b, fake.clients["olive"])
    imported(b, session["id"], OLIVE_TRANSCRIPT)
    note = signed(b, drafted(b, session["id"]))
    assert note["cosign_required"] and note["status"] == "signed"

    sup = browser("supervisor", fake)
    assert sup.get(f"/api/v1/notes/{note['id']}").status_code == 200
    wrong = sup.api("POST", f"/api/v1/notes/{note['id']}/cosign", json={"password": "nope nope"})
    assert wrong.status_code == 403
    ok = sup.api("POST", f"/api/v1/notes/{note['id']}/cosign", json={"password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["status"] == "cosigned"
    # the author cannot co-sign their own note
    assert b.api(
        "POST", f"/api/v1/notes/{note['id']}/cosign", json={"password": PASSWORD}
    ).status_code in (403, 409)


def test_other_clinicians_and_non_clinical_roles_cannot_reach_notes_or_transcripts(
    runtime, fake, browser
):
    grant_ai(runtime, fake, "maria")
    a = browser("clin_a", fake)
    session = new_session(a, fake.clients["maria"])
    t = imported(a, session["id"])
    note = drafted(a, session["id"])

    other = browser("clin_b", fake)
    for path in (
        f"/api/v1/notes/{note['id']}",
        f"/api/v1/transcripts/{t['id']}",
        f"/api/v1/sessions/{session['id']}",
        f"/api/v1/clients/{fake.clients['maria']}/notes",
        f"/api/v1/clients/{fake.clients['maria']}/plan",
    ):
        r = other.get(path)
        assert r.status_code == 404, path
        assert "Maria" not in r.text
    denied = audit_rows(runtime, outcome="denied", actor_id=fake.users["clin_b"])
    assert len(denied) == 5
    assert {tuple(r.record_ids) for r in denied} >= {(note["id"],), (fake.clients["maria"],)}
    edit = other.api(
        "PUT", f"/api/v1/notes/{note['id']}", json={"content": note["content"], "version": 1}
    )
    assert edit.status_code == 404

    for role in ("biller", "front_desk", "admin"):
        b = browser(role, fake)
        assert b.get(f"/api/v1/notes/{note['id']}").status_code == 404, role
        assert b.get(f"/api/v1/transcripts/{t['id']}").status_code == 404, role
        assert b.get(f"/api/v1/notes/{note['id']}/export.pdf").status_code == 404, role
        created = b.api("POST", "/api/v1/sessions", json={"client_ids": [fake.clients["maria"]]})
        assert created.status_code in (403, 404), role
    assert browser().get(f"/api/v1/notes/{note['id']}").status_code == 401


def test_treatment_plan_goals_list_the_notes_that_touch_them(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    plan = b.api(
        "POST",
        f"/api/v1/clients/{fake.clients['maria']}/plans",
        json={
            "items": [
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
                {"kind": "intervention", "parent": "g1", "text": "Breathing exercise practice"},
            ],
            "review_date": "2027-02-15",
        },
    )
    assert plan.status_code == 201, plan.text
    items = plan.json()["items"]
    assert [i["kind"] for i in items] == ["problem", "goal", "objective", "intervention"]
    goal = items[1]
    assert items[2]["parent_id"] == goal["id"] and items[2]["target_date"] == "2027-01-31"
    bad = b.api(
        "POST",
        f"/api/v1/clients/{fake.clients['maria']}/plans",
        json={"items": [{"kind": "goal", "parent": "zz", "text": "x"}]},
    )
    assert bad.status_code == 422 and "parent" in bad.json()["error"]["message"]

    session = new_session(b, fake.clients["maria"])
    imported(b, session["id"])
    note = drafted(b, session["id"], "girp")
    got = b.get(f"/api/v1/clients/{fake.clients['maria']}/plan").json()
    touched = next(i for i in got["items"] if i["id"] == goal["id"])
    assert touched["note_ids"] == [note["id"]]


def test_a_queued_draft_runs_after_commit_and_only_once(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session = new_session(b, fake.clients["maria"])
    imported(b, session["id"])
    for _ in range(2):
        r = b.api("POST", f"/api/v1/sessions/{session['id']}/drafts", json={"queue": True})
        assert r.status_code == 202
    assert len(b.get(f"/api/v1/sessions/{session['id']}").json()["note_ids"]) == 1


def test_openapi_documents_the_documentation_routes(fake, browser):
    spec = browser().get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}/transcripts",
        "/api/v1/transcripts/{transcript_id}/roles",
        "/api/v1/notes/{note_id}",
        "/api/v1/notes/{note_id}/sign",
        "/api/v1/notes/{note_id}/export.pdf",
        "/api/v1/clients/{client_id}/plan",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/notes/{note_id}"]["put"]["responses"]
    assert (
        "application/pdf"
        in paths["/api/v1/notes/{note_id}/export.pdf"]["get"]["responses"]["200"]["content"]
    )
