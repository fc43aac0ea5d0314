import datetime as dt

import pytest

from hearth.errors import Forbidden, Invalid
from hearth.security import service as auth
from hearth.security.models import AuthSession, MagicLink
from tests.factories import PASSWORD, make_client, make_clinician, make_user, principal

pytestmark = pytest.mark.both_backends


def test_login_lockout_after_repeated_failures(runtime):
    st = runtime.settings
    with runtime.db.transaction() as s:
        u = make_user(s, "front_desk")
        email = u.email
    for _ in range(st.lockout_threshold):
        with runtime.db.transaction() as s, pytest.raises(auth.LoginFailed):
            try:
                auth.authenticate(s, st, email, "wrong password!!")
            finally:
                s.commit()
    with runtime.db.transaction() as s, pytest.raises(auth.AccountLocked):
        auth.authenticate(s, st, email, PASSWORD)


def test_login_success_and_unknown_email(runtime):
    with runtime.db.transaction() as s:
        u = make_user(s, "biller")
        assert auth.authenticate(s, runtime.settings, u.email.upper(), PASSWORD).id == u.id
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(s, runtime.settings, "nobody@example.test", PASSWORD)


def test_disabled_user_cannot_log_in_and_sessions_end(runtime):
    st = runtime.settings
    with runtime.db.transaction() as s:
        u = make_user(s, "biller")
        new = auth.open_session(s, st, principal_kind="user", principal_id=u.id)
        auth.set_user_active(s, u.id, False)
        assert auth.load_session(s, st, new.token) is None
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(s, st, u.email, PASSWORD)


def test_session_idle_timeout_and_revocation(runtime):
    st = runtime.settings
    with runtime.db.transaction() as s:
        u = make_user(s, "biller")
        new = auth.open_session(s, st, principal_kind="user", principal_id=u.id)
        assert auth.load_session(s, st, new.token) is not None
        row = s.get(AuthSession, auth.token_digest(new.token))
        row.last_seen_at -= dt.timedelta(minutes=st.session_idle_minutes + 1)
        s.flush()
        assert auth.load_session(s, st, new.token) is None
        other = auth.open_session(s, st, principal_kind="user", principal_id=u.id)
        auth.revoke_session(s, other.token)
        assert auth.load_session(s, st, other.token) is None
        assert auth.load_session(s, st, "not-a-token") is None


def test_cookie_token_is_not_stored(runtime):
    with runtime.db.transaction() as s:
        u = make_user(s, "biller")
        new = auth.open_session(s, runtime.settings, principal_kind="user", principal_id=u.id)
        assert s.get(AuthSession, new.token) is None


def test_password_change(runtime):
    st = runtime.settings
    with runtime.db.transaction() as s:
        u = make_user(s, "biller")
        keep = auth.open_session(s, st, principal_kind="user", principal_id=u.id)
        other = auth.open_session(s, st, principal_kind="user", principal_id=u.id)
        with pytest.raises(Invalid):
            auth.change_password(s, u, "wrong", "a much longer passphrase")
        with pytest.raises(Invalid):
            auth.change_password(s, u, PASSWORD, "short")
        auth.change_password(
            s, u, PASSWORD, "a much longer passphrase", keep_session=auth.token_digest(keep.token)
        )
        assert auth.load_session(s, st, keep.token) is not None
        assert auth.load_session(s, st, other.token) is None
        assert auth.authenticate(s, st, u.email, "a much longer passphrase")


def test_create_user_validation(runtime):
    with runtime.db.transaction() as s:
        with pytest.raises(Invalid, match="unknown roles"):
            auth.create_user(
                s, email="a@example.test", name="A", password=PASSWORD, roles=["wizard"]
            )
        make_user(s, "admin")
        with pytest.raises(Invalid, match="at least"):
            auth.create_user(s, email="b@example.test", name="B", password="x", roles=["admin"])


def test_magic_link_single_use_and_expiry(runtime):
    st = runtime.settings
    with runtime.db.transaction() as s:
        owner_user, clin = make_clinician(s, "owner")
        c = make_client(s, principal(s, owner_user), email="kid@example.test")
        token = auth.issue_magic_link(s, st, principal_kind="client", principal_id=c.id)
        assert auth.redeem_magic_link(s, token).principal_id == c.id
        with pytest.raises(Forbidden):
            auth.redeem_magic_link(s, token)
        old = auth.issue_magic_link(s, st, principal_kind="client", principal_id=c.id)
        s.get(MagicLink, auth.token_digest(old)).expires_at -= dt.timedelta(hours=1)
        with pytest.raises(Forbidden):
            auth.redeem_magic_link(s, old)
        with pytest.raises(Invalid):
            auth.issue_magic_link(s, st, principal_kind="user", principal_id=owner_user.id)


def test_supervisor_principal_includes_supervisees(runtime):
    with runtime.db.transaction() as s:
        sup_user, sup = make_clinician(s, "supervisor")
        _, a = make_clinician(s, supervisor=sup)
        p = principal(s, sup_user)
        assert p.supervisee_ids == frozenset({a.id}) and p.clinician_id == sup.id
