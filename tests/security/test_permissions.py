from hearth.security.permissions import (
    ALL_CLIENT_FIELDS,
    Perm,
    Principal,
    Scope,
    client_scope,
    clinical_scope,
    has,
    visible_client_fields,
)


def p(*roles, kind="user"):
    return Principal(kind=kind, id="x", roles=frozenset(roles))


def test_admin_sees_no_clinical_or_client_data():
    admin = p("admin")
    assert client_scope(admin) is Scope.NONE
    assert clinical_scope(admin) is Scope.NONE
    assert visible_client_fields(admin) == frozenset()
    assert has(admin, Perm.USERS_MANAGE) and has(admin, Perm.SETTINGS_MANAGE)
    assert not has(admin, Perm.AUDIT_READ_ALL)


def test_biller_gets_the_billing_subset_and_no_clinical_records():
    biller = p("biller")
    fields = visible_client_fields(biller)
    assert {"legal_last_name", "date_of_birth", "address"} <= fields
    assert not fields & {"email", "phone", "emergency_contact", "pronouns", "gender_identity"}
    assert clinical_scope(biller) is Scope.NONE


def test_front_desk_sees_contact_but_no_clinical_records():
    fd = p("front_desk")
    assert visible_client_fields(fd) == ALL_CLIENT_FIELDS
    assert clinical_scope(fd) is Scope.NONE
    assert not has(fd, Perm.DIAGNOSIS_READ)


def test_clinician_and_owner_scopes():
    assert client_scope(p("clinician")) is Scope.CARE_TEAM
    assert clinical_scope(p("clinician")) is Scope.CARE_TEAM
    assert client_scope(p("owner", "clinician")) is Scope.ALL
    assert clinical_scope(p("owner")) is Scope.CARE_TEAM


def test_roles_combine_as_a_union():
    both = p("biller", "front_desk")
    assert visible_client_fields(both) == ALL_CLIENT_FIELDS
    assert has(both, Perm.BILLING_WRITE) and has(both, Perm.SCHEDULE_WRITE)


def test_portal_principals_hold_no_staff_permission():
    client = p("owner", kind="client")
    assert client_scope(client) is Scope.NONE
    assert not has(client, Perm.CLIENT_LIST)
