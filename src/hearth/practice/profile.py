"""The practice's own details: name, NPI, tax id, address, time zone and policies."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.errors import Invalid
from hearth.practice.models import Practice
from hearth.security.permissions import Perm, Principal, require

DEFAULT_TIME_ZONE = "America/New_York"
ADDRESS_KEYS = ("line1", "line2", "city", "state", "postal_code")
POLICY_KEYS = ("cancellation", "payment", "after_hours")
_TAX_ID = re.compile(r"^(\d{2})-?(\d{7})$")


def valid_npi(npi: str) -> bool:
    """True for a 10-digit NPI whose check digit is right (Luhn over the 80840 prefix)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this system knows."""
    return frozenset(zoneinfo.available_timezones())


def get_practice(session: Session) -> Practice | None:
    """The one practice of this install, if it has been set up."""
    return session.scalars(select(Practice).order_by(Practice.created_at).limit(1)).first()


def practice_time_zone(session: Session) -> zoneinfo.ZoneInfo:
    """The practice's time zone (the default zone before the practice is set up)."""
    practice = get_practice(session)
    return zoneinfo.ZoneInfo(practice.time_zone if practice else DEFAULT_TIME_ZONE)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    known = {"name", "npi", "tax_id", "address", "phone", "time_zone", "policies"}
    for key in data:
        if key not in known:
            raise Invalid(f"unknown practice field '{key}'", where=key)
    out: dict[str, Any] = {}
    if "name" in data:
        name = _text(data, "name")
        if not name:
            raise Invalid("the practice name is required", where="name")
        out["name"] = name
    if "npi" in data:
        npi = _text(data, "npi")
        if npi is not None and not valid_npi(npi):
            raise Invalid("NPI must be 10 digits with a valid check digit", where="npi")
        out["npi"] = npi
    if "tax_id" in data:
        tax_id = _text(data, "tax_id")
        if tax_id is not None:
            m = _TAX_ID.match(tax_id)
            if not m:
                raise Invalid("tax id (EIN) must be 9 digits, as 12-3456789", where="tax_id")
            tax_id = f"{m.group(1)}-{m.group(2)}"
        out["tax_id"] = tax_id
    if "phone" in data:
        out["phone"] = _text(data, "phone")
    if "time_zone" in data:
        tz = _text(data, "time_zone") or ""
        if tz not in time_zones():
            raise Invalid(f"'{tz}' is not a time zone such as America/Chicago", where="time_zone")
        out["time_zone"] = tz
    if "address" in data:
        out["address"] = _clean_mapping(data["address"], ADDRESS_KEYS, "address")
    if "policies" in data:
        policies = data["policies"] or {}
        if not isinstance(policies, Mapping):
            raise Invalid("policies must map a policy name to its text", where="policies")
        out["policies"] = {
            str(k).strip(): str(v).strip() for k, v in policies.items() if str(v or "").strip()
        }
    return out


def _clean_mapping(value: Any, keys: tuple[str, ...], where: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise Invalid(f"{where} must have the parts {', '.join(keys)}", where=where)
    out: dict[str, str] = {}
    for k, v in value.items():
        if k not in keys:
            raise Invalid(f"unknown {where} part '{k}'", where=f"{where}.{k}")
        text = str(v or "").strip()
        if text:
            out[k] = text
    return out or None


def update_practice(session: Session, principal: Principal, data: Mapping[str, Any]) -> Practice:
    """Change the practice's details (creating the practice on first use)."""
    require(principal, Perm.SETTINGS_MANAGE)
    fields = _clean(data)
    practice = get_practice(session)
    if practice is None:
        if not fields.get("name"):
            raise Invalid("the practice name is required", where="name")
        practice = Practice(name=fields["name"], time_zone=DEFAULT_TIME_ZONE, policies={})
        session.add(practice)
    for key, value in fields.items():
        setattr(practice, key, value)
    session.flush()
    return practice
