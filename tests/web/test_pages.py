"""Pages by role: dashboard, client list and chart, chart forms, settings and the audit log."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from sqlalchemy import select

from hearth.practice.models import (
    Appointment,
    AppointmentClient,
    CareTeamMember,
    Consent,
    Diagnosis,
)
from hearth.practice.profile import DEFAULT_TIME_ZONE
from hearth.security.models import User
from tests.web.support import audit_rows

# --- dashboard -------------------------------------------------------------------


def _appointment(runtime, clinician_id: str, client_id: str, hour: int) -> str:
    tz = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
    today = dt.datetime.now(tz).date()
    start = dt.datetime.combine(today, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)
    with runtime.db.transaction() as s:
        a = Appointment(
            clinician_id=clinician_id,
            start=start,
            end=start + dt.timedelta(minutes=50),
            participants=[AppointmentClient(client_id=client_id)],
        )
        s.add(a)
        s.flush()
        return a.id


def test_dashboard_shows_todays_appointments_by_role(runtime, fake, browser):
    _appointment(runtime, fake.clinicians["clin_a"], fake.clients["maria"], 10)
    _appointment(runtime, fake.clinicians["clin_b"], fake.clients["olive"], 11)
    clin_a = browser("clin_a", fake).get("/")
    assert clin_a.status_code == 200 and "<h1>Dashboard</h1>" in clin_a.text
    assert "Maria Testperson" in clin_a.text and "Olive" not in clin_a.text
    assert "10:00\N{EN DASH}10:50" in clin_a.text  # shown in the practice's time zone
    desk = browser("front_desk", fake).get("/").text
    assert "Maria Testperson" in desk and "Olive Samplesdottir" in desk
    admin = browser("admin", fake).get("/").text
    assert "No appointments today." in admin and "Maria" not in admin
    for page in (clin_a.text, desk, admin):
        assert "No notes awaiting review" in page and "No alerts" in page


def test_dashboard_nav_follows_roles(fake, browser):
    admin = browser("admin", fake).get("/").text
    assert 'href="/clients"' not in admin and 'href="/settings"' in admin
    clin = browser("clin_a", fake).get("/").text
    assert 'href="/clients"' in clin and 'href="/audit"' in clin
    assert 'class="skip-link" href="#main"' in clin and '<main id="main"' in clin


# --- client list -------------------------------------------------------------------


def test_client_list_is_scoped_and_audited(runtime, fake, browser):
    r = browser("clin_a", fake).get("/clients")
    assert r.status_code == 200
    assert '<label for="client-search">Search clients</label>' in r.text
    assert "Testperson, Maria" in r.text and "Fakename, Marco" in r.text
    assert "Samplesdottir" not in r.text
    row = audit_rows(runtime, action="client.list")[-1]
    assert sorted(row.record_ids) == sorted([fake.clients["maria"], fake.clients["marco"]])
    assert row.actor_id == fake.users["clin_a"] and row.path == "/clients"


def test_live_search_returns_only_the_table(fake, browser):
    b = browser("owner", fake)
    r = b.get("/clients?q=mar", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="client-table"')
    assert "<html" not in r.text
    assert "Testperson, Maria" in r.text and "Fakename, Marco" in r.text
    assert "Olive" not in r.text
    narrow = b.get("/clients?q=mari", headers={"HX-Request": "true"}).text
    assert "Maria" in narrow and "Marco" not in narrow
    none = b.get("/clients?q=zzz", headers={"HX-Request": "true"}).text
    assert "No clients match that search." in none
    full = b.get("/clients?q=oli")  # the same URL without htmx is the whole page
    assert "<html" in full.text and "Olive" in full.text and "Maria" not in full.text


def test_biller_list_has_no_contact_columns(fake, browser):
    r = browser("biller", fake).get("/clients").text
    assert "Testperson, Maria" in r
    assert "555-0100" not in r and "maria@example.test" not in r
    assert "New client" not in r


def test_admin_sees_no_clients(fake, browser):
    b = browser("admin", fake)
    r = b.get("/clients")
    assert r.status_code == 403 and "Not allowed" in r.text
    chart = b.get(f"/clients/{fake.clients['maria']}")
    assert chart.status_code == 404
    assert "Maria" not in chart.text


def test_new_client_form_creates_and_opens_the_chart(runtime, fake, browser):
    b = browser("clin_a", fake)
    r = b.form(
        "/clients",
        {
            "legal_first_name": "Newly",
            "legal_last_name": "Madeup",
            "date_of_birth": "1991-02-03",
            "clinician_id": fake.clinicians["clin_a"],
        },
    )
    assert r.status_code == 303
    chart = b.get(r.headers["location"])
    assert "<h1>Newly Madeup</h1>" in chart.text
    assert audit_rows(runtime, action="client.create")[-1].outcome == "ok"


def test_new_client_with_a_bad_date_names_the_field_and_writes_nothing(runtime, fake, browser):
    b = browser("front_desk", fake)
    r = b.form(
        "/clients",
        {"legal_first_name": "Bad", "legal_last_name": "Dateperson", "date_of_birth": "31/02/2001"},
    )
    assert r.status_code == 422
    assert "date of birth must be a date" in r.text
    assert 'id="f-date_of_birth"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="Dateperson"' in r.text  # what was typed is kept
    owner = browser("owner", fake)
    assert "Dateperson" not in owner.get("/clients?q=dateperson").text


# --- chart -------------------------------------------------------------------------


def test_chart_shows_the_display_name_and_sections(runtime, fake, browser):
    r = browser("clin_a", fake).get(f"/clients/{fake.clients['maria']}")
    assert r.status_code == 200
    assert "<h1>Maria Testperson</h1>" in r.text
    for section in ("Profile", "Diagnoses", "Consents", "Guardians", "Care team"):
        assert f">{section}" in r.text
    for later in ("Notes", "Measures", "Billing", "coming soon"):
        assert later not in r.text
    assert "1 Example Way, Testville, VT" in r.text
    row = audit_rows(runtime, action="client.view")[-1]
    assert row.record_ids == [fake.clients["maria"]] and row.outcome == "ok"


def test_clinician_outside_the_care_team_gets_404_and_is_audited(runtime, fake, browser):
    r = browser("clin_a", fake).get(f"/clients/{fake.clients['olive']}")
    assert r.status_code == 404
    assert "Not found" in r.text and "Olive" not in r.text and "Traceback" not in r.text
    row = audit_rows(runtime, outcome="denied")[-1]
    assert row.action == "client.view"
    assert row.record_ids == [fake.clients["olive"]]
    assert row.actor_id == fake.users["clin_a"] and row.status == 404


def test_supervisor_reads_supervisees_clients(fake, browser):
    b = browser("supervisor", fake)
    assert b.get(f"/clients/{fake.clients['olive']}").status_code == 200  # clin_b's client
    assert b.get(f"/clients/{fake.clients['maria']}").status_code == 404


def test_biller_chart_shows_only_the_billing_subset(fake, browser):
    r = browser("biller", fake).get(f"/clients/{fake.clients['maria']}")
    assert r.status_code == 200
    assert "maria@example.test" not in r.text and "555-0100" not in r.text
    assert "1 Example Way" in r.text  # address is in the billing subset
    assert "Edit profile" not in r.text
    assert "Consents" not in r.text


def test_front_desk_sees_no_diagnoses(runtime, fake, browser):
    clin = browser("clin_a", fake)
    assert (
        clin.form(f"/clients/{fake.clients['maria']}/diagnoses", {"code": "F41.1"}).status_code
        == 303
    )
    desk = browser("front_desk", fake).get(f"/clients/{fake.clients['maria']}")
    assert desk.status_code == 200
    assert "Diagnoses" not in desk.text and "F41.1" not in desk.text
    assert "Generalized anxiety" not in desk.text
    owner = browser("owner", fake).get(f"/clients/{fake.clients['maria']}")
    assert "F41.1" in owner.text  # owners see diagnoses (claims), without entering them
    assert "Add diagnosis" not in owner.text


def test_diagnosis_form_validates_the_code(runtime, fake, browser):
    b = browser("clin_a", fake)
    chart = f"/clients/{fake.clients['maria']}"
    bad = b.form(f"{chart}/diagnoses", {"code": "F41"})
    assert bad.status_code == 422 and "category, not a billable code" in bad.text
    assert b.form(f"{chart}/diagnoses", {"code": "f411", "primary": "true"}).status_code == 303
    page = b.get(chart).text
    assert "F41.1" in page and "Generalized anxiety disorder" in page
    with runtime.db.transaction() as s:
        assert s.scalars(select(Diagnosis)).one().code == "F41.1"


def test_icd_lookup_offers_options(fake, browser):
    r = browser("clin_a", fake).get("/icd/search?code=generalized anx")
    assert r.status_code == 200
    assert '<option value="F41.1">' in r.text
    assert browser("front_desk", fake).get("/icd/search?code=F41").status_code == 403


def test_consents_grant_and_revoke(runtime, fake, browser):
    b = browser("front_desk", fake)
    chart = f"/clients/{fake.clients['marco']}"
    r = b.form(f"{chart}/consents", {"kind": "messaging", "method": "paper", "text_version": "v1"})
    assert r.status_code == 303
    assert "Revoke messaging" in b.get(chart).text
    again = b.form(
        f"{chart}/consents", {"kind": "messaging", "method": "paper", "text_version": "v1"}
    )
    assert again.status_code == 422 and "already active" in again.text
    assert b.form(f"{chart}/consents/messaging/revoke").status_code == 303
    page = b.get(chart).text
    assert "Revoke messaging" not in page
    actions = [r.action for r in audit_rows(runtime, actor_id=fake.users["front_desk"])]
    assert "consent.grant" in actions and "consent.revoke" in actions


def test_recording_consent_is_only_taken_with_its_own_wording(runtime, fake, browser):
    """The chart's general form cannot record a recording consent with a made-up version:
    it sends the user to the recording consent, which has the wording and a real decline."""
    b = browser("front_desk", fake)
    chart = f"/clients/{fake.clients['marco']}"
    recording = select(Consent).where(
        Consent.kind == "recording", Consent.client_id == fake.clients["marco"]
    )
    with runtime.db.transaction() as s:
        before = len(s.scalars(recording).all())
    page = b.get(chart).text
    assert '<option value="recording">' not in page
    assert f'href="/clients/{fake.clients["marco"]}/recording-consent"' in page
    r = b.form(f"{chart}/consents", {"kind": "recording", "method": "paper", "text_version": "v1"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/clients/{fake.clients['marco']}/recording-consent"
    with runtime.db.transaction() as s:
        assert len(s.scalars(recording).all()) == before


def test_guardian_and_profile_forms(fake, browser):
    b = browser("clin_a", fake)
    chart = f"/clients/{fake.clients['marco']}"
    r = b.form(
        f"{chart}/guardians",
        {
            "name": "Gina Fakeguardian",
            "relationship_to_client": "mother",
            "email": "gina@example.test",
            "is_responsible_party": "true",
        },
    )
    assert r.status_code == 303
    page = b.get(chart).text
    assert "Gina Fakeguardian" in page and "responsible party" in page
    missing = b.form(f"{chart}/guardians", {"name": "", "relationship_to_client": "aunt"})
    assert missing.status_code == 422 and "guardian name is required" in missing.text
    profile = b.form(
        f"{chart}/profile",
        {
            "legal_first_name": "Marco",
            "legal_last_name": "Fakename",
            "preferred_name": "Mo",
            "date_of_birth": "1988-04-02",
            "address_line1": "2 Sample Road",
            "address_state": "vt",
            "status": "active",
        },
    )
    assert profile.status_code == 303
    page = b.get(chart).text
    assert "<h1>Mo Fakename</h1>" in page and "2 Sample Road" in page


def test_care_team_changes_are_for_the_owner(runtime, fake, browser):
    chart = f"/clients/{fake.clients['olive']}"
    clin = browser("clin_b", fake)
    assert (
        clin.form(f"{chart}/care-team", {"clinician_id": fake.clinicians["clin_a"]}).status_code
        == 403
    )
    owner = browser("owner", fake)
    r = owner.form(f"{chart}/care-team", {"clinician_id": fake.clinicians["clin_a"]})
    assert r.status_code == 303
    assert browser("clin_a", fake).get(chart).status_code == 200
    no_reason = owner.form(f"{chart}/care-team/{fake.clinicians['clin_a']}/remove", {"reason": " "})
    assert no_reason.status_code == 422 and "reason is required" in no_reason.text
    removed = owner.form(
        f"{chart}/care-team/{fake.clinicians['clin_a']}/remove", {"reason": "second opinion done"}
    )
    assert removed.status_code == 303
    page = owner.get(chart).text
    assert "History" in page and "second opinion done" in page
    assert browser("clin_a", fake).get(chart).status_code == 404


# --- settings ----------------------------------------------------------------------


def test_settings_sections_by_role(fake, browser):
    owner = browser("owner", fake).get("/settings").text
    for href in ("/settings/practice", "/settings/users", "/settings/roles", "/settings/caseload"):
        assert href in owner
    clin = browser("clin_a", fake)
    page = clin.get("/settings").text
    assert "/settings/roles" in page and "/settings/users" not in page
    assert clin.get("/settings/practice").status_code == 403
    assert clin.get("/settings/users").status_code == 403
    assert clin.get("/settings/caseload").status_code == 403
    roles = clin.get("/settings/roles")
    assert roles.status_code == 200 and "Who sees what" in roles.text
    assert "billing subset" in roles.text and "<code>client.list</code>" in roles.text


def test_practice_settings_save_and_validate(runtime, fake, browser):
    b = browser("admin", fake)
    assert b.get("/settings/practice").status_code == 200
    good = {
        "name": "Fake Harbor Counselling",
        "npi": "1234567893",
        "tax_id": "123456789",
        "time_zone": "America/Chicago",
        "address_city": "Testville",
        "policy_cancellation": "Demo text: give a day's notice.",
    }
    r = b.form("/settings/practice", good)
    assert r.status_code == 303
    page = b.get("/settings/practice").text
    assert "Fake Harbor Counselling" in page and "12-3456789" in page
    assert '<option value="America/Chicago" selected>' in page
    bad = b.form("/settings/practice", {**good, "npi": "1234567890"})
    assert bad.status_code == 422 and "check digit" in bad.text
    assert 'value="1234567890"' in bad.text
    assert audit_rows(runtime, action="practice.update")[-1].outcome == "ok"


def test_users_create_disable_enable(runtime, fake, browser):
    b = browser("admin", fake)
    page = b.get("/settings/users").text
    assert "Owner Demo" in page and 'value="owner"' not in page  # admins cannot grant owner
    r = b.form(
        "/settings/users",
        {
            "name": "Nova Newhire",
            "email": "nova@example.test",
            "password": "a long enough passphrase",
            "roles": ["clinician"],
            "credentials": "LPC",
            "licence_states": "vt nh",
            "supervisor_id": fake.clinicians["supervisor"],
        },
    )
    assert r.status_code == 303
    assert "Nova Newhire" in b.get("/settings/users").text
    with runtime.db.transaction() as s:
        nova = s.scalars(select(User).where(User.email == "nova@example.test")).one()
    owner_try = b.form(
        "/settings/users",
        {"name": "Sneaky", "email": "s@example.test", "password": "x" * 16, "roles": ["owner"]},
    )
    assert owner_try.status_code == 403
    dup = b.form(
        "/settings/users",
        {"name": "Dup", "email": "nova@example.test", "password": "x" * 16, "roles": ["biller"]},
    )
    assert dup.status_code == 422 and "already exists" in dup.text
    assert b.form(f"/settings/users/{nova.id}/active", {"active": "false"}).status_code == 303
    assert "disabled" in b.get("/settings/users").text
    self_off = b.form(f"/settings/users/{fake.users['admin']}/active", {"active": "false"})
    assert self_off.status_code == 409 and "own account" in self_off.text
    off_owner = b.form(f"/settings/users/{fake.users['owner']}/active", {"active": "false"})
    assert off_owner.status_code == 403
    assert b.form(f"/settings/users/{nova.id}/active", {"active": "true"}).status_code == 303
    actions = [r.action for r in audit_rows(runtime, record_type="user")]
    assert {"user.create", "user.disable", "user.enable"} <= set(actions)


def test_caseload_transfer_is_one_audited_action(runtime, fake, browser):
    b = browser("owner", fake)
    assert b.get("/settings/caseload").status_code == 200
    same = b.form(
        "/settings/caseload",
        {
            "from_clinician_id": fake.clinicians["clin_a"],
            "to_clinician_id": fake.clinicians["clin_a"],
            "reason": "x",
        },
    )
    assert same.status_code == 422
    r = b.form(
        "/settings/caseload",
        {
            "from_clinician_id": fake.clinicians["clin_a"],
            "to_clinician_id": fake.clinicians["clin_b"],
            "reason": "leaving the practice",
        },
    )
    assert r.status_code == 200 and "2 clients moved" in r.text
    rows = audit_rows(runtime, action="caseload.transfer")
    assert len(rows) == 1
    assert sorted(rows[0].record_ids) == sorted([fake.clients["maria"], fake.clients["marco"]])
    with runtime.db.transaction() as s:
        current = s.scalars(
            select(CareTeamMember.client_id).where(
                CareTeamMember.clinician_id == fake.clinicians["clin_b"],
                CareTeamMember.ended_at.is_(None),
            )
        ).all()
    assert set(current) == set(fake.clients.values())
    assert browser("clin_a", fake).get(f"/clients/{fake.clients['maria']}").status_code == 404


# --- audit log ---------------------------------------------------------------------


def test_audit_page_filters_for_the_owner(runtime, fake, browser):
    browser("clin_a", fake).get(f"/clients/{fake.clients['olive']}")  # denied, audited
    b = browser("owner", fake)
    page = b.get("/audit")
    assert page.status_code == 200 and "Verify chain" in page.text
    denied = b.get(f"/audit?outcome=denied&record_id={fake.clients['olive']}").text
    assert "<code>client.view</code>" in denied and "Clin A Demo" in denied
    assert re.search(r"(\d+) rows?", denied).group(1) == "1"
    by_actor = b.get(f"/audit?actor={fake.users['clin_a']}&action=auth.").text
    assert "<code>auth.login</code>" in by_actor and "<code>client.view</code>" not in by_actor
    today = dt.datetime.now(zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)).date()
    later = (today + dt.timedelta(days=2)).isoformat()
    future = b.get(f"/audit?since={later}").text
    assert "No audit rows match." in future
    bad = b.get("/audit?since=yesterday")
    assert bad.status_code == 422 and "since must be a date" in bad.text


def test_audit_page_pages(runtime, fake, browser):
    from hearth.security.audit import AuditEntry

    runtime.audit(*[AuditEntry(action="test.bulk") for _ in range(60)])
    b = browser("owner", fake)
    first = b.get("/audit?action=test.bulk").text
    assert "60 rows" in first and "page 1 of 2" in first and 'rel="next"' in first
    second = b.get("/audit?action=test.bulk&page=2").text
    assert "page 2 of 2" in second and 'rel="prev"' in second


def test_other_staff_see_only_their_own_audit_rows(runtime, fake, browser):
    browser("clin_b", fake).get("/clients")
    b = browser("clin_a", fake)
    page = b.get("/audit").text
    assert "Your own actions" in page and "Verify chain" not in page
    assert "Clin B Demo" not in page
    ignored = b.get(f"/audit?actor={fake.users['clin_b']}").text  # the actor filter is ignored
    assert "Clin B Demo" not in ignored
    assert b.get("/audit/verify").status_code == 403


def test_verify_chain_box(runtime, fake, browser):
    b = browser("owner", fake)
    ok = b.get("/audit/verify", headers={"HX-Request": "true"})
    assert ok.status_code == 200 and "Audit chain intact" in ok.text and "<html" not in ok.text
    with runtime.db.transaction() as s:
        from hearth.security.models import AuditEvent

        row = s.get(AuditEvent, 1)
        row.detail = "edited behind the log's back"
    broken = b.get("/audit/verify").text
    assert "Audit chain broken at row 1" in broken
