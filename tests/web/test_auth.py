"""Sign-in, sign-out, lockout, password change, CSRF, and refusal of unauthenticated requests."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from hearth.security.models import AuthSession, User
from tests.web.support import PASSWORD, Browser, audit_rows, csrf_from, sign_in

PUBLIC = {
    "/login",
    "/logout",
    "/healthz",
    "/readyz",
    "/docs",
    "/openapi.json",
    "/favicon.ico",
    "/portal/sign-in",
    "/portal/auth/{token}",
}


def test_login_page_is_labelled_and_carries_a_csrf_cookie(browser):
    b = browser()
    r = b.get("/login")
    assert r.status_code == 200
    assert '<label for="f-email">Email' in r.text
    assert '<label for="f-password">Password' in r.text
    assert ">Sign in</button>" in r.text
    assert "hearth_csrf" in r.cookies
    assert csrf_from(r.text) == r.cookies["hearth_csrf"]
    assert 'name="csrf-token"' in r.text and "X-CSRF-Token" in r.text


def test_login_sets_a_strict_session_cookie_and_audits(runtime, fake, browser):
    b = browser()
    r = sign_in(b, fake.emails["clin_a"])
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("hearth_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http test server and an http base_url
    assert b.get("/").status_code == 200
    rows = audit_rows(runtime, action="auth.login")
    assert rows[-1].outcome == "ok" and rows[-1].actor_id == fake.users["clin_a"]


def test_session_cookie_is_secure_behind_https(runtime, fake, app):
    with Browser(app, base_url="https://testserver", follow_redirects=False) as b:
        r = sign_in(b, fake.emails["clin_a"])
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"]


def test_login_regenerates_the_session(runtime, fake, browser):
    b = browser("clin_a", fake)
    first = b.cookies["hearth_session"]
    assert b.get("/login").status_code == 303  # signed in already: the form sends you on
    r = b.post(
        "/login",
        data={"email": fake.emails["clin_a"], "password": PASSWORD, "csrf_token": b.csrf},
    )
    assert r.status_code == 303
    assert b.cookies["hearth_session"] != first
    with runtime.db.transaction() as s:
        live = s.query(AuthSession).filter(AuthSession.revoked_at.is_(None)).count()
    assert live == 1


def test_wrong_password_shows_one_calm_message_and_is_audited(runtime, fake, browser):
    b = browser()
    r = sign_in(b, fake.emails["clin_a"], "not the password at all")
    assert r.status_code == 401
    assert "We could not sign you in" in r.text
    assert "hearth_session" not in b.cookies
    unknown = sign_in(b, "nobody@example.test", "not the password at all")
    assert unknown.status_code == 401
    assert re.sub(r"csrf[^>]+", "", unknown.text).count("We could not sign you in") == 1
    rows = audit_rows(runtime, action="auth.login")
    assert [r.outcome for r in rows] == ["denied", "denied"]
    assert rows[0].record_ids == [fake.users["clin_a"]]
    assert rows[1].record_ids == []


def test_lockout_after_repeated_failures_keeps_the_same_message(runtime, fake, browser):
    b = browser()
    for _ in range(runtime.settings.lockout_threshold):
        assert sign_in(b, fake.emails["biller"], "wrong wrong wrong").status_code == 401
    locked = sign_in(b, fake.emails["biller"])  # right password, but locked now
    assert locked.status_code == 401
    assert "We could not sign you in" in locked.text
    rows = audit_rows(runtime, action="auth.login")
    assert rows[-1].detail == "locked" and rows[-1].outcome == "denied"


def test_logout_ends_the_server_side_session(runtime, fake, browser):
    b = browser("clin_a", fake)
    token = b.cookies["hearth_session"]
    r = b.form("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    # Replaying the old cookie does not work: the session is revoked on the server.
    replay = browser()
    replay.cookies.set("hearth_session", token)
    assert replay.get("/").status_code == 303
    assert replay.get("/api/v1/me").status_code == 401
    assert audit_rows(runtime, action="auth.logout")[-1].actor_id == fake.users["clin_a"]


def test_password_change_ends_other_sessions_and_keeps_this_one(runtime, fake, browser):
    here = browser("clin_a", fake)
    elsewhere = browser("clin_a", fake)
    new = "a brand new passphrase for testing"
    r = here.form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert r.status_code == 200 and "Your password was changed" in r.text
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 303
    assert sign_in(browser(), fake.emails["clin_a"], new).status_code == 303
    assert audit_rows(runtime, action="auth.password_change")[-1].outcome == "ok"


def test_password_change_errors_name_the_field_and_change_nothing(runtime, fake, browser):
    b = browser("clin_a", fake)
    wrong = b.form(
        "/account/password",
        {
            "current_password": "nope nope nope",
            "new_password": "x" * 14,
            "confirm_password": "x" * 14,
        },
    )
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    assert 'id="f-current_password" name="current_password" type="password" value="" required' in (
        wrong.text
    )
    mismatch = b.form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "x" * 14, "confirm_password": "y" * 14},
    )
    assert mismatch.status_code == 422 and "confirmation differ" in mismatch.text
    short = b.form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert short.status_code == 422 and "12 characters" in short.text
    with runtime.db.transaction() as s:
        from hearth.security.passwords import verify_password

        user = s.get(User, fake.users["clin_a"])
        assert verify_password(user.password_hash, PASSWORD)


def test_post_without_csrf_token_is_refused(runtime, fake, browser):
    b = browser("owner", fake)
    no_token = b.post("/clients", data={"legal_first_name": "Nota", "legal_last_name": "Client"})
    assert no_token.status_code == 403
    assert "security token" in no_token.text
    wrong = b.post("/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    api = b.post("/api/v1/clients", json={"legal_first_name": "A"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf_failed"
    assert b.get("/").status_code == 200  # still signed in: the forged logout did nothing
    login = browser().post("/login", data={"email": fake.emails["owner"], "password": PASSWORD})
    assert login.status_code == 403


def all_routes() -> list[APIRoute]:
    """Every JSON and page route the app includes (portal and outbox when present)."""
    from hearth.app import OPTIONAL_ROUTERS, _optional_router
    from hearth.practice import api as practice_api
    from hearth.security import api as security_api
    from hearth.web import audit_log, auth, clients, dashboard, settings_pages, system

    routers = [system, auth, dashboard, clients, settings_pages, audit_log, practice_api]
    found = [m.router for m in [*routers, security_api]]
    found += [r for r in map(_optional_router, OPTIONAL_ROUTERS) if r is not None]
    return [route for router in found for route in router.routes if isinstance(route, APIRoute)]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000000000000000000000000000", path)


def test_every_non_public_route_refuses_anonymous_requests(app, fake, browser):
    b = browser()
    b.get("/login")  # holds a valid pre-sign-in CSRF cookie, so only authentication is tested
    checked = 0
    for route in all_routes():
        if route.path in PUBLIC:
            continue
        for method in route.methods - {"HEAD"}:
            url = _concrete(route.path)
            headers = {"X-CSRF-Token": b.cookies["hearth_csrf"]}
            r = b.request(method, url, headers=headers)
            checked += 1
            if url.startswith("/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
                assert r.json()["error"]["code"] == "unauthenticated"
            else:
                assert r.status_code in (303, 401), (method, url, r.status_code)
                if r.status_code == 303:
                    where = r.headers["location"]
                    assert where.startswith(("/login?next=", "/portal/sign-in")), (url, where)
    assert checked > 25


def test_page_redirect_keeps_where_the_user_was_going(fake, browser):
    b = browser()
    r = b.get("/clients?q=mar")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/clients%3Fq%3Dmar"
    page = b.get(r.headers["location"])
    assert 'name="next" value="/clients?q=mar"' in page.text
    done = b.post(
        "/login",
        data={
            "email": fake.emails["clin_a"],
            "password": PASSWORD,
            "next": "/clients?q=mar",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert done.headers["location"] == "/clients?q=mar"


def test_next_never_leaves_the_site(fake, browser):
    b = browser()
    page = b.get("/login?next=//evil.example/")
    assert 'name="next" value="/"' in page.text
    r = b.post(
        "/login",
        data={
            "email": fake.emails["clin_a"],
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert r.headers["location"] == "/"


def test_htmx_request_without_session_gets_a_client_side_redirect(browser):
    r = browser().get("/clients?q=ab", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/login?next=")
