import datetime as dt

import pytest
from sqlalchemy import select

from hearth.errors import ConsentRequired, Invalid, NotFound
from hearth.practice import service
from hearth.practice.models import CareTeamMember, Client
from hearth.practice.repository import ClientRepository
from hearth.security.permissions import PermissionDenied
from tests.factories import make_client, make_clinician, make_user, principal

pytestmark = pytest.mark.both_backends


@pytest.fixture
def team(runtime):
    with runtime.db.transaction() as s:
        owner_user, _ = make_clinician(s, "owner")
        a_user, a = make_clinician(s)
        b_user, b = make_clinician(s)
        desk = make_user(s, "front_desk")
        client = make_client(s, principal(s, owner_user), "Pat", "Placeholder", clinician_id=a.id)
        return dict(
            owner=owner_user,
            a=a_user,
            b=b_user,
            a_clin=a.id,
            b_clin=b.id,
            desk=desk,
            client=client.id,
        )


def test_create_client_validates_and_writes_nothing_on_error(runtime, team):
    with runtime.db.transaction() as s:
        p = principal(s, team["owner"])
        with pytest.raises(Invalid) as e:
            service.create_client(
                s,
                p,
                {"legal_first_name": "A", "legal_last_name": "B", "date_of_birth": "31/01/1990"},
            )
        assert e.value.where == "date_of_birth"
        with pytest.raises(Invalid) as e:
            service.create_client(
                s,
                p,
                {
                    "legal_first_name": "A",
                    "legal_last_name": "B",
                    "date_of_birth": "1990-01-31",
                    "shoe_size": "9",
                },
            )
        assert e.value.where == "shoe_size"
        assert s.scalars(select(Client)).all().__len__() == 1


def test_clinician_creating_a_client_joins_its_care_team(runtime, team):
    with runtime.db.transaction() as s:
        p = principal(s, team["b"])
        c = make_client(s, p, "New", "Clientperson")
        assert ClientRepository(s, p).in_clinical_scope(c.id)


def test_update_client_reindexes_names(runtime, team):
    with runtime.db.transaction() as s:
        p = principal(s, team["owner"])
        service.update_client(s, p, team["client"], {"preferred_name": "Sunny"})
        repo = ClientRepository(s, p)
        assert [c.id for c in repo.search("sun")] == [team["client"]]
        assert repo.get(team["client"]).display_name == "Sunny Placeholder"


def test_diagnosis_validated_and_only_by_care_team_clinician(runtime, team):
    with runtime.db.transaction() as s:
        a = principal(s, team["a"])
        dx = service.add_diagnosis(s, a, team["client"], "f411")
        assert (dx.code, dx.description, dx.primary) == (
            "F41.1",
            "Generalized anxiety disorder",
            True,
        )
        with pytest.raises(Invalid, match="category"):
            service.add_diagnosis(s, a, team["client"], "F41")
        with pytest.raises(Invalid, match="not an ICD-10-CM code"):
            service.add_diagnosis(s, a, team["client"], "Q99.99X")
        with pytest.raises(Invalid, match="already"):
            service.add_diagnosis(s, a, team["client"], "F41.1")
        second = service.add_diagnosis(s, a, team["client"], "F32.1", primary=True)
        assert second.primary and not dx.primary
        with pytest.raises(NotFound):
            service.add_diagnosis(s, principal(s, team["b"]), team["client"], "F43.10")
        with pytest.raises(PermissionDenied):
            service.add_diagnosis(s, principal(s, team["desk"]), team["client"], "F43.10")


def test_consent_grant_require_revoke(runtime, team):
    with runtime.db.transaction() as s:
        desk = principal(s, team["desk"])
        with pytest.raises(ConsentRequired):
            service.require_consent(s, team["client"], "recording")
        service.grant_consent(
            s, desk, team["client"], "recording", method="paper", text_version="recording-v1"
        )
        assert (
            service.require_consent(s, team["client"], "recording").text_version == "recording-v1"
        )
        with pytest.raises(Invalid, match="already active"):
            service.grant_consent(
                s, desk, team["client"], "recording", method="paper", text_version="recording-v1"
            )
        revoked = service.revoke_consent(s, desk, team["client"], "recording")
        assert revoked.revoked_at is not None
        with pytest.raises(ConsentRequired):
            service.require_consent(s, team["client"], "recording")
        with pytest.raises(Invalid):
            service.grant_consent(
                s, desk, team["client"], "telepathy", method="paper", text_version="v1"
            )


def test_caseload_transfer_moves_every_client_and_keeps_history(runtime, team):
    with runtime.db.transaction() as s:
        owner = principal(s, team["owner"])
        make_client(s, owner, "Second", "Sample", clinician_id=team["a_clin"])
        moved = service.transfer_caseload(s, owner, team["a_clin"], team["b_clin"], "leaving")
        assert len(moved) == 2 and team["client"] in moved
        b = principal(s, team["b"])
        assert {c.id for c in ClientRepository(s, b).search()} == set(moved)
        assert ClientRepository(s, principal(s, team["a"])).search() == []
        history = s.scalars(
            select(CareTeamMember).where(CareTeamMember.clinician_id == team["a_clin"])
        ).all()
        assert all(m.ended_at is not None and "leaving" in m.reason for m in history)
        with pytest.raises(PermissionDenied):
            service.transfer_caseload(s, b, team["b_clin"], team["a_clin"], "x")
        with pytest.raises(Invalid):
            service.transfer_caseload(s, owner, team["b_clin"], team["b_clin"], "x")


def test_guardian_for_a_minor(runtime, team):
    with runtime.db.transaction() as s:
        owner = principal(s, team["owner"])
        today = dt.date.today()
        kid = make_client(
            s,
            owner,
            "Kid",
            "Fakename",
            date_of_birth=today.replace(year=today.year - 15).isoformat(),
        )
        assert kid.is_minor(today)
        g = service.add_guardian(
            s, owner, kid.id, {"name": "Parent Fakename", "relationship_to_client": "mother"}
        )
        assert ClientRepository(s, owner).guardians(kid.id) == [g]
        with pytest.raises(Invalid):
            service.add_guardian(s, owner, kid.id, {"name": "", "relationship_to_client": "x"})
