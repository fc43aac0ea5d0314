"""ICD-10-CM code validation against the simple-icd-10-cm package."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType


@cache
def _icd() -> ModuleType:
    """The code set, imported on first use (it takes a few seconds to load)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm
    module: ModuleType = simple_icd_10_cm
    return module


_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


class InvalidDiagnosisCode(ValueError):
    """The code is not a billable ICD-10-CM code."""


@dataclass(frozen=True)
class IcdCode:
    """A validated, billable ICD-10-CM code with its official description."""

    code: str
    description: str


def normalise(code: str) -> str:
    """Upper-case and insert the dot after the third character (F411 -> F41.1)."""
    c = code.strip().upper().replace(" ", "")
    if "." not in c and len(c) > 3:
        c = c[:3] + "." + c[3:]
    return c


def validate(code: str) -> IcdCode:
    """Return the billable code and its description, or raise InvalidDiagnosisCode."""
    icd = _icd()
    c = normalise(code)
    if not _SHAPE.match(c) or not icd.is_valid_item(c):
        raise InvalidDiagnosisCode(f"'{code}' is not an ICD-10-CM code")
    if not icd.is_leaf(c):
        raise InvalidDiagnosisCode(
            f"'{c}' is a category, not a billable code: choose a more specific code under it"
        )
    return IcdCode(code=c, description=str(icd.get_description(c)))


def search(term: str, limit: int = 20) -> list[IcdCode]:
    """Billable codes in chapter F (mental and behavioural) whose code or description matches."""
    icd = _icd()
    t = term.strip().lower()
    if not t:
        return []
    out: list[IcdCode] = []
    for c in _mental_health_leaves():
        desc = str(icd.get_description(c))
        if c.lower().startswith(t) or t in desc.lower():
            out.append(IcdCode(c, desc))
            if len(out) >= limit:
                break
    return out


@cache
def _mental_health_leaves() -> tuple[str, ...]:
    icd = _icd()
    desc = icd.get_descendants("5")  # chapter 5: mental, behavioral and neurodevelopmental
    return tuple(str(icd.add_dot(c)) for c in desc if icd.is_leaf(c))
