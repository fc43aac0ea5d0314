"""Clinical register for client and clinician speech: reported speech in the third person (pure).

Every word of a reported sentence comes from the cited line; only pronouns, verb agreement
and a reporting frame ("Sam reported that …") are changed, so numbers, names and
medications stay exactly as spoken and the verifier can find them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODALS = {
    "can",
    "could",
    "will",
    "would",
    "should",
    "might",
    "must",
    "may",
    "shall",
    "can't",
    "couldn't",
    "won't",
    "wouldn't",
    "shouldn't",
    "mustn't",
    "cannot",
}
ADVERBS = {
    "only",
    "just",
    "really",
    "never",
    "always",
    "still",
    "also",
    "usually",
    "sometimes",
    "often",
    "even",
    "actually",
    "honestly",
    "finally",
    "already",
    "barely",
    "hardly",
    "mostly",
    "probably",
    "definitely",
    "kind",
    "sort",
    "literally",
    "basically",
    "totally",
    "rarely",
    "seldom",
    "constantly",
    "almost",
    "nearly",
    "then",
    "now",
    "again",
    "too",
}
IRREGULAR_PAST = set(
    [
        "was",
        "were",
        "had",
        "did",
        "went",
        "felt",
        "slept",
        "took",
        "got",
        "made",
        "said",
        "thought",
        "knew",
        "saw",
        "told",
        "kept",
        "left",
        "lost",
        "found",
        "gave",
        "came",
        "ate",
        "drank",
        "ran",
        "sat",
        "stood",
        "spoke",
        "wrote",
        "bought",
        "brought",
        "heard",
        "meant",
        "met",
        "paid",
        "put",
        "read",
        "sent",
        "spent",
        "understood",
        "woke",
        "wore",
        "won",
        "began",
        "broke",
        "chose",
        "fell",
        "forgot",
        "hid",
        "hit",
        "hurt",
        "let",
        "quit",
        "set",
        "shut",
        "cut",
        "became",
        "caught",
        "drove",
        "fed",
        "fought",
        "flew",
        "grew",
        "held",
        "led",
        "lay",
        "lit",
        "rode",
        "rang",
        "rose",
        "sang",
        "sank",
        "slid",
        "sold",
        "shot",
        "shook",
        "stole",
        "struck",
        "swam",
        "swore",
        "taught",
        "threw",
        "tore",
    ]
)
FILLERS = re.compile(
    r"^\s*(?:(?:so|well|um+|uh+|yeah|yes|no|oh|okay|ok|honestly|like|i mean|you know|anyway|"
    r"and|but|mm-?hmm|uh-?huh|right)\s*[,.]?\s+)+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pronouns:
    """A client's pronouns: subject, object, possessive determiner, possessive, reflexive."""

    subject: str = "they"
    object: str = "them"
    possessive: str = "their"
    possessive_pronoun: str = "theirs"
    reflexive: str = "themselves"

    @property
    def plural_verbs(self) -> bool:
        return self.subject == "they"

    @classmethod
    def parse(cls, text: str | None) -> Pronouns:
        """'she/her', 'he/him', 'they/them', 'ze/zir' … (unknown forms fall back sensibly)."""
        if not text:
            return cls()
        parts = [p.strip().lower() for p in re.split(r"[/,\s]+", text) if p.strip()]
        known = {
            "she": cls("she", "her", "her", "hers", "herself"),
            "he": cls("he", "him", "his", "his", "himself"),
            "they": cls(),
            "ze": cls("ze", "zir", "zir", "zirs", "zirself"),
            "xe": cls("xe", "xem", "xyr", "xyrs", "xemself"),
        }
        if parts and parts[0] in known:
            return known[parts[0]]
        if len(parts) >= 2:
            subj, obj = parts[0], parts[1]
            return cls(subj, obj, obj, obj + "s", obj + "self")
        return cls()


def third_person_verb(verb: str, plural: bool) -> str:
    """Agree a present-tense verb with a third-person subject ("feel" -> "feels")."""
    low = verb.lower()
    if plural:
        return {"am": "are", "was": "were", "'m": "are"}.get(low, verb)
    special = {
        "am": "is",
        "'m": "is",
        "have": "has",
        "do": "does",
        "go": "goes",
        "don't": "doesn't",
        "haven't": "hasn't",
        "aren't": "isn't",
        "are": "is",
        "were": "was",
        "'ve": "has",
    }
    if low in special:
        return special[low]
    if low in MODALS or low in IRREGULAR_PAST or low.endswith("ed") or not low.isalpha():
        return verb
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


_CONTRACTIONS = [
    (re.compile(r"\bI['\u2019]m\b", re.I), "I am"),
    (re.compile(r"\bI've\b|\bI\u2019ve\b", re.I), "I have"),
    (re.compile(r"\bI'd\b|\bI\u2019d\b", re.I), "I would"),
    (re.compile(r"\bI'll\b|\bI\u2019ll\b", re.I), "I will"),
    (re.compile(r"\bim\b"), "I am"),
]
_TOKEN = re.compile(r"[A-Za-z']+|[^A-Za-z'\s]+|\s+")


def first_to_third(text: str, pronouns: Pronouns) -> str:
    """Rewrite a first-person sentence in the third person with the given pronouns."""
    for rx, repl in _CONTRACTIONS:
        text = rx.sub(repl, text)
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    expect_verb = False
    for tok in tokens:
        low = tok.lower()
        if tok.isspace() or not re.match(r"[A-Za-z']", tok):
            out.append(tok)
            if not tok.isspace():
                expect_verb = False
            continue
        if low == "i":
            out.append(pronouns.subject)
            expect_verb = True
            continue
        if low in ("me",):
            out.append(pronouns.object)
        elif low == "my":
            out.append(pronouns.possessive)
        elif low == "mine":
            out.append(pronouns.possessive_pronoun)
        elif low == "myself":
            out.append(pronouns.reflexive)
        elif low in ("we", "us", "our", "ours", "ourselves"):
            out.append(tok)
        elif expect_verb and low in ADVERBS:
            out.append(tok)
            continue
        elif expect_verb:
            out.append(third_person_verb(tok, pronouns.plural_verbs))
        else:
            out.append(tok)
        expect_verb = False
    return "".join(out)


_OBJECT_CONTEXT = re.compile(
    r"(?:\b(?:to|for|with|at|about|from|tell|told|give|gave|help|helps|helped|ask|asked|let|make|"
    r"see|call|send|remind|show|support|thank|thanks|get|got|like|love|hear|heard|want|wants|of|"
    r"on|by|than|see)\s+)$",
    re.IGNORECASE,
)


_INVERTED = re.compile(
    r"\b(have|has|do|does|are|were|did|can|could|would|will|should)\s+you\b", re.I
)
_AGREEING = {"have": "have", "has": "have", "do": "do", "does": "do", "are": "are", "were": "were"}


def second_to_third(text: str, pronouns: Pronouns) -> str:
    """Rewrite the clinician's "you"/"your" addressed to the client in the third person."""
    for rx, repl in _CONTRACTIONS:
        text = rx.sub(repl, text)
    # the clinician's own "I", "me", "my" stay the clinician's
    text = re.sub(r"\bI\b", "\x01", text)
    text = re.sub(r"\bme\b", "\x02", text, flags=re.I)
    text = re.sub(r"\bmy\b", "\x03", text, flags=re.I)
    text = re.sub(r"\byou're\b", "you are", text, flags=re.I)
    text = re.sub(r"\byou've\b", "you have", text, flags=re.I)
    text = re.sub(r"\byou'll\b", "you will", text, flags=re.I)
    text = re.sub(r"\byou'd\b", "you would", text, flags=re.I)

    # An inverted question ("Have you had …?", "Do you feel …?"): "you" is the subject, and
    # the auxiliary before it agrees with the client's pronoun; the verb after stays as it is.
    def inverted(m: re.Match[str]) -> str:
        base = _AGREEING.get(m.group(1).lower())
        aux = third_person_verb(base, pronouns.plural_verbs) if base else m.group(1)
        aux = aux[:1].upper() + aux[1:] if m.group(1)[:1].isupper() else aux.lower()
        return f"{aux} \x04"

    text = _INVERTED.sub(inverted, text)
    out: list[str] = []
    last = 0
    for m in re.finditer(r"\b(?:yourself|yours|your|you)\b", text, flags=re.I):
        out.append(text[last : m.start()])
        word = m.group(0).lower()
        if word == "yourself":
            out.append("myself")
        elif word == "your":
            out.append("my")
        elif word == "yours":
            out.append("mine")
        elif _OBJECT_CONTEXT.search(text[: m.start()]):
            out.append("me")
        else:
            out.append("I")
        last = m.end()
    out.append(text[last:])
    third = first_to_third("".join(out), pronouns)
    third = re.sub(
        "\x01 ((?:(?:" + "|".join(sorted(ADVERBS)) + r") )*)([A-Za-z']+)",
        lambda m: f"the clinician {m.group(1)}{third_person_verb(m.group(2), False)}",
        third,
    )
    return (
        third.replace("\x01", "the clinician")
        .replace("\x02", "the clinician")
        .replace("\x03", "the clinician's")
        .replace("\x04", pronouns.subject)
    )


def clean(sentence: str) -> str:
    """Drop leading fillers ("So, um, yeah,") and stray spaces; keep every content word."""
    s = FILLERS.sub("", sentence.strip())
    s = re.sub(r"\s+", " ", s).strip()
    return s[:1].upper() + s[1:] if s else s


def reported(sentence: str, name: str, pronouns: Pronouns, verb: str = "reported") -> str:
    """'I only slept four hours.' -> 'Sam reported that she only slept four hours.'"""
    body = clean(sentence).rstrip(" .!?;,")
    body = re.sub(r"^that\s+", "", body, flags=re.I)  # "That my boss …" reads "reported that …"
    if not body:
        return ""
    third = first_to_third(
        body[0].lower() + body[1:] if not body.startswith("I ") else body, pronouns
    )
    return f"{name} {verb} that {third}."


def quoted(sentence: str, name: str, verb: str = "stated") -> str:
    """'Sam stated, "I only slept four hours."'"""
    body = clean(sentence).rstrip()
    if body and body[-1] not in ".!?":
        body += "."
    return f"{name} {verb}, \u201c{body}\u201d"


def sentence_case(text: str) -> str:
    """Capitalise the first letter."""
    return text[:1].upper() + text[1:] if text else text
