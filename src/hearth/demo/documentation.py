"""Demo session documentation: three synthetic sessions, their notes and a treatment plan.

Everything here is invented for the demo practice. The transcripts are written for it (no real
person, no real session): a sleep and work-stress theme, one session where the clinician asks
about risk and the client denies it, one where risk never comes up. The step acts through the
ordinary documentation services as the demo clinicians, so consent, scoping and verification
apply exactly as they do for people.

- Ada Demobrook (Morgan Demo): a signed SOAP note with an addendum, touching a plan goal.
- Fay Demonash (Riley Demo): a DAP draft awaiting review, with a flagged statement.
- Hana Demoquist (Riley Demo, supervised): a signed BIRP note awaiting Sam Demo's co-signature.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from hearth.demo import data
from hearth.documentation import service as docs
from hearth.documentation.drafting.templates import BUILTIN
from hearth.documentation.models import Note
from hearth.errors import Forbidden
from hearth.security.permissions import Principal

if TYPE_CHECKING:
    from hearth.demo.seed import DemoContext

log = logging.getLogger(__name__)

Turn = tuple[int, str, str]  # start (seconds into the session), speaker, what they said


def _clock(seconds: float, sep: str) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}{sep}{millis:03d}"


def as_vtt(turns: list[Turn]) -> str:
    """Turns as a Zoom-style WebVTT export with <v Name> voice tags."""
    cues = []
    for n, (start, speaker, text) in enumerate(turns, start=1):
        end = start + max(3, len(text) // 14)
        cues.append(f"{n}\n{_clock(start, '.')} --> {_clock(end, '.')}\n<v {speaker}>{text}\n")
    return "WEBVTT\n\n" + "\n".join(cues)


def as_srt(turns: list[Turn]) -> str:
    """Turns as SRT with "Name:" prefixes, as some recorders export them."""
    cues = []
    for n, (start, speaker, text) in enumerate(turns, start=1):
        end = start + max(3, len(text) // 14)
        cues.append(f"{n}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{speaker}: {text}\n")
    return "\n".join(cues)


# Excerpts of 53 minutes with Morgan Demo: the clinician asks about risk, the client denies it.
ADA_TURNS: list[Turn] = [
    (2, "Morgan Demo", "Good morning, Ada. How have things been since last week?"),
    (
        9,
        "Ada Demobrook",
        "Honestly, pretty rough. The quarterly report at work is due Friday "
        "and I have been sleeping maybe four or five hours a night.",
    ),
    (95, "Morgan Demo", "Four or five hours. What happens when you get into bed?"),
    (
        102,
        "Ada Demobrook",
        "My mind just races. I go over every slide and every email I have "
        "not answered, and I am still awake at two in the morning.",
    ),
    (410, "Morgan Demo", "How is that affecting your days?"),
    (
        415,
        "Ada Demobrook",
        "I am exhausted and irritable. I snapped at a colleague on Tuesday "
        "and I have been skipping lunch to catch up.",
    ),
    (
        960,
        "Morgan Demo",
        "When the stress gets this heavy, some people have thoughts of hurting "
        "themselves or of not wanting to be alive. Have you had any thoughts like that?",
    ),
    (
        972,
        "Ada Demobrook",
        "No, nothing like that. I would never hurt myself. I just want to get some sleep.",
    ),
    (
        1380,
        "Morgan Demo",
        "Thank you for telling me. Let's look at the worry that comes up at "
        "night. What is the worst thing you imagine if the report is not perfect?",
    ),
    (
        1392,
        "Ada Demobrook",
        "That my manager will think I cannot handle the job. But she has "
        "actually praised my last two reports.",
    ),
    (
        1950,
        "Morgan Demo",
        "So the evidence so far says your reports are good. How would it "
        "feel to tell yourself that at midnight?",
    ),
    (1960, "Ada Demobrook", "Calmer, I think. A bit more realistic."),
    (
        2820,
        "Morgan Demo",
        "This week, try a wind-down routine at ten thirty: phone in the "
        "kitchen, lights low, and write tomorrow's to-do list on paper before bed. Keep a sleep "
        "diary so we can see what changes.",
    ),
    (
        2840,
        "Ada Demobrook",
        "Okay. I can do the list and the diary. The phone will be hard, but I will try.",
    ),
    (3140, "Morgan Demo", "Good. We will review the diary at our next session next week."),
]
ADA_SESSION_VTT = as_vtt(ADA_TURNS)

# Plain "Name: text" lines (as pasted from a notes app, untimed): risk is never discussed.
FAY_SESSION_TEXT = """Riley Demo: Hi Fay, come on in. How did the week go?
Fay: Busy. The new scheduling system at the clinic went live and everything took twice as long.
Riley Demo: That sounds like a lot. How has it affected your sleep?
Fay: I fall asleep fine but I wake up around four and lie there thinking about the schedule.
Riley Demo: What do you notice in your body when you wake up like that?
Fay: My shoulders are tight and my heart is going fast. I feel tense and tired at the same time.
Riley Demo: Let's practise the grounding exercise we talked about: name five things you can \
see, four you can feel, three you can hear.
Fay: Okay. I can see the lamp, the window, the plant, your notebook and the clock.
Riley Demo: How do you feel now?
Fay: A little calmer. My shoulders dropped.
Riley Demo: For this week, try the grounding exercise when you wake up at four, and write down \
one worry and set it aside until morning.
Fay: I will try that, and I will bring my notes next time.
"""

# Excerpts of 45 minutes with Riley Demo: the clinician asks about self-harm, it is denied.
HANA_TURNS: list[Turn] = [
    (1, "Riley Demo", "Hi Hana. Last time you mentioned the performance review. How did it go?"),
    (
        8,
        "Hana",
        "It went okay, but the week before it I barely slept. I kept getting up to "
        "check that my files were saved.",
    ),
    (300, "Riley Demo", "How many times a night would you get up to check?"),
    (306, "Hana", "Maybe three or four times. I knew they were saved but I could not stop."),
    (840, "Riley Demo", "Have you had any thoughts of harming yourself when it gets this bad?"),
    (846, "Hana", "No. I have never thought about that. It is just exhausting."),
    (
        1500,
        "Riley Demo",
        "Let's plan an exposure step for this week: check your files once "
        "before bed, then leave the laptop closed and notice the anxiety without checking again.",
    ),
    (1515, "Hana", "That sounds scary, but I want to try. I will rate my anxiety in the diary."),
    (2640, "Riley Demo", "Great. We will look at your ratings together next week."),
]
HANA_SESSION_SRT = as_srt(HANA_TURNS)

ADA_PLAN: list[dict[str, Any]] = [
    {"ref": "p1", "kind": "problem", "text": "Insomnia and worry linked to work deadlines"},
    {
        "ref": "g1",
        "kind": "goal",
        "parent": "p1",
        "text": "Improve sleep with a consistent wind-down routine",
    },
    {
        "kind": "objective",
        "parent": "g1",
        "text": "Sleep at least six hours on five of seven nights, per the sleep diary",
    },
    {"kind": "intervention", "parent": "g1", "text": "Cognitive restructuring of work worries"},
    {
        "ref": "g2",
        "kind": "goal",
        "parent": "p1",
        "text": "Reduce irritability at work by taking regular breaks",
    },
]

FAY_UNSUPPORTED = "Fay reported taking melatonin 3 mg most nights."
ADA_ADDENDUM = (
    "Demo text: Ada emailed the next morning to say she started the sleep diary; "
    "no change to the plan."
)


def _resolve_and_accept(
    db: Session, principal: Principal, note: Note, *, confirm: bool = True
) -> Note:
    """The clinician's review: accept the AI statements and confirm any flagged ones."""
    content = note.content
    for section in content["sections"]:
        for st in section["statements"]:
            st["accepted"] = True
            if confirm and st.get("verification") != "supported":
                st["confirmed"] = True
    return docs.autosave(db, principal, note.id, content=content, version=note.version)


def _sign(db: Session, principal: Principal, note: Note) -> None:
    try:
        docs.sign_note(db, principal, note.id, password=data.DEMO_PASSWORD)
    except Forbidden:  # the demo user's password was changed: leave the note as a draft
        log.warning("demo note %s left unsigned: the demo password no longer works", note.id)


def _drafted(
    ctx: DemoContext,
    who: Principal,
    client: str,
    day: dt.date,
    times: tuple[str, str],
    transcript: tuple[str, str],
    template: str,
    **session: str,
) -> Note:
    """A session of one client (``times`` local start and end), its imported transcript
    (text, file name) and the note drafted from it."""
    db = ctx.session
    session_row = docs.create_session(
        db,
        who,
        client_ids=[ctx.client_id(client)],
        session_kind="individual",
        started_at=ctx.local(day, times[0]),
        ended_at=ctx.local(day, times[1]),
        **session,
    )
    text, filename = transcript
    docs.import_transcript(db, who, session_row.id, text=text, filename=filename)
    (note,) = docs.draft_for_session(db, who, session_row.id, template=template)
    return note


def seed_notes(ctx: DemoContext) -> None:
    """Sessions with synthetic transcripts, a draft to review, signed notes, a plan."""
    db = ctx.session
    owner = ctx.principal("owner")
    riley = ctx.principal("clinician")
    yesterday = ctx.today - dt.timedelta(days=1)
    two_days_ago = ctx.today - dt.timedelta(days=2)
    video_at_home = {"modality": "video", "client_location": "home"}

    # Ada Demobrook: plan first, so the note links to the goal it touches; signed, addendum.
    ada = ctx.client_id("Demobrook")
    docs.create_plan(db, owner, ada, ADA_PLAN, review_date=ctx.today + dt.timedelta(days=60))
    ada_note = _drafted(
        ctx,
        owner,
        "Demobrook",
        yesterday,
        ("10:00", "10:53"),
        (ADA_SESSION_VTT, "ada-demobrook-zoom.vtt"),
        "soap",
        **video_at_home,
    )
    ada_note = _resolve_and_accept(db, owner, ada_note)
    _sign(db, owner, ada_note)
    if ada_note.status != "draft":
        docs.add_addendum(db, owner, ada_note.id, body=ADA_ADDENDUM)

    # Fay Demonash: a DAP draft awaiting Riley's review, with one flagged statement.
    fay_note = _drafted(
        ctx,
        riley,
        "Demonash",
        yesterday,
        ("16:00", "16:50"),
        (FAY_SESSION_TEXT, "fay.txt"),
        "dap",
        modality="in_person",
    )
    content = fay_note.content
    data_section = next(s for s in content["sections"] if s["key"] == "data")
    data_section["statements"].append({"id": "demo-flag", "text": FAY_UNSUPPORTED})
    docs.autosave(db, riley, fay_note.id, content=content, version=fay_note.version)

    # Hana Demoquist: Riley is supervised, so the signed note waits for Sam Demo's co-signature.
    hana_note = _drafted(
        ctx,
        riley,
        "Demoquist",
        two_days_ago,
        ("14:00", "14:45"),
        (HANA_SESSION_SRT, "hana.srt"),
        "birp",
        **video_at_home,
    )
    _sign(db, riley, _resolve_and_accept(db, riley, hana_note))


DEMO_TEMPLATE_KEY = "dap_brief"


def seed_templates(ctx: DemoContext) -> None:
    """An example of a practice's own note template, so the template list shows one.

    Written only when no HEARTH_TEMPLATES_DIR is configured, to ``templates/`` in the data
    folder (the default practice template folder); an existing file is left alone."""
    runtime = getattr(ctx, "runtime", None)
    if runtime is None or runtime.settings.templates_dir is not None:
        return
    folder = runtime.settings.data_dir / "templates"
    path = folder / f"{DEMO_TEMPLATE_KEY}.json"
    if path.exists():
        return
    doc = json.loads((BUILTIN / "dap.json").read_text(encoding="utf-8"))
    doc.update(
        key=DEMO_TEMPLATE_KEY,
        title="Brief DAP (example)",
        version="1.0.0",
        description=(
            "An example practice template: the built-in DAP sections under the practice's own "
            "name. Copy and edit it to make your own (see the admin guide)."
        ),
    )
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
