"""The embedded drafting engine (default, offline): evidence-linked statements per section.

Each statement is written from the transcript lines it cites — reported speech in the third
person with the client's preferred name and pronouns — and verified before it is returned.
The engine never writes a denial or a mental-status finding that no line shows: where risk
did not come up, the risk section says it was not assessed in this session.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hearth.documentation.drafting.language import (
    Pronouns,
    clean,
    quoted,
    reported,
    second_to_third,
    sentence_case,
)
from hearth.documentation.drafting.templates import Template
from hearth.documentation.roles import client_roles
from hearth.documentation.signals.engine import extract_signals, risk_assessed
from hearth.documentation.signals.model import Mention, Signal
from hearth.documentation.transcript import Transcript, Utterance
from hearth.documentation.verify import (
    VerifyContext,
    has_observations,
    verify_statement,
)
from hearth.errors import Invalid

DENSITY_LIMITS = {"brief": 1, "standard": 3, "detailed": 6}
QUOTE_LIMITS = {"none": 0, "some": 1, "many": 3}
FUNCTIONING = ("work_school", "relationships", "self_care", "avoidance")
LABELS = {
    "work_school": "work or school",
    "self_care": "self-care",
    "substance_use": "substance use",
    "trauma_reactions": "trauma reactions",
    "reassurance_seeking": "reassurance seeking",
    "self_harm_behaviour": "self-harm behaviour",
    "cognitive_restructuring": "cognitive restructuring",
    "behavioural_activation": "behavioural activation",
    "dbt_skills": "DBT skills",
    "mi_reflection": "motivational-interviewing reflection",
    "mi_scaling": "a motivational-interviewing scaling question",
    "safety_planning": "safety planning",
    "problem_solving": "problem solving",
}
RISK_LABELS = {
    ("suicidal_ideation", "passive"): "passive suicidal ideation",
    ("suicidal_ideation", "active"): "suicidal ideation",
    ("suicidal_ideation", "attempt"): "a suicide attempt",
    ("suicidal_ideation", None): "suicidal ideation",
    ("self_harm", None): "self-harm",
    ("harm_to_others", None): "thoughts of harming others",
    ("abuse_neglect", None): "abuse or neglect",
    ("substance_risk", None): "risky substance use",
    ("psychosis", None): "psychotic symptoms",
}
RISK_VERBS = {
    "present": "reported",
    "denied": "denied",
    "historical": "described past",
    "hypothetical": "described conditional",
    "uncertain": "was unsure about",
    "other_person": "reported, about another person,",
}
_GOAL = re.compile(
    r"\b(?:i want to|i'd like to|i would like to|my goal|i hope to|i need to|i'm hoping to)\b", re.I
)
_PROGRESS = re.compile(
    r"\b(?:helped|helps|better|improv\w*|managed to|proud|easier|calmer|worked)\b", re.I
)
_HISTORY = re.compile(
    r"\b(?:grew up|growing up|childhood|as a (?:kid|child|teen)|years ago|used to|in the past|"
    r"therapy before|previous therapist|hospitali[sz]ed|diagnosed|family history|"
    r"my (?:mother|father|mom|dad|parents) (?:had|was|were)|"
    r"when i was)\b",
    re.I,
)
_REFERRAL = re.compile(r"\brefer", re.I)


@dataclass
class DraftOptions:
    """How to draft: density, quotes, and who the client is."""

    density: str = "standard"
    quotes: str = "some"
    client_name: str | None = None
    pronouns: str | None = None
    member: str | None = None
    session_kind: str | None = None
    goals: Mapping[str, str] = field(default_factory=dict)  # "goal:ID" -> goal text

    def __post_init__(self) -> None:
        if self.density not in DENSITY_LIMITS:
            raise Invalid("density must be brief, standard or detailed", where="density")
        if self.quotes not in QUOTE_LIMITS:
            raise Invalid("quotes must be none, some or many", where="quotes")


@dataclass
class Statement:
    """One sentence of a draft with its evidence and the verifier's verdict."""

    id: str
    text: str
    evidence: list[str]
    kind: str = "finding"
    basis: tuple[str, ...] | None = None
    verification: str = "unsupported"
    reasons: list[str] = field(default_factory=list)
    source: str = "engine"  # engine | clinician

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "evidence": self.evidence,
            "verification": self.verification,
        }
        if self.kind != "finding":
            out["kind"] = self.kind
        if self.reasons and self.verification != "supported":
            out["reasons"] = self.reasons
        out["source"] = self.source
        return out


@dataclass
class Section:
    key: str
    title: str
    statements: list[Statement]


@dataclass
class Draft:
    """A drafted note: sections of statements, the risk summary and the rendered text."""

    template: Template
    sections: list[Section]
    signals: list[Signal]
    assessed: bool
    member: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template.key,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "statements": [st.to_json() for st in s.statements],
                }
                for s in self.sections
            ],
            "risk": {
                "assessed": self.assessed,
                "signals": [s.to_json() for s in self.signals if s.kind == "risk"],
            },
            "text": render_text(self),
            "member": self.member,
            "summary": {
                v: sum(1 for s in self.sections for st in s.statements if st.verification == v)
                for v in ("supported", "unsupported", "contradicted")
            },
        }


# --- rendering -----------------------------------------------------------------------------


def render_text(draft: Draft, *, citations: bool = True) -> str:
    """The note as plain text; citations as [u3, u5]."""
    lines = [draft.template.title, ""]
    for section in draft.sections:
        lines.append(section.title)
        for st in section.statements:
            cite = f" [{', '.join(st.evidence)}]" if citations and st.evidence else ""
            lines.append(f"- {st.text}{cite}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(draft: Draft) -> str:
    """The note as Markdown."""
    out = [f"# {draft.template.title}", ""]
    for section in draft.sections:
        out += [f"## {section.title}", ""]
        for st in section.statements:
            flag = "" if st.verification == "supported" else f" **({st.verification})**"
            cite = f" `{', '.join(st.evidence)}`" if st.evidence else ""
            out.append(f"- {st.text}{cite}{flag}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_html(draft: Draft) -> str:
    """The note as a small HTML fragment."""
    from html import escape

    parts = [f"<article class='note'><h1>{escape(draft.template.title)}</h1>"]
    for section in draft.sections:
        parts.append(
            f"<section data-key='{escape(section.key)}'><h2>{escape(section.title)}</h2><ul>"
        )
        for st in section.statements:
            ev = escape(" ".join(st.evidence))
            parts.append(
                f"<li class='{escape(st.verification)}' data-evidence='{ev}'>{escape(st.text)}</li>"
            )
        parts.append("</ul></section>")
    parts.append("</article>")
    return "".join(parts)


# --- the engine ----------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [p for p in parts if p]


class _Writer:
    """Holds one drafting run's state: names, used sentences, quote budget, numbering."""

    def __init__(self, transcript: Transcript, signals: list[Signal], opts: DraftOptions) -> None:
        self.t = transcript
        self.signals = signals
        self.opts = opts
        self.limit = DENSITY_LIMITS[opts.density]
        self.by_id = transcript.by_id()
        self.index = {u.id: i for i, u in enumerate(transcript.utterances)}
        self.used: set[tuple[str, str]] = set()
        self.quote_budget: dict[str, int] = {}
        self.n = 0
        roles = client_roles(transcript)
        self.multi = len(roles) > 1
        self.names: dict[str, str] = {}
        for role in roles:
            speaker = next(u.speaker for u in transcript.utterances if u.role == role)
            self.names[role] = speaker.split()[0] if self.multi else (opts.client_name or "Client")
        self.pronouns = Pronouns.parse(opts.pronouns) if not self.multi else Pronouns()
        self.section = ""

    def name(self, role: str | None) -> str:
        if role and role in self.names:
            return self.names[role]
        return self.opts.client_name or "Client"

    def new(self, text: str, evidence: Iterable[str], **kw: Any) -> Statement:
        self.n += 1
        ev = list(dict.fromkeys(evidence))
        return Statement(f"s{self.n}", sentence_case(text), ev, **kw)

    def take_quote(self) -> bool:
        left = self.quote_budget.get(self.section, QUOTE_LIMITS[self.opts.quotes])
        if left <= 0:
            return False
        self.quote_budget[self.section] = left - 1
        return True

    def say(self, mention: Mention, verb: str = "reported") -> Statement | None:
        """A client's sentence as reported speech (or a quote when the budget allows)."""
        key = (mention.utterance_id, mention.sentence)
        if key in self.used or len(mention.sentence.split()) < 4:
            return None
        self.used.add(key)
        name = self.name(mention.role)
        if self.take_quote():
            text = quoted(mention.sentence, name, "stated" if verb == "reported" else verb)
        else:
            text = reported(mention.sentence, name, self.pronouns, verb)
        return self.new(text, [mention.utterance_id])

    def client_signals(self, *kinds: str) -> list[Signal]:
        return [s for s in self.signals if s.kind in kinds and s.about and s.about != "clinician"]


def _feed_client_report(w: _Writer) -> list[Statement]:
    mentions = [
        m
        for s in w.client_signals("symptom", "emotion", "behaviour")
        for m in s.mentions
        if not m.negated
    ]
    score: dict[tuple[str, str], int] = {}
    for m in mentions:
        score[(m.utterance_id, m.sentence)] = score.get((m.utterance_id, m.sentence), 0) + 1
    ranked = sorted(
        {(m.utterance_id, m.sentence): m for m in mentions}.values(),
        key=lambda m: (-score[(m.utterance_id, m.sentence)], int(m.utterance_id[1:])),
    )
    out = []
    for m in ranked:
        st = w.say(m)
        if st:
            out.append(st)
        if len(out) >= w.limit + 1:
            break
    return sorted(out, key=lambda s: int(s.evidence[0][1:]))


def _feed_emotions(w: _Writer) -> list[Statement]:
    out = []
    by_role: dict[str, list[Signal]] = {}
    for s in w.client_signals("emotion"):
        by_role.setdefault(s.about or "client", []).append(s)
    for role, sigs in by_role.items():
        sigs = sorted(
            sigs, key=lambda s: {"high": 0, "moderate": 1, "mild": 2}[s.intensity or "moderate"]
        )
        parts, ev = [], []
        for s in sigs[: w.limit + 1]:
            words = list(dict.fromkeys(m.match.lower() for m in s.mentions))[:2]
            said = ", ".join(f"\u201c{word}\u201d" for word in words)
            parts.append(f"{s.type} ({s.intensity}; {said})")
            ev += list(s.evidence)
        text = f"Emotions {w.name(role)} expressed: " + "; ".join(parts) + "."
        out.append(
            w.new(
                text,
                sorted(set(ev), key=lambda e: int(e[1:])),
                basis=("signal", "emotion", sigs[0].type),
            )
        )
    return out


def _feed_by_types(
    w: _Writer, kind: str, types: Iterable[str] | None, exclude: Iterable[str] = ()
) -> list[Statement]:
    out = []
    for s in w.client_signals(kind):
        if (types is not None and s.type not in types) or s.type in exclude:
            continue
        for m in s.mentions:
            if m.negated:
                continue
            st = w.say(m)
            if st:
                out.append(st)
                break
        if len(out) >= w.limit:
            break
    return out


def _feed_session_facts(w: _Writer) -> list[Statement]:
    timed = [u for u in w.t.utterances if u.start is not None and u.end is not None]
    if not timed:
        return []
    minutes = round((max(u.end or 0 for u in timed) - min(u.start or 0 for u in timed)) / 60)
    if minutes < 1:
        return []
    first, last = timed[0].id, timed[-1].id
    return [
        w.new(
            f"The recorded session lasted about {minutes} minutes.",
            [first, last],
            basis=("timing", str(minutes)),
        )
    ]


_OBS = re.compile(
    r"\b(?:you (?:seem|seemed|look|looked|appear|appeared|sound|sounded)|"
    r"i (?:notice|noticed|can see|see that)|"
    r"you'?re (?:smiling|crying|tearing up|shaking|fidgeting))\b[^.?!]*",
    re.IGNORECASE,
)


def _feed_observations(w: _Writer) -> list[Statement]:
    out = []
    for u in w.t.utterances:
        if u.role != "clinician":
            continue
        m = _OBS.search(u.text)
        if m:
            clause = second_to_third(m.group(0), w.pronouns)
            out.append(w.new(f"The clinician observed: {clause}.", [u.id]))
        if len(out) >= w.limit:
            break
    if not out and not has_observations(w.t):
        out.append(
            w.new(
                "No mental-status observations were recorded in this session.", [], kind="absence"
            )
        )
    return out


def _feed_themes(w: _Writer) -> list[Statement]:
    sigs = w.client_signals("symptom", "emotion", "behaviour")
    if not sigs:
        return []
    counted = sorted(sigs, key=lambda s: (-len(s.evidence), s.type))[: max(3, w.limit + 2)]
    labels = [LABELS.get(s.type, s.type.replace("_", " ")) for s in counted]
    ev = sorted({e for s in counted for e in s.evidence[:2]}, key=lambda e: int(e[1:]))
    return [
        w.new(
            "Themes in this session: " + ", ".join(dict.fromkeys(labels)) + ".",
            ev,
            basis=("signal", counted[0].kind, counted[0].type),
        )
    ]


def _feed_interventions(w: _Writer) -> list[Statement]:
    out = []
    for s in w.signals:
        if s.kind != "intervention":
            continue
        match = s.mentions[0].match if s.mentions else ""
        label = LABELS.get(s.type, s.type.replace("_", " "))
        text = (
            f"The clinician used {label} (\u201c{match}\u201d)."
            if match
            else f"The clinician used {label}."
        )
        out.append(w.new(text, list(s.evidence[:3]), basis=("signal", "intervention", s.type)))
        if len(out) >= w.limit + 1:
            break
    return out


def _next_client(w: _Writer, after: str) -> Utterance | None:
    utts = w.t.utterances
    idx = w.index[after]
    for u in utts[idx + 1 : idx + 3]:
        if u.role != "clinician":
            return u
        break
    return None


def _feed_response(w: _Writer) -> list[Statement]:
    out = []
    seen: set[str] = set()
    for s in w.signals:
        if s.kind not in ("intervention", "homework"):
            continue
        for uid in s.evidence:
            reply = _next_client(w, uid)
            if reply is None or reply.id in seen:
                continue
            seen.add(reply.id)
            for sentence in _sentences(reply.text):
                st = w.say(
                    Mention(reply.id, sentence, sentence, reply.role, reply.speaker), "responded"
                )
                if st:
                    out.append(st)
                    break
        if len(out) >= w.limit:
            break
    return out


def _client_sentences(w: _Writer, rx: re.Pattern[str], verb: str = "reported") -> list[Statement]:
    out = []
    for u in w.t.utterances:
        if u.role == "clinician" or not (u.role.startswith("client") or u.role == "unknown"):
            continue
        for sentence in _sentences(u.text):
            if rx.search(sentence):
                st = w.say(Mention(u.id, sentence, sentence, u.role, u.speaker), verb)
                if st:
                    out.append(st)
        if len(out) >= w.limit:
            break
    return out


def _clinician_items(w: _Writer, prefix: str, pick: Callable[[Signal], bool]) -> list[Statement]:
    out = []
    for s in w.signals:
        if not pick(s):
            continue
        for m in s.mentions:
            key = (m.utterance_id, m.sentence)
            if key in w.used:
                continue
            w.used.add(key)
            clause = clean(second_to_third(m.sentence, w.pronouns)).rstrip(" .!?")
            out.append(w.new(f"{prefix}: {clause}.", [m.utterance_id]))
            if len(out) >= w.limit:
                return out
    return out


def _feed_goals_touched(w: _Writer) -> list[Statement]:
    out = []
    words_all = " ".join(u.text.lower() for u in w.t.utterances)
    for ref, text in w.opts.goals.items():
        keys = [k for k in re.findall(r"[a-z]{5,}", text.lower())]
        hits = [k for k in keys if k in words_all]
        if keys and len(hits) / len(keys) >= 0.3:
            ids = [u.id for u in w.t.utterances if any(k in u.text.lower() for k in hits)][:3]
            out.append(
                w.new(f"This session addressed the treatment-plan goal: {text}.", [ref, *ids])
            )
    return out


def _question_sentence(question: Utterance) -> str:
    """The sentence of the clinician's turn that asks (the last one with a question mark)."""
    asks = [x for x in _sentences(question.text) if "?" in x]
    return (asks[-1] if asks else _sentences(question.text)[-1]).rstrip("?. ")


def _risk_statement(w: _Writer, group: list[Signal]) -> Statement:
    s = group[0]
    labels = [
        RISK_LABELS.get((g.type, g.subtype if g.type == "suicidal_ideation" else None), g.type)
        for g in group
    ]
    label = " and ".join(dict.fromkeys(labels))
    name = w.name(s.about)
    mention = s.mentions[0]
    first = s.evidence[0]
    question = w.by_id.get(first) if len(s.evidence) > 1 and first != mention.utterance_id else None
    if question is not None and question.role == "clinician":
        topic = second_to_third(_question_sentence(question), w.pronouns)
        answer = _sentences(mention.sentence)[0] if mention.sentence else ""
        verb = RISK_VERBS.get(s.status or "present", "reported")
        text = f"Asked \u201c{topic}?\u201d, {name} {verb} {label}: \u201c{answer}\u201d"
    else:
        verb = RISK_VERBS.get(s.status or "present", "reported")
        text = f"{name} {verb} {label}: \u201c{clean(mention.sentence)}\u201d"
    flags = [
        k for k in ("plan", "intent", "means", "preparatory") if any(g.flags.get(k) for g in group)
    ]
    if flags:
        text += f" (mentions {', '.join(flags)})"
    return w.new(text, list(s.evidence), basis=("risk", s.type, s.status or ""))


def _feed_risk(w: _Writer) -> list[Statement]:
    risks = [s for s in w.signals if s.kind == "risk"]
    order = {
        "present": 0,
        "uncertain": 1,
        "hypothetical": 2,
        "historical": 3,
        "denied": 4,
        "other_person": 5,
    }
    groups: dict[tuple[Any, ...], list[Signal]] = {}
    for s in sorted(risks, key=lambda s: order.get(s.status or "", 9)):
        groups.setdefault((s.evidence, s.status, s.about), []).append(s)
    out = [_risk_statement(w, g) for g in groups.values()]
    if not risk_assessed(risks):
        out.insert(0, w.new("Risk was not assessed in this session.", [], kind="absence"))
    return out


def _feed_goals(w: _Writer) -> list[Statement]:
    out = _feed_goals_touched(w)
    if not out and not w.opts.goals:
        out.append(w.new("No treatment-plan goal is linked to this session.", [], kind="absence"))
    return out


FEED_FUNCS: dict[str, Callable[[_Writer], list[Statement]]] = {
    "client_report": _feed_client_report,
    "emotions": _feed_emotions,
    "symptoms": lambda w: _feed_by_types(w, "symptom", None, FUNCTIONING),
    "functioning": lambda w: _feed_by_types(w, "symptom", FUNCTIONING),
    "behaviours": lambda w: _feed_by_types(w, "behaviour", None),
    "session_facts": _feed_session_facts,
    "observations": _feed_observations,
    "themes": _feed_themes,
    "interventions": _feed_interventions,
    "response": _feed_response,
    "progress": lambda w: _client_sentences(w, _PROGRESS),
    "client_goals": lambda w: _client_sentences(w, _GOAL, "said"),
    "history": lambda w: _client_sentences(w, _HISTORY, "described"),
    "homework": lambda w: _clinician_items(w, "Homework", lambda s: s.kind == "homework"),
    "next_steps": lambda w: _clinician_items(
        w,
        "Next steps",
        lambda s: s.kind == "plan" and not any(_REFERRAL.search(m.sentence) for m in s.mentions),
    ),
    "referrals": lambda w: _clinician_items(
        w,
        "Referral",
        lambda s: s.kind == "plan" and any(_REFERRAL.search(m.sentence) for m in s.mentions),
    ),
    "safety_plan": lambda w: _clinician_items(
        w, "Safety planning", lambda s: s.kind == "intervention" and s.type == "safety_planning"
    ),
    "goals_touched": _feed_goals,
    "risk": _feed_risk,
}


def member_view(transcript: Transcript, member: str) -> Transcript:
    """A group member's material only: their lines and the clinician's lines next to them."""
    speakers = {u.speaker for u in transcript.utterances if u.role != "clinician"}
    match = [s for s in speakers if s.lower() == member.lower()] or [
        s for s in speakers if s.lower().split()[0] == member.lower().split()[0]
    ]
    if not match:
        raise Invalid(
            f"member {member!r} is not a speaker (speakers: {', '.join(sorted(speakers))})",
            where="member",
        )
    who = match[0]
    utts = transcript.utterances
    keep = []
    for i, u in enumerate(utts):
        near = (i + 1 < len(utts) and utts[i + 1].speaker == who) or (
            i > 0 and utts[i - 1].speaker == who
        )
        if u.speaker == who or (
            u.role == "clinician" and (near or who.split()[0].lower() in u.text.lower())
        ):
            keep.append(u if u.speaker != who else _as_client(u))
    return transcript.with_utterances(keep)


def _as_client(u: Utterance) -> Utterance:
    from dataclasses import replace

    return replace(u, role="client")


def is_group(transcript: Transcript, session_kind: str | None) -> bool:
    """A group session: said so, or (kind unknown) three or more clients speak."""
    if session_kind is not None:
        return session_kind == "group"
    return len(client_roles(transcript)) >= 3


def draft_note(
    transcript: Transcript,
    template: Template,
    opts: DraftOptions | None = None,
    *,
    profile: Mapping[str, str] | None = None,
) -> Draft:
    """Draft a note from a role-mapped transcript and verify every statement."""
    opts = opts or DraftOptions()
    source = transcript
    if opts.member:
        source = member_view(transcript, opts.member)
    elif is_group(transcript, opts.session_kind):
        raise Invalid(
            "this is a group transcript: draft one note per member with --member NAME",
            where="member",
        )
    signals = extract_signals(source)
    w = _Writer(source, signals, opts)
    if opts.member:
        w.names = {"client": opts.client_name or opts.member}
    sections = []
    for spec in template.sections:
        w.section = spec.key
        statements: list[Statement] = []
        for feed in spec.feeds:
            statements += FEED_FUNCS[feed](w)
        sections.append(Section(spec.key, spec.title, statements))
    prof = dict(profile or {})
    if opts.client_name:
        prof.setdefault("preferred_name", opts.client_name)
    if opts.pronouns:
        prof.setdefault("pronouns", opts.pronouns)
    prof.setdefault("client_label", " ".join(w.names.values()))
    ctx = VerifyContext.build(source, signals=signals, profile=prof, records=dict(opts.goals))
    for section in sections:
        for st in section.statements:
            if st.basis and st.basis[0] == "risk":
                st.verification, st.reasons = "supported", []
                continue
            v = verify_statement(st.text, st.evidence, ctx, kind=st.kind, basis=st.basis)
            st.verification, st.reasons = v.verification, list(v.reasons)
    return Draft(template, sections, signals, risk_assessed(signals), opts.member)
