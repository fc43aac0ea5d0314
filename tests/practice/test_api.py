"""The practice JSON API, scoped by role (runs on SQLite and, when configured, PostgreSQL)."""

# ruff: noqa: F811
from __future__ import annotations

import pytest

# The web fixtures (app, fake practice, signed-in browsers) are imported by name so pytest
# finds them here; test parameters then shadow the imports, as fixtures do.
from tests.web.support import app, audit_rows, browser, fake  # noqa: F401

pytestmark = pytest.mark.both_backends

BILLING_FIELDS = {
    "id",
    "display_name",
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "address",
    "sex_on_payer_file",
    "status",
}


def test_clinician_lists_and_reads_only_care_team_clients(runtime, fake, browser):
    b = browser("clin_a", fake)
    listed = b.get("/api/v1/clients").json()
    assert {c["id"] for c in listed} == {fake.clients["maria"], fake.clients["marco"]}
    maria = b.get(f"/api/v1/clients/{fake.clients['maria']}")
    assert maria.status_code == 200
    assert maria.json()["email"] == "maria@example.test"
    assert maria.json()["display_name"] == "Maria Testperson"
    for suffix in ("", "/diagnoses", "/consents", "/care-team"):
        r = b.get(f"/api/v1/clients/{fake.clients['olive']}{suffix}")
        assert r.status_code == 404, suffix
        assert r.json()["error"]["code"] == "not_found"
    denied = audit_rows(runtime, outcome="denied", actor_id=fake.users["clin_a"])
    assert len(denied) == 4
    assert all(r.record_ids == [fake.clients["olive"]] for r in denied)


def test_search_uses_the_blind_index(fake, browser):
    b = browser("owner", fake)
    names = {c["legal_last_name"] for c in b.get("/api/v1/clients?q=mar").json()}
    assert names == {"Testperson", "Fakename"}
    assert [c["legal_first_name"] for c in b.get("/api/v1/clients?q=olive").json()] == ["Olive"]
    assert b.get("/api/v1/clients?q=zzz").json() == []


def test_biller_gets_only_the_billing_subset(fake, browser):
    b = browser("biller", fake)
    for client in b.get("/api/v1/clients").json():
        assert set(client) <= BILLING_FIELDS
        assert "email" not in client and "phone" not in client
    one = b.get(f"/api/v1/clients/{fake.clients['olive']}").json()
    assert set(one) <= BILLING_FIELDS and one["address"]["city"] == "Testville"
    assert b.get(f"/api/v1/clients/{fake.clients['olive']}/consents").status_code == 403
    patch = b.api("PATCH", f"/api/v1/clients/{fake.clients['olive']}", json={"phone": "1"})
    assert patch.status_code == 403


def test_front_desk_sees_contacts_but_no_diagnoses(fake, browser):
    clin = browser("clin_a", fake)
    added = clin.api(
        "POST", f"/api/v1/clients/{fake.clients['maria']}/diagnoses", json={"code": "F43.10"}
    )
    assert added.status_code == 201 and added.json()["primary"] is True
    desk = browser("front_desk", fake)
    assert desk.get(f"/api/v1/clients/{fake.clients['maria']}").json()["phone"] == "555-0100"
    r = desk.get(f"/api/v1/clients/{fake.clients['maria']}/diagnoses")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    biller = browser("biller", fake).get(f"/api/v1/clients/{fake.clients['maria']}/diagnoses")
    assert [d["code"] for d in biller.json()] == ["F43.10"]


def test_admin_sees_no_clients(fake, browser):
    b = browser("admin", fake)
    assert b.get("/api/v1/clients").status_code == 403
    assert b.get(f"/api/v1/clients/{fake.clients['maria']}").status_code == 403
    assert b.get(f"/api/v1/clients/{fake.clients['maria']}/care-team").status_code == 403
    created = b.api(
        "POST",
        "/api/v1/clients",
        json={"legal_first_name": "A", "legal_last_name": "B", "date_of_birth": "1990-01-01"},
    )
    assert created.status_code == 403


def test_supervisor_reads_supervisees_clients_only(fake, browser):
    b = browser("supervisor", fake)
    assert {c["id"] for c in b.get("/api/v1/clients").json()} == {fake.clients["olive"]}
    assert b.get(f"/api/v1/clients/{fake.clients['maria']}").status_code == 404


def test_create_and_patch_a_client(runtime, fake, browser):
    b = browser("clin_a", fake)
    r = b.api(
        "POST",
        "/api/v1/clients",
        json={
            "legal_first_name": "Pat",
            "legal_last_name": "Placeholder",
            "date_of_birth": "2001-09-10",
            "address": {"line1": "3 Fake Street", "state": "NH"},
        },
    )
    assert r.status_code == 201, r.text
    client = r.json()
    assert client["display_name"] == "Pat Placeholder" and client["address"]["state"] == "NH"
    team = b.get(f"/api/v1/clients/{client['id']}/care-team").json()
    assert [m["clinician_id"] for m in team] == [fake.clinicians["clin_a"]]
    assert team[0]["clinician_name"] == "Clin A Demo"
    patched = b.api(
        "PATCH", f"/api/v1/clients/{client['id']}", json={"preferred_name": "Patti", "phone": None}
    )
    assert patched.status_code == 200
    assert patched.json()["display_name"] == "Patti Placeholder"
    assert b.get("/api/v1/clients?q=patti").json()[0]["id"] == client["id"]
    bad = b.api("PATCH", f"/api/v1/clients/{client['id']}", json={"status": "gone"})
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "status"
    extra = b.api("PATCH", f"/api/v1/clients/{client['id']}", json={"ssn": "000"})
    assert extra.status_code == 422 and extra.json()["error"]["where"] == "ssn"
    actions = [row.action for row in audit_rows(runtime, actor_id=fake.users["clin_a"])]
    assert "client.create" in actions and "client.update" in actions


def test_diagnoses_are_validated_and_need_the_care_team(fake, browser):
    b = browser("clin_a", fake)
    url = f"/api/v1/clients/{fake.clients['maria']}/diagnoses"
    bad = b.api("POST", url, json={"code": "F41"})
    assert bad.status_code == 422 and "billable" in bad.json()["error"]["message"]
    assert b.api("POST", url, json={"code": "F41.1"}).status_code == 201
    dup = b.api("POST", url, json={"code": "F41.1"})
    assert dup.status_code == 422 and dup.json()["error"]["where"] == "code"
    listed = b.get(url).json()
    assert [(d["code"], d["description"]) for d in listed] == [
        ("F41.1", "Generalized anxiety disorder")
    ]
    other = browser("clin_b", fake).api("POST", url, json={"code": "F32.1"})
    assert other.status_code == 404
    owner = browser("owner", fake).api("POST", url, json={"code": "F32.1"})
    assert owner.status_code == 404  # the owner is a clinician, but not on this care team


def test_consents_grant_list_revoke(fake, browser):
    b = browser("front_desk", fake)
    url = f"/api/v1/clients/{fake.clients['maria']}/consents"
    g = b.api(
        "POST", url, json={"kind": "ai_processing", "method": "electronic", "text_version": "v2"}
    )
    assert g.status_code == 201 and g.json()["revoked_at"] is None
    bad = b.api("POST", url, json={"kind": "telepathy", "method": "paper", "text_version": "v"})
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "kind"
    r = b.api("POST", f"{url}/ai_processing/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    again = b.api("POST", f"{url}/ai_processing/revoke")
    assert again.status_code == 422
    unknown = b.api("POST", f"{url}/telepathy/revoke")
    assert unknown.status_code == 422 and unknown.json()["error"]["where"] == "kind"
    assert [c["kind"] for c in b.get(url).json()] == ["ai_processing"]


def test_care_team_history(fake, browser):
    owner = browser("owner", fake)
    moved = owner.api(
        "POST",
        "/api/v1/care-team/transfer",
        json={
            "from_clinician_id": fake.clinicians["clin_b"],
            "to_clinician_id": fake.clinicians["clin_a"],
            "reason": "parental leave",
        },
    )
    assert moved.status_code == 200
    url = f"/api/v1/clients/{fake.clients['olive']}/care-team"
    assert [m["clinician_name"] for m in owner.get(url).json()] == ["Clin A Demo"]
    history = owner.get(f"{url}?include_history=true").json()
    assert [m["clinician_name"] for m in history] == ["Clin B Demo", "Clin A Demo"]
    assert history[0]["reason"] == "caseload transfer: parental leave"


def test_caseload_transfer_is_owner_only_and_one_audit_row(runtime, fake, browser):
    body = {
        "from_clinician_id": fake.clinicians["clin_a"],
        "to_clinician_id": fake.clinicians["clin_b"],
        "reason": "retiring",
    }
    for role in ("clin_a", "admin", "front_desk"):
        r = browser(role, fake).api("POST", "/api/v1/care-team/transfer", json=body)
        assert r.status_code == 403, role
    r = browser("owner", fake).api("POST", "/api/v1/care-team/transfer", json=body)
    assert r.status_code == 200
    moved = r.json()["client_ids"]
    assert sorted(moved) == sorted([fake.clients["maria"], fake.clients["marco"]])
    rows = audit_rows(runtime, action="caseload.transfer")
    assert len(rows) == 1 and sorted(rows[0].record_ids) == sorted(moved)
    assert rows[0].actor_id == fake.users["owner"] and rows[0].outcome == "ok"
    missing = browser("owner", fake).api(
        "POST", "/api/v1/care-team/transfer", json={**body, "reason": ""}
    )
    assert missing.status_code == 422 and missing.json()["error"]["where"] == "reason"
