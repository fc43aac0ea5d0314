"""The synthetic demo practice as plain data: obviously fake people, places and numbers.

Everything here is invented. Names use "Demo…" surnames, addresses are on
"Example Lane" in "Sampleton", e-mail addresses are under the reserved
``example.test`` domain, and phone numbers use the fictional 555-01xx range.
NPIs are made up but carry a valid check digit (the Luhn check over the
prefix 80840, as CMS defines it) so that billing code accepts them; they do not
identify anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEMO_PRACTICE_NAME = "Hearth Demo Practice"
DEMO_PASSWORD = "hearth-demo-password"  # noqa: S105 - published on purpose: demo only
DEMO_TIME_ZONE = "America/New_York"
DEMO_CONSENT_TEXT = "demo-consent-v1"
NPI_PREFIX = "80840"


def npi_check_digit(first_nine: str) -> str:
    """The NPI check digit: Luhn over the prefix 80840 and the first nine digits."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("an NPI check digit needs exactly nine digits")
    total = 0
    for i, ch in enumerate(reversed(NPI_PREFIX + first_nine)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def fake_npi(first_nine: str) -> str:
    """A ten-digit NPI that passes the check-digit test (demo use only)."""
    return first_nine + npi_check_digit(first_nine)


@dataclass(frozen=True)
class DemoLocation:
    """An office of the demo practice."""

    key: str
    name: str
    address: dict[str, str]
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class DemoStaff:
    """A demo staff user; clinicians also get a clinician profile."""

    key: str
    email: str
    name: str
    roles: tuple[str, ...]
    credentials: str | None = None
    licence_number: str | None = None
    licence_states: tuple[str, ...] = ()
    npi: str | None = None
    taxonomy_code: str | None = None
    supervisor: str | None = None  # key of the supervising clinician

    @property
    def is_clinician(self) -> bool:
        return self.credentials is not None


@dataclass(frozen=True)
class DemoClient:
    """A demo client with their primary clinician, diagnoses and missing consents."""

    first: str
    last: str  # unique among demo clients: it is how the seed finds the client again
    pronouns: str
    born: str | None  # ISO date; None for the minor, whose birth date follows today
    sex_on_payer_file: str
    gender_identity: str
    clinician: str  # key of the primary clinician
    diagnoses: tuple[str, ...]
    state: str = "NY"
    without_consents: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()  # keys of clinicians on the care team besides the primary
    guardian: dict[str, str] | None = None

    @property
    def key(self) -> str:
        return self.last


@dataclass(frozen=True)
class DemoAppointment:
    """One booking in the demo week: weekday 0 = Monday, local time in the practice zone."""

    weekday: int
    at: str  # "HH:MM"
    minutes: int
    clinician: str
    clients: tuple[str, ...]
    session_kind: str = "individual"
    modality: str = "in_person"
    location: str | None = None
    room: str | None = None
    client_location: str | None = None
    client_state: str | None = None


PRACTICE: dict[str, object] = {
    "name": DEMO_PRACTICE_NAME,
    "npi": fake_npi("199999990"),
    "tax_id": "00-0000000",
    "phone": "(212) 555-0100",
    "time_zone": DEMO_TIME_ZONE,
    "address": {
        "line1": "1 Example Lane",
        "city": "Sampleton",
        "state": "NY",
        "postal_code": "10001",
    },
    "policies": {
        "cancellation": (
            "Demo text: please cancel or reschedule at least 24 hours ahead. Late "
            "cancellations and missed sessions may be charged the session fee."
        ),
        "payment": (
            "Demo text: payment (copay or self-pay fee) is due at each session. We bill "
            "insurance for in-network plans and provide superbills for out-of-network ones."
        ),
        "after_hours": (
            "Demo text: this practice is not staffed after hours. In an emergency call 911; "
            "for a mental health crisis call or text 988. Messages are answered the next "
            "business day."
        ),
    },
}

LOCATIONS: tuple[DemoLocation, ...] = (
    DemoLocation(
        key="main",
        name="Main Street office",
        address={
            "line1": "1 Example Lane",
            "city": "Sampleton",
            "state": "NY",
            "postal_code": "10001",
        },
        rooms=("Room 1", "Room 2", "Group room"),
    ),
    DemoLocation(
        key="riverside",
        name="Riverside office",
        address={
            "line1": "200 Placeholder Avenue",
            "city": "Sampleton",
            "state": "NY",
            "postal_code": "10002",
        },
        rooms=("Room A", "Room B"),
    ),
)

STAFF: tuple[DemoStaff, ...] = (
    DemoStaff(
        key="owner",
        email="owner@example.test",
        name="Morgan Demo",
        roles=("owner", "clinician"),
        credentials="PhD (demo)",
        licence_number="DEMO-PSY-0001",
        licence_states=("NY", "NJ"),
        npi=fake_npi("199999991"),
        taxonomy_code="103T00000X",  # Psychologist
    ),
    DemoStaff(
        key="supervisor",
        email="supervisor@example.test",
        name="Sam Demo",
        roles=("clinician", "supervisor"),
        credentials="LCSW (demo)",
        licence_number="DEMO-SW-0003",
        licence_states=("NY", "NJ", "CT"),
        npi=fake_npi("199999993"),
        taxonomy_code="1041C0700X",  # Clinical social worker
    ),
    DemoStaff(
        key="clinician",
        email="clinician@example.test",
        name="Riley Demo",
        roles=("clinician",),
        credentials="LMHC-LP (demo)",
        licence_number="DEMO-LP-0002",
        licence_states=("NY",),
        npi=fake_npi("199999992"),
        taxonomy_code="101YP2500X",  # Professional counselor
        supervisor="supervisor",
    ),
    DemoStaff(key="biller", email="biller@example.test", name="Billie Demo", roles=("biller",)),
    DemoStaff(
        key="front_desk",
        email="frontdesk@example.test",
        name="Frankie Demo",
        roles=("front_desk",),
    ),
    DemoStaff(key="admin", email="admin@example.test", name="Ari Demo", roles=("admin",)),
)

CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "Ada", "Demobrook", "she/her", "1991-03-14", "F", "woman", "owner", ("F41.1", "F41.0")
    ),
    DemoClient(
        "Ben", "Demofield", "he/him", "1984-07-02", "M", "man", "owner", ("F43.23",), state="NJ"
    ),
    DemoClient("Cleo", "Demohart", "she/her", "1986-11-23", "F", "woman", "owner", ("F32.1",)),
    DemoClient(
        "Dev", "Demoland", "they/them", "1997-05-30", "U", "non-binary", "owner", ("F43.10",)
    ),
    DemoClient(
        "Eli",
        "Demomoor",
        "he/him",
        None,
        "M",
        "boy",
        "clinician",
        ("F40.10", "F90.0"),
        guardian={
            "name": "Jordan Demomoor",
            "relationship_to_client": "parent",
            "email": "jordan.demomoor@example.test",
            "phone": "(212) 555-0160",
        },
    ),
    DemoClient("Fay", "Demonash", "she/her", "1973-02-08", "F", "woman", "clinician", ("F33.1",)),
    DemoClient(
        "Gus",
        "Demopark",
        "he/him",
        "2002-09-17",
        "M",
        "man",
        "clinician",
        ("F43.22",),
        without_consents=("ai_processing",),
    ),
    DemoClient(
        "Hana",
        "Demoquist",
        "she/her",
        "1988-12-01",
        "F",
        "woman",
        "clinician",
        ("F42.2",),
        without_consents=("recording",),
    ),
    DemoClient(
        "Ivo",
        "Demoridge",
        "he/him",
        "1964-04-11",
        "M",
        "man",
        "supervisor",
        ("F34.1",),
        without_consents=("messaging",),
    ),
    DemoClient(
        "Jun",
        "Demostone",
        "they/them",
        "1995-08-26",
        "F",
        "non-binary",
        "supervisor",
        ("F43.12",),
        state="CT",
        secondary=("owner",),
    ),
    DemoClient(
        "Kai", "Demotree", "he/him", "1980-10-05", "M", "man", "supervisor", ("F41.9", "F32.A")
    ),
    DemoClient(
        "Lena", "Demovale", "she/her", "1996-01-19", "F", "woman", "supervisor", ("F40.11",)
    ),
)

WEEK: tuple[DemoAppointment, ...] = (
    # Monday
    DemoAppointment(0, "09:00", 53, "owner", ("Demobrook",), modality="video",
                    client_location="home", client_state="NY"),
    DemoAppointment(0, "10:00", 50, "clinician", ("Demomoor",), session_kind="family_with_client",
                    location="main", room="Room 2"),
    DemoAppointment(0, "13:00", 53, "supervisor", ("Demoridge",), location="riverside",
                    room="Room A"),
    DemoAppointment(0, "15:00", 50, "owner", ("Demofield", "Demohart"), session_kind="couples",
                    location="main", room="Room 1"),
    # Tuesday
    DemoAppointment(1, "09:00", 53, "clinician", ("Demonash",), modality="video",
                    client_location="home", client_state="NY"),
    DemoAppointment(1, "11:00", 45, "supervisor", ("Demostone",), modality="video",
                    client_location="home", client_state="CT"),
    DemoAppointment(1, "14:00", 60, "owner", ("Demoland",), session_kind="intake",
                    location="main", room="Room 1"),
    # Wednesday
    DemoAppointment(2, "10:00", 53, "clinician", ("Demopark",), location="main", room="Room 2"),
    DemoAppointment(2, "12:00", 53, "supervisor", ("Demotree",), modality="audio_only",
                    client_location="home", client_state="NY"),
    DemoAppointment(2, "16:00", 53, "owner", ("Demobrook",), location="main", room="Room 1"),
    # Thursday
    DemoAppointment(3, "09:00", 53, "clinician", ("Demoquist",), location="riverside",
                    room="Room B"),
    DemoAppointment(3, "11:00", 53, "supervisor", ("Demovale",), modality="video",
                    client_location="other", client_state="NY"),
    DemoAppointment(3, "15:00", 53, "owner", ("Demofield",), modality="video",
                    client_location="home", client_state="NJ"),
    # Friday
    DemoAppointment(4, "10:00", 53, "owner", ("Demohart",), location="main", room="Room 1"),
    DemoAppointment(4, "13:00", 45, "clinician", ("Demomoor",), modality="video",
                    client_location="home", client_state="NY"),
    DemoAppointment(4, "14:00", 53, "supervisor", ("Demotree",), location="riverside",
                    room="Room A"),
)  # fmt: skip


def minor_birth_date(today: dt.date) -> dt.date:
    """A birth date that makes someone 15 today (about 15 years and four months ago)."""
    fifteen = dt.date(today.year - 15, today.month, min(today.day, 28))
    return fifteen - dt.timedelta(days=120)


def client_fields(client: DemoClient, number: int, today: dt.date) -> dict[str, object]:
    """The create_client fields for one demo client; number makes phone and street unique."""
    born = client.born or minor_birth_date(today).isoformat()
    return {
        "legal_first_name": client.first,
        "legal_last_name": client.last,
        "pronouns": client.pronouns,
        "date_of_birth": born,
        "email": f"{client.first.lower()}.{client.last.lower()}@example.test",
        "phone": f"(212) 555-01{number + 10:02d}",
        "address": {
            "line1": f"{number * 10 + 5} Example Lane",
            "city": "Sampleton",
            "state": client.state,
            "postal_code": "10001",
        },
        "emergency_contact": {
            "name": f"Pat {client.last}",
            "relationship": "sibling",
            "phone": f"(212) 555-01{number + 40:02d}",
        },
        "sex_on_payer_file": client.sex_on_payer_file,
        "gender_identity": client.gender_identity,
        "status": "active",
    }
