"""Documentation pages: new session, import and mapping, the editor with autosave, signing,
addenda, co-signature, private notes, plans, dashboard and chart panels, and who sees what."""

# ruff: noqa: F811
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from hearth.documentation import service as docs
from hearth.documentation.models import Note, Transcript
from hearth.practice import service as practice
from hearth.security import service as auth
from hearth.security.models import User
from hearth.web.clinical_records import plan_items_from_rows
from hearth.web.notes import content_from_form
from tests.documentation.test_api import (
    MALFORMED_VTT,
    OLIVE_TRANSCRIPT,
    TRANSCRIPT,
    UNMAPPED,
    grant_ai,
)
from tests.web.support import PASSWORD, app, audit_rows, browser, fake  # noqa: F401

HX = {"HX-Request": "true"}


def session_page(b, client_id: str) -> str:
    """Start a session from the client's page; returns the session id."""
    page = b.get(f"/clients/{client_id}/sessions")
    assert page.status_code == 200 and "New session" in page.text
    r = b.form(
        f"/clients/{client_id}/sessions",
        {
            "session_kind": "individual",
            "modality": "video",
            "client_location": "home",
            "day": "2026-11-20",
            "start": "10:00",
            "end": "10:53",
        },
    )
    assert r.status_code == 303, r.text
    return r.headers["location"].removeprefix("/sessions/")


def upload(b, session_id: str, text: str, name: str = "session.txt", **fields):
    return b.post(
        f"/sessions/{session_id}/transcripts",
        data={"csrf_token": b.csrf, **fields},
        files={"file": (name, text.encode(), "text/plain")},
    )


def draft_page(b, session_id: str, template: str = "soap") -> str:
    r = b.form(f"/sessions/{session_id}/drafts", {"template": template, "density": "standard"})
    assert r.status_code == 303, r.text
    return r.headers["location"].removeprefix("/notes/")


def note_row(runtime, note_id: str) -> Note:
    with runtime.db.transaction() as s:
        note = s.get(Note, note_id)
        s.expunge(note)
        return note


def editor_fields(note: Note, *, resolve: bool = False, edit: dict | None = None) -> list:
    """The editor form as the browser posts it (statement order, texts, flags, version)."""
    fields = [("version", str(note.version))]
    for section in note.content["sections"]:
        for st in section["statements"]:
            fields.append(("statement", f"{section['key']}|{st['id']}"))
            fields.append((f"text:{st['id']}", (edit or {}).get(st["id"], st["text"])))
            if st.get("accepted"):
                fields.append((f"accepted:{st['id']}", "1"))
            if st.get("confirmed") or (resolve and st["verification"] != "supported"):
                fields.append((f"confirmed:{st['id']}", "1"))
    return fields


def post_editor(b, note_id: str, fields: list, headers=None):
    """POST the editor's fields (repeated "statement" keys keep their order)."""
    data: dict = {"csrf_token": b.csrf}
    for key, value in fields:
        if key == "statement":
            data.setdefault("statement", []).append(value)
        else:
            data[key] = value
    return b.post(f"/notes/{note_id}/autosave", data=data, headers=headers or {})


def test_new_session_import_errors_mapping_and_draft(runtime, fake, browser):
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    page = b.get(f"/sessions/{session_id}")
    assert page.status_code == 200 and "1. Transcript" in page.text

    bad = upload(b, session_id, MALFORMED_VTT, "bad.vtt")
    assert bad.status_code == 422
    assert "bad.vtt, line 4" in bad.text
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Transcript)) == 0

    pasted = b.form(f"/sessions/{session_id}/transcripts", {"text": "   "})
    assert pasted.status_code == 422 and "paste the transcript" in pasted.text

    r = upload(b, session_id, UNMAPPED, "zoom.txt")
    assert r.status_code == 303 and r.headers["location"].endswith("#speakers")
    page = b.get(f"/sessions/{session_id}")
    assert "Who is speaking" in page.text and 'name="role_0"' in page.text
    assert "Confirm the speakers first" in page.text
    (transcript_id,) = re.findall(r'action="/transcripts/([^/]+)/roles"', page.text)
    mapped = b.form(
        f"/transcripts/{transcript_id}/roles",
        {
            "speaker_0": "A",
            "role_0": "clinician",
            "speaker_1": "B",
            "role_1": "client",
            "client_1": fake.clients["maria"],
        },
    )
    assert mapped.status_code == 303

    refused = b.form(f"/sessions/{session_id}/drafts", {"template": "soap"})
    assert refused.status_code == 409
    assert "ai processing" in refused.text
    assert f'href="/clients/{fake.clients["maria"]}#consents"' in refused.text

    grant_ai(runtime, fake, "maria")
    note_id = draft_page(b, session_id, "dap")
    note = b.get(f"/notes/{note_id}")
    assert note.status_code == 200
    assert "DAP progress note" in note.text and "AI draft" in note.text
    assert 'id="utt-u2"' in note.text and 'hx-post="/notes/' in note.text
    assert "Risk was not discussed" in note.text  # this transcript never touches risk
    actions = {
        (r.action, tuple(r.record_ids)) for r in audit_rows(runtime, actor_id=fake.users["clin_a"])
    }
    assert ("note.read", (note_id,)) in actions
    assert ("transcript.read", (transcript_id,)) in actions


def test_the_clinician_corrects_who_said_individual_lines(runtime, fake, browser):
    """A large group: lines merged into one speaker are given to a new speaker, who then
    needs a role before drafting; a bad line id changes nothing."""
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    assert upload(b, session_id, TRANSCRIPT).status_code == 303
    page = b.get(f"/sessions/{session_id}").text
    assert 'name="line_u4" value="Maria"' in page
    (transcript_id,) = re.findall(r'action="/transcripts/([^/]+)/speakers"', page)

    bad = b.form(f"/transcripts/{transcript_id}/speakers", {"line_u4": "Sam", "line_u99": "Sam"})
    assert bad.status_code == 422 and "no utterance u99" in bad.text
    with runtime.db.transaction() as s:
        assert s.get(Transcript, transcript_id).utterances[3]["speaker"] == "Maria"

    r = b.form(f"/transcripts/{transcript_id}/speakers", {"line_u4": "  Sam  ", "line_u2": "Maria"})
    assert r.status_code == 303 and r.headers["location"].endswith("#speakers")
    with runtime.db.transaction() as s:
        row = s.get(Transcript, transcript_id)
        moved = row.utterances[3]
        assert (moved["speaker"], moved["role"]) == ("Sam", "unknown")
        assert row.utterances[1]["speaker"] == "Maria"
        assert row.speaker_roles["Sam"] == "unknown" and row.speaker_roles["Maria"] == "client"
        assert row.roles_confirmed is False
    page = b.get(f"/sessions/{session_id}").text
    assert "Confirm the speakers first" in page and "<legend>Sam" in page
    actions = [r.action for r in audit_rows(runtime, actor_id=fake.users["clin_a"])]
    assert "transcript.speakers" in actions


def drafted_note(runtime, fake, browser):
    """Maria's session with TRANSCRIPT imported and a SOAP note drafted: (browser, note id)."""
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    assert upload(b, session_id, TRANSCRIPT).status_code == 303
    return b, draft_page(b, session_id)


def test_a_practice_template_is_offered_and_drafts(runtime, fake, browser, tmp_path, monkeypatch):
    from tests.documentation.test_drafting import practice_template

    practice_template(tmp_path, "dap_brief", "Brief DAP (Fakeview Practice)")
    (tmp_path / "broken.json").write_text("{not json")
    monkeypatch.setattr(runtime.settings, "templates_dir", tmp_path)
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    assert upload(b, session_id, TRANSCRIPT).status_code == 303
    page = b.get(f"/sessions/{session_id}").text
    assert (
        '<option value="dap_brief">Brief DAP (Fakeview Practice) (this practice)</option>' in page
    )
    assert "template broken.json:" in page
    note_id = draft_page(b, session_id, "dap_brief")
    assert note_row(runtime, note_id).template == "dap_brief"
    r = b.api("POST", f"/api/v1/sessions/{session_id}/drafts", json={"template": "dap_brief"})
    assert r.status_code == 201, r.text
    unknown = b.api("POST", f"/api/v1/sessions/{session_id}/drafts", json={"template": "nope"})
    assert unknown.status_code == 422 and "unknown template 'nope'" in unknown.text
    bad = b.form(f"/sessions/{session_id}/drafts", {"template": "../etc/passwd"})
    assert bad.status_code == 422 and "unknown template" in bad.text


def test_words_recognised_with_low_confidence_are_marked_for_review(runtime, fake, browser):
    b, note_id = drafted_note(runtime, fake, browser)
    assert "low confidence" not in b.get(f"/notes/{note_id}").text
    with runtime.db.transaction() as s:
        row = s.get(Transcript, note_row(runtime, note_id).transcript_id)
        utts = [dict(u) for u in row.utterances]
        words = utts[1]["text"].split()
        # as speech recognition stores them: the second word was unsure
        utts[1]["words"] = [
            {
                "word": w,
                "start": 0.0,
                "end": 0.1,
                "probability": 0.3 if i == 1 else 0.9,
                "review": i == 1,
            }
            for i, w in enumerate(words)
        ]
        row.utterances = utts
    page = b.get(f"/notes/{note_id}").text
    assert "recognised with low confidence" in page
    bare = re.sub(r"^\W+|\W+$", "", words[1])
    assert (
        f'<mark class="review" title="Low confidence: check against the recording">{bare}</mark>'
        in page
    )


def test_editor_autosaves_with_versions_and_signs(runtime, fake, browser):
    b, note_id = drafted_note(runtime, fake, browser)
    page = b.get(f"/notes/{note_id}").text
    assert "Risk signals" in page and "denied" in page
    note = note_row(runtime, note_id)
    first = note.content["sections"][0]["statements"][0]

    edited = "Maria reported sleeping about four hours a night because of a work deadline."
    saved = post_editor(b, note_id, editor_fields(note, edit={first["id"]: edited}), HX)
    assert saved.status_code == 200, saved.text
    assert "Saved at" in saved.text and 'hx-swap-oob="true"' in saved.text
    assert 'id="note-version"' in saved.text and 'value="2"' in saved.text
    assert note_row(runtime, note_id).content["sections"][0]["statements"][0]["source"] == "edited"

    stale = post_editor(b, note_id, editor_fields(note), HX)  # still version 1
    assert stale.status_code == 409 and "Saved elsewhere" in stale.text
    assert note_row(runtime, note_id).version == 2

    # a new statement with an invented medication is flagged, then confirmed with the control
    note = note_row(runtime, note_id)
    fields = [
        *editor_fields(note),
        ("statement", "subjective|n1"),
        ("text:n1", "Maria takes lorazepam nightly."),
    ]
    flagged = post_editor(b, note_id, fields, HX)
    assert flagged.status_code == 200 and "lorazepam" in flagged.text
    assert "flagged statement" in flagged.text
    note = note_row(runtime, note_id)
    refused = b.form(f"/notes/{note_id}/sign", {"password": PASSWORD})
    assert refused.status_code == 409 and "Resolve the flagged statements" in refused.text
    wrong = b.form(f"/notes/{note_id}/sign", {"password": "wrong password, sorry"})
    assert wrong.status_code == 403 and "password is not right" in wrong.text

    op = post_editor(b, note_id, [*editor_fields(note), ("op", "confirm:n1")], HX)
    assert op.status_code == 200 and op.headers["HX-Retarget"] == "#note-editor"
    assert "confirmed by you" in op.text
    note = note_row(runtime, note_id)
    removed = post_editor(b, note_id, [*editor_fields(note), ("op", "remove:n1")])
    assert removed.status_code == 303  # without htmx: back to the page
    note = note_row(runtime, note_id)
    assert "n1" not in {st["id"] for s in note.content["sections"] for st in s["statements"]}
    resolved = post_editor(b, note_id, editor_fields(note, resolve=True), HX)
    assert resolved.status_code == 200

    signed = b.form(f"/notes/{note_id}/sign", {"password": PASSWORD})
    assert signed.status_code == 303, signed.text
    page = b.get(f"/notes/{note_id}").text
    assert "<textarea" not in page.split('id="addenda"')[0]
    assert "Export PDF" in page and note_row(runtime, note_id).content_hash in page
    after = post_editor(b, note_id, editor_fields(note_row(runtime, note_id)), HX)
    assert after.status_code == 409 and "signed" in after.text

    add = b.form(f"/notes/{note_id}/addenda", {"body": "Maria phoned to confirm the plan."})
    assert add.status_code == 303
    assert "Maria phoned to confirm the plan." in b.get(f"/notes/{note_id}").text
    actions = {r.action for r in audit_rows(runtime, actor_id=fake.users["clin_a"])}
    assert {"note.update", "note.sign", "note.addendum"} <= actions


def test_autosave_after_the_session_ended_changes_nothing(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    upload(b, session_id, TRANSCRIPT)
    note_id = draft_page(b, session_id)
    note = note_row(runtime, note_id)
    assert b.form("/logout").status_code == 303
    r = post_editor(b, note_id, editor_fields(note, edit={"s1": "Changed after sign-out."}), HX)
    assert r.status_code in (401, 403)
    assert note_row(runtime, note_id).version == note.version


def test_supervisor_cosigns_from_the_note_page(runtime, fake, browser):
    grant_ai(runtime, fake, "olive")
    b = browser("clin_b", fake)
    session_id = session_page(b, fake.clients["olive"])
    upload(b, session_id, OLIVE_TRANSCRIPT)
    note_id = draft_page(b, session_id)
    post_editor(b, note_id, editor_fields(note_row(runtime, note_id), resolve=True), HX)
    assert b.form(f"/notes/{note_id}/sign", {"password": PASSWORD}).status_code == 303
    assert "waiting for the supervisor" in b.get(f"/notes/{note_id}").text

    sup = browser("supervisor", fake)
    dash = sup.get("/").text
    assert f"/notes/{note_id}" in dash and "awaiting your co-signature" in dash
    page = sup.get(f"/notes/{note_id}").text
    assert "Co-sign note" in page
    assert sup.form(f"/notes/{note_id}/cosign", {"password": "bad password"}).status_code == 403
    assert sup.form(f"/notes/{note_id}/cosign", {"password": PASSWORD}).status_code == 303
    assert "signed and co-signed" in sup.get(f"/notes/{note_id}").text


def test_other_clinicians_and_staff_without_clinical_access_get_404(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    a = browser("clin_a", fake)
    session_id = session_page(a, fake.clients["maria"])
    upload(a, session_id, TRANSCRIPT)
    note_id = draft_page(a, session_id)
    paths = (
        f"/notes/{note_id}",
        f"/sessions/{session_id}",
        f"/clients/{fake.clients['maria']}/sessions",
        f"/clients/{fake.clients['maria']}/plan",
        f"/clients/{fake.clients['maria']}/private-notes",
    )
    for key in ("clin_b", "biller", "front_desk", "admin"):
        b = browser(key, fake)
        for path in paths:
            r = b.get(path)
            assert r.status_code == 404, (key, path)
            assert "four hours" not in r.text
    denied = audit_rows(runtime, outcome="denied", actor_id=fake.users["clin_b"])
    assert any(r.record_ids == [note_id] for r in denied)
    summary = browser("front_desk", fake).get(f"/clients/{fake.clients['maria']}/sessions/summary")
    assert summary.status_code == 200 and "care team only" in summary.text


def test_private_notes_are_for_their_author_only(runtime, fake, browser):
    with runtime.db.transaction() as s:
        owner = auth.staff_principal(s, s.get(User, fake.users["owner"]))
        practice.add_to_care_team(s, owner, fake.clients["maria"], fake.clinicians["owner"])
    a = browser("clin_a", fake)
    page = a.get(f"/clients/{fake.clients['maria']}/private-notes")
    assert page.status_code == 200 and "Only you can read these notes" in page.text
    r = a.form(
        f"/clients/{fake.clients['maria']}/private-notes", {"body": "Countertransference: note it."}
    )
    assert r.status_code == 303
    assert "Countertransference" in a.get(f"/clients/{fake.clients['maria']}/private-notes").text
    empty = a.form(f"/clients/{fake.clients['maria']}/private-notes", {"body": "  "})
    assert empty.status_code == 422

    other_team_member = browser("owner", fake)
    page = other_team_member.get(f"/clients/{fake.clients['maria']}/private-notes")
    assert page.status_code == 200 and "Countertransference" not in page.text
    with runtime.db.transaction() as s:
        owner = auth.staff_principal(s, s.get(User, fake.users["owner"]))
        assert docs.private_notes(s, owner, fake.clients["maria"]) == []


def test_treatment_plan_page_writes_an_outline(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    r = b.form(
        f"/clients/{fake.clients['maria']}/plan",
        {
            "kind_1": "problem",
            "text_1": "Insomnia linked to work stress",
            "kind_2": "goal",
            "text_2": "Improve sleep with a wind-down routine",
            "kind_3": "objective",
            "text_3": "Sleep 6 hours on 5 of 7 nights",
            "target_3": "2027-01-31",
            "kind_4": "intervention",
            "text_4": "Breathing exercise",
            "kind_5": "goal",
            "text_5": "",
        },
    )
    assert r.status_code == 303, r.text
    session_id = session_page(b, fake.clients["maria"])
    upload(b, session_id, TRANSCRIPT)
    note_id = draft_page(b, session_id, "girp")
    page = b.get(f"/clients/{fake.clients['maria']}/plan").text
    assert "Improve sleep with a wind-down routine" in page and "target 2027-01-31" in page
    assert f"/notes/{note_id}" in page
    bad = b.form(
        f"/clients/{fake.clients['maria']}/plan", {"kind_1": "goal", "text_1": "x", "target_1": "y"}
    )
    assert bad.status_code == 422 and "target date" in bad.text


def test_dashboard_lists_drafts_and_shows_owners_the_metrics(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    a = browser("clin_a", fake)
    session_id = session_page(a, fake.clients["maria"])
    upload(a, session_id, TRANSCRIPT)
    note_id = draft_page(a, session_id)
    dash = a.get("/").text
    assert f"/notes/{note_id}" in dash and "Maria Testperson" in dash
    post_editor(a, note_id, editor_fields(note_row(runtime, note_id), resolve=True), HX)
    assert a.form(f"/notes/{note_id}/sign", {"password": PASSWORD}).status_code == 303
    assert f"/notes/{note_id}" not in a.get("/").text
    assert "Documentation by clinician" not in a.get("/").text
    owner = browser("owner", fake).get("/").text
    assert "Documentation by clinician" in owner and "Clin A Demo" in owner
    assert "Median hours to signature" in owner


def test_chart_links_to_sessions_and_notes(runtime, fake, browser):
    a = browser("clin_a", fake)
    chart = a.get(f"/clients/{fake.clients['maria']}").text
    assert f'hx-get="/clients/{fake.clients["maria"]}/sessions/summary"' in chart
    summary = a.get(f"/clients/{fake.clients['maria']}/sessions/summary")
    assert summary.status_code == 200 and "No notes yet" in summary.text
    assert (
        "Sessions and notes"
        not in browser("biller", fake).get(f"/clients/{fake.clients['maria']}").text
    )


# --- the form helpers (pure) -------------------------------------------------------------------


PREVIOUS = {
    "sections": [
        {
            "key": "subjective",
            "title": "Subjective",
            "statements": [
                {"id": "s1", "text": "One.", "source": "engine", "confirmed": True},
                {"id": "s2", "text": "Two.", "source": "engine"},
            ],
        },
        {"key": "plan", "title": "Plan", "statements": []},
    ]
}


def test_editor_form_keeps_every_section_and_applies_the_control_pressed():
    items = [
        ("statement", "subjective|s1"),
        ("text:s1", "One, changed."),
        ("confirmed:s1", "1"),
        ("statement", "subjective|s2"),
        ("text:s2", "Two."),
        ("statement", "plan|n9"),
        ("text:n9", "Next session in a week."),
        ("op", "accept_all"),
    ]
    content, op = content_from_form(items, PREVIOUS)
    assert op == "accept_all"
    assert [s["key"] for s in content["sections"]] == ["subjective", "plan"]
    s1, s2 = content["sections"][0]["statements"]
    assert s1["confirmed"] is False  # a changed text must be confirmed again
    assert s2["accepted"] is True
    assert content["sections"][1]["statements"][0]["text"] == "Next session in a week."
    removed, _ = content_from_form([*items[:5], ("op", "remove:s2")], PREVIOUS)
    assert [st["id"] for st in removed["sections"][0]["statements"]] == ["s1"]
    with pytest.raises(Exception, match="not a section"):
        content_from_form([("statement", "nowhere|x")], PREVIOUS)


def test_plan_rows_become_an_outline_with_parents():
    items = plan_items_from_rows(
        [
            ("problem", "P", ""),
            ("goal", "G", ""),
            ("objective", "O", "2027-01-01"),
            ("intervention", "I", ""),
            ("goal", "", ""),
            ("problem", "P2", ""),
            ("goal", "G2", ""),
        ]
    )
    by_ref = {i["ref"]: i for i in items}
    assert by_ref["r2"]["parent"] == "r1"
    assert by_ref["r3"]["parent"] == "r2" and by_ref["r4"]["parent"] == "r2"
    assert by_ref["r7"]["parent"] == "r6" and "r5" not in by_ref
    assert "parent" not in by_ref["r1"]


def demo_browser(browser, email: str):
    from hearth.demo import DEMO_PASSWORD
    from tests.web.support import sign_in

    b = browser()
    assert sign_in(b, email, DEMO_PASSWORD).status_code == 303
    b.csrf = b.get("/api/v1/me").json()["csrf_token"]
    return b


def test_the_demo_practice_shows_documentation_to_each_role(runtime, browser):
    from hearth.demo import seed

    seed(runtime)
    riley = demo_browser(browser, "clinician@example.test")
    dash = riley.get("/").text
    assert "Fay Demonash" in dash and "1 flagged" in dash
    fay_note = re.search(r'href="/notes/(\w+)">Fay Demonash', dash).group(1)
    page = riley.get(f"/notes/{fay_note}").text
    assert "medication &#39;melatonin&#39; not in the transcript" in page
    assert "Risk was not discussed" in page and "AI draft" in page

    sup = demo_browser(browser, "supervisor@example.test").get("/").text
    assert "Hana Demoquist" in sup and "awaiting your co-signature" in sup

    owner = demo_browser(browser, "owner@example.test")
    assert "Documentation by clinician" in owner.get("/").text
    with runtime.db.transaction() as s:
        from hearth.demo.wipe import demo_client_ids

        ada = demo_client_ids(s)["Demobrook"]
    sessions = owner.get(f"/clients/{ada}/sessions").text
    (ada_note,) = re.findall(r'href="/notes/(\w+)">SOAP', sessions)
    page = owner.get(f"/notes/{ada_note}").text
    assert "Ada denied self-harm" in page and "Demo text: Ada emailed" in page
    assert "Export PDF" in page
    plan = owner.get(f"/clients/{ada}/plan").text
    assert "Improve sleep with a consistent wind-down routine" in plan
    assert f"/notes/{ada_note}" in plan


def test_a_session_from_an_appointment_takes_its_clients_kind_and_times(runtime, fake, browser):
    import datetime as dt

    from hearth.db import utcnow
    from hearth.documentation.models import ClinicalSession, SessionClient
    from hearth.practice.models import Appointment, AppointmentClient

    start = utcnow().replace(microsecond=0) - dt.timedelta(hours=3)
    with runtime.db.transaction() as s:
        appt = Appointment(
            clinician_id=fake.clinicians["clin_a"],
            start=start,
            end=start + dt.timedelta(minutes=50),
            session_kind="couples",
            modality="video",
            client_location="home",
            client_state="VT",
            status="completed",
            participants=[
                AppointmentClient(client_id=fake.clients["maria"]),
                AppointmentClient(client_id=fake.clients["marco"]),
            ],
        )
        s.add(appt)
        s.flush()
        appt_id = appt.id
    b = browser("clin_a", fake)
    page = b.get(f"/clients/{fake.clients['maria']}/sessions").text
    assert f'value="{appt_id}"' in page and "couples · video" in page
    r = b.form(f"/clients/{fake.clients['maria']}/sessions", {"appointment_id": appt_id})
    assert r.status_code == 303
    session_id = r.headers["location"].removeprefix("/sessions/")
    with runtime.db.transaction() as s:
        row = s.get(ClinicalSession, session_id)
        assert (row.session_kind, row.modality, row.client_location) == ("couples", "video", "home")
        assert row.started_at == start and row.appointment_id == appt_id
        clients = set(
            s.scalars(select(SessionClient.client_id).where(SessionClient.session_id == session_id))
        )
    assert clients == {fake.clients["maria"], fake.clients["marco"]}
    other = b.form(f"/clients/{fake.clients['maria']}/sessions", {"appointment_id": "nope"})
    assert other.status_code == 422 and "appointments" in other.text


INTERPRETED = """Clin A Demo: Good morning. Thank you for coming, and thank you to the interpreter.
Interpreter: She says good morning. She slept badly this week, about four hours a night.
Maria: Gracias. Estoy cansada.
Clin A Demo: Let's try a wind-down routine at ten each night this week.
"""


def test_signing_confirms_the_complexity_factors_the_transcript_suggests(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    upload(b, session_id, INTERPRETED)
    page = b.get(f"/sessions/{session_id}").text
    (transcript_id,) = re.findall(r'action="/transcripts/([^/]+)/roles"', page)
    labels = re.findall(r'name="speaker_(\d+)" value="([^"]+)"', page)
    roles = {"Clin A Demo": "clinician", "Interpreter": "other", "Maria": "client"}
    fields = {}
    for i, label in labels:
        fields[f"speaker_{i}"] = label
        fields[f"role_{i}"] = roles[label]
    assert b.form(f"/transcripts/{transcript_id}/roles", fields).status_code == 303
    note_id = draft_page(b, session_id)
    page = b.get(f"/notes/{note_id}").text
    assert 'id="factor-interpreter"' in page
    post_editor(b, note_id, editor_fields(note_row(runtime, note_id), resolve=True), HX)
    r = b.form(f"/notes/{note_id}/sign", {"password": PASSWORD, "factors": "interpreter"})
    assert r.status_code == 303, r.text
    facts = note_row(runtime, note_id).facts
    (factor,) = facts["complexity"]
    assert factor["factor"] == "interpreter" and factor["confirmed"] is True
    assert factor["evidence"]


def test_a_draft_with_a_risk_alert_is_marked_on_the_dashboard(runtime, fake, browser):
    grant_ai(runtime, fake, "maria")
    b = browser("clin_a", fake)
    session_id = session_page(b, fake.clients["maria"])
    alerting = TRANSCRIPT.replace(
        "No, never. I just feel on edge all the time.",
        "Sometimes I think everyone would be better off without me.",
    )
    upload(b, session_id, alerting)
    note_id = draft_page(b, session_id)
    assert re.search(r"\d risk alerts?<", b.get("/").text)
    page = b.get(f"/notes/{note_id}").text
    assert "risk alert" in page and "is-alert" in page
