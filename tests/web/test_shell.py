"""The application shell: headers, error pages and bodies, audit middleware, health, docs, jobs."""

from __future__ import annotations

import sys
import types

import pytest
from fastapi.testclient import TestClient

from hearth.app import create_app
from hearth.errors import Conflict
from hearth.web.deps import CurrentUser
from tests.web.support import audit_rows

# --- security headers ----------------------------------------------------------------


def test_pages_carry_security_headers(browser):
    r = browser().get("/login")
    h = r.headers
    assert h["content-security-policy"].startswith("default-src 'self'")
    assert "unsafe-inline" not in h["content-security-policy"]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "same-origin"
    assert h["x-content-type-options"] == "nosniff"
    assert h["cache-control"] == "no-store"


def test_static_assets_are_cacheable_and_vendored(browser):
    b = browser()
    js = b.get("/static/vendor/htmx/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200]
    assert "no-store" not in js.headers["cache-control"]
    assert b.get("/static/vendor/htmx/LICENSE").status_code == 200
    assert b.get("/static/hearth.css").status_code == 200
    assert b.get("/static/nope.css").status_code == 404


def test_pages_load_nothing_from_other_hosts(fake, browser):
    b = browser("owner", fake)
    for url in ("/login", "/", "/clients", f"/clients/{fake.clients['maria']}", "/docs"):
        html = b.get(url).text
        for attr in ("src", "href"):
            for value in __import__("re").findall(rf'{attr}="([^"]+)"', html):
                assert not value.startswith(("http:", "https:", "//")), (url, value)


# --- errors --------------------------------------------------------------------------


def _boom_app(runtime):
    app = create_app(runtime)

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    @app.get("/api/v1/boom", include_in_schema=False)
    def api_boom() -> None:
        raise RuntimeError("secret internal detail")

    @app.post("/api/v1/conflict", include_in_schema=False)
    def conflict(user: CurrentUser) -> None:
        raise Conflict("That appointment was changed by someone else.")

    return app


def test_unexpected_errors_are_a_calm_500_without_traceback(runtime, caplog):
    with TestClient(_boom_app(runtime)) as c:
        page = c.get("/boom")
        assert page.status_code == 500
        assert "Something went wrong on our side" in page.text
        assert "secret internal detail" not in page.text and "Traceback" not in page.text
        assert page.headers["x-frame-options"] == "DENY"
        api = c.get("/api/v1/boom")
        assert api.status_code == 500
        assert api.json() == {
            "error": {
                "code": "internal_error",
                "message": "The error has been logged. Nothing you entered was saved; please "
                "try again.",
            }
        }
    assert "secret internal detail" in caplog.text  # logged for the operator
    rows = audit_rows(runtime, path="/boom")
    assert rows[0].status == 500 and rows[0].outcome == "error"


def test_json_error_bodies_for_403_404_409_422(runtime, fake, browser):
    b = browser("clin_a", fake)
    not_found = b.get(f"/api/v1/clients/{fake.clients['olive']}")
    assert not_found.status_code == 404
    assert not_found.json() == {"error": {"code": "not_found", "message": "No such client."}}
    forbidden = b.api(
        "POST",
        "/api/v1/care-team/transfer",
        json={"from_clinician_id": "a", "to_clinician_id": "b", "reason": "r"},
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "permission_denied"
    invalid = b.api("POST", "/api/v1/clients", json={"legal_first_name": "Only"})
    assert invalid.status_code == 422
    body = invalid.json()["error"]
    assert body["code"] == "invalid" and body["where"] == "legal_last_name"
    assert "legal_last_name" in body["message"] and "date_of_birth" in body["message"]
    service_invalid = b.api(
        "POST", f"/api/v1/clients/{fake.clients['maria']}/diagnoses", json={"code": "Z99.999"}
    )
    assert service_invalid.status_code == 422
    assert service_invalid.json()["error"]["where"] == "code"
    unknown = b.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_conflict_is_409_as_json_and_as_a_page(runtime, fake):
    from tests.web.support import Browser, sign_in

    with Browser(_boom_app(runtime), follow_redirects=False) as b:
        sign_in(b, fake.emails["clin_a"])
        token = b.get("/api/v1/me").json()["csrf_token"]
        r = b.post("/api/v1/conflict", headers={"X-CSRF-Token": token})
        assert r.status_code == 409
        assert r.json()["error"] == {
            "code": "conflict",
            "message": "That appointment was changed by someone else.",
        }


def test_friendly_pages_for_403_404_409_422(runtime, fake, browser):
    b = browser("admin", fake)
    forbidden = b.get("/clients")
    assert (
        forbidden.status_code == 403 and '<h1 id="error-title">Not allowed</h1>' in forbidden.text
    )
    missing = b.get("/no/such/page")
    assert missing.status_code == 404 and "There is nothing at this address." in missing.text
    conflict = b.form(f"/settings/users/{fake.users['admin']}/active", {"active": "false"})
    assert conflict.status_code == 409 and "That conflicts with the record" in conflict.text
    invalid = b.get("/audit?page=zero")
    assert invalid.status_code == 422 and "Please check what was entered" in invalid.text
    assert "page" in invalid.text
    for r in (forbidden, missing, conflict, invalid):
        assert "Traceback" not in r.text and 'href="/"' in r.text


def test_htmx_errors_are_fragments(fake, browser):
    r = browser("admin", fake).get("/clients?q=x", headers={"HX-Request": "true"})
    assert r.status_code == 403 and "<html" not in r.text and 'role="alert"' in r.text


def test_json_accepting_clients_get_json_from_pages(browser):
    r = browser().get("/no/such/page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# --- audit middleware ----------------------------------------------------------------


def test_requests_without_buffered_rows_get_a_generic_row(runtime, fake, browser):
    b = browser("clin_a", fake)
    b.get("/settings/roles")
    row = audit_rows(runtime, path="/settings/roles")[-1]
    assert row.action == "http.get" and row.outcome == "ok" and row.status == 200
    assert row.actor_kind == "user" and row.actor_id == fake.users["clin_a"]
    assert row.method == "GET" and row.ip


def test_health_and_static_requests_are_not_audited(runtime, browser):
    b = browser()
    before = len(audit_rows(runtime))
    b.get("/healthz")
    b.get("/readyz")
    b.get("/static/hearth.css")
    b.get("/favicon.ico")
    assert len(audit_rows(runtime)) == before


def test_denial_is_audited_though_the_request_rolled_back(runtime, fake, browser):
    b = browser("clin_a", fake)
    r = b.api(
        "PATCH", f"/api/v1/clients/{fake.clients['olive']}", json={"preferred_name": "Changed"}
    )
    assert r.status_code == 404
    row = audit_rows(runtime, outcome="denied")[-1]
    assert row.action == "client.change" and row.record_ids == [fake.clients["olive"]]
    assert row.method == "PATCH"
    owner = browser("owner", fake)
    assert owner.get(f"/api/v1/clients/{fake.clients['olive']}").json()["preferred_name"] is None


def test_audit_chain_stays_valid_across_requests(runtime, fake, browser):
    b = browser("owner", fake)
    for url in ("/", "/clients", f"/clients/{fake.clients['olive']}", "/audit"):
        b.get(url)
    assert "Audit chain intact" in b.get("/audit/verify").text


# --- health, docs, optional routers, jobs -------------------------------------------


def test_healthz(browser):
    r = browser().get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_checks_database_and_queue(browser):
    r = browser().get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


def test_readyz_reports_a_failing_queue(browser, monkeypatch):
    fake_jobs = types.ModuleType("hearth.jobs")

    def check_queue(settings):
        raise ConnectionError("queue storage unreachable")

    fake_jobs.check_queue = check_queue
    monkeypatch.setitem(sys.modules, "hearth.jobs", fake_jobs)
    r = browser().get("/readyz")
    assert r.status_code == 503
    assert r.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "queue": "failing (ConnectionError)"},
    }


def test_readyz_reports_a_missing_jobs_module(browser, monkeypatch):
    monkeypatch.setitem(sys.modules, "hearth.jobs", None)  # import raises ImportError
    r = browser().get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["queue"].startswith("failing")


def test_readyz_reports_a_failing_database(runtime, browser, monkeypatch, tmp_path):
    from sqlalchemy import create_engine

    b = browser()
    broken = create_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    monkeypatch.setattr(runtime.db, "engine", broken)
    r = b.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["database"].startswith("failing")


def test_openapi_lists_the_api_with_error_models(browser):
    spec = browser().get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/clients",
        "/api/v1/clients/{client_id}",
        "/api/v1/clients/{client_id}/diagnoses",
        "/api/v1/clients/{client_id}/consents",
        "/api/v1/clients/{client_id}/consents/{kind}/revoke",
        "/api/v1/clients/{client_id}/care-team",
        "/api/v1/care-team/transfer",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/audit",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/clients"]) == {"get", "post"}
    assert set(paths["/api/v1/clients/{client_id}"]) == {"get", "patch"}
    responses = paths["/api/v1/clients/{client_id}"]["get"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorBody")
    assert "ErrorBody" in spec["components"]["schemas"]
    assert not any(p.startswith("/clients") for p in paths)  # pages stay out of the API


def test_docs_use_local_swagger_assets(browser):
    b = browser()
    r = b.get("/docs")
    assert r.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "/static/vendor/swagger-ui/swagger-ui.css" in r.text
    assert "cdn" not in r.text.lower()
    csp = r.headers["content-security-policy"]
    assert "script-src" not in csp or "'self'" in csp  # scripts only from this site
    assert "<script>" not in r.text  # no inline script: CSP stays strict
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        assert b.get(f"/static/vendor/swagger-ui/{asset}").status_code == 200
    assert b.get("/static/swagger-init.js").status_code == 200
    assert b.get("/redoc").status_code == 404


def test_app_starts_without_optional_routers(runtime, monkeypatch):
    monkeypatch.setitem(sys.modules, "hearth.web.portal", None)
    monkeypatch.setitem(sys.modules, "hearth.web.outbox", None)
    with TestClient(create_app(runtime)) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/portal/sign-in").status_code == 404


def test_run_jobs_starts_and_stops_the_consumer(runtime, monkeypatch):
    events: list[str] = []

    class Consumer:
        def stop(self) -> None:
            events.append("stop")

    fake_jobs = types.ModuleType("hearth.jobs")

    def start_consumer(rt):
        assert rt is runtime
        events.append("start")
        return Consumer()

    fake_jobs.start_consumer = start_consumer
    monkeypatch.setitem(sys.modules, "hearth.jobs", fake_jobs)
    with TestClient(create_app(runtime, run_jobs=True)) as c:
        assert events == ["start"]
        c.get("/healthz")
    assert events == ["start", "stop"]
    events.clear()
    with TestClient(create_app(runtime)):
        pass
    assert events == []


@pytest.mark.parametrize("path", ["/login", "/docs"])
def test_csrf_meta_and_htmx_headers_on_pages(browser, path):
    html = browser().get(path).text
    assert '<meta name="csrf-token" content="' in html
