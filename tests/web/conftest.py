"""The web tests' fixtures live in tests/web/support.py (the API tests of other slices use them too)."""

from tests.web.support import app, browser, fake  # noqa: F401
