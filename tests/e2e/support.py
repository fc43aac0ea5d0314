"""Helpers shared by the end-to-end tests: signing in and waiting for a condition."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

from playwright.sync_api import Page, expect

T = TypeVar("T")

LOGIN_URL = re.compile(r"/login(\?.*)?$")


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill the sign-in form and submit it."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_to_dashboard(page: Page, email: str, password: str) -> None:
    """Sign in and wait until the dashboard is shown."""
    sign_in(page, email, password)
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()


def wait_until(check: Callable[[], T | None], *, what: str, timeout: float = 10.0) -> T:
    """Poll `check` until it returns something truthy, or fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)  # polling interval while waiting for a condition, not a fixed wait
