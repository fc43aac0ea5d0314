"""The Signal value: what was found, where, and how sure (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "risk",
    "emotion",
    "symptom",
    "behaviour",
    "intervention",
    "homework",
    "plan",
    "assessment",
)
RISK_STATUSES = ("present", "denied", "historical", "hypothetical", "other_person", "uncertain")
ALERT_STATUSES = frozenset({"present", "hypothetical", "uncertain"})


@dataclass(frozen=True)
class Mention:
    """One sentence of one utterance that a signal rests on."""

    utterance_id: str
    sentence: str
    match: str
    role: str
    speaker: str
    negated: bool = False


@dataclass(frozen=True)
class Signal:
    """A finding with its evidence (utterance ids, in transcript order)."""

    kind: str
    type: str
    evidence: tuple[str, ...]
    summary: str
    subtype: str | None = None
    status: str | None = None
    confidence: float | None = None
    intensity: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()
    reasons: tuple[str, ...] = ()
    about: str | None = None  # the client role a signal is about (client, client_a, …)

    @property
    def alerts(self) -> bool:
        """True when a clinician alert is due (present, hypothetical or uncertain risk)."""
        return self.kind == "risk" and self.status in ALERT_STATUSES

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "type": self.type}
        if self.kind == "risk":
            out["subtype"] = self.subtype
            out["status"] = self.status
        out["evidence"] = list(self.evidence)
        out["summary"] = self.summary
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 2)
        if self.intensity is not None:
            out["intensity"] = self.intensity
        out.update(self.flags)
        if self.kind == "risk":
            out["alert"] = self.alerts
        if self.reasons:
            out["reasons"] = list(self.reasons)
        if self.about:
            out["about"] = self.about
        return out
