"""Web test fixtures live in tests/web/support.py (the API tests of other slices use them)."""

from tests.web.support import app, browser, fake  # noqa: F401
