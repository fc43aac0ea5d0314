"""Fixtures and helpers for the web shell and API tests.

An app around the test's runtime, a small synthetic practice, and signed-in TestClients
per role. All names and addresses are obviously fake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth.app import create_app
from hearth.practice import service as practice
from hearth.practice.models import Clinician
from hearth.runtime import Runtime
from hearth.security import service as auth
from hearth.security.models import AuditEvent
from hearth.security.passwords import hash_password

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class FakePractice:
    """Ids of the synthetic practice every web test starts from."""

    users: dict[str, str] = field(default_factory=dict)  # role key -> user id
    emails: dict[str, str] = field(default_factory=dict)
    clinicians: dict[str, str] = field(default_factory=dict)  # role key -> clinician id
    clients: dict[str, str] = field(default_factory=dict)  # name -> client id


def _user(s, key: str, roles: list[str], fp: FakePractice, *, supervisor: str | None = None):
    email = f"{key}@example.test"
    user = auth.create_user(
        s, email=email, name=f"{key.replace('_', ' ').title()} Demo", password=PASSWORD, roles=roles
    )
    fp.users[key] = user.id
    fp.emails[key] = email
    if {"clinician", "supervisor"} & set(roles):
        clin = Clinician(user_id=user.id, credentials="LCSW", supervisor_id=supervisor)
        s.add(clin)
        s.flush()
        fp.clinicians[key] = clin.id
    return user


_HASHES: dict[str, str] = {}


def _memo_hash(password: str) -> str:
    """argon2 takes about half a second: hash each test password once per run."""
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


def seed_practice(runtime: Runtime) -> FakePractice:
    """Owner (also a clinician), two clinicians (one supervised), supervisor, biller, desk, admin;
    two clients on clinician A's team and one on clinician B's."""
    fp = FakePractice()
    with runtime.db.transaction() as s, pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "hash_password", _memo_hash)
        owner = _user(s, "owner", ["owner", "clinician"], fp)
        _user(s, "supervisor", ["clinician", "supervisor"], fp)
        _user(s, "clin_a", ["clinician"], fp)
        _user(s, "clin_b", ["clinician"], fp, supervisor=fp.clinicians["supervisor"])
        _user(s, "biller", ["biller"], fp)
        _user(s, "front_desk", ["front_desk"], fp)
        _user(s, "admin", ["admin"], fp)
        p_owner = auth.staff_principal(s, owner)
        for name, first, last, clin in (
            ("maria", "Maria", "Testperson", "clin_a"),
            ("marco", "Marco", "Fakename", "clin_a"),
            ("olive", "Olive", "Samplesdottir", "clin_b"),
        ):
            client = practice.create_client(
                s,
                p_owner,
                {
                    "legal_first_name": first,
                    "legal_last_name": last,
                    "date_of_birth": "1988-04-02",
                    "email": f"{name}@example.test",
                    "phone": "555-0100",
                    "address": {"line1": "1 Example Way", "city": "Testville", "state": "VT"},
                },
                clinician_id=fp.clinicians[clin],
            )
            fp.clients[name] = client.id
    return fp


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def fake(runtime: Runtime) -> FakePractice:
    return seed_practice(runtime)


def csrf_from(html: str) -> str:
    m = _TOKEN.search(html)
    assert m, "no csrf_token field on the page"
    return m.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    """Sign in through the login form; returns the response to the POST."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


class Browser(TestClient):
    """A TestClient that knows its CSRF token once signed in."""

    csrf: str = ""

    def form(self, url: str, data: dict | None = None, **kw):
        """POST a form with the session's CSRF token."""
        return self.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kw)

    def api(self, method: str, url: str, **kw):
        """Call the JSON API with the CSRF header."""
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.request(method, url, headers=headers, **kw)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Callable[..., Browser]]:
    """Make signed-in clients: browser("clin_a", fake) → a Browser with a session."""
    made: list[Browser] = []

    def make(key: str | None = None, fp: FakePractice | None = None) -> Browser:
        b = Browser(app, follow_redirects=False)
        b.__enter__()
        made.append(b)
        if key is not None:
            assert fp is not None
            r = sign_in(b, fp.emails[key])
            assert r.status_code == 303, r.text
            b.csrf = b.get("/api/v1/me").json()["csrf_token"]
        return b

    yield make
    for b in made:
        b.__exit__(None, None, None)


def audit_rows(runtime: Runtime, **where) -> list[AuditEvent]:
    """Audit rows matching exact column values, oldest first."""
    with runtime.db.transaction() as s:
        q = s.query(AuditEvent)
        for k, v in where.items():
            q = q.filter(getattr(AuditEvent, k) == v)
        return list(q.order_by(AuditEvent.seq))
