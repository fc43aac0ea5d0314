"""Request and response shapes of the practice API (/api/v1/clients, care team, transfer)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ConsentKind = Literal["treatment", "recording", "ai_processing", "messaging"]
ConsentMethod = Literal["paper", "portal", "verbal", "electronic"]
ClientStatus = Literal["active", "inactive", "discharged", "waitlist"]
SexOnPayerFile = Literal["F", "M", "U"]


class Address(BaseModel):
    """A postal address."""

    model_config = ConfigDict(extra="forbid")

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = Field(default=None, max_length=2, description="Two-letter state code")
    postal_code: str | None = None


class EmergencyContact(BaseModel):
    """Whom to call in an emergency."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    relationship: str | None = None
    phone: str | None = None


class ClientFields(BaseModel):
    """Identity and contact fields shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    preferred_name: str | None = None
    pronouns: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    emergency_contact: EmergencyContact | None = None
    sex_on_payer_file: SexOnPayerFile | None = Field(
        default=None, description="Sex as the payer has it on file (kept apart from gender)"
    )
    gender_identity: str | None = None
    status: ClientStatus | None = None


class ClientCreate(ClientFields):
    """A new client; a clinician creating one joins its care team."""

    legal_first_name: str = Field(min_length=1)
    legal_last_name: str = Field(min_length=1)
    date_of_birth: dt.date
    clinician_id: str | None = Field(
        default=None, description="Put the client on this clinician's care team"
    )

    def service_data(self) -> dict[str, Any]:
        """The fields as practice.service expects them."""
        data = self.model_dump(exclude={"clinician_id"}, exclude_none=True, mode="json")
        return data


class ClientUpdate(ClientFields):
    """A partial change: only the fields sent are changed (null clears an optional field)."""

    legal_first_name: str | None = None
    legal_last_name: str | None = None
    date_of_birth: dt.date | None = None

    def service_data(self) -> dict[str, Any]:
        """The fields that were sent, as practice.service expects them."""
        return self.model_dump(exclude_unset=True, mode="json")


class ClientOut(BaseModel):
    """A client as the caller may see them: fields outside the caller's role are left out."""

    id: str
    display_name: str
    legal_first_name: str | None = None
    legal_last_name: str | None = None
    preferred_name: str | None = None
    pronouns: str | None = None
    date_of_birth: dt.date | None = None
    email: str | None = None
    phone: str | None = None
    address: dict[str, str] | None = None
    emergency_contact: dict[str, str] | None = None
    sex_on_payer_file: str | None = None
    gender_identity: str | None = None
    status: str | None = None


class DiagnosisCreate(BaseModel):
    """An ICD-10-CM diagnosis to record."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=3, examples=["F41.1"])
    primary: bool = False


class DiagnosisOut(BaseModel):
    """A recorded diagnosis."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    client_id: str
    code: str
    description: str
    primary: bool
    status: str
    entered_by_id: str
    entered_at: dt.datetime


class ConsentCreate(BaseModel):
    """A consent given by the client (or their guardian)."""

    model_config = ConfigDict(extra="forbid")

    kind: ConsentKind
    method: ConsentMethod
    text_version: str = Field(min_length=1, examples=["2025-01"])
    given_by: Literal["client", "guardian"] = "client"


class ConsentOut(BaseModel):
    """A consent record with when it was given and revoked."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    client_id: str
    kind: str
    granted_at: dt.datetime
    revoked_at: dt.datetime | None
    method: str
    text_version: str
    given_by: str | None
    recorded_by_id: str | None


class CareTeamMemberOut(BaseModel):
    """A clinician's membership of a client's care team (current or past)."""

    id: str
    clinician_id: str
    clinician_name: str
    role: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    reason: str | None


class CaseloadTransfer(BaseModel):
    """Move every current client of one clinician to another."""

    model_config = ConfigDict(extra="forbid")

    from_clinician_id: str
    to_clinician_id: str
    reason: str = Field(min_length=1)


class CaseloadTransferResult(BaseModel):
    """The clients that were moved."""

    from_clinician_id: str
    to_clinician_id: str
    client_ids: list[str]
