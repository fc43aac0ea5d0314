"""Synthetic two-speaker therapy transcripts of a given length, for benchmarks.

A 60-minute session is about 9,000 words in 600 utterances. Sentences are drawn with a fixed
seed from a small bank of obviously fake, generic therapy talk.
"""

from __future__ import annotations

import random

CLINICIAN = [
    "How has your week been since we last met?",
    "It sounds like work has been weighing on you a lot lately.",
    "What went through your mind when that happened?",
    "Let's look at the evidence for that thought and against it.",
    "That makes sense given everything you've been carrying.",
    "On a scale of zero to ten, how anxious did you feel in that moment?",
    "Could we try a short breathing exercise together right now?",
    "This week, try keeping a thought record every evening before bed.",
    "Any thoughts of hurting yourself or ending your life since we last spoke?",
    "What would you tell a friend who was in the same situation?",
    "Next session we'll look at the thought record together and plan small steps.",
    "How have you been sleeping, and how is your appetite?",
]
CLIENT = [
    "Honestly it has been a hard week, I only slept about four hours most nights.",
    "I keep thinking about the deadline at work and I can't switch off at all.",
    "I felt really anxious on Monday, my heart was racing before the meeting.",
    "No, nothing like that, I just feel on edge all the time.",
    "I cancelled plans with my sister again because I was too tired to go.",
    "My partner and I argued about money on Saturday and I felt guilty afterwards.",
    "I did go for a walk twice, which helped a little bit.",
    "I guess I'd tell a friend that one bad presentation doesn't define them.",
    "I haven't been eating much, mostly skipping lunch.",
    "It was maybe a seven out of ten, it came down after a few minutes.",
    "I'm proud that I spoke up in the team meeting on Thursday.",
    "Okay, I can try the thought record, I'll keep it on my phone.",
]


def session(
    minutes: float, *, seed: int = 7, clinician: str = "Dr. Example", client: str = "Sam Sample"
) -> str:
    """A plain-text transcript ('Name: text' lines) of about 150 words a minute."""
    rng = random.Random(seed)
    target = int(minutes * 150)
    words, lines, turn = 0, [], 0
    while words < target:
        if turn % 2 == 0:
            text = rng.choice(CLINICIAN)
            lines.append(f"{clinician}: {text}")
        else:
            text = " ".join(rng.sample(CLIENT, 1 if rng.random() < 0.75 else 2))
            lines.append(f"{client}: {text}")
        words += len(text.split())
        turn += 1
    return "\n".join(lines) + "\n"
