import pytest

from hearth.errors import NotFound
from hearth.practice.repository import ClientRepository
from tests.factories import make_client, make_clinician, make_user, principal

pytestmark = pytest.mark.both_backends


@pytest.fixture
def practice(runtime):
    with runtime.db.transaction() as s:
        owner_user, owner_clin = make_clinician(s, "owner")
        sup_user, sup_clin = make_clinician(s, "supervisor")
        a_user, a_clin = make_clinician(s, supervisor=sup_clin)
        b_user, b_clin = make_clinician(s)
        biller = make_user(s, "biller")
        desk = make_user(s, "front_desk")
        admin = make_user(s, "admin")
        owner = principal(s, owner_user)
        maria = make_client(
            s,
            owner,
            "Maria",
            "Examplova",
            clinician_id=a_clin.id,
            email="maria@example.test",
            phone="555-0100",
        )
        marcus = make_client(s, owner, "Marcus", "Sampleton", clinician_id=b_clin.id)
        ids = dict(
            owner=owner_user.id,
            sup=sup_user.id,
            a=a_user.id,
            b=b_user.id,
            biller=biller.id,
            desk=desk.id,
            admin=admin.id,
            maria=maria.id,
            marcus=marcus.id,
        )
    return ids


def repo_for(s, user_id):
    from hearth.security.models import User

    return ClientRepository(s, principal(s, s.get(User, user_id)))


def test_clinician_sees_only_care_team(runtime, practice):
    with runtime.db.transaction() as s:
        repo = repo_for(s, practice["a"])
        assert [c.id for c in repo.search()] == [practice["maria"]]
        assert repo.get(practice["maria"]).legal_first_name == "Maria"
        with pytest.raises(NotFound):
            repo.get(practice["marcus"])


def test_supervisor_sees_supervisees_clients(runtime, practice):
    with runtime.db.transaction() as s:
        repo = repo_for(s, practice["sup"])
        assert {c.id for c in repo.search()} == {practice["maria"]}
        assert repo.in_clinical_scope(practice["maria"])


def test_owner_sees_all_identity_but_clinical_only_own_care_team(runtime, practice):
    with runtime.db.transaction() as s:
        repo = repo_for(s, practice["owner"])
        assert {c.id for c in repo.search()} == {practice["maria"], practice["marcus"]}
        assert not repo.in_clinical_scope(practice["maria"])
        with pytest.raises(NotFound):
            repo.get_clinical(practice["maria"])


def test_biller_view_has_billing_subset_only(runtime, practice):
    with runtime.db.transaction() as s:
        repo = repo_for(s, practice["biller"])
        view = repo.view(repo.get(practice["maria"]))
        assert view["legal_last_name"] == "Examplova"
        assert "email" not in view and "phone" not in view


def test_front_desk_sees_contact_and_admin_sees_nothing(runtime, practice):
    with runtime.db.transaction() as s:
        desk = repo_for(s, practice["desk"])
        assert desk.view(desk.get(practice["maria"]))["phone"] == "555-0100"
        admin = repo_for(s, practice["admin"])
        assert admin.search() == []
        with pytest.raises(NotFound):
            admin.get(practice["maria"])


def test_blind_index_search_by_prefix(runtime, practice):
    with runtime.db.transaction() as s:
        repo = repo_for(s, practice["owner"])
        assert [c.id for c in repo.search("mar")] == [practice["maria"], practice["marcus"]]
        assert [c.id for c in repo.search("marc")] == [practice["marcus"]]
        assert [c.id for c in repo.search("Maria examp")] == [practice["maria"]]
        assert repo.search("zzz") == []
        # a clinician's search never reaches beyond the care team
        assert [c.id for c in repo_for(s, practice["a"]).search("mar")] == [practice["maria"]]
