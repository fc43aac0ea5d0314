"""The demo practice: complete, idempotent, resettable, and refused where it does not belong."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from hearth.demo import DEMO_PASSWORD, STEPS, DemoRefused, seed
from hearth.demo import data as demo_data
from hearth.errors import Conflict
from hearth.models import metadata
from hearth.practice import icd
from hearth.practice import service as practice_service
from hearth.practice.models import (
    Appointment,
    CareTeamMember,
    Client,
    Clinician,
    Consent,
    Diagnosis,
    Guardian,
    Practice,
)
from hearth.practice.profile import valid_npi
from hearth.practice.repository import ClientRepository
from hearth.security import service as security
from hearth.security.models import User
from hearth.security.permissions import STAFF_ROLES

pytestmark = pytest.mark.both_backends


def table_counts(runtime) -> dict[str, int]:
    with runtime.db.transaction() as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def test_demo_has_every_role_twelve_clients_a_minor_and_one_client_without_recording(runtime):
    info = seed(runtime)
    assert info.clients == 12
    assert info.password == DEMO_PASSWORD
    assert {r for login in info.logins for r in login.roles} == set(STAFF_ROLES)

    with runtime.db.transaction() as s:
        users = {u.email: u for u in s.scalars(select(User))}
        owner = users["owner@example.test"]
        assert {"owner", "clinician"} <= owner.role_set
        for login in info.logins:
            security.authenticate(s, runtime.settings, login.email, DEMO_PASSWORD)

        clinicians = {c.user.email: c for c in s.scalars(select(Clinician))}
        assert set(clinicians) == {
            "owner@example.test",
            "clinician@example.test",
            "supervisor@example.test",
        }
        supervisor = clinicians["supervisor@example.test"]
        assert "supervisor" in supervisor.user.role_set
        assert clinicians["clinician@example.test"].supervisor_id == supervisor.id
        for c in clinicians.values():
            assert c.npi and valid_npi(c.npi)

        clients = list(s.scalars(select(Client)))
        assert len(clients) == 12
        assert all(c.email.endswith("@example.test") for c in clients)
        assert all(c.legal_last_name.startswith("Demo") for c in clients)

        # every client is on a care team; each of the three clinicians has clients
        team = list(s.scalars(select(CareTeamMember).where(CareTeamMember.ended_at.is_(None))))
        assert {m.client_id for m in team} == {c.id for c in clients}
        assert {m.clinician_id for m in team} == {c.id for c in clinicians.values()}

        # the minor: 15 today in the practice's zone, with a guardian who is responsible
        today = dt.datetime.now(ZoneInfo(demo_data.DEMO_TIME_ZONE)).date()
        minors = [c for c in clients if c.is_minor(today)]
        assert len(minors) == 1
        minor = minors[0]
        born = minor.birth_date
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        assert age == 15
        guardians = list(s.scalars(select(Guardian).where(Guardian.client_id == minor.id)))
        assert len(guardians) == 1 and guardians[0].is_responsible_party
        minor_consents = s.scalars(select(Consent).where(Consent.client_id == minor.id)).all()
        assert {c.given_by for c in minor_consents} == {"guardian"}

        # consents: exactly one client has no recording consent; treatment for everyone
        without_recording = [
            c for c in clients if practice_service.active_consent(s, c.id, "recording") is None
        ]
        assert len(without_recording) == 1
        for c in clients:
            practice_service.require_consent(s, c.id, "treatment")
        with_ai = [c for c in clients if practice_service.active_consent(s, c.id, "ai_processing")]
        with_messaging = [
            c for c in clients if practice_service.active_consent(s, c.id, "messaging")
        ]
        assert len(with_ai) > 6 and len(with_messaging) > 6

        # diagnoses: real ICD-10-CM codes, one primary per client
        diagnoses = list(s.scalars(select(Diagnosis)))
        assert {d.client_id for d in diagnoses} == {c.id for c in clients}
        for d in diagnoses:
            assert icd.validate(d.code).code == d.code
        assert sum(d.primary for d in diagnoses) == 12

        # the practice and its places
        practice = s.scalars(select(Practice)).one()
        assert practice.name == "Hearth Demo Practice"
        assert valid_npi(practice.npi)
        assert len(practice.locations) == 2 and all(loc.rooms for loc in practice.locations)
        assert {"cancellation", "payment", "after_hours"} <= set(practice.policies)
        assert all("Demo text" in text for text in practice.policies.values())


def test_demo_week_runs_monday_to_friday_in_person_and_video(runtime):
    seed(runtime)
    zone = ZoneInfo(demo_data.DEMO_TIME_ZONE)
    today = dt.datetime.now(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    with runtime.db.transaction() as s:
        appointments = list(s.scalars(select(Appointment)))
        days = {a.start.astimezone(zone).date() for a in appointments}
        assert days == {monday + dt.timedelta(days=i) for i in range(5)}
        modalities = {a.modality for a in appointments}
        assert {"in_person", "video"} <= modalities
        home = [a for a in appointments if a.client_location == "home"]
        assert home and all(a.client_state and len(a.client_state) == 2 for a in home)
        assert all(a.location_id and a.room for a in appointments if a.modality == "in_person")
        clients = set(s.scalars(select(Client.id)))
        assert {cid for a in appointments for cid in a.client_ids} == clients
        assert any(len(a.client_ids) == 2 for a in appointments)  # a couples session
        now = dt.datetime.now(dt.UTC)
        for a in appointments:
            assert a.status == ("completed" if a.end <= now else "scheduled")


def test_seeding_twice_changes_nothing(runtime):
    first = seed(runtime)
    counts = table_counts(runtime)
    second = seed(runtime)
    assert first.changed and not second.changed
    assert table_counts(runtime) == counts
    assert second.logins == first.logins


def test_reset_wipes_demo_data_and_seeds_again_keeping_other_records(runtime):
    seed(runtime)
    counts = table_counts(runtime)
    with runtime.db.transaction() as s:
        old_owner_id = s.scalars(select(User.id).where(User.email == "owner@example.test")).one()
        front_desk = security.staff_principal(
            s, s.scalars(select(User).where(User.email == "frontdesk@example.test")).one()
        )
        # a change to demo data, and a real record that a demo user touched
        demo_client = ClientRepository(s, front_desk).search("Demoquist")[0]
        practice_service.revoke_consent(s, front_desk, demo_client.id, "treatment")
        other = security.create_user(
            s, email="someone@else.test", name="Kept User", password="x" * 14, roles=["biller"]
        )
        kept = practice_service.create_client(
            s,
            front_desk,
            {
                "legal_first_name": "Kept",
                "legal_last_name": "Person",
                "date_of_birth": "1990-01-01",
            },
        )
        practice_service.grant_consent(
            s, front_desk, kept.id, "treatment", method="paper", text_version="v1"
        )
        other_id, kept_id = other.id, kept.id

    info = seed(runtime, reset=True)
    assert info.steps_run == tuple(name for name, _ in STEPS)  # later issues append steps
    assert info.steps_run[:6] == ("practice", "staff", "clients", "diagnoses", "consents", "week")
    after = table_counts(runtime)
    assert after["clients"] == counts["clients"] + 1
    assert after["users"] == counts["users"] + 1
    assert after["consents"] == counts["consents"] + 1
    same = ("appointments", "diagnoses", "guardians", "care_team", "clinicians", "practice")
    for table in (*same, "locations", "contact_index", "job_records", "appointment_clients"):
        assert after[table] == counts[table], table
    with runtime.db.transaction() as s:
        new_owner_id = s.scalars(select(User.id).where(User.email == "owner@example.test")).one()
        assert new_owner_id != old_owner_id
        assert s.get(User, other_id) is not None
        assert s.get(Client, kept_id) is not None
        consent = practice_service.require_consent(s, kept_id, "treatment")
        assert consent.recorded_by_id is None  # the demo user who recorded it is gone
        revoked = s.scalars(
            select(func.count()).select_from(Consent).where(Consent.revoked_at.is_not(None))
        ).one()
        assert revoked == 0


def test_demo_is_refused_in_production_unless_forced(runtime):
    runtime.settings.env = "production"
    try:
        with pytest.raises(DemoRefused, match="production"):
            seed(runtime)
        assert table_counts(runtime)["users"] == 0
    finally:
        runtime.settings.env = "test"


def test_demo_is_refused_beside_a_real_practice(runtime):
    with runtime.db.transaction() as s:
        s.add(Practice(name="A Real Practice", time_zone="America/Chicago", policies={}))
    with pytest.raises(Conflict, match="A Real Practice"):
        seed(runtime)
    assert table_counts(runtime)["users"] == 0


@pytest.mark.parametrize("first_nine", ["123456789", "199999990", "000000000", "987654321"])
def test_fake_npis_pass_the_check_digit_test(first_nine):
    npi = demo_data.fake_npi(first_nine)
    assert valid_npi(npi)
    wrong = npi[:9] + str((int(npi[9]) + 1) % 10)
    assert not valid_npi(wrong)


def test_known_npi_check_digit():
    # The example NPI of the CMS check-digit documentation.
    assert demo_data.fake_npi("123456789") == "1234567893"


def test_minor_is_fifteen_on_every_day_of_a_leap_year():
    day = dt.date(2028, 1, 1)
    while day.year == 2028:
        born = demo_data.minor_birth_date(day)
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        assert age == 15, day
        day += dt.timedelta(days=1)


def test_every_demo_diagnosis_code_is_billable_icd10cm():
    for client in demo_data.CLIENTS:
        for code in client.diagnoses:
            assert icd.validate(code).code == code


def test_the_demo_shows_a_practice_template_without_touching_a_configured_folder(
    runtime, tmp_path, monkeypatch
):
    from hearth.documentation.drafting.templates import available_templates

    seed(runtime)
    own = runtime.settings.data_dir / "templates" / "dap_brief.json"
    assert own.is_file()
    assert runtime.settings.effective_templates_dir == own.parent
    templates = available_templates(runtime.settings.effective_templates_dir)
    assert templates["dap_brief"].title == "Brief DAP (example)"

    seed(runtime, reset=True)  # the file is kept as it is (a practice may have edited it)
    assert own.is_file()

    configured = tmp_path / "practice-templates"
    configured.mkdir()
    monkeypatch.setattr(runtime.settings, "templates_dir", configured)
    seed(runtime, reset=True)
    assert list(configured.iterdir()) == []
    assert runtime.settings.effective_templates_dir == configured
