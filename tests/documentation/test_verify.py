import pytest

from hearth.documentation.importers import parse
from hearth.documentation.roles import assign_roles
from hearth.documentation.verify import VerifyContext, statements_from_text, verify_note

SESSION = """Dr. Lee: How was your week, Sam?
Sam: I only slept about four hours most nights because of the deadline.
Dr. Lee: Any thoughts of hurting yourself or ending your life?
Sam: No, never. My sister Maria helped me on Tuesday.
"""
AFFIRMS = """Dr. Lee: How are you?
Sam: Honestly, everyone would be better off without me.
"""


def ctx(text=SESSION):
    t = assign_roles(parse(text), clinician="Dr. Lee")
    return VerifyContext.build(t, profile={"preferred_name": "Sam", "pronouns": "she/her"})


def verdict(note, text=SESSION):
    (st,) = verify_note(note, ctx(text))["statements"]
    return st


def test_supported_statement_finds_its_lines():
    st = verdict("Sam reported sleeping about four hours most nights.")
    assert st["verification"] == "supported" and st["evidence"] == ["u2"]


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("Sam reported sleeping about three hours most nights [u2].", "number 'three'"),
        ("Sam takes lorazepam 2 mg at night.", "medication 'lorazepam' not in the transcript"),
        ("Sam's sister Julia helped her on Tuesday [u4].", "name 'Julia'"),
        ("Sam's sister Maria helped her on Friday [u4].", "date or day 'friday'"),
        ("Sam slept four hours most nights [u42].", "cited u42 does not exist"),
        ("Mood euthymic, affect appropriate [u2].", "mental-status finding"),
        ("Sam reported enjoying her new puppy.", "no transcript line supports this"),
    ],
)
def test_unsupported_facts_are_named(note, reason):
    st = verdict(note)
    assert st["verification"] == "unsupported"
    assert any(reason in r for r in st["reasons"]), st["reasons"]


def test_denial_over_affirming_transcript_is_contradicted():
    st = verdict("Sam denies suicidal ideation.", AFFIRMS)
    assert st["verification"] == "contradicted"
    assert "affirms suicidal ideation at u2" in st["reasons"][0]


def test_denial_never_asked_is_unsupported():
    st = verdict("Client denies SI/HI.", "Dr. Lee: How was work?\nSam: Busy but fine.\n")
    assert st["verification"] == "unsupported"


def test_denial_that_was_said_is_supported():
    st = verdict("Sam denied thoughts of suicide.")
    assert st["verification"] == "supported" and st["evidence"] == ["u3", "u4"]


def test_absence_statements():
    assert verdict("Risk was not assessed in this session.")["verification"] == "contradicted"
    assert (
        verdict(
            "Risk was not assessed in this session.",
            "Dr. Lee: How was work?\nSam: Busy but fine.\n",
        )["verification"]
        == "supported"
    )


def test_draft_json_document_is_accepted():
    doc = {
        "template": "soap",
        "sections": [
            {
                "key": "subjective",
                "statements": [
                    {
                        "id": "s1",
                        "text": "Sam reported sleeping about four hours most nights.",
                        "evidence": ["u2"],
                        "verification": "supported",
                    },
                    {
                        "id": "s2",
                        "text": "Risk was not assessed in this session.",
                        "evidence": [],
                        "verification": "supported",
                        "kind": "absence",
                    },
                ],
            }
        ],
    }
    result = verify_note(doc, ctx())
    assert result["summary"] == {"supported": 1, "unsupported": 0, "contradicted": 1}


def test_statement_splitting_and_citations():
    assert statements_from_text("Subjective:\n- Slept badly [u2, u3]. Felt tired.\n") == [
        ("Slept badly.", ["u2", "u3"]),
        ("Felt tired.", []),
    ]
