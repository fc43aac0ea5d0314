"""The note editor in a real browser: draft, see a statement's evidence, autosave, resolve, sign."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from hearth.documentation import service as docs
from hearth.documentation.drafting.engine import draft_note
from hearth.documentation.drafting.templates import get_template
from hearth.documentation.models import Note
from hearth.practice import service as practice
from hearth.security.models import AuthSession, User
from hearth.security.service import staff_principal
from tests.e2e.conftest import LiveServer, SeededPractice
from tests.e2e.support import sign_in_to_dashboard, wait_until

pytestmark = pytest.mark.e2e

# An obviously synthetic session between Ada Testwell and her client Zivra Fictional.
TRANSCRIPT = """WEBVTT

1
00:00:01.000 --> 00:00:05.000
<v Ada Testwell>Hello Zivra. How has your sleep been since we last met?

2
00:00:05.500 --> 00:00:12.000
<v Zivra Fictional>Not great. I sleep about four hours a night because of the project deadline.

3
00:00:12.500 --> 00:00:17.000
<v Ada Testwell>That sounds hard. Have you had any thoughts of hurting yourself?

4
00:00:17.500 --> 00:00:21.000
<v Zivra Fictional>No, nothing like that. I just feel tense all day.

5
00:00:21.500 --> 00:00:28.000
<v Ada Testwell>Let's try a wind-down routine at ten each night this week and keep a sleep diary.

6
00:00:28.500 --> 00:00:31.000
<v Zivra Fictional>Okay, I will try the routine and the diary.
"""


def seed_session(live_server: LiveServer, practice_: SeededPractice) -> str:
    """A session for Zivra with the imported VTT, made through the services."""
    client_id = practice_.clients["Zivra Fictional"]
    with live_server.runtime.db.transaction() as s:
        user = s.get(User, practice_.clinician.user_id)
        assert user is not None
        p = staff_principal(s, user)
        for kind in ("treatment", "ai_processing"):
            practice.grant_consent(s, p, client_id, kind, method="paper", text_version="e2e-v1")
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)
        row = docs.create_session(
            s,
            p,
            client_ids=[client_id],
            started_at=start,
            ended_at=start + dt.timedelta(minutes=50),
        )
        t = docs.import_transcript(s, p, row.id, text=TRANSCRIPT, filename="zoom.vtt")
        assert t.roles_confirmed
        # Load the language pipeline now, so the browser's first "Draft note" is not the one
        # that pays for it (a cold start can take seconds on a busy machine).
        draft_note(docs.transcript_value(t), get_template("soap"))
        return row.id


def test_draft_select_evidence_autosave_resolve_and_sign(
    page: Page, practice: SeededPractice, live_server: LiveServer
) -> None:
    session_id = seed_session(live_server, practice)
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    page.goto(f"/sessions/{session_id}")
    expect(page.get_by_role("heading", name="3. Draft note")).to_be_visible()
    page.get_by_label("Template").select_option("soap")
    page.get_by_role("button", name="Draft note").click()

    expect(page).to_have_url(re.compile(r"/notes/\w+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("SOAP progress note")
    expect(page.get_by_text("AI draft").first).to_be_visible()

    # selecting a statement highlights the transcript lines it cites
    cited = page.locator(".statement:not(.new-statement)").filter(
        has=page.locator('.verdict[data-evidence^="u"]')
    )
    statement = cited.first
    evidence = statement.locator(".verdict").get_attribute("data-evidence") or ""
    first_id = evidence.split()[0]
    utterance = page.locator(f"#utt-{first_id}")
    expect(utterance).not_to_have_class(re.compile("evidence-highlight"))
    statement.locator("textarea").click()
    expect(utterance).to_have_class(re.compile("evidence-highlight"))

    # editing a statement autosaves it
    textarea = statement.locator("textarea")
    textarea.fill("Zivra reported sleeping about four hours a night because of a project deadline.")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    expect(statement.locator(".tag.ai")).to_have_count(0)  # edited: no longer an AI draft

    # a statement the transcript does not support is flagged, with its reason
    page.get_by_label("Add a statement to Subjective").fill("Zivra takes lorazepam 2 mg nightly.")
    expect(page.get_by_text("medication 'lorazepam' not in the transcript")).to_be_visible()
    expect(page.get_by_text(re.compile(r"flagged statements? to resolve"))).to_be_visible()

    # every flagged statement is confirmed (the clinician takes responsibility), then sign
    confirm = page.get_by_role("button", name=re.compile(r"^Confirm"))
    for _ in range(20):
        if confirm.count() == 0:
            break
        before = confirm.count()
        confirm.first.click()
        expect(confirm).to_have_count(before - 1)
    expect(page.get_by_text("Every statement is supported or confirmed by you.")).to_be_visible()

    page.get_by_label("Your password, to sign").fill(practice.clinician.password)
    page.get_by_role("button", name="Sign note").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("signed")
    expect(page.get_by_role("heading", name="Signature")).to_be_visible()
    expect(page.get_by_role("link", name="Export PDF")).to_be_visible()
    expect(page.locator("#note-form")).to_have_count(0)
    expect(
        page.get_by_text(re.compile(r"^Zivra reported sleeping about four hours"))
    ).to_be_visible()


def test_text_typed_after_the_sign_in_ended_is_kept_and_saved_after_signing_in_again(
    page: Page, practice: SeededPractice, live_server: LiveServer
) -> None:
    session_id = seed_session(live_server, practice)
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    page.goto(f"/sessions/{session_id}")
    page.get_by_role("button", name="Draft note").click()
    expect(page).to_have_url(re.compile(r"/notes/\w+$"))
    note_id = page.url.rsplit("/", 1)[1]

    with live_server.runtime.db.transaction() as s:  # the sign-in times out on the server
        s.execute(delete(AuthSession))

    typed = "Zivra described racing thoughts about the project at night."
    box = page.get_by_label("Add a statement to Assessment")
    box.fill(typed)
    status = page.locator("#save-status")
    expect(status).to_contain_text("session has ended")
    expect(box).to_have_value(typed)

    status.get_by_role("link", name="sign in again").click()
    page.get_by_label("Email").fill(practice.clinician.email)
    page.get_by_label("Password").fill(practice.clinician.password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(rf"/notes/{note_id}$"))
    expect(page.get_by_text("Your unsaved changes from before were restored")).to_be_visible()
    expect(status).to_contain_text("Saved")

    def saved_text() -> bool:
        with live_server.runtime.db.transaction() as s:
            note = s.get(Note, note_id)
            assert note is not None
            return any(
                st["text"] == typed for sec in note.content["sections"] for st in sec["statements"]
            )

    wait_until(saved_text, what="the restored statement in the database")
