"""Seeding the synthetic demo practice through the ordinary services.

The seed is a list of named steps (``STEPS``). Each step runs once: when it
finishes, a ``JobRecord`` with the id ``demo:<step>`` marks it done, so seeding
twice changes nothing, and a step that a later issue appends runs on an already
seeded database too. ``reset=True`` wipes the demo first (``wipe.py``) and seeds
it again. The whole seed is one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.demo import data
from hearth.demo.documentation import seed_notes, seed_templates
from hearth.demo.wipe import DEMO_STEP_PREFIX, demo_client_ids, demo_user_ids, wipe
from hearth.documentation.capture.demo import seed_recording
from hearth.errors import Conflict, Forbidden, NotFound
from hearth.practice import profile
from hearth.practice import service as practice
from hearth.practice.models import (
    CONSENT_KINDS,
    Appointment,
    AppointmentClient,
    Clinician,
    Location,
    Practice,
)
from hearth.runtime import Runtime
from hearth.security import service as security
from hearth.security import users
from hearth.security.models import JobRecord, User
from hearth.security.permissions import Principal
from hearth.security.users import ClinicianDetails

# Sets up the practice and its staff before any demo user exists; stored nowhere.
SEEDER = Principal(kind="user", id="demo-seed", roles=frozenset({"owner"}), name="demo seed")


class DemoRefused(Forbidden):
    """Demo data is not seeded into a production install (or beside a real practice)."""

    code = "demo_refused"


@dataclass(frozen=True)
class DemoLogin:
    """A demo staff sign-in."""

    email: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoInfo:
    """What the demo holds: its logins (one shared password), clients and the steps just run."""

    practice_name: str
    password: str
    logins: tuple[DemoLogin, ...]
    clients: int
    steps_run: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when this seed wrote anything."""
        return bool(self.steps_run)


@dataclass
class DemoContext:
    """What a seed step needs: the session, the practice's today, and lookups by demo key."""

    session: Session
    today: dt.date
    zone: ZoneInfo
    runtime: Runtime | None = None  # where steps find settings (the media folder)

    def practice(self) -> Practice:
        """The demo practice."""
        found = self.session.scalars(
            select(Practice).where(Practice.name == data.DEMO_PRACTICE_NAME)
        ).first()
        if found is None:
            raise NotFound("the demo practice is missing", record_type="practice")
        return found

    def user(self, key: str) -> User:
        """A demo staff user by key (owner, clinician, supervisor, …)."""
        email = next(s.email for s in data.STAFF if s.key == key)
        user = self.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            raise NotFound(f"the demo user {email} is missing", record_type="user")
        return user

    def clinician(self, key: str) -> Clinician:
        """A demo clinician profile by staff key."""
        user = self.user(key)
        found = self.session.scalars(select(Clinician).where(Clinician.user_id == user.id)).first()
        if found is None:
            raise NotFound(f"the demo clinician {user.email} is missing", record_type="clinician")
        return found

    def principal(self, key: str) -> Principal:
        """The demo user as a principal, so steps act through the ordinary permission checks."""
        return security.staff_principal(self.session, self.user(key))

    def client_id(self, surname: str) -> str:
        """A demo client's id by surname (the blind index finds it)."""
        found = demo_client_ids(self.session).get(surname)
        if found is None:
            raise NotFound(f"the demo client {surname} is missing", record_type="client")
        return found

    def location(self, key: str) -> Location:
        """A demo location by key."""
        name = next(loc.name for loc in data.LOCATIONS if loc.key == key)
        found = self.session.scalars(
            select(Location).where(
                Location.practice_id == self.practice().id, Location.name == name
            )
        ).first()
        if found is None:
            raise NotFound(f"the demo location {name} is missing", record_type="location")
        return found

    def local(self, day: dt.date, hhmm: str) -> dt.datetime:
        """A wall-clock time in the practice's zone, as an aware datetime."""
        hour, minute = (int(p) for p in hhmm.split(":"))
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)


# --- steps -------------------------------------------------------------------------


def seed_practice(ctx: DemoContext) -> None:
    """The practice, its policies and two locations with rooms."""
    practice_row = profile.update_practice(ctx.session, SEEDER, data.PRACTICE)
    for loc in data.LOCATIONS:
        ctx.session.add(
            Location(
                practice_id=practice_row.id,
                name=loc.name,
                address=dict(loc.address),
                rooms=list(loc.rooms),
                place_of_service="11",
            )
        )
    ctx.session.flush()


def seed_staff(ctx: DemoContext) -> None:
    """One user per role with the shared demo password; clinicians get their profiles."""
    for staff in data.STAFF:
        details = None
        if staff.is_clinician:
            details = ClinicianDetails(
                credentials=staff.credentials,
                licence_number=staff.licence_number,
                licence_states=list(staff.licence_states),
                npi=staff.npi,
                taxonomy_code=staff.taxonomy_code,
                supervisor_id=ctx.clinician(staff.supervisor).id if staff.supervisor else None,
            )
        users.create_staff_user(
            ctx.session,
            SEEDER,
            email=staff.email,
            name=staff.name,
            password=data.DEMO_PASSWORD,
            roles=staff.roles,
            clinician=details,
        )


def seed_clients(ctx: DemoContext) -> None:
    """Twelve clients on the three clinicians' care teams; the minor gets a guardian."""
    owner = ctx.principal("owner")
    front_desk = ctx.principal("front_desk")
    for number, client in enumerate(data.CLIENTS):
        row = practice.create_client(
            ctx.session,
            owner,
            data.client_fields(client, number, ctx.today),
            clinician_id=ctx.clinician(client.clinician).id,
        )
        for key in client.secondary:
            practice.add_to_care_team(
                ctx.session, owner, row.id, ctx.clinician(key).id, role="secondary"
            )
        if client.guardian is not None:
            practice.add_guardian(
                ctx.session,
                front_desk,
                row.id,
                {**client.guardian, "is_responsible_party": True, "is_legal_guardian": True},
            )


def seed_diagnoses(ctx: DemoContext) -> None:
    """Each client's diagnoses, entered by their primary clinician (first one primary)."""
    for client in data.CLIENTS:
        clinician = ctx.principal(client.clinician)
        client_id = ctx.client_id(client.key)
        for i, code in enumerate(client.diagnoses):
            practice.add_diagnosis(ctx.session, clinician, client_id, code, primary=i == 0)


def seed_consents(ctx: DemoContext) -> None:
    """Consents of every kind except those a client withheld; a guardian signs for the minor."""
    front_desk = ctx.principal("front_desk")
    granted = utcnow() - dt.timedelta(days=30)
    for client in data.CLIENTS:
        client_id = ctx.client_id(client.key)
        for kind in CONSENT_KINDS:
            if kind in client.without_consents:
                continue
            practice.grant_consent(
                ctx.session,
                front_desk,
                client_id,
                kind,
                method="electronic",
                text_version=data.DEMO_CONSENT_TEXT,
                given_by="guardian" if client.guardian else "client",
                at=granted,
            )


def seed_week(ctx: DemoContext) -> None:
    """Monday to Friday of the current week; past sessions are completed."""
    monday = ctx.today - dt.timedelta(days=ctx.today.weekday())
    now = utcnow()
    for booking in data.WEEK:
        start = ctx.local(monday + dt.timedelta(days=booking.weekday), booking.at)
        end = start + dt.timedelta(minutes=booking.minutes)
        ctx.session.add(
            Appointment(
                clinician_id=ctx.clinician(booking.clinician).id,
                start=start,
                end=end,
                session_kind=booking.session_kind,
                modality=booking.modality,
                location_id=ctx.location(booking.location).id if booking.location else None,
                room=booking.room,
                client_location=booking.client_location,
                client_state=booking.client_state,
                status="completed" if end <= now else "scheduled",
                participants=[
                    AppointmentClient(client_id=ctx.client_id(key)) for key in booking.clients
                ],
            )
        )
    ctx.session.flush()


Step = Callable[[DemoContext], None]

# In order. Later issues append their steps (e.g. ("notes", seed_notes)); names never change.
STEPS: list[tuple[str, Step]] = [
    ("practice", seed_practice),
    ("staff", seed_staff),
    ("clients", seed_clients),
    ("diagnoses", seed_diagnoses),
    ("consents", seed_consents),
    ("week", seed_week),
    ("notes", seed_notes),
    ("recording", seed_recording),
    ("templates", seed_templates),
]


# --- entry points ------------------------------------------------------------------


def seed(
    runtime: Runtime,
    *,
    reset: bool = False,
    allow_production: bool = False,
    today: dt.date | None = None,
) -> DemoInfo:
    """Seed the demo practice (idempotent); with reset, wipe it and seed it again."""
    if runtime.settings.production and not allow_production:
        raise DemoRefused(
            "refusing to seed the demo practice in production (HEARTH_ENV=production): "
            "it creates users with a published password"
        )
    zone = ZoneInfo(data.DEMO_TIME_ZONE)
    with runtime.db.transaction() as session:
        if reset:
            wipe(session)
        _refuse_beside_a_real_practice(session)
        ctx = DemoContext(
            session=session,
            today=today or dt.datetime.now(zone).date(),
            zone=zone,
            runtime=runtime,
        )
        done = set(
            session.scalars(select(JobRecord.id).where(JobRecord.id.startswith(DEMO_STEP_PREFIX)))
        )
        ran: list[str] = []
        for name, step in STEPS:
            if DEMO_STEP_PREFIX + name in done:
                continue
            step(ctx)
            session.add(JobRecord(id=DEMO_STEP_PREFIX + name, task="demo.seed", result="done"))
            session.flush()
            ran.append(name)
        info = demo_info(session)
        if info is None:
            raise NotFound(
                "the demo practice was deleted by hand; seed again with --reset",
                record_type="practice",
            )
        return DemoInfo(
            practice_name=info.practice_name,
            password=info.password,
            logins=info.logins,
            clients=info.clients,
            steps_run=tuple(ran),
        )


def demo_info(session: Session) -> DemoInfo | None:
    """The demo's logins and size, or None when the database holds no demo practice."""
    has_demo = session.scalars(
        select(func.count()).select_from(Practice).where(Practice.name == data.DEMO_PRACTICE_NAME)
    ).one()
    if not has_demo:
        return None
    present = demo_user_ids(session)
    logins = tuple(
        DemoLogin(email=s.email, name=s.name, roles=s.roles) for s in data.STAFF if s.key in present
    )
    return DemoInfo(
        practice_name=data.DEMO_PRACTICE_NAME,
        password=data.DEMO_PASSWORD,
        logins=logins,
        clients=len(demo_client_ids(session)),
    )


def has_practice(session: Session) -> bool:
    """True when the database holds a practice (demo or real)."""
    return session.scalars(select(Practice.id).limit(1)).first() is not None


def _refuse_beside_a_real_practice(session: Session) -> None:
    other = session.scalars(
        select(Practice.name).where(Practice.name != data.DEMO_PRACTICE_NAME).limit(1)
    ).first()
    if other is not None:
        raise Conflict(
            f"this database already holds the practice {other!r}; the demo practice is only "
            "seeded into an empty database or beside itself (one practice per install)"
        )


__all__ = [
    "STEPS",
    "DemoContext",
    "DemoInfo",
    "DemoLogin",
    "DemoRefused",
    "demo_info",
    "has_practice",
    "seed",
]
