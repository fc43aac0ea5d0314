"""Small builders of synthetic, obviously fake records for tests."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from hearth.practice import service as practice
from hearth.practice.models import Clinician
from hearth.security import service as auth
from hearth.security.models import User
from hearth.security.permissions import Principal

PASSWORD = "correct horse battery staple"
_n = itertools.count(1)


def make_user(s: Session, *roles: str, name: str | None = None) -> User:
    i = next(_n)
    return auth.create_user(
        s,
        email=f"user{i}@example.test",
        name=name or f"Test User {i}",
        password=PASSWORD,
        roles=list(roles),
    )


def make_clinician(
    s: Session, *extra_roles: str, supervisor: Clinician | None = None, name: str | None = None
) -> tuple[User, Clinician]:
    user = make_user(s, "clinician", *extra_roles, name=name)
    clin = Clinician(
        user_id=user.id, credentials="LCSW", supervisor_id=supervisor.id if supervisor else None
    )
    s.add(clin)
    s.flush()
    return user, clin


def principal(s: Session, user: User) -> Principal:
    return auth.staff_principal(s, user)


def make_client(
    s: Session,
    owner: Principal,
    first: str = "Testy",
    last: str = "Fakeperson",
    clinician_id: str | None = None,
    **fields,
):
    data = {"legal_first_name": first, "legal_last_name": last, "date_of_birth": "1990-05-17"}
    data.update(fields)
    return practice.create_client(s, owner, data, clinician_id=clinician_id)
