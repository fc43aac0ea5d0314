"""Signal extraction: lexicon matches, negex negation and ConText-style status rules (pure).

Risk comes from every speaker who is not the clinician; a clinician's risk question gives
a short answer ("No, never.") its meaning, citing both utterances. Interventions, homework,
plans and assessments come from the clinician. Nothing here loads an embedding model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from hearth.documentation.signals.lexicon import context_rules, findings, risk_lexicon
from hearth.documentation.signals.model import Mention, Signal
from hearth.documentation.signals.nlp import SPAN_KEY, pipeline
from hearth.documentation.transcript import Transcript, Utterance

SELF_WORDS = frozenset({"i", "me", "my", "myself", "mine", "i'm", "i've", "i'd", "i'll"})
OTHER_PRONOUNS = frozenset(
    {
        "him",
        "her",
        "them",
        "his",
        "their",
        "himself",
        "herself",
        "themselves",
        "themself",
        "hers",
        "theirs",
    }
)
VICTIM_SELF = frozenset({"me", "us", "myself"})
# "me and my cousin are gonna …": the client is among the subjects
SUBJECT_SELF = re.compile(
    r"\b(?:i|i'm|i've|i'd|i'll|im|ive)\b|"
    r"\b(?:me|myself) and (?:my |the )?\w+ (?:are|were|will|gonna)\b"
)


# dialect forms rewritten to the standard word of the same length (so offsets hold):
# "meself" is "myself", and a possessive "me" ("me arm", "me brother") is "my"
_DIALECT_REFL = re.compile(r"\bmeself\b")
_DIALECT_POSS = re.compile(
    r"\bme(?= (?:own|old|arm|arms|hand|hands|wrist|wrists|leg|legs|head|face|tooth|teeth|"
    r"pockets?|brother|sister|mum|mam|dad|da|son|daughter|wife|missus|mate|mates|nan|"
    r"cousin|uncle|auntie|apprentice|boss|gaffer|kids|lad|girl|fella|ex|body|skin|"
    r"stomach|thigh|thighs|knuckles|pills|tablets|meds|van|life)\b)"
)


def _norm(text: str) -> str:
    """Lower-case with straight apostrophes (same length, so offsets hold)."""
    low = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    if "me" in low:
        low = _DIALECT_POSS.sub("my", _DIALECT_REFL.sub("myself", low))
    return low


_WORD_START = r"(?<![\w'])"
_WORD_END = r"(?![\w])"


def _alt(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?![\w])")


@dataclass(frozen=True)
class _RiskRule:
    type: str
    subtype: str | None
    regex: re.Pattern[str]
    exclude: re.Pattern[str] | None
    mode: str = "risk"


@dataclass(frozen=True)
class _Compiled:
    risk_any: re.Pattern[str]
    question_any: re.Pattern[str]
    risk: tuple[_RiskRule, ...]
    questions: tuple[_RiskRule, ...]
    inverted: tuple[_RiskRule, ...]
    flags: dict[str, re.Pattern[str]]
    groups: dict[str, dict[str, re.Pattern[str]]]
    simple: dict[str, re.Pattern[str]]
    intensity_high: re.Pattern[str]
    intensity_mild: re.Pattern[str]
    historical: re.Pattern[str]
    recent: re.Pattern[str]
    hypothetical: re.Pattern[str]
    uncertain: re.Pattern[str]
    uncertain_utterance: re.Pattern[str]
    termination: re.Pattern[str]
    fiction: re.Pattern[str]
    following_neg: re.Pattern[str]
    negation_any: re.Pattern[str]
    subjects_other: re.Pattern[str]
    reflexive_other: frozenset[str]


@cache
def compiled() -> _Compiled:
    """Every rule compiled once per process."""
    lex, ctx, fnd = risk_lexicon(), context_rules(), findings()

    def rules(entries: Iterable[Any], expand: bool) -> tuple[_RiskRule, ...]:
        out = []
        for e in entries:
            for p in e.patterns:
                pat = lex.expand(p) if expand else p
                out.append(
                    _RiskRule(
                        e.type,
                        e.subtype,
                        re.compile(_WORD_START + pat + _WORD_END),
                        _alt(e.exclude) if e.exclude else None,
                        e.mode,
                    )
                )
        return tuple(out)

    exp = ctx.other_experiencer
    risk_rules = rules(lex.entries, True)
    question_rules = rules(lex.question_patterns, False) + rules(
        lex.inverted_question_patterns, False
    )

    def any_of(rs: Iterable[_RiskRule]) -> re.Pattern[str]:
        """One pass that tells whether any rule can match (a prefilter)."""
        bodies = (
            r.regex.pattern.removeprefix(_WORD_START)
            .removesuffix(_WORD_END)
            .replace("(?P<who>", "(?:")
            for r in rs
        )
        return re.compile(_WORD_START + "(?:" + "|".join(f"(?:{b})" for b in bodies) + ")")

    return _Compiled(
        risk_any=any_of(risk_rules),
        question_any=any_of((*question_rules, *risk_rules)),
        risk=risk_rules,
        questions=rules(lex.question_patterns, False),
        inverted=rules(lex.inverted_question_patterns, False),
        flags={k: _alt(v) for k, v in lex.flags.items()},
        groups={
            kind: {t: _alt(ps) for t, ps in getattr(fnd, kind).items()}
            for kind in ("emotion", "symptom", "behaviour", "intervention", "complexity")
        },
        simple={k: _alt(getattr(fnd, k)) for k in ("homework", "plan", "assessment")},
        intensity_high=_alt(re.escape(w) for w in fnd.intensity["high"]),
        intensity_mild=_alt(re.escape(w) for w in fnd.intensity["mild"]),
        historical=re.compile("|".join(ctx.historical)),
        recent=re.compile("|".join(ctx.recent)),
        hypothetical=re.compile("|".join(ctx.hypothetical)),
        uncertain=re.compile("|".join(ctx.uncertain)),
        uncertain_utterance=re.compile(
            "|".join((_UTTERANCE_HEDGE.pattern, *ctx.uncertain_utterance))
        ),
        termination=_alt(re.escape(t) for t in ctx.negation.termination),
        fiction=re.compile("|".join(ctx.fiction)),
        following_neg=_alt(re.escape(t) for t in ctx.negation.following),
        negation_any=re.compile(
            r"n't\b|" + _alt(re.escape(t) for t in (*ctx.negation.preceding, "never")).pattern
        ),
        subjects_other=re.compile(r"\b(?:" + "|".join(exp.subjects) + r")\b"),
        reflexive_other=frozenset(exp.reflexive_other),
    )


# --- per-utterance analysis ----------------------------------------------------------------


@dataclass
class _Hit:
    kind: str
    type: str
    subtype: str | None
    start: int
    end: int
    who: str | None
    negated: bool = False
    sentence: tuple[int, int] = (0, 0)
    mode: str = "risk"


def _sentence_bounds(sents: list[tuple[int, int]], start: int, end: int, n: int) -> tuple[int, int]:
    for s_start, s_end in sents:
        if s_start <= start < s_end:
            return s_start, max(s_end, end)
    return 0, n


def _analyse(texts: Sequence[str], hits: list[list[_Hit]]) -> None:
    """Run the spaCy pipeline once per utterance: sentences and negex on our spans."""
    nlp = pipeline()
    sentencizer = nlp.get_pipe("sentencizer")
    negex = nlp.get_pipe("negex")
    for text, utt_hits in zip(texts, hits, strict=True):
        if not utt_hits:
            continue
        doc = sentencizer(nlp.make_doc(text))
        sents = [(s.start_char, s.end_char) for s in doc.sents]
        spans = []
        for h in utt_hits:
            span = doc.char_span(h.start, h.end, alignment_mode="expand")
            spans.append(span)
            h.sentence = _sentence_bounds(sents, h.start, h.end, len(text))
        doc.spans[SPAN_KEY] = [s for s in spans if s is not None]
        doc = negex(doc)
        negated = {(s.start_char, s.end_char): bool(s._.negex) for s in doc.spans[SPAN_KEY]}
        for h, span in zip(utt_hits, spans, strict=True):
            if span is not None:
                h.negated = negated.get((span.start_char, span.end_char), False)


def _find_risk(
    low: str, rules: Sequence[_RiskRule], prefilter: re.Pattern[str] | None = None
) -> list[_Hit]:
    found: list[_Hit] = []
    if prefilter is not None and not prefilter.search(low):
        return found
    for rule in rules:
        for m in rule.regex.finditer(low):
            if rule.exclude is not None and rule.exclude.search(low):
                continue
            who = m.groupdict().get("who")
            found.append(
                _Hit("risk", rule.type, rule.subtype, m.start(), m.end(), who, mode=rule.mode)
            )
    # keep the most specific match where two overlap with the same type
    found.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for h in found:
        if any(k.type == h.type and h.start < k.end and k.start < h.end for k in kept):
            prev = next(k for k in kept if k.type == h.type and h.start < k.end and k.start < h.end)
            if _hit_rank(h) > _hit_rank(prev):
                kept[kept.index(prev)] = h
            continue
        kept.append(h)
    return kept


def _hit_rank(h: _Hit) -> tuple[int, int, int]:
    mode = {"risk": 3, "protective": 2, "mention": 1, "denial": 0}[h.mode]
    sub = {"attempt": 3, "active": 2, "passive": 1}.get(h.subtype or "", 0)
    return (mode, sub, h.end - h.start)


def _clause(low: str, sent: tuple[int, int], start: int, end: int) -> tuple[str, str]:
    """The text of the match's clause before and after it (ends at a termination term)."""
    c = compiled()
    before = low[sent[0] : start]
    after = low[end : sent[1]]
    cuts = list(c.termination.finditer(before))
    if cuts:
        before = before[cuts[-1].end() :]
    cut = c.termination.search(after)
    if cut:
        after = after[: cut.start()]
    return before, after


def _perpetrator_type(h: _Hit, low: str) -> str:
    """Abuse of someone else by the client ("I want to hit my son") is harm to others."""
    if h.type != "abuse_neglect":
        return h.type
    words = set(re.findall(r"[a-z']+", low[h.start : h.end]))
    if words & VICTIM_SELF:
        return h.type
    before = low[h.sentence[0] : h.start]
    last_self = max((m.end() for m in SUBJECT_SELF.finditer(before)), default=-1)
    last_other = max(
        (
            m.end()
            for m in compiled().subjects_other.finditer(before)
            if not _PREP_BEFORE.search(before[: m.start()])
        ),
        default=-1,
    )
    if re.search(r"\bpart of me\b", before):
        last_self = max(last_self, before.rfind("part of me") + len("part of me"))
    target = low[h.start : min(h.sentence[1], h.end + 30)]
    if (
        last_self > last_other
        and not re.search(r"\b(?:by|was|were|been)\b", low[h.start : h.end])
        and _OTHER_VICTIM.search(target)
    ):
        # the client is the actor and someone else the target ("I want to hit my son"),
        # not "I have to hand over my wages"
        return "harm_to_others"
    return h.type


_PREP_BEFORE = re.compile(
    r"(?:\b(?:outside|at|to|with|from|for|about|of|on|in|into|by|like|than|near|behind|"
    r"visit|visited|call|called|text|texted|help|helped|met|love|miss|see|saw|hit|hits|hug|"
    r"take|taking|took|steal|stealing|stole|nick|nicking|nicked|borrow|borrowing|using)\s+)$"
)
_OTHER_VICTIM = re.compile(
    r"\b(?:him|her|them|his|their|the (?:oldest|youngest|kids|children|baby|boy|girl)|"
    r"my (?:son|daughter|kids?|child|children|baby|brother|sister|"
    r"mom|mum|mother|dad|father|toddler|grandma|grandmother|nan|stepson|stepdaughter|"
    r"wife|husband|partner|gran|grandad|granddad|grandfather)|"
    r"(?:his|her|their) \w+)\b"
)
_GENERIC_SUBJECTS = frozenset({"people", "everyone", "everybody", "nobody"})
_SELF_VICTIM = re.compile(r"\b(?:me|us|my|our|myself|i)\b")
_ZONE_CUT = re.compile(r",|;|\b(?:and|but|so|because|then|though|although|when|while)\b")


SELF_ANY = re.compile(r"\b(?:i|me|my|myself|i'm|i've|i'd|i'll|im|ive)\b")
_BARE_PRONOUN = re.compile(r"\b(?:he|she|they|it)\b")


def _pronoun_subject_only(before: str) -> bool:
    """The clause's other subject is a bare pronoun, with no named person before it."""
    named = [
        m
        for m in compiled().subjects_other.finditer(before)
        if not _BARE_PRONOUN.fullmatch(m.group(0)) and m.group(0) not in _GENERIC_SUBJECTS
    ]
    return not named


def _subject_is_other(before: str) -> bool:
    """True when the last subject before a match (in its clause) is someone else."""
    cuts = list(_ZONE_CUT.finditer(before))
    zone = before[cuts[-1].end() :] if cuts else before
    last_self = max((m.end() for m in SUBJECT_SELF.finditer(zone)), default=-1)
    last_other = -1
    for m in compiled().subjects_other.finditer(zone):
        if m.group(0) in _GENERIC_SUBJECTS:
            continue  # "that's how people overdose": nobody in particular
        if not _PREP_BEFORE.search(zone[: m.start()]):
            last_other = max(last_other, m.end())
    if last_other < 0 and last_self < 0 and cuts:
        # "My friend told me, and she wants to …": look one clause further back
        return _subject_is_other(before[: cuts[-1].start()])
    return last_other > last_self


_REPORTED = re.compile(
    r"\b(?:said|says|say|told (?:me|us|the \w+|my \w+)|keeps? (?:saying|posting|texting)|"
    r"texted|messaged|posted|wrote|admitted|confided|swore|swears|screamed|shouted|"
    r"threatened|rang me|called me|"
    r"(?:sends?|sent|texts?) me (?:these |those |a |the )?(?:messages?|texts?|stuff|things))\b"
    r"(?! (?:to )?(?:you|that you))"
)


def _reported_other(before: str) -> bool:
    """ "My flatmate said, word for word, I'm going to end it all": someone else's words."""
    for m in reversed(list(_REPORTED.finditer(before))):
        frame = before[: m.start()]
        if re.search(r"\b(?:i|we)\s*(?:\w+ )?$", frame):
            return False
        tail = before[m.end() :]
        if re.search(r"\b(?:but|and) i\b|[.;]|^\s+(?:no|yes|not|nothing)\b[^,]*,\s*i\b", tail):
            return False
        return _subject_is_other(frame)
    return False


def _experiencer(h: _Hit, low: str) -> str:
    """'client' or 'other': who the risk is about."""
    c = compiled()
    match = low[h.start : h.end]
    words = set(re.findall(r"[a-z']+", match))
    before = low[h.sentence[0] : h.start]
    if h.type != "abuse_neglect" and _reported_other(before):
        return "other"
    if h.who:
        if h.who in ("myself", "my", "me", "i", "yourself", "your"):
            return "client"
        if h.who in c.reflexive_other or h.who in OTHER_PRONOUNS or h.who.startswith("my "):
            return "other"
    if h.type in ("suicidal_ideation", "self_harm"):
        if words & OTHER_PRONOUNS and not words & {"myself", "my", "i"}:
            return "other"
        if words & SELF_WORDS:
            return "client"
    if h.type == "abuse_neglect":
        if re.search(r"\b(?:by)\b", match) and not re.search(r"\b(?:me|us|myself) by\b", match):
            return "other" if _subject_is_other(before) else "client"
        if _OTHER_VICTIM.search(match):
            return "other"
        if _SELF_VICTIM.search(match):
            return "client"
        return "client"
    if h.type == "psychosis" and words & {"me", "my", "myself"}:
        return "client"
    if (
        h.type == "psychosis"
        and _pronoun_subject_only(before)
        and SELF_ANY.search(low[h.sentence[0] : h.sentence[1]])
        and re.search(r"\b(?:they|it)\b[^,;]*$", before)
    ):
        # "the voices …, they comment on everything I do": "they" are the voices
        return "client"
    if h.type in ("harm_to_others", "substance_risk", "psychosis") and words & SELF_WORDS - {
        "me",
        "my",
        "mine",
    }:
        return "client"  # "I'll stab him": the client is the one who would act
    return "other" if _subject_is_other(before) else "client"


_QUANTITY = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|\d+|a few|a couple|once|twice|"
    r"every|each|most|always|all the time|daily|nightly|weekly|constantly|half|more|"
    r"(?:an |a )?hour|(?:a |an )?(?:bottle|bag|packet|gram|pint|can)s?)\b"
)
# hedges that are not about the risk: a hedged amount ("twice, maybe three times", "sort of
# always there") and a filler "I don't know," that opens an admission ("I don't know, I just …")
_FILLER_HEDGE = re.compile(
    r"\b(?:maybe|probably|perhaps|about|around|roughly|sort of|kind of|kinda|i guess|i think),? "
    r"(?:like )?(?=" + _QUANTITY + r")"
    r"|\bi (?:just |honestly |really )?(?:don'?t|do not|dont) know,\s*(?=(?:i just|i|just|like|so|"
    r"it'?s|the|honestly)\b)(?!i (?:might|may|could|would|'d|don'?t know|can'?t|'m not sure))"
    r"|\b(?:don'?t|do not) (?:even )?know (?=what'?s in|what (?:it|they) (?:is|are|was|were)|"
    r"where|who|how (?:i|it) got)"
)


def _mask_fillers(text: str) -> str:
    """The text with filler hedges blanked out (same length, so offsets hold)."""
    return _FILLER_HEDGE.sub(lambda m: " " * len(m.group(0)), text)


_EMBEDDED_IF = re.compile(
    r"\b(?:know|sure|wonder|wondering|see|ask|asking|tell|decide|check|remember|recall|"
    r"work out|figure out)\s+(?:(?:anymore|any more|really|even|honestly)\s+)?(?:if|whether)\b"
)
_PAST_STOP = re.compile(
    r"\b(?:anymore|no longer|not since|haven'?t \w+(?: \w+)? (?:since|in|for)|in years|for years|"
    r"stopped|long gone|quit|clean (?:for|since)|sober (?:for|since))\b"
)


_INTERJECTION = re.compile(
    r"^\W*(?:no|nope|nah|not really|not at all|no way|not exactly)\s*[,.!;]+\s*"
)


def _only_answer_negation(before: str) -> bool:
    """ "Not really, I keep thinking about it": the "no" answers the question, not the clause."""
    m = _INTERJECTION.match(before)
    if m is None:
        return False
    return not compiled().negation_any.search(before[m.end() :])


# a denial the client hedges: "probably not", "I don't think so?", "I don't exactly hurt myself"
_NEG_HEDGE = re.compile(
    r"\b(?:probably not|i don'?t think so|i can'?t be (?:sure|certain)|i doubt it|i hope not|"
    r"(?:don'?t|do not|didn'?t|wouldn'?t|not|isn'?t|wasn'?t) (?:\w+ )?exactly|"
    r"i wouldn'?t (?:really )?call it)\b"
)
_NEVER = re.compile(r"\b(?:never|not even|not ever|nobody has ever|no one has ever|none)\b")
_FUTURE = re.compile(
    r"(?:'ll|'d)\b|\b(?:will|won'?t|would|wouldn'?t|might|may|could|going to|gonna|shall|"
    r"'m going to|is the day|that'?s it|there'?s nothing|nothing (?:left|keeping))\b|"
    r"\b(?:i'?m|im|i am) (?:\w+ )?\w+ing\b|"
    # limited English and formal registers: "I think I jump", "I can see myself …", "I expect"
    r"\bi think i (?:\w+ )?(?:jump|die|kill|go|take|drink|hit|do|finish|cut)\b|"
    r"\bcan (?:see myself|imagine)\b|\bshould rather\b|\b(?:i )?(?:fully )?(?:expect|suspect)\b"
)
# "if I'm honest", "as if", "even if": an "if" that sets no condition
_PSEUDO_IF = re.compile(
    r"\b(?:if i'?m (?:being )?honest|if i'?m being real|as if|even if|if anything|"
    r"if that makes sense|if you (?:know what i mean|like|ask me|must know)|what if i told you)\b"
)
_NEXT_TIME = re.compile(
    r"^\W*(?:\w+,? )?(?:next time|the next time|"
    r"when (?:i|i'm|he|she|they|someone|my|the|it)\b(?! (?:was|were|used to|had|did)\b)|"
    r"once (?:i|i'm|he|she|they|my|the|it)\b|the day|the minute|the moment|as soon as|"
    r"were (?:i|he|she|they) to|suppose|supposing|assuming|in case|in the event|if ever|"
    r"should (?:i|he|she|they|my|the|it)|say (?:i|he|she|they|my|the))"
)
_CONDITIONAL_OPENING = re.compile(r"^\W*(?:\w+,? )?(?:if|unless|once|should)\b")


_HABITUAL = re.compile(
    r"\b(?:sometimes|whenever|every time|each time|always|usually|often|most (?:days|nights|"
    r"times|mornings)|some (?:days|nights|mornings)|on bad days)\b"
)
_MODAL = re.compile(r"(?:'ll|'d)\b|\b(?:will|would|might|could|going to|gonna|shall)\b")
# a plan already made is preparation, not a condition ("I've decided that's when …")
_DECIDED = re.compile(
    r"\b(?:i'?ve|i have|i) (?:already )?(?:decided|made up my mind|set (?:a|the) date|"
    r"picked (?:a|the) (?:date|day)|chosen (?:a|the) (?:date|day|place))\b|"
    r"\b(?:i'?ve|i have) (?:got|gotten) (?:everything|it all|the \w+) (?:ready|sorted|together)\b|"
    r"\b(?:everything|it all)(?:'s| is) (?:ready|sorted|in place)\b"
)


_IF_CLAUSE = re.compile(r"\b(?:if|unless|should (?:i|the|my|he|she|they|it))\b")


def _habitual(sentence: str) -> bool:
    """ "Sometimes when I'm crossing the road I hope …": a habit, not a condition."""
    return bool(_HABITUAL.search(sentence)) and not _MODAL.search(sentence)


_PSEUDO_NEG = tuple(context_rules().negation.pseudo)
_CLAUSE_SPLIT = re.compile(r",\s*(?:and|but|so|then)\b|;|[.!?]\s")


# the client echoes the topic as a question and answers it: "Suicide? No, no." "Kill myself? Nah."
_ECHO_DENIAL = re.compile(
    r"[^.?!]{0,20}\?\s*(?:no|nah|nope|never|god,? no|no way|not on your life|not a chance|"
    r"heavens,? no|certainly not|absolutely not|of course not)\b"
)
# a previous sentence of the same utterance that opens with a condition and has no result
_PREV_IF = re.compile(r"^\W*(?:if|unless|should|were \w+(?: \w+)? to)\b[^.?!]*[.!]\W*$")


def _condition_before(low: str, sent: tuple[int, int]) -> bool:
    """ "If the VA turns me down again, I'm done. I'll end it.": the condition in the sentence
    before carries over to a result stated with a modal ("I'll …")."""
    prev = low[max(0, sent[0] - 200) : sent[0]]
    prev = re.split(r"(?<=[.!?])\s", prev.rstrip())[-1] if prev.strip() else ""
    prev = _PSEUDO_IF.sub(" ", prev)
    return bool(prev and _PREV_IF.search(prev) and not _MODAL.search(prev.split(",")[0]))


def _risk_status(h: _Hit, low: str) -> tuple[str | None, list[str]]:
    """Status of a risk match from experiencer, negation, conditionals, time and hedges.

    Returns None as status when the match is no finding (a plain protective statement, or a
    plain present mention such as "I drink wine on Fridays").
    """
    c = compiled()
    if _experiencer(h, low) == "other":
        status: str | None = "other_person"
        reasons = ["someone other than the client is the experiencer"]
        return (status if h.mode == "risk" or h.negated is False else None), reasons
    if _ECHO_DENIAL.match(low, h.end) and len(low[h.sentence[0] : h.start].strip()) <= 15:
        return "denied", ["the client repeats the question and says no ('Kill myself? Nah.')"]
    sentence = _PSEUDO_IF.sub(" ", low[h.sentence[0] : h.sentence[1]])
    sent_before = low[h.sentence[0] : h.start]
    sent_after = low[h.end : h.sentence[1]]
    context = _PSEUDO_IF.sub(" ", sent_before + " " + sent_after)
    before, after = _clause(low, h.sentence, h.start, h.end)
    negated = h.negated or bool(c.following_neg.search(after))
    if h.negated and _only_answer_negation(sent_before):
        negated = bool(c.following_neg.search(after))
    elif h.negated and not c.negation_any.search(_CLAUSE_SPLIT.split(before)[-1]):
        # "I haven't slept in weeks, and lately I've started …": the "haven't" is another clause
        match = low[h.start : h.end]
        negated = bool(c.following_neg.search(after)) or (
            bool(c.negation_any.match(match)) and not match.startswith(_PSEUDO_NEG)
        )
    embedded = bool(_EMBEDDED_IF.search(context))
    hedged = embedded or bool(c.uncertain.search(_mask_fillers(before + " " + after)))
    conditional = bool(
        _CONDITIONAL_OPENING.search(sentence) or c.hypothetical.search(context)
    ) and bool(_FUTURE.search(sentence))
    if _NEXT_TIME.search(sentence) and _FUTURE.search(sentence):
        conditional = True
    if _condition_before(low, h.sentence) and _MODAL.search(sentence) and not h.negated:
        conditional = True  # "If the claim is denied again, I'm done. I'll end it."
    if conditional and (
        _habitual(sentence) or (_DECIDED.search(sentence) and not _IF_CLAUSE.search(sentence))
    ):
        conditional = False
    if h.mode == "protective":
        if not negated and not hedged:
            return None, ["a protective statement, not a risk"]
        negated = False  # "I don't want to keep living" affirms the risk
    status, reasons = _modifier_status(
        h, low, negated, hedged, embedded, conditional, context, before, after
    )
    if h.mode in ("mention", "denial") and status == "present":
        return None, ["a plain mention, not a risk"]
    return status, reasons


def _modifier_status(
    h: _Hit,
    low: str,
    negated: bool,
    hedged: bool,
    embedded: bool,
    conditional: bool,
    context: str,
    before: str,
    after: str,
) -> tuple[str, list[str]]:
    c = compiled()
    sentence_text = _PSEUDO_IF.sub(" ", low[h.sentence[0] : h.sentence[1]])
    opening = (
        _CONDITIONAL_OPENING.search(sentence_text) or _NEXT_TIME.search(sentence_text)
    ) and _FUTURE.search(sentence_text)
    if _DECIDED.search(sentence_text) and not negated and not _IF_CLAUSE.search(sentence_text):
        return "present", ["a plan the client has already made"]
    if conditional and opening and not (negated and _NEVER.search(before)):
        return "hypothetical", ["a condition ('if …') governs it"]
    if negated:
        if _NEVER.search(before) or _NEVER.search(after):
            return "denied", ["denied by the client ('never')"]
        if embedded and _EMBEDDED_IF.search(before):
            return "uncertain", ["an embedded question ('not sure if', 'don't know whether')"]
        if (_PAST_STOP.search(context) or c.historical.search(context)) and not c.recent.search(
            before + " " + after
        ):
            return "historical", ["negated now, with a marker that it happened before"]
        if (hedged and not embedded) or _NEG_HEDGE.search(low):
            return "uncertain", ["negated but hedged"]
        if c.uncertain_utterance.search(_mask_fillers(low)):
            return "uncertain", ["a denial the client doubts elsewhere in the utterance"]
        if embedded:
            return "uncertain", ["an embedded question ('not sure if', 'don't know whether')"]
        return "denied", ["negated by the client"]
    if embedded:
        return "uncertain", ["an embedded question ('not sure if', 'don't know whether')"]
    if _SELF_QUESTION.search(sentence_text):
        return "uncertain", ["the client asks whether it counts ('is that self-harm?')"]
    if c.historical.search(context) and not c.recent.search(before + " " + after):
        return "historical", ["a past time marker places it in the client's history"]
    if conditional:
        return "hypothetical", ["a condition ('if …') governs it"]
    if hedged:
        return "uncertain", ["hedged ('maybe', 'not sure', 'part of me')"]
    if _retrospective_after(low, h.sentence):
        return "historical", ["the next sentence places it in the past"]
    if c.uncertain_utterance.search(_mask_fillers(low)):
        return "uncertain", ["the client says elsewhere in the utterance that they are unsure"]
    return "present", ["stated about the client, now"]


# the client asks back whether it counts: "Is it normal to …?", "…, is that abuse?"
_SELF_QUESTION = re.compile(
    r"^\W*(?:(?:so|but|and|like|um|honestly),? )?(?:is|am|was|does|should|can|could|would) "
    r"(?:it|that|this|i|there|my|\w+ing)\b[^?]{0,160}\?"
    r"|,\s*(?:is|was|does) (?:that|it|this)\b[^.?!]{0,40}\?"
)


# a standalone hedge anywhere in the utterance ("…, I don't know.", "I can't tell.")
_UTTERANCE_HEDGE = re.compile(
    r"\b(?:i (?:\w+ )?(?:don'?t|do not) (?:\w+ )?know(?! why| how to| what to do)|"
    r"(?:i'?m|i am) (?:\w+ )?not (?:\w+ )?sure|"
    r"can'?t (?:\w+ )?(?:tell|say)"
    r"(?! (?:anyone|anybody|my|him|her|them)| (?:that )?i (?:do|have|am|did)\b)|"
    r"hard to say|no idea|back and forth|idk|dunno|part of me|two minds|"
    r"i can'?t be (?:sure|certain))\b"
)


_RETRO = re.compile(
    r"^\W*(?:(?:and|but|so|well|honestly),? )?(?:that|it|this|all that|i|those|the \w+)\b"
)


def _retrospective_after(low: str, sent: tuple[int, int]) -> bool:
    """ "I cut my arms all through school. I stopped when I left home.": a following sentence
    that looks back on it (a past marker or a stop, nothing recent) makes it history."""
    c = compiled()
    if c.recent.search(low[sent[0] : sent[1]]):
        return False
    nxt = low[sent[1] : sent[1] + 160]
    nxt = re.split(r"(?<=[.!?])\s", nxt.lstrip(), maxsplit=1)[0]
    if not nxt.strip() or not _RETRO.search(nxt) or c.recent.search(nxt):
        return False
    return bool(c.historical.search(nxt) or _PAST_STOP.search(nxt))


_NUMW = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|\d+)"
)
_ANSWER_NEG = re.compile(
    r"^\W*(?:(?:god|oh|um|uh|well|honestly|gosh|hmm),? )?"
    r"(?:no|not for me|nothing|nope|nah|never|not (?:at all|really|really no|ever|that i know)|"
    r"none|no way|"
    r"i (?:haven'?t|have not|don'?t|do not|wouldn'?t|would not|won'?t|never|didn'?t|am not|'m not)|"
    r"i'm not|definitely not|absolutely not|of course not|not this week|not me|no one|nobody|"
    r"not even|not once|not a chance|(?:ha|haha|god|hell),? no|it'?s never|that'?s not me|"
    r"i'?ve never|never (?:once|touched|ever)|negative|certainly not|not on your life|"
    r"god forbid|no plan|not this|heavens,? no|not in the least)\b"
)
_ANSWER_POS = re.compile(
    r"^\W*(?:(?:honestly|well|um|uh|oh|god|physically|mentally|sadly|truthfully|actually),? )?"
    r"(?:yes|yeah|yep|yup|ya|yah|affirmative|roger(?: that)?|correct|indeed|sometimes|"
    r"too (?:much|many)|way too (?:much|many)|first thing|"
    r"a (?:little|bit|lot)|i have|i do|i did|i am|i'm|"
    r"i'?ve (?!never|not|no\b)\w+|i had|"
    r"most days|most nights|often|every (?:single )?(?:day|night|morning)|"
    r"all (?:the time|day|night)|constantly|lately|i've been|i have been|uh-?huh|mm-?hmm|"
    r"a few times|once or twice|twice|three times|several times|more than|loads|pretty much|"
    r"this (?:morning|week|weekend)|last night|yesterday|today|still|daily|worse|more|"
    r"i know|definitely|absolutely|completely|totally|of course|very|both|double|"
    r"(?:they|it|he|she) (?:would|does|do|did|is|are)|just the usual|same as always|"
    r"every (?:\w+ ){0,2}(?:days?|nights?|weeks?|mornings?|weekends?|evenings?)|"
    r"(?:nightly|hourly|weekly)|most (?:days|nights|weekends|mornings|evenings)|"
    r"(?:once|twice|\w+ times) a (?:day|week|night)|" + _NUMW + r"(?=\W*$|\.|,))\b"
)
_WHEN_QUESTION = re.compile(
    r"\b(?:how long ago|when did you last|when was (?:the|your) (?:last|first)|"
    r"how long (?:has it been|since|have you been (?:sober|clean|off))|when was that|"
    r"when did (?:that|it|this) (?:stop|end))\b"
)
_DURATION = re.compile(
    r"\b(?:" + _NUMW + r"|a few|several|many|couple of|a couple of)(?:-\w+)? (?:years?|decades?)\b|"
    r"\b(?:years|ages|long ago|a long time|since (?:19|20)\d\d|since i was|decades)\b|"
    r"^\W*(?:since )?(?:19|20)\d\d\b"
)
_RECENT_ANSWER = re.compile(
    r"\b(?:days?|weeks?|yesterday|last night|this (?:week|morning)|today)\b"
)
_WH_QUESTION = re.compile(
    r"^\W*(?:and |so )?(?:what|where|how (?:much|many|often|strong|bad)|which|who)\b(?! if\b)"
)
_ANSWER_HEDGE = re.compile(
    r"(?:\b(?:part of me|back and forth|straight answer|two minds|i might,? i might not|"
    r"haven'?t decided|is that what you|what you'?d call|i wish i could|can'?t say i wouldn'?t|"
    r"i (?:\w+ )?(?:don'?t|do not) (?:\w+ )?know|(?:i'?m|i am) (?:\w+ )?not (?:\w+ )?sure|"
    r"can'?t (?:\w+ )?(?:say|tell|be (?:sure|certain))(?! (?:that )?i (?:do|have|am|did)\b)|"
    r"i don'?t think so\?|probably not|"
    r"kind of|sort of|idk|dunno)\b|"
    r"\b(?:maybe|perhaps|not sure|don'?t (?:really |honestly )?know|hard to (?:say|tell)|"
    r"i guess|"
    r"could be|can'?t promise|not certain|unsure|"
    r"i can'?t (?:really )?(?:say|tell)(?! (?:that )?i (?:do|have|am|did)\b)|"
    r"possibly|"
    r"can'?t (?:really )?tell|can'?t say for sure|who knows|no idea|lost count|it'?s complicated|"
    r"i'?ll try,? but|rather not say|not entirely|depends(?: on| what)|can'?t rule (?:it|that) out|"
    r"cannot say (?:no|yes)|god (?:only )?knows|can'?t call it|toss-up|"
    r"couldn'?t (?:honestly |really )?(?:say|tell))\b|\b(?:kind of|sort of|i think so|sometimes)\?)"
)
_ANSWER_PERSON = re.compile(
    r"^\W*(?:wife|husband|partner|boyfriend|girlfriend|mum|mom|dad|father|mother|son|daughter|"
    r"brother|sister|stepdad|stepmum|stepmom|uncle|ex)\s*[.,;]|"
    r"^\W*(?:a )?(?:kid|guy|girl|lad|bloke|woman|man|friend|mate) (?:in|from|at) (?:my|the) \w+|"
    r"^\W*(?:(?:only|just|mostly|mainly|usually|probably|well|um),? )?"
    r"(?:my|their|his|her|our|a|one of my) (?:\w+ ){0,2}?(?:mum|mom|mother|dad|father|brother|"
    r"sister|son|daughter|husband|wife|partner|friend|mate|cousin|aunt|uncle|gran\w*|grand\w+|"
    r"boyfriend|girlfriend|flatmate|roommate|colleague|coworker|kids?|child|children|family|"
    r"nephew|niece|stepdad|stepmum|stepmom|stepfather|stepmother|ex|neighbou?r|oldest|youngest)\b"
)
_HYPOTHETICAL_QUESTION = re.compile(
    r"\b(?:what would|what do you think would|"
    r"how would(?! you (?:describe|rate|say|put|sum up|characteri[sz]e))|what if|and if|"
    r"what happens (?:if|when)|"
    r"what then|then what|and when|"
    r"what will you do|what are you going to do|what'?s your plan|what'?s the plan|suppose|"
    r"if (?:you|your|he|she|they|the|it)|what (?:you|will you|would you) do|"
    r"would you|what'?s your plan if|how do you think you'?d|what might)\b"
)
_ABOUT_CLIENT_VICTIM = re.compile(
    r"\b(?:hurt|hurting|hit|hitting|forced|touch\w*|threaten\w*|control\w*|safe)\b[^?]*\byou"
)
_NEVER_ANSWER = re.compile(r"\b(?:never|not ever|not once)\b")
_REL = (
    r"(?:\w+ )?(?:brother|sister|mum|mom|mother|dad|father|son|daughter|friend|mate|cousin|aunt|"
    r"uncle|gran\w*|grand\w+|husband|wife|partner|boyfriend|girlfriend|flatmate|roommate|"
    r"housemate|colleague|coworker|co-worker|kids?|child|children|teenager|teen|baby|family|"
    r"nephew|niece|step\w+|\w+-in-law|ex|neighbou?r|twin|boss|carer|parents?)(?:'s \w+)?"
)
_QUESTION_OTHER = re.compile(
    r"(?:^|[,.?!]\s*)(?:\w+ ){0,3}?(?:has|have|does|did|is|was|were|are|will|would|could|can|had|"
    r"do)(?: \w+)? (?:your " + _REL + r"|anyone else|anybody else|any of your \w+|"
    r"(?:anyone|anybody|someone) (?:close to you|you know|in your family|at (?:work|school))|"
    r"the (?:children|kids|baby)|he|she|they)\b"
    r"|\byour " + _REL + r" (?:was|is|has|had|were|'s|been|ever|still|might|may|being)\b"
    r"|\b(?:worried|concerned|scared|afraid|worry) (?:about|for) (?:your|him|her|them)\b"
    r"|\bthrough your \w+'s\b"
)


def _question_about_other(question: str, rtype: str) -> bool:
    """The clinician asks about someone else ("Is your daughter still cutting?")."""
    if not _QUESTION_OTHER.search(question):
        return False
    if rtype == "abuse_neglect" and _ABOUT_CLIENT_VICTIM.search(question):
        return False
    if rtype == "harm_to_others" and re.search(r"\byou\b(?! know| close)", question.split("?")[0]):
        # "Would you act on those thoughts about hurting your boss?": the client would act
        return not re.search(
            r"\b(?:would|could|will|might|do|did|have|are) you\b|\byou (?:might|would|could)\b",
            question,
        )
    return True


# the client would be the one to act ("thoughts about hurting anyone?", "at risk from you?")
_CLIENT_ACTS = re.compile(
    r"\b(?:you|you'?ve|you'?d|you'?ll)\b(?:\s+\w+){0,4}\s+(?:hurt|hurting|harm|harming|kill|"
    r"killing|attack\w*|hit|hitting|stab\w*|get back at)\b|\bat risk from you\b|"
    r"\b(?:anyone|anybody|someone) (?:you (?:want|might|would|could|feel))\b"
)
_PERSISTENCE = re.compile(
    r"\b(?:won'?t|don'?t|doesn'?t|can'?t|never|wouldn'?t) (?:ever )?"
    r"(?:stop|shut up|let up|go away|leave me alone)\b"
)
_LOCATED = re.compile(
    r"^\W*(?:(?:yes|yeah|yep),? )?(?:(?:they'?re|it'?s|they are|it is|there'?s \w+|"
    r"i keep (?:them|it)|i'?ve got (?:them|it|some)|i have (?:them|it|some))\s+)?"
    r"(?:in|under|on top of|behind|inside|at the back of|in the back of) (?:my|the|our)\b"
)
_MEANS_QUESTION = re.compile(
    r"\b(?:access|where (?:do|are|is|would)|keep|kept|stash\w*|have (?:any|the)|got (?:any|the)|"
    r"to hand|at home|in the house)\b"
)
_HIGH_FREQUENCY = re.compile(
    r"^\W*(?:(?:yes|yeah|honestly|well),? )?(?:daily|nightly|constantly|all the time|all day|"
    r"every (?:single )?(?:day|night|morning|evening|weekend)|"
    r"most (?:days|nights|mornings|evenings|weekends)|(?:twice|\w+ times) a day|"
    r"from the (?:minute|moment) i wake)\b"
)
# an answer echoing the question's verb ("Do the voices tell you …?" "They tell me …")
_QUESTION_VERB = re.compile(
    r"^\W*(?:and |so )?(?:do|does|did|are|is|have|has|were|was)\s+(?:you|they|he|she|"
    r"the \w+|your \w+)\s+(?:ever |still |also |really |sometimes )?([a-z]{3,})\b"
)
_ECHO_SUBJECT = r"(?:i|i'm|i've|they|they're|it|it's|he|she|we)"


def _echo_answer(question: str, low: str) -> bool:
    m = _QUESTION_VERB.search(question)
    if m is None or m.group(1) in ("you", "your", "the", "any", "been", "had", "got", "going"):
        return False
    stem = re.escape(m.group(1)[:4])
    return bool(
        re.search(r"^\W*(?:(?:yes|yeah|well|um),? )?" + _ECHO_SUBJECT + r" (?:\w+ )?" + stem, low)
    )


# an admission or a "yes" later in a short first sentence ("Since Christmas, yes.", "I give in.")
_ADMIT = re.compile(
    r"\b(?:i'?m|i am|i'?ve been|i keep|i still) (?:\w+ )?(?:doing it|doing that)\b|"
    r"\bi (?:just )?(?:give|gave) in\b|^[^.?!]{1,40},? (?:yes|yeah|yep)\b"
)
_SELF_ACT = re.compile(
    r"^\W*(?:(?:then|well|yes|yeah|honestly),? )?(?:i'?ll|i'?d|i will|i would|i'?m going to|"
    r"i'?m gonna|i'?m \w+ing)\b"
)
_SELF_ANSWER = re.compile(
    r"^\W*(?:(?:yes|yeah|well|um),? )?(?:me|i do|i have|i am|i'm|myself|mine)\b"
)


def _answer_past(low: str) -> bool:
    """An answer that places the thing in the client's past."""
    c = compiled()
    return bool(
        c.historical.search(low)
        or _PAST_STOP.search(low)
        or re.search(
            r"\b(?:years? (?:ago|back)|back then|not (?:now|since|anymore)|"
            r"in my (?:teens|twenties)|at uni|in (?:school|college)|before i (?:got|was)|"
            r"a long time ago|as a (?:teenager|kid|child)|"
            r"until i was|they'?ve passed|at the time|in the (?:first|early) \w+)\b",
            low,
        )
    )


def _answer_status(text: str, question: str, rtype: str, inverted: bool) -> tuple[str, str] | None:
    low = _norm(text).strip()
    if _question_about_other(question, rtype) and not _SELF_ANSWER.search(low):
        if _ANSWER_NEG.search(low) and not _ANSWER_PERSON.search(low):
            return None
        return "other_person", "the question is about someone else"
    if _ANSWER_PERSON.search(low) and not re.match(r"^\W*(?:my|our) (?:own|whole)\b", low):
        if rtype == "harm_to_others" and _CLIENT_ACTS.search(question):
            return "present", "named who the client would harm"
        if (
            rtype == "abuse_neglect"
            and _ABOUT_CLIENT_VICTIM.search(question)
            and not re.search(r"\b(?:else|anyone in|anybody in|the children|the kids)\b", question)
        ):
            return "present", "named who hurts the client"
        return "other_person", "answered about someone else"
    masked = _mask_fillers(low)
    if (
        _ANSWER_HEDGE.search(masked)
        or compiled().uncertain_utterance.search(masked)
        or _EMBEDDED_IF.search(low)
    ):
        return "uncertain", "answered with uncertainty"  # doubt beats a conditional
    if _HYPOTHETICAL_QUESTION.search(question) and not _ANSWER_NEG.search(low):
        return "hypothetical", "answered a question about what would happen"
    if re.search(r"^\W*(?:only )?(?:if|when|unless)\b", low):
        return "hypothetical", "answered with a condition"
    if _WHEN_QUESTION.search(question) and _DURATION.search(low) and not _RECENT_ANSWER.search(low):
        return "historical", "answered how long ago it was"
    past = _answer_past(low)
    if past and not (_ANSWER_NEG.search(low) and _NEVER_ANSWER.search(low)):
        return "historical", "answered that it belongs to the past"
    if re.search(r"\bif (?:she|he|they|it|i|things|my)\b", low):
        return "hypothetical", "answered with a condition"
    if _ANSWER_NEG.search(low):
        return (
            ("present", "answered no to a safety question")
            if inverted
            else ("denied", "answered no to the clinician's question")
        )
    if (
        _ANSWER_POS.search(low)
        or re.search(r"^\W*(?:once|twice|\w+ times)\b", low)
        or (_ADMIT.search(low) and not _has_negation(low))
    ):
        return (
            ("denied", "answered yes to a safety question")
            if inverted
            else ("present", "answered yes to the clinician's question")
        )
    if not inverted and _echo_answer(question, low) and not _has_negation(low.split(".")[0]):
        return "present", "answered by repeating what was asked"
    if not inverted and _MEANS_QUESTION.search(question) and _LOCATED.search(low):
        return "present", "said where the means are"
    if (
        _WH_QUESTION.search(question)
        and not inverted
        and not _has_negation(_PERSISTENCE.sub(" ", low))
    ):
        return "present", "answered what, where or how much"
    return None


def _has_negation(low: str) -> bool:
    """An answer that denies or hedges in passing ("nothing", "no idea")."""
    return bool(compiled().negation_any.search(low))


# --- the whole transcript ------------------------------------------------------------------


def _is_clinician(u: Utterance) -> bool:
    return u.role == "clinician"


def _quote(text: str, h: _Hit) -> str:
    return text[h.sentence[0] : h.sentence[1]].strip()


def _flags(low: str) -> dict[str, bool]:
    return {k: True for k, rx in compiled().flags.items() if rx.search(low)}


def extract_signals(transcript: Transcript) -> list[Signal]:
    """Every signal of the transcript, merged by kind, type and status, evidence in order."""
    c = compiled()
    utts = transcript.utterances
    lows = [_norm(u.text) for u in utts]
    hits: list[list[_Hit]] = []
    for u, low in zip(utts, lows, strict=True):
        found: list[_Hit] = []
        if not _is_clinician(u):
            found += _find_risk(low, c.risk, c.risk_any)
            for kind in ("emotion", "symptom", "behaviour"):
                for t, rx in c.groups[kind].items():
                    found += [
                        _Hit(kind, t, None, m.start(), m.end(), None) for m in rx.finditer(low)
                    ]
        else:
            for t, rx in c.groups["intervention"].items():
                found += [
                    _Hit("intervention", t, None, m.start(), m.end(), None)
                    for m in rx.finditer(low)
                ]
            for kind in ("homework", "plan"):
                found += [
                    _Hit(kind, kind, None, m.start(), m.end(), None)
                    for m in c.simple[kind].finditer(low)
                ]
        found += [
            _Hit("assessment", "assessment", None, m.start(), m.end(), None)
            for m in c.simple["assessment"].finditer(low)
        ]
        hits.append(found)
    _analyse([u.text for u in utts], hits)

    raw: list[tuple[tuple[Any, ...], Signal]] = []
    for i, (u, low, found) in enumerate(zip(utts, lows, hits, strict=True)):
        question = _question_before(utts, lows, i) if not _is_clinician(u) and i > 0 else None
        risk = _risk_signals(u, low, [h for h in found if h.kind == "risk"], question)
        raw += risk
        own_risk_types = {sig.type for _, sig in risk}
        for h in found:
            mention = Mention(
                u.id, _quote(u.text, h), u.text[h.start : h.end], u.role, u.speaker, h.negated
            )
            if h.kind == "risk":
                continue
            elif h.kind == "emotion":
                if h.negated:
                    continue
                sent = low[h.sentence[0] : h.sentence[1]]
                intensity = (
                    "high"
                    if c.intensity_high.search(sent)
                    else "mild"
                    if c.intensity_mild.search(sent)
                    else "moderate"
                )
                raw.append(
                    (
                        ("emotion", h.type, u.role),
                        Signal(
                            "emotion",
                            h.type,
                            (u.id,),
                            "",
                            intensity=intensity,
                            mentions=(mention,),
                            about=u.role,
                        ),
                    )
                )
            else:
                about = u.role if h.kind in ("symptom", "behaviour") else None
                raw.append(
                    (
                        (h.kind, h.type, about),
                        Signal(h.kind, h.type, (u.id,), "", mentions=(mention,), about=about),
                    )
                )
        if not _is_clinician(u) and i > 0:
            raw += _answer_signals(utts, lows, i, own_risk_types)
    return _merge(raw)


# "What would your husband do …?" "He will beat me.": the client is the victim
_VICTIM_ME = re.compile(r"\b(?:me|us|myself)\b")
_MENTION_KEEP = frozenset({"denied", "historical", "hypothetical", "uncertain"})
_SUPPRESSED_BY_SI = frozenset({"self_harm", "substance_risk"})


def _risk_signals(
    u: Utterance, low: str, found: list[_Hit], question: str | None = None
) -> list[tuple[tuple[Any, ...], Signal]]:
    """Risk findings of one utterance, with statuses and cross-type precedence applied."""
    c = compiled()
    asked: set[str] = set()
    if question:
        asked = {h.type for h in _find_risk(question, c.questions + c.inverted)}
    judged: list[tuple[_Hit, str, list[str]]] = []
    for h in found:
        if c.fiction.search(low[h.sentence[0] : h.sentence[1]]):
            continue
        if asked and h.mode in ("denial", "mention") and h.type not in asked:
            continue
        h.type = _perpetrator_type(h, low)
        status, reasons = _risk_status(h, low)
        if status is None or (h.mode == "mention" and status not in _MENTION_KEEP):
            continue
        if (
            question
            and status != "other_person"
            and _ANSWER_PERSON.search(low)
            and h.type != "abuse_neglect"
        ):
            status, reasons = "other_person", ["the answer is about someone else"]
        if (
            question
            and status not in ("other_person", "denied")
            and _question_about_other(question, h.type)
            and h.who not in ("myself", "i", "me", "my")
            and not (h.type == "abuse_neglect" and _VICTIM_ME.search(low[h.start : h.end]))
            and not _SELF_ANSWER.search(low)
            and not _SELF_ACT.search(low)
        ):
            status, reasons = "other_person", ["the question is about someone else"]
        if question and status in ("present", "uncertain"):
            if _HYPOTHETICAL_QUESTION.search(question) and (
                _MODAL_ANSWER.search(low) or (status == "present" and not _SUBJECT_ANY.search(low))
            ):
                status, reasons = "hypothetical", ["answers a question about what would happen"]
            elif status == "present" and (
                _answer_past(low)
                or (
                    c.historical.search(re.sub(r"\byou\b", "i", question))
                    and not c.recent.search(low)
                )
            ):
                status, reasons = "historical", ["the answer places it in the past"]
        if h.mode == "denial" and status not in ("denied", "historical"):
            continue
        judged.append((h, status, reasons))
    kept = []
    for h, status, reasons in judged:
        same_sentence = [g for g, _, _ in judged if g is not h and g.sentence == h.sentence]
        if any(
            g.type == h.type and s2 == status and _hit_rank(g) > _hit_rank(h)
            for g, s2, _ in judged
            if g is not h and g.sentence == h.sentence
        ):
            continue
        if h.mode != "risk" and any(g.mode == "risk" and g.type != h.type for g in same_sentence):
            continue
        if status == "present" and any(
            g.type == h.type and s2 == "uncertain" and g.sentence == h.sentence
            for g, s2, _ in judged
        ):
            continue  # doubt beats a plain statement of the same risk in the same sentence
        if status == "denied" and any(
            g.type == h.type
            and s2 == "uncertain"
            and (g.sentence == h.sentence or not r2[0].startswith("an embedded question"))
            for g, s2, r2 in judged
        ):
            continue  # "He doesn't hit me, he just blocks the door. Is that abuse?": doubt wins
        if (
            h.type == "abuse_neglect"
            and status == "other_person"
            and any(
                g.type == "harm_to_others"
                and s2 != "other_person"
                and g.start < h.end
                and h.start < g.end
                for g, s2, _ in judged
            )
        ):
            continue  # "Hurt him. Badly.": the client would be the one to act
        if h.type in _SUPPRESSED_BY_SI and any(
            g.type == "suicidal_ideation" and g.mode == "risk" for g in same_sentence
        ):
            continue
        if (
            status != "other_person"
            and any(
                g.type == h.type and s2 == "other_person"
                for g, s2, _ in judged
                if g.sentence == h.sentence
            )
            and not SUBJECT_SELF.search(low[h.sentence[0] : h.start][-30:])
        ):
            status, reasons = "other_person", ["the same sentence is about someone else"]
        kept.append((h, status, reasons))
    out = []
    for h, status, reasons in kept:
        mention = Mention(
            u.id, _quote(u.text, h), u.text[h.start : h.end], u.role, u.speaker, h.negated
        )
        subtype = h.subtype if h.type == "suicidal_ideation" else None
        flags = (
            _flags(low)
            if h.type == "suicidal_ideation" and status not in ("denied", "other_person")
            else {}
        )
        sig = Signal(
            "risk",
            h.type,
            (u.id,),
            "",
            subtype=subtype,
            status=status,
            confidence=0.85 if h.mode == "risk" else 0.7,
            flags=flags,
            mentions=(mention,),
            reasons=tuple(reasons),
            about=None if status == "other_person" else u.role,
        )
        out.append((("risk", h.type, subtype, status, sig.about), sig))
    return out


def _question_before(utts: Sequence[Utterance], lows: Sequence[str], i: int) -> str | None:
    """The question the clinician asked just before utterance i (its asking sentences)."""
    q = next((j for j in range(i - 1, max(-1, i - 3), -1) if _is_clinician(utts[j])), None)
    if q is None or any(not _is_clinician(utts[k]) for k in range(q + 1, i)):
        return None
    asking = " ".join(s for s in re.split(r"(?<=[.!?])\s+", lows[q]) if "?" in s)
    if not asking:
        return None
    c = compiled()
    if not c.question_any.search(asking) and c.question_any.search(lows[q]):
        return lows[q]
    return asking


_MODAL_ANSWER = re.compile(
    r"\b(?:i'd|i would|i'll|i will|i might|probably|then|i'm going to|i'd probably|"
    r"will|would|gonna|going to|i'?m \w+ing)\b|(?:'ll|'d)\b|"
    # limited English answers a "what would you do" question in the present simple ("I drink
    # again", "I hit my head on the wall")
    r"^\W*i (?!(?:am|was|were|have|had|did|already|used|never|don'?t|didn'?t|do|feel|think|"
    r"know)\b)[a-z]+(?<!ed)\b"
)
# an answer without a subject ("Hang myself in the garage.") continues the question's clause
_SUBJECT_ANY = re.compile(r"\b(?:i|i'm|i've|im|ive|he|she|they|we|it's|there's|it)\b")


def _answer_signals(
    utts: Sequence[Utterance], lows: Sequence[str], i: int, own: set[str]
) -> list[tuple[tuple[Any, ...], Signal]]:
    """A short answer to the clinician's risk question takes its type from the question."""
    q = next((j for j in range(i - 1, max(-1, i - 3), -1) if _is_clinician(utts[j])), None)
    asking = _question_before(utts, lows, i)
    c = compiled()
    if q is None or asking is None or not c.question_any.search(asking):
        return []
    out = []
    seen: set[str] = set()
    question_rules = c.questions + tuple(r for r in c.risk if r.mode == "risk")
    asked_hits = _find_risk(asking, question_rules)
    asked = {h.type for h in asked_hits}
    own_act = [
        g
        for g in asked_hits
        if g.type in ("suicidal_ideation", "self_harm")
        and re.search(r"\b(?:yourself|your (?:own )?life)\b", asking[g.start : g.end])
    ]
    for inverted, rules in ((True, c.inverted), (False, question_rules)):
        for h in _find_risk(asking, rules):
            if h.type == "substance_risk" and "suicidal_ideation" in asked:
                continue
            if h.type == "harm_to_others" and any(
                g.start < h.end and h.start < g.end for g in own_act
            ):
                continue  # "plans to kill yourself" is not harm to others
            if h.type in own or h.type in seen:
                continue
            verdict = _answer_status(utts[i].text, asking, h.type, inverted)
            if verdict is None:
                continue
            status, reason = verdict
            if (
                h.mode == "mention"
                and status not in _MENTION_KEEP
                and not (status == "present" and _HIGH_FREQUENCY.search(lows[i]))
            ):
                continue
            seen.add(h.type)
            u = utts[i]
            subtype = (h.subtype or "active") if h.type == "suicidal_ideation" else None
            mention = Mention(u.id, u.text.strip(), u.text.strip(), u.role, u.speaker)
            sig = Signal(
                "risk",
                h.type,
                (utts[q].id, u.id),
                "",
                subtype=subtype,
                status=status,
                confidence=0.7,
                mentions=(mention,),
                reasons=(reason,),
                about=u.role,
                flags=_flags(lows[i]) if status in ("present", "uncertain") else {},
            )
            out.append((("risk", h.type, subtype, status, u.role), sig))
    return out


_SI_WORDS = {
    "passive": "passive suicidal ideation",
    "active": "suicidal ideation",
    "attempt": "suicide attempt",
    None: "suicidal ideation",
}


def _risk_label(s: Signal) -> str:
    if s.type == "suicidal_ideation":
        return _SI_WORDS.get(s.subtype, "suicidal ideation")
    return s.type.replace("_", " ")


def _summary(s: Signal) -> str:
    quote = s.mentions[0].sentence if s.mentions else ""
    if s.kind == "risk":
        head = f"{_risk_label(s)} ({s.status.replace('_', ' ') if s.status else ''})"
    elif s.kind == "emotion":
        head = f"{s.type} ({s.intensity})"
    else:
        head = s.type.replace("_", " ")
    return f"{head}: \u201c{quote}\u201d" if quote else head


def _merge(raw: list[tuple[tuple[Any, ...], Signal]]) -> list[Signal]:
    groups: dict[tuple[Any, ...], list[Signal]] = defaultdict(list)
    order: list[tuple[Any, ...]] = []
    for key, sig in raw:
        if key not in groups:
            order.append(key)
        groups[key].append(sig)
    out = []
    rank = {"mild": 0, "moderate": 1, "high": 2}
    for key in order:
        sigs = groups[key]
        first = sigs[0]
        evidence = list(dict.fromkeys(e for s in sigs for e in s.evidence))
        evidence.sort(key=lambda e: int(e[1:]) if e[1:].isdigit() else 0)
        flags: dict[str, bool] = {}
        for s in sigs:
            flags.update(s.flags)
        intensity = max(
            (s.intensity for s in sigs if s.intensity), key=lambda x: rank[x], default=None
        )
        merged = Signal(
            first.kind,
            first.type,
            tuple(evidence),
            "",
            subtype=first.subtype,
            status=first.status,
            confidence=max((s.confidence for s in sigs if s.confidence is not None), default=None),
            intensity=intensity,
            flags=flags,
            mentions=tuple(m for s in sigs for m in s.mentions),
            reasons=tuple(dict.fromkeys(r for s in sigs for r in s.reasons)),
            about=first.about,
        )
        out.append(Signal(**{**merged.__dict__, "summary": _summary(merged)}))
    return out


def risk_assessed(signals: Iterable[Signal]) -> bool:
    """Risk counts as assessed when any risk signal is about the client (not other_person)."""
    return any(s.kind == "risk" and s.status != "other_person" for s in signals)


def complexity_cues(transcript: Transcript) -> dict[str, list[str]]:
    """Interactive-complexity cues (+90785 factors) with the utterance ids that suggest them."""
    c = compiled()
    cues: dict[str, list[str]] = defaultdict(list)
    for u in transcript.utterances:
        low = _norm(u.text)
        if "interpreter" in u.speaker.lower() or "translator" in u.speaker.lower():
            cues["interpreter"].append(u.id)
        for factor, rx in c.groups["complexity"].items():
            if rx.search(low) and u.id not in cues[factor]:
                cues[factor].append(u.id)
    return {k: v for k, v in cues.items() if v}
