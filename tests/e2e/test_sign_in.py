"""Signing in and out in a real browser: dashboard, wrong password, logout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hearth.security.models import AuthSession
from hearth.security.service import token_digest
from tests.e2e.conftest import LiveServer, SeededPractice
from tests.e2e.support import LOGIN_URL, sign_in, sign_in_to_dashboard

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "hearth_session"


def session_cookie(page: Page) -> str | None:
    """The browser's Hearth session cookie value, if it holds one."""
    for cookie in page.context.cookies():
        if cookie["name"] == SESSION_COOKIE:
            return cookie["value"]
    return None


def test_clinician_signs_in_and_sees_the_dashboard(page: Page, practice: SeededPractice) -> None:
    sign_in(page, practice.clinician.email, practice.clinician.password)

    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"


def test_wrong_password_shows_the_error_and_stays_on_login(
    page: Page, practice: SeededPractice
) -> None:
    sign_in(page, practice.clinician.email, "not-the-right-password")

    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"email .*password", re.I))
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert session_cookie(page) is None

    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)


def test_sign_out_returns_to_login_and_ends_the_session(
    page: Page, practice: SeededPractice, live_server: LiveServer
) -> None:
    sign_in_to_dashboard(page, practice.clinician.email, practice.clinician.password)
    token = session_cookie(page)
    assert token

    page.get_by_role("button", name=re.compile(r"sign out|log out", re.I)).click()

    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_label("Email")).to_be_visible()
    with live_server.runtime.db.transaction() as s:
        row = s.scalars(select(AuthSession).where(AuthSession.id == token_digest(token))).one()
        assert row.revoked_at is not None

    # Even with the old cookie put back, the server-side session stays ended.
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url}])
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
