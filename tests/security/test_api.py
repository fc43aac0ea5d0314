"""The security JSON API: /me, /users (owner and admin), /audit (scoped)."""

# ruff: noqa: F811
from __future__ import annotations

import pytest

# The web fixtures (app, fake practice, signed-in browsers) are imported by name so pytest
# finds them here; test parameters then shadow the imports, as fixtures do.
from tests.web.support import app, audit_rows, browser, fake, sign_in  # noqa: F401

pytestmark = pytest.mark.both_backends


def test_me_returns_roles_permissions_and_the_csrf_token(fake, browser):
    b = browser("clin_a", fake)
    me = b.get("/api/v1/me").json()
    assert me["id"] == fake.users["clin_a"] and me["kind"] == "user"
    assert me["roles"] == ["clinician"] and me["clinician_id"] == fake.clinicians["clin_a"]
    assert "diagnosis.write" in me["permissions"] and "users.manage" not in me["permissions"]
    assert me["csrf_token"] == b.csrf
    assert browser().get("/api/v1/me").status_code == 401


def test_users_are_for_owner_and_admin(runtime, fake, browser):
    for role in ("clin_a", "biller", "front_desk", "supervisor"):
        assert browser(role, fake).get("/api/v1/users").status_code == 403, role
    users = browser("admin", fake).get("/api/v1/users").json()
    assert len(users) == 7
    assert all("password_hash" not in u and "mfa_secret" not in u for u in users)
    owner = next(u for u in users if u["email"] == "owner@example.test")
    assert owner["roles"] == ["clinician", "owner"] and owner["clinician_id"]


def test_create_users(runtime, fake, browser):
    admin = browser("admin", fake)
    r = admin.api(
        "POST",
        "/api/v1/users",
        json={
            "email": "Quinn@Example.test",
            "name": "Quinn Fakeclinician",
            "password": "a long enough passphrase",
            "roles": ["clinician"],
            "clinician": {"credentials": "LMFT", "npi": "1234567893", "licence_states": ["vt"]},
        },
    )
    assert r.status_code == 201, r.text
    quinn = r.json()
    assert quinn["email"] == "quinn@example.test" and quinn["clinician_id"]
    assert sign_in(browser(), "quinn@example.test", "a long enough passphrase").status_code == 303
    bad_npi = admin.api(
        "POST",
        "/api/v1/users",
        json={
            "email": "r@example.test",
            "name": "R",
            "password": "a long enough passphrase",
            "roles": ["clinician"],
            "clinician": {"npi": "1234567890"},
        },
    )
    assert bad_npi.status_code == 422 and bad_npi.json()["error"]["where"] == "npi"
    weak = admin.api(
        "POST",
        "/api/v1/users",
        json={"email": "w@example.test", "name": "W", "password": "short", "roles": ["biller"]},
    )
    assert weak.status_code == 422 and weak.json()["error"]["where"] == "password"
    role = admin.api(
        "POST",
        "/api/v1/users",
        json={"email": "x@example.test", "name": "X", "password": "x" * 14, "roles": ["wizard"]},
    )
    assert role.status_code == 422 and role.json()["error"]["where"] == "roles"
    owner_grant = admin.api(
        "POST",
        "/api/v1/users",
        json={"email": "o@example.test", "name": "O", "password": "x" * 14, "roles": ["owner"]},
    )
    assert owner_grant.status_code == 403
    by_owner = browser("owner", fake).api(
        "POST",
        "/api/v1/users",
        json={"email": "o@example.test", "name": "O", "password": "x" * 14, "roles": ["owner"]},
    )
    assert by_owner.status_code == 201
    assert audit_rows(runtime, action="user.create")[-1].record_ids == [by_owner.json()["id"]]


def test_audit_api_is_scoped_and_filtered(runtime, fake, browser):
    clin = browser("clin_a", fake)
    clin.get(f"/api/v1/clients/{fake.clients['olive']}")  # denied
    own = clin.get("/api/v1/audit").json()
    assert own["total"] >= 2
    assert {e["actor_id"] for e in own["items"]} == {fake.users["clin_a"]}
    owner = browser("owner", fake)
    denied = owner.get(
        "/api/v1/audit", params={"outcome": "denied", "record_id": fake.clients["olive"]}
    ).json()
    assert denied["total"] == 1
    assert denied["items"][0]["actor_id"] == fake.users["clin_a"]
    assert denied["items"][0]["path"] == f"/api/v1/clients/{fake.clients['olive']}"
    logins = owner.get("/api/v1/audit", params={"action": "auth.*"}).json()
    assert logins["total"] == 2 and {e["action"] for e in logins["items"]} == {"auth.login"}
    paged = owner.get("/api/v1/audit", params={"page_size": 1, "page": 2}).json()
    assert len(paged["items"]) == 1 and paged["pages"] == paged["total"]
    newest_first = owner.get("/api/v1/audit").json()["items"]
    assert [e["seq"] for e in newest_first] == sorted(
        (e["seq"] for e in newest_first), reverse=True
    )
    future = owner.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}).json()
    assert future["total"] == 0
    bad = owner.get("/api/v1/audit", params={"outcome": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "outcome"
