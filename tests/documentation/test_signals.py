import json

import pytest

from hearth.documentation.importers import parse
from hearth.documentation.roles import assign_roles
from hearth.documentation.signals import lexicon
from hearth.documentation.signals.engine import complexity_cues, extract_signals, risk_assessed
from hearth.documentation.transcript import Transcript, Utterance


def two_lines(client: str, question: str | None = None) -> Transcript:
    utts = []
    if question:
        utts.append(Utterance("u1", "Dr. Test", "clinician", None, None, question, "given"))
    utts.append(Utterance(f"u{len(utts) + 1}", "Sam", "client", None, None, client, "given"))
    return Transcript(tuple(utts))


def risks(t: Transcript):
    return [s for s in extract_signals(t) if s.kind == "risk"]


@pytest.mark.parametrize(
    ("question", "text", "rtype", "subtype", "status", "alert"),
    [
        (
            "Have you had any urges to hurt yourself?",
            "I would never hurt myself",
            "self_harm",
            None,
            "denied",
            False,
        ),
        (
            None,
            "my brother tried to kill himself last year",
            "suicidal_ideation",
            None,
            "other_person",
            False,
        ),
        (
            None,
            "last year I took a whole bottle of pills to end it",
            "suicidal_ideation",
            "attempt",
            "historical",
            False,
        ),
        (
            None,
            "if things get worse I might end it",
            "suicidal_ideation",
            None,
            "hypothetical",
            True,
        ),
        (
            None,
            "everyone would be better off without me",
            "suicidal_ideation",
            "passive",
            "present",
            True,
        ),
    ],
)
def test_issue_risk_table(question, text, rtype, subtype, status, alert):
    found = risks(two_lines(text, question))
    assert len(found) == 1, found
    s = found[0]
    assert (s.type, s.status, s.alerts) == (rtype, status, alert)
    if subtype:
        assert s.subtype == subtype
    assert s.evidence[-1] == ("u2" if question else "u1")


@pytest.mark.parametrize(
    "text",
    [
        "this commute is killing me",
        "I could murder a pizza right now.",
        "My phone died.",
        "I cut the onions.",
        "I'm dying to see that film.",
        "My boss is going to kill me.",
    ],
)
def test_figurative_language_gives_no_risk(text):
    assert risks(two_lines(text)) == []


def test_short_answer_takes_its_meaning_from_the_question():
    t = two_lines(
        "No, never. I just feel on edge all the time.",
        "Any thoughts of hurting yourself or ending your life?",
    )
    found = {(s.type, s.status): s.evidence for s in risks(t)}
    assert found == {
        ("self_harm", "denied"): ("u1", "u2"),
        ("suicidal_ideation", "denied"): ("u1", "u2"),
    }
    assert risk_assessed(extract_signals(t))


def test_safety_question_answered_no_is_an_alert():
    found = risks(two_lines("No.", "Can you keep yourself safe tonight?"))
    assert [(s.type, s.status, s.alerts) for s in found] == [("suicidal_ideation", "present", True)]


def test_clinician_speech_is_not_client_risk():
    t = two_lines("Okay.", "Some people think about suicide when they feel this low.")
    assert all(s.status != "present" for s in risks(t))
    assert not [
        s
        for s in risks(
            Transcript(
                (
                    Utterance(
                        "u1",
                        "Dr",
                        "clinician",
                        None,
                        None,
                        "I want to die laughing at that.",
                        "given",
                    ),
                )
            )
        )
    ]


def test_plan_and_means_flags():
    (s,) = risks(
        two_lines("I've been looking up how many of my pills it would take, I have them saved.")
    )
    assert s.status == "present" and s.flags.get("plan")


def test_other_findings_and_interventions():
    text = """Dr. Lee: How have you been sleeping?
Sam: Badly, I'm so anxious about work that I only sleep four hours.
Dr. Lee: It sounds like work is weighing on you. Let's try a breathing exercise, \
and this week keep a thought record every night.
Sam: I had a panic attack on Monday.
Dr. Lee: Next session we'll look at your thought record together.
"""
    sigs = extract_signals(assign_roles(parse(text), clinician="Dr. Lee"))
    kinds = {(s.kind, s.type) for s in sigs}
    assert {
        ("emotion", "anxiety"),
        ("symptom", "sleep"),
        ("symptom", "work_school"),
        ("symptom", "panic"),
        ("intervention", "mi_reflection"),
        ("intervention", "grounding"),
        ("homework", "homework"),
        ("plan", "plan"),
    } <= kinds
    anxiety = next(s for s in sigs if s.type == "anxiety")
    assert anxiety.intensity == "high" and anxiety.evidence == ("u2",)
    assert not risk_assessed(sigs)


def test_negated_emotion_is_not_reported():
    assert not [
        s for s in extract_signals(two_lines("I'm not anxious at all.")) if s.kind == "emotion"
    ]


def test_complexity_cues_cite_utterances():
    text = """Dr. Lee: Thank you for interpreting today.
Interpreter: She says she is tired.
Dr. Lee: Please stop yelling, let's take one at a time.
"""
    cues = complexity_cues(assign_roles(parse(text), clinician="Dr. Lee"))
    assert cues["interpreter"] == ["u1", "u2"]
    assert cues["maladaptive_communication"] == ["u3"]


def test_signal_json_shape():
    (s,) = risks(two_lines("everyone would be better off without me"))
    doc = s.to_json()
    assert {"kind", "type", "subtype", "status", "evidence", "summary", "confidence"} <= set(doc)
    assert doc["alert"] is True


def test_lexicons_are_versioned_with_sources():
    for lex in (lexicon.risk_lexicon(), lexicon.context_rules(), lexicon.findings()):
        assert lex.version and lex.sources


def test_malformed_lexicon_names_the_file(tmp_path):
    bad = tmp_path / "risk.json"
    doc = json.loads((lexicon.DATA / "risk.json").read_text())
    doc["entries"][0]["patterns"] = ["(unclosed"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(lexicon.LexiconError, match=r"risk\.json"):
        lexicon.risk_lexicon.__wrapped__(bad)
    doc["entries"][0]["type"] = "sadness"
    bad.write_text(json.dumps(doc))
    with pytest.raises(lexicon.LexiconError, match="unknown risk type"):
        lexicon.risk_lexicon.__wrapped__(bad)


@pytest.mark.parametrize(
    ("question", "text", "rtype", "status"),
    [
        # euphemisms for suicidal ideation
        (None, "honestly i just want to unalive myself", "suicidal_ideation", "present"),
        (None, "I pray the Lord takes me soon.", "suicidal_ideation", "present"),
        # self-harm method families
        (None, "I bite my wrists until they bleed.", "self_harm", "present"),
        (None, "My nephew carves shapes into his legs.", "self_harm", "other_person"),
        # harm to others: violent imagery and weapons carried for someone
        (None, "I keep imagining smothering my landlord.", "harm_to_others", "present"),
        # psychosis: thought insertion and persecution
        (None, "My thoughts aren't mine, someone is putting them in.", "psychosis", "present"),
        # substance: mixing sedatives with alcohol
        (None, "I take my diazepam with gin most nights.", "substance_risk", "present"),
        # time markers in a following sentence
        (
            None,
            "I cut my legs all through sixth form. That stopped years ago.",
            "self_harm",
            "historical",
        ),
        # conditionals with a progressive future, "the minute …"
        (None, "If she leaves me I'm jumping off the bridge.", "suicidal_ideation", "hypothetical"),
        # utterance-level hedges
        (None, "I want to cut again, I honestly don't know.", "self_harm", "uncertain"),
        # reported speech: someone else's words
        (
            None,
            "My cousin said, I'm going to end it all this weekend.",
            "suicidal_ideation",
            "other_person",
        ),
        # questions about someone else give the answer its experiencer
        ("Is your stepson still cutting?", "Most weekends, yes.", "self_harm", "other_person"),
        # how-long-ago questions answered with a duration
        ("When did you last hurt yourself?", "Must be six years.", "self_harm", "historical"),
        # hedged short answers
        ("Do you still want to die?", "Part of me does.", "suicidal_ideation", "uncertain"),
    ],
)
def test_general_rule_families(question, text, rtype, status):
    found = {(s.type, s.status) for s in risks(two_lines(text, question))}
    assert (rtype, status) in found, found


@pytest.mark.parametrize(
    "text",
    [
        "I'd rather die than sing at the wedding.",
        "We should end things on a high note today.",
        "I need to hang the curtains this weekend.",
        "This deadline is killing me.",
    ],
)
def test_figurative_no_risk(text):
    assert risks(two_lines(text)) == []


@pytest.mark.parametrize(
    ("question", "text", "rtype", "status"),
    [
        # a hedged amount or an opening filler does not make an admitted act uncertain
        (
            None,
            "I don't know, I just burn my arm with a lighter most evenings.",
            "self_harm",
            "present",
        ),
        ("Any cutting since we last met?", "Three times, maybe four.", "self_harm", "present"),
        (
            "Do the thoughts of dying come up now?",
            "Yes. Kind of every day.",
            "suicidal_ideation",
            "present",
        ),
        # a habit ("sometimes when …") or a plan already made is no condition
        (
            None,
            "Sometimes when I'm on the platform I think about throwing myself under the train.",
            "suicidal_ideation",
            "present",
        ),
        (
            None,
            "My flatmate is away next week and I've made up my mind that's when I'll kill myself.",
            "suicidal_ideation",
            "present",
        ),
        # negation scope ends at the clause: the "haven't" belongs to another clause
        (
            None,
            "I haven't eaten in days, and lately I've started wishing I could not wake up.",
            "suicidal_ideation",
            "present",
        ),
        # short answers: high frequency, a named target, where the means are, an echoed verb
        ("Do you drink to cope with the evenings?", "Every night.", "substance_risk", "present"),
        (
            "Have you had thoughts of hurting someone?",
            "My brother-in-law. Constantly.",
            "harm_to_others",
            "present",
        ),
        (
            "Do you have access to anything you could use to kill yourself?",
            "In my bathroom cabinet.",
            "suicidal_ideation",
            "present",
        ),
        (
            "Do the voices tell you to harm anyone?",
            "They tell me to hurt my neighbour.",
            "psychosis",
            "present",
        ),
        ("Does anybody at home hurt you?", "Just my older brother.", "abuse_neglect", "present"),
        # a question set in the past gives the answer its time
        (
            "Were you hit when you were a child?",
            "Yes, my uncle beat me with a belt.",
            "abuse_neglect",
            "historical",
        ),
        # "me by the arm" is the client as victim; "they" next to voices are the voices
        (None, "She grabbed me by the hair again on Monday.", "abuse_neglect", "present"),
        (None, "I hear voices at night, they say I'm worthless.", "psychosis", "present"),
        # "can't remember if" is doubt, not a condition
        (
            "Have you driven drunk?",
            "I can't remember if I was over the limit.",
            "substance_risk",
            "uncertain",
        ),
    ],
)
def test_structural_status_rules(question, text, rtype, status):
    found = {(s.type, s.status) for s in risks(two_lines(text, question))}
    assert (rtype, status) in found, found


@pytest.mark.parametrize(
    ("question", "text", "absent"),
    [
        # people in general are not someone else's risk
        (None, "I keep mixing pills and vodka, and I know people die like that.", "other_person"),
        # the client hitting someone is harm to others, not abuse of someone else
        (None, "Part of me wants to punch him in the face.", "other_person"),
        # "I have to hand over my wages" is not the client harming anyone
        ("Does your partner take your money?", "Yes. I have to hand over my pay.", "other_person"),
        # an explicit condition still governs a decision
        (None, "If the appeal fails I'll end it, I've decided.", "present"),
    ],
)
def test_structural_status_rules_do_not_overfire(question, text, absent):
    found = {s.status for s in risks(two_lines(text, question))}
    assert absent not in found, found


@pytest.mark.parametrize(
    "text",
    [
        "Yeah, psychology, I haven't really thought about which school.",
        "I'll just try to hang around them less or something.",
        "Maybe you could help me set a date to quit smoking.",
        "I get up and check my phone, which makes me feel worse.",
        "Do you think that's enough to make me say goodbye to cigarettes?",
    ],
)
def test_everyday_talk_from_real_sessions_raises_no_risk(text):
    """Phrasings seen in real counselling talk that broad risk words must not catch."""
    t = assign_roles(
        parse(f"Therapist: How was the week?\nClient: {text}\n"), clinician="Therapist"
    )
    assert [s for s in extract_signals(t) if s.kind == "risk"] == []


@pytest.mark.parametrize(
    ("question", "text", "rtype", "status"),
    [
        # euphemistic verbs and wishes for death by illness or accident
        (None, "Some nights I think about topping myself.", "suicidal_ideation", "present"),
        (None, "I'd honestly welcome a stroke right now.", "suicidal_ideation", "present"),
        (None, "They'd all be fine with me out of the way.", "suicidal_ideation", "present"),
        # self-harm outcome words and methods
        (None, "I scrub my arms raw in the shower.", "self_harm", "present"),
        (None, "I pinch my thighs until they bruise.", "self_harm", "present"),
        # harm to others, abuse, substances, psychosis families
        (None, "I want to cave his skull in.", "harm_to_others", "present"),
        (None, "My nephew empties my savings account every month.", "abuse_neglect", "present"),
        (None, "I've been chasing the dragon again.", "substance_risk", "present"),
        (None, "The shadows on the wall keep forming faces.", "psychosis", "present"),
        # hedges and ambivalence
        (None, "I want to cut again, beats me why.", "self_harm", "uncertain"),
        ("Do you want to hurt yourself?", "Yes and no.", "self_harm", "uncertain"),
        ("Are you thinking about suicide?", "No clue, honestly.", "suicidal_ideation", "uncertain"),
        (None, "I bang my head on the wall, is that self-harm?", "self_harm", "uncertain"),
        # conditionals: supposing, in the event, what happens when
        (
            None,
            "Supposing he leaves me, I'd throw myself off the car park roof.",
            "suicidal_ideation",
            "hypothetical",
        ),
        (
            "What happens when your cousin comes round?",
            "I'm going to batter him.",
            "harm_to_others",
            "hypothetical",
        ),
    ],
)
def test_lexical_families(question, text, rtype, status):
    found = {(s.type, s.status) for s in risks(two_lines(text, question))}
    assert (rtype, status) in found, found


@pytest.mark.parametrize(
    "text",
    [
        "I sliced my finger on the bread knife.",
        "I need to build up to it slowly at the gym.",
        "I ran until my feet blistered.",
        "I'd jump at the chance to go.",
        "She bought a glass of wine for me.",
        "That film made me want out of the cinema.",
        "I'm scared I'll overdose on chocolate at Easter.",
        "My dad is dependent on the bus to get to work.",
    ],
)
def test_lexical_families_do_not_overfire(text):
    assert [(s.type, s.status) for s in risks(two_lines(text))] == []


# voice families (dev5): dialect, limited English, formal understatement, faith language,
# service jargon; the sentences below are written for these tests, not taken from any set
@pytest.mark.parametrize(
    ("question", "text", "rtype", "status"),
    [
        # dialect "meself" / possessive "me"
        (None, "Some nights I think about topping meself, mate.", "suicidal_ideation", "present"),
        (None, "Been putting fags out on me leg again.", "self_harm", "present"),
        (None, "Me cousin says he's gonna top himself.", "suicidal_ideation", "other_person"),
        # limited English: missing auxiliaries, present for future
        (None, "Every day I think how to finish my life.", "suicidal_ideation", "present"),
        (None, "I am so tired to live, I want sleep and not wake.", "suicidal_ideation", "present"),
        (
            None,
            "When my contract finish, I think I jump from the balcony.",
            "suicidal_ideation",
            "hypothetical",
        ),
        (
            "If she leave you, what you do?",
            "I drink again, all night.",
            "substance_risk",
            "hypothetical",
        ),
        # "before" meaning "in the past", "now no"
        (
            "You cut yourself before?",
            "Before, yes, in my school. Now no.",
            "self_harm",
            "historical",
        ),
        # faith phrasing
        (None, "Every night I beg the Lord to call me home.", "suicidal_ideation", "present"),
        (
            None,
            "I am ready to be with Jesus, I don't want this life anymore.",
            "suicidal_ideation",
            "present",
        ),
        (
            None,
            "I used to whip myself for my sins, but that's behind me since I got saved.",
            "self_harm",
            "historical",
        ),
        # formal understatement
        (
            None,
            "I should not much mind if my heart gave out in my sleep.",
            "suicidal_ideation",
            "present",
        ),
        (None, "I feel I have outstayed my welcome in this world.", "suicidal_ideation", "present"),
        (None, "Were my wife to pass, I could not go on.", "suicidal_ideation", "hypothetical"),
        # service jargon and short answers
        (
            "Any thoughts of killing yourself?",
            "Affirmative. Most nights.",
            "suicidal_ideation",
            "present",
        ),
        ("Any thoughts of killing yourself?", "Negative.", "suicidal_ideation", "denied"),
        ("Any self-harm this month?", "Certainly not.", "self_harm", "denied"),
        ("Do you hear voices?", "Depends what you mean.", "psychosis", "uncertain"),
        # echo-question denial
        (None, "Top myself? Nah, not a chance.", "suicidal_ideation", "denied"),
        # condition in the sentence before
        (
            None,
            "If they repossess the house, that's it. I'll end it.",
            "suicidal_ideation",
            "hypothetical",
        ),
        # reported speech with non-standard grammar
        (None, "My husband say he will kill himself if I go.", "suicidal_ideation", "other_person"),
        (
            None,
            "A lad from my old regiment shot himself at Christmas.",
            "suicidal_ideation",
            "other_person",
        ),
        # slang and street names
        (
            None,
            "Every weekend I'm getting properly wasted at the park.",
            "substance_risk",
            "present",
        ),
        (None, "I've been taking my nan's diazepam to sleep.", "substance_risk", "present"),
        (None, "They've got drones over the house watching me.", "psychosis", "present"),
    ],
)
def test_voice_families(question, text, rtype, status):
    found = {(s.type, s.status) for s in risks(two_lines(text, question))}
    assert (rtype, status) in found, found


@pytest.mark.parametrize(
    "text",
    [
        "I nearly killed myself laughing at the wedding.",
        "She's slaying it at her new job.",
        "Every day is a dying to self, as our pastor says.",
        "I'm scared of falling, I don't want to fall on the ice.",
        "My granddad is on morphine for his pain and the nurses manage it.",
        "Dad's never once raised a hand to me.",
        "I heard someone call my name at the market, it was my cousin.",
        "We had a seminar on suicide prevention at work.",
        "Tough job, but it was character building and I've got the scars to show for it.",
        "I'd love to go home to my mum's for Christmas.",
        "My body just gave out halfway up the hill.",
        "That's me sorted for lunch, cheers.",
        "The voice on the phone told me to hold.",
        "The van got smashed in the car park.",
        "We'll deck the halls next week.",
        "He struck the ball with his left foot.",
        "She had another go with the hoover.",
        "I take diazepam for my anxiety, as prescribed.",
        "Do you drink coffee? Every day, two cups.",
        "I wrote my gran a letter for her birthday.",
        "I don't want to fall on the ice again.",
        "I want to go to him, he's my dad.",
    ],
)
def test_voice_families_do_not_overfire(text):
    # a denial ("never raised a hand to me") may be reported; nothing else may
    assert [(s.type, s.status) for s in risks(two_lines(text)) if s.status != "denied"] == []


@pytest.mark.parametrize(
    "text",
    [
        "He took me home after the party.",
        "I hit my head on the cupboard door this morning.",
        "I've started cutting my hair short.",
        "I need to whip myself into shape before the wedding.",
        "My parents are tracking my phone, it's so annoying.",
        "I'm going to jump that fence to get the ball back.",
    ],
)
def test_ordinary_accidents_and_chores_raise_no_risk(text):
    t = assign_roles(
        parse(f"Therapist: How was the week?\nClient: {text}\n"), clinician="Therapist"
    )
    assert [s for s in extract_signals(t) if s.kind == "risk"] == []


def test_a_prayer_to_be_taken_is_a_passive_wish():
    t = assign_roles(
        parse(
            "Therapist: How was the week?\nClient: Some nights I pray, God please take me home.\n"
        ),
        clinician="Therapist",
    )
    risks = [s for s in extract_signals(t) if s.kind == "risk"]
    assert [(s.type, s.subtype, s.status) for s in risks] == [
        ("suicidal_ideation", "passive", "present")
    ]


@pytest.mark.parametrize(
    "question, text, rtype, status",
    [
        # hedged denials: "not exactly", a question back, doubt elsewhere in the utterance
        (
            None,
            "I don't exactly cut myself, I just scratch until it bleeds.",
            "self_harm",
            "uncertain",
        ),
        (
            None,
            "She doesn't hit me, she just locks me out. Is that abuse?",
            "abuse_neglect",
            "uncertain",
        ),
        # epistemic modals and not knowing one's own capacity or intent
        (
            None,
            "The scratches may be from me hurting myself, I really can't say.",
            "self_harm",
            "uncertain",
        ),
        (
            None,
            "I honestly don't know what I'm capable of with my stepdad.",
            "harm_to_others",
            "uncertain",
        ),
        (
            None,
            "I'm not sure I could stop myself if my brother starts again.",
            "harm_to_others",
            "uncertain",
        ),
        (
            None,
            "Part of me stares down from the bridge and I can't tell why.",
            "suicidal_ideation",
            "uncertain",
        ),
        (None, "Maybe someone is following me, or maybe not.", "psychosis", "uncertain"),
        (
            None,
            "Perhaps I have a problem with the painkillers, who knows.",
            "substance_risk",
            "uncertain",
        ),
        # must stay present / denied
        (None, "I don't know, I just cut my legs every night now.", "self_harm", "present"),
        (None, "I would never hurt myself, that's just not me.", "self_harm", "denied"),
        ("Do you hear voices?", "No, I can't say that I do.", "psychosis", "denied"),
    ],
)
def test_hedge_families(question, text, rtype, status):
    found = {(s.type, s.status) for s in risks(two_lines(text, question))}
    assert (rtype, status) in found, found


@pytest.mark.parametrize(
    "text",
    [
        "Everyone would be better off if the staff meeting were shorter.",
        "I looked down from the bridge at the regatta, it was lovely.",
        "I saw a man in the corner shop this morning.",
    ],
)
def test_hedge_families_leave_plain_sentences_alone(text):
    assert risks(two_lines(text)) == []


def test_practising_a_coping_exercise_is_not_rehearsing_suicide():
    """The clinician asks about homework ("the breathing exercise we practised"); a yes to it
    is no risk. Rehearsal questions need their object ("practised how you would do it")."""
    t = assign_roles(
        parse(
            "Therapist: That sounds stressful, did you try the breathing exercise we practiced?\n"
            "Client: Yes, I tried it twice and it helped me calm down a little.\n"
        ),
        clinician="Therapist",
    )
    assert [s for s in extract_signals(t) if s.kind == "risk"] == []
    t = assign_roles(
        parse(
            "Therapist: Have you ever practised how you would do it?\n"
            "Client: Yes, twice last week.\n"
        ),
        clinician="Therapist",
    )
    risks = [(s.type, s.status) for s in extract_signals(t) if s.kind == "risk"]
    assert ("suicidal_ideation", "present") in risks
