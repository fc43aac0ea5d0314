"""Finding and opening clients in a real browser, and the care-team boundary."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from hearth.security.models import AuditEvent
from tests.e2e.conftest import LiveServer, SeededPractice
from tests.e2e.support import sign_in_to_dashboard, wait_until

pytestmark = pytest.mark.e2e


def client_link(page: Page, name: str) -> Locator:
    """The link to a client in the clients table, however the name is ordered ("Last, First")."""
    first, last = name.split()
    return (
        page.get_by_role("table").get_by_role("link").filter(has_text=first).filter(has_text=last)
    )


def not_shown_anywhere(page: Page, name: str) -> None:
    """Neither part of a client's name appears on the page."""
    for part in name.split():
        expect(page.get_by_text(part)).to_have_count(0)


def test_search_by_name_prefix_narrows_the_list_and_opens_the_chart(
    page: Page, practice: SeededPractice
) -> None:
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    page.goto("/clients")
    for name in practice.clients:
        expect(client_link(page, name)).to_be_visible()

    page.get_by_label("Search clients").press_sequentially("ziv")

    expect(client_link(page, "Zivra Fictional")).to_be_visible()
    for name in practice.clients:
        if name != "Zivra Fictional":
            expect(client_link(page, name)).to_have_count(0)
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)

    client_link(page, "Zivra Fictional").click()

    client_id = practice.clients["Zivra Fictional"]
    expect(page).to_have_url(re.compile(rf"/clients/{client_id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zivra Fictional")


def test_the_list_and_search_never_show_another_clinicians_client(
    page: Page, practice: SeededPractice
) -> None:
    other_name, _ = practice.other_client
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    page.goto("/clients")
    expect(client_link(page, "Zivra Fictional")).to_be_visible()
    not_shown_anywhere(page, other_name)

    page.get_by_label("Search clients").press_sequentially("yus")

    expect(client_link(page, "Zivra Fictional")).to_have_count(0)
    not_shown_anywhere(page, other_name)


def test_opening_another_clinicians_client_is_not_found_and_audited(
    page: Page, practice: SeededPractice, live_server: LiveServer
) -> None:
    other_name, other_id = practice.other_client
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)

    response = page.goto(f"/clients/{other_id}")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_text(re.compile(r"not found|no such client", re.I)).first).to_be_visible()
    not_shown_anywhere(page, other_name)

    def denied_row() -> AuditEvent | None:
        with live_server.runtime.db.transaction() as s:
            rows = s.scalars(
                select(AuditEvent).where(
                    AuditEvent.outcome == "denied",
                    AuditEvent.actor_id == practice.clinician.user_id,
                )
            ).all()
            return next((r for r in rows if other_id in (r.record_ids or [])), None)

    row = wait_until(denied_row, what="an audit row for the refused chart")
    assert row.actor_kind == "user"
