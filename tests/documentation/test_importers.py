import json

import pytest

from hearth.documentation.importers import TranscriptError, detect_format, parse
from hearth.documentation.roles import assign_roles

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.200
Dr. Testwell: Good morning, Sam. How was your week?

2
00:00:04.500 --> 00:00:09.000
Sam Sample: Hard. I only slept about four hours
most nights.

3
00:00:09.100 --> 00:00:10.000
Sam Sample: Really hard.
"""

TEAMS_VTT = """WEBVTT

NOTE produced by a meeting tool

a1b2/12-0
00:00:01.000 --> 00:00:03.000
<v Testwell, Dana>Any thoughts of hurting yourself?</v>

a1b2/13-0
00:01:03.500 --> 00:01:05.000
<v.loud Sample, Sam>No, <i>never</i>.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:02,500
Dana: How are you sleeping?

2
00:00:03,000 --> 00:00:05,000
Sam: Badly.
"""

PLAIN = """Dr. Lee: Good morning. How was your week?
Sam: Hard.
I kept waking up at 3 am.
Sam: And then I could not get back to sleep.
Dr. Lee: That sounds exhausting.
"""

TAGS = "[doctor] hi , how are you ?\n[patient] not great .\n[doctor] tell me more ."


def test_zoom_vtt_cues_are_utterances_and_never_merged():
    t = parse(ZOOM_VTT, filename="s.vtt")
    assert [u.id for u in t.utterances] == ["u1", "u2", "u3"]
    assert t.utterances[1].speaker == "Sam Sample"
    assert t.utterances[1].text == "Hard. I only slept about four hours most nights."
    assert (t.utterances[1].start, t.utterances[1].end) == (4.5, 9.0)
    assert t.utterances[2].speaker == "Sam Sample"  # same speaker, separate cue


def test_teams_voice_tags_notes_and_markup():
    t = parse(TEAMS_VTT)
    assert [u.speaker for u in t.utterances] == ["Testwell, Dana", "Sample, Sam"]
    assert t.utterances[1].text == "No, never."
    assert t.utterances[1].start == 63.5


def test_srt():
    t = parse(SRT, filename="x.srt")
    assert [(u.id, u.speaker, u.text) for u in t.utterances] == [
        ("u1", "Dana", "How are you sleeping?"),
        ("u2", "Sam", "Badly."),
    ]


def test_plain_lines_continue_and_stay_untimed():
    t = parse(PLAIN)
    assert [u.speaker for u in t.utterances] == ["Dr. Lee", "Sam", "Sam", "Dr. Lee"]
    assert t.utterances[1].text == "Hard. I kept waking up at 3 am."
    assert t.utterances[0].start is None and t.utterances[0].end is None


def test_colon_inside_a_sentence_is_not_a_speaker():
    t = parse("Sam: I told him: no way.\nthe rest of it: fine\nDr. Lee: Okay?\n")
    assert len(t.utterances) == 2
    assert t.utterances[0].text == "I told him: no way. the rest of it: fine"


def test_doctor_patient_tags_map_roles():
    t = assign_roles(parse(TAGS))
    assert [u.role for u in t.utterances] == ["clinician", "client", "clinician"]
    assert t.utterances[0].role_source == "tag"


def test_hearth_json_round_trip():
    t = parse(PLAIN)
    doc = json.dumps(assign_roles(t, clinician="Dr. Lee").to_json())
    again = parse(doc)
    assert [(u.id, u.role, u.text) for u in again.utterances] == [
        (u.id, u.role, u.text) for u in assign_roles(t, clinician="Dr. Lee").utterances
    ]


@pytest.mark.parametrize(
    ("text", "fname", "needle"),
    [
        ("WEBVTT\n\n1\n00:00:01.000 --> 00:0x:02.000\nA: hi\n", "a.vtt", "line 4"),
        ("WEBVTT\n\n1\n00:00:05.000 --> 00:00:02.000\nA: hi\n", "a.vtt", "ends"),
        ("WEBVTT\n\njust text without timing\n", "a.vtt", "line 3"),
        ("hello\n", "a.vtt", "WEBVTT"),
        ("1\n00:00:01,000 -> 00:00:02,000\nA: hi\n", "a.srt", "line 1"),
        ("no speaker here\nA: hi\n", "a.txt", "line 1"),
        ('{"utterances": [{"speaker": "A"}]}', "a.json", "utterances[0].text"),
        ('{"utterances": [{"speaker": "A", "text": "x", "start": "soon"}]}', "a.json", "start"),
        ('{"utterances": [', "a.json", "line 1"),
        ("", "a.txt", "no utterances"),
    ],
)
def test_malformed_files_name_the_line(text, fname, needle):
    with pytest.raises(TranscriptError) as e:
        parse(text, filename=fname)
    assert needle in str(e.value)
    assert fname in str(e.value) or "utterances" in str(e.value)


def test_detect_format():
    assert detect_format(ZOOM_VTT) == "vtt"
    assert detect_format(SRT) == "srt"
    assert detect_format(PLAIN) == "text"
    assert detect_format("{}") == "json"


def test_roles_inferred_from_questions():
    t = assign_roles(
        parse(
            "Alex: I feel stuck.\nJo: What feels stuck?\nAlex: Work.\n"
            "Jo: How long has that been going on?\n"
        )
    )
    roles = {u.speaker: (u.role, u.role_source) for u in t.utterances}
    assert roles == {"Jo": ("clinician", "inferred"), "Alex": ("client", "inferred")}


def test_roles_by_name_and_couples_lettering():
    t = parse(
        "Dana Testwell: What brings you both in?\nRiley: We argue.\nMorgan: Constantly.\n"
        "Riley: About money.\n"
    )
    t = assign_roles(t, clinician_names=["Dana Testwell"])
    assert [u.role for u in t.utterances] == ["clinician", "client_a", "client_b", "client_a"]


def test_clinician_option_must_name_a_speaker():
    with pytest.raises(Exception, match="not a speaker"):
        assign_roles(parse(PLAIN), clinician="Dr. Nobody")
    t = assign_roles(parse(PLAIN), clinician="dr lee")
    assert t.utterances[0].role == "clinician" and t.utterances[0].role_source == "mapping"
    assert t.utterances[1].role == "client"
