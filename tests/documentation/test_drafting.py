import json

import pytest

from hearth.documentation.drafting.engine import DraftOptions, draft_note, render_text
from hearth.documentation.drafting.language import (
    Pronouns,
    first_to_third,
    reported,
    second_to_third,
)
from hearth.documentation.drafting.templates import builtin_templates, get_template
from hearth.documentation.importers import parse
from hearth.documentation.roles import assign_roles
from hearth.errors import Invalid

SESSION = """Dr. Lee: Good morning, Sam. How was your week?
Sam: Hard. I only slept about four hours most nights because of the deadline.
Dr. Lee: That sounds exhausting. Any thoughts of hurting yourself or ending your life?
Sam: No, never. I just feel on edge all the time.
Dr. Lee: Let's practise the breathing exercise, and this week try a wind-down routine at 10 pm.
Sam: Okay, I can try that.
"""
NO_RISK = """Dr. Lee: How was your week?
Sam: I felt really anxious before my exam on Tuesday.
Dr. Lee: It sounds like the exam weighed on you.
Sam: It did, but I went for a walk and it helped a little.
"""
SECTIONS = {
    "soap": ["subjective", "objective", "assessment", "plan", "risk"],
    "dap": ["data", "assessment", "plan", "risk"],
    "birp": ["behavior", "intervention", "response", "plan", "risk"],
    "girp": ["goals", "intervention", "response", "plan", "risk"],
    "intake": [
        "presenting_problem",
        "history",
        "mental_status",
        "functioning",
        "clinical_impressions",
        "plan",
        "risk",
    ],
    "discharge": [
        "summary_of_treatment",
        "progress",
        "status_at_discharge",
        "recommendations",
        "risk",
    ],
}


def transcript(text=SESSION):
    return assign_roles(parse(text), clinician="Dr. Lee")


def all_statements(d):
    return [st for s in d.sections for st in s.statements]


@pytest.mark.parametrize("key", sorted(SECTIONS))
def test_every_template_has_its_sections_and_cited_statements(key):
    d = draft_note(
        transcript(), get_template(key), DraftOptions(client_name="Sam", pronouns="she/her")
    )
    doc = d.to_json()
    assert [s["key"] for s in doc["sections"]] == SECTIONS[key]
    ids = {u.id for u in transcript().utterances}
    for st in all_statements(d):
        assert st.evidence or st.kind == "absence"
        assert set(st.evidence) <= ids
    assert doc["risk"]["assessed"] is True
    assert doc["text"].startswith(d.template.title)


def test_statements_use_preferred_name_pronouns_and_stay_grounded():
    d = draft_note(
        transcript(),
        get_template("soap"),
        DraftOptions(client_name="Sam", pronouns="she/her", quotes="none"),
    )
    texts = [st.text for st in all_statements(d)]
    assert (
        "Sam reported that she only slept about four hours most nights because of the deadline."
        in texts
    )
    assert all(st.verification == "supported" for st in all_statements(d)), [
        (st.text, st.reasons) for st in all_statements(d) if st.verification != "supported"
    ]


def test_risk_not_discussed_is_said_and_never_denied():
    d = draft_note(transcript(NO_RISK), get_template("soap"), DraftOptions(client_name="Sam"))
    risk = next(s for s in d.sections if s.key == "risk")
    assert [st.text for st in risk.statements] == ["Risk was not assessed in this session."]
    assert risk.statements[0].kind == "absence" and risk.statements[0].evidence == []
    assert risk.statements[0].verification == "supported"
    text = render_text(d).lower()
    assert "denies" not in text and "denied" not in text
    assert d.to_json()["risk"] == {"assessed": False, "signals": []}


def test_no_default_mental_status_findings():
    d = draft_note(transcript(NO_RISK), get_template("intake"), DraftOptions(client_name="Sam"))
    mse = next(s for s in d.sections if s.key == "mental_status")
    assert [st.kind for st in mse.statements] == ["absence"]
    assert "euthymic" not in render_text(d).lower()


def test_risk_answer_statement_cites_question_and_answer():
    d = draft_note(
        transcript(), get_template("dap"), DraftOptions(client_name="Sam", pronouns="she/her")
    )
    risk = next(s for s in d.sections if s.key == "risk")
    (st,) = risk.statements
    assert st.evidence == ["u3", "u4"]
    assert "denied" in st.text and "hurting herself or ending her life" in st.text


@pytest.mark.parametrize(("density", "quotes"), [("brief", "none"), ("detailed", "many")])
def test_density_and_quotes(density, quotes):
    long_session = (
        SESSION + "Sam: I keep thinking about work and I cancelled plans with friends.\n"
        "Sam: I haven't been eating much, mostly skipping lunch.\n"
    )
    d = draft_note(
        transcript(long_session),
        get_template("soap"),
        DraftOptions(density=density, quotes=quotes, client_name="Sam"),
    )
    subjective = next(s for s in d.sections if s.key == "subjective").statements
    has_quote = any("\u201c" in st.text and "stated" in st.text for st in subjective)
    assert has_quote is (quotes != "none")
    brief = draft_note(
        transcript(long_session), get_template("soap"), DraftOptions(density="brief")
    )
    detailed = draft_note(
        transcript(long_session), get_template("soap"), DraftOptions(density="detailed")
    )
    assert len(all_statements(brief)) < len(all_statements(detailed))


def test_couples_statements_attribute_each_speaker():
    text = """Dr. Lee: What brings you both in today?
Riley: I feel lonely in this marriage and we argue about money every week.
Morgan: I'm exhausted from working double shifts and I feel guilty all the time.
Dr. Lee: It sounds like you both feel unheard.
"""
    t = assign_roles(parse(text), clinician="Dr. Lee")
    d = draft_note(t, get_template("soap"), DraftOptions(session_kind="couples", quotes="none"))
    texts = " ".join(st.text for st in all_statements(d))
    assert "Riley reported that" in texts and "Morgan reported that" in texts


def test_group_needs_member_and_member_note_holds_only_theirs():
    text = """Dr. Lee: Welcome everyone. How was the week?
Ana: I felt anxious every morning before work.
Ben: I slept badly and I argued with my brother.
Cy: I went to the gym twice and felt proud.
Dr. Lee: Ben, what happened with your brother?
Ben: We fought about our dad again.
"""
    t = assign_roles(parse(text), clinician="Dr. Lee")
    with pytest.raises(Invalid, match="--member"):
        draft_note(t, get_template("soap"))
    d = draft_note(t, get_template("soap"), DraftOptions(member="Ben", quotes="none"))
    cited = {e for st in all_statements(d) for e in st.evidence}
    by_id = t.by_id()
    assert all(by_id[e].speaker in ("Ben", "Dr. Lee") for e in cited)
    assert "anxious" not in render_text(d) and "gym" not in render_text(d)
    assert d.to_json()["member"] == "Ben"


def test_bad_options_and_templates():
    with pytest.raises(Invalid):
        DraftOptions(density="huge")
    with pytest.raises(Invalid, match="unknown template"):
        get_template("novel")
    assert set(builtin_templates()) == set(SECTIONS)


def test_practice_template_file(tmp_path):
    f = tmp_path / "short.json"
    f.write_text(
        '{"key": "short", "title": "Short note", "version": "1", "sections": ['
        '{"key": "summary", "title": "Summary", "feeds": ["client_report"]},'
        '{"key": "risk", "title": "Risk assessment", "feeds": ["risk"]}]}'
    )
    d = draft_note(transcript(), get_template(str(f)))
    assert [s.key for s in d.sections] == ["summary", "risk"]
    f.write_text(
        '{"key": "x", "title": "X", "version": "1", "sections": ['
        '{"key": "a", "title": "A", "feeds": ["astrology"]}]}'
    )
    with pytest.raises(Invalid, match="astrology"):
        get_template(str(f))


@pytest.mark.parametrize(
    ("pronouns", "expected"),
    [
        ("she/her", "Sam reported that she keeps her phone by her bed."),
        ("he/him", "Sam reported that he keeps his phone by his bed."),
        ("they/them", "Sam reported that they keep their phone by their bed."),
    ],
)
def test_reported_speech(pronouns, expected):
    assert reported("I keep my phone by my bed.", "Sam", Pronouns.parse(pronouns)) == expected


def test_first_to_third_verbs():
    she = Pronouns.parse("she/her")
    assert (
        first_to_third("I'm tired and I've tried everything", she)
        == "she is tired and she has tried everything"
    )
    assert (
        first_to_third("I go and I worry and I try", she)
        == "she goes and she worries and she tries"
    )


@pytest.mark.parametrize(
    ("pronouns", "expected"),
    [
        ("she/her", "Has she had any thoughts of harming herself"),
        ("he/him", "Has he had any thoughts of harming himself"),
        ("they/them", "Have they had any thoughts of harming themselves"),
    ],
)
def test_inverted_questions_agree_with_the_clients_pronoun(pronouns, expected):
    p = Pronouns.parse(pronouns)
    assert second_to_third("Have you had any thoughts of harming yourself", p) == expected
    she = Pronouns.parse("she/her")
    assert second_to_third("What do you notice in your body", she) == (
        "What does she notice in her body"
    )
    assert second_to_third("Did you take it", she) == "Did she take it"
    assert second_to_third("Are you sleeping", she) == "Is she sleeping"


def test_reported_speech_does_not_repeat_that():
    she = Pronouns.parse("she/her")
    assert reported("That my manager will think I cannot cope.", "Ada", she) == (
        "Ada reported that her manager will think she cannot cope."
    )


def test_a_timed_session_length_statement_is_supported_by_its_timestamps():
    vtt = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\n<v Dr. Lee>How was your week?\n\n"
        "2\n00:49:00.000 --> 00:50:01.000\n<v Sam>Better, thanks. See you next week.\n"
    )
    t = assign_roles(parse(vtt, filename="s.vtt"), clinician="Dr. Lee")
    d = draft_note(t, get_template("soap"), DraftOptions(client_name="Sam"))
    objective = next(s for s in d.sections if s.key == "objective")
    timing = [st for st in objective.statements if "lasted about 50 minutes" in st.text]
    assert timing and timing[0].verification == "supported", timing


def practice_template(folder, key: str, title: str, *, file: str | None = None) -> None:
    """A practice's own template: the built-in DAP with another key and title."""
    import json

    from hearth.documentation.drafting.templates import BUILTIN

    doc = json.loads((BUILTIN / "dap.json").read_text())
    doc.update(key=key, title=title)
    (folder / (file or f"{key}.json")).write_text(json.dumps(doc))


def test_practice_templates_are_offered_beside_the_built_in_ones(tmp_path):
    from hearth.documentation.drafting.templates import (
        available_templates,
        practice_templates,
        template_by_key,
    )

    practice_template(tmp_path, "dap_brief", "Brief DAP (Fakeview Practice)")
    practice_template(tmp_path, "soap", "SOAP, Fakeview house style")  # replaces the built-in
    practice_template(tmp_path, "girp_two", "GIRP two", file="misnamed.json")
    (tmp_path / "broken.json").write_text("{not json")
    doc = json.loads((tmp_path / "dap_brief.json").read_text())
    doc.update(key="no_risk", sections=[s for s in doc["sections"] if s["key"] != "risk"])
    (tmp_path / "no_risk.json").write_text(json.dumps(doc))

    own, problems = practice_templates(tmp_path)
    assert sorted(own) == ["dap_brief", "soap"]
    assert any(p.startswith("template broken.json:") for p in problems)
    assert any(
        "misnamed.json: its key is 'girp_two'; name the file girp_two.json" in p for p in problems
    )
    assert any("no_risk.json" in p and "risk" in p for p in problems)
    templates = available_templates(tmp_path)
    assert templates["soap"].title == "SOAP, Fakeview house style"
    assert templates["birp"].title == builtin_templates()["birp"].title
    assert template_by_key("dap_brief", tmp_path).title == "Brief DAP (Fakeview Practice)"
    with pytest.raises(Invalid, match="unknown template 'misnamed'"):
        template_by_key("misnamed", tmp_path)
    with pytest.raises(Invalid, match="unknown template"):  # a path is never a key
        template_by_key(str(tmp_path / "dap_brief.json"), tmp_path)
    assert practice_templates(tmp_path / "absent")[1] == [
        f"HEARTH_TEMPLATES_DIR {tmp_path / 'absent'} is not a folder"
    ]
    assert practice_templates(None) == ({}, [])
