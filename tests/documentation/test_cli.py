import json

from typer.testing import CliRunner

from hearth.cli import app

SAMPLE = """Dr. Lee: Good morning, Sam. How was your week?
Sam: Hard. I only slept about four hours most nights because of the deadline.
Dr. Lee: That sounds exhausting. Any thoughts of hurting yourself or ending your life?
Sam: No, never. I just feel on edge all the time.
"""
runner = CliRunner()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_signals_json(tmp_path):
    f = write(tmp_path, "s.txt", SAMPLE)
    r = runner.invoke(app, ["signals", f, "--clinician", "Dr. Lee", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [u["id"] for u in doc["utterances"]] == ["u1", "u2", "u3", "u4"]
    assert doc["utterances"][0]["role"] == "clinician"
    risk = [s for s in doc["signals"] if s["kind"] == "risk"]
    assert {(s["type"], s["status"]) for s in risk} == {
        ("self_harm", "denied"),
        ("suicidal_ideation", "denied"),
    }


def test_draft_formats(tmp_path):
    f = write(tmp_path, "s.txt", SAMPLE)
    r = runner.invoke(
        app,
        [
            "draft",
            f,
            "--template",
            "birp",
            "--clinician",
            "Dr. Lee",
            "--client-name",
            "Sam",
            "--pronouns",
            "she/her",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["template"] == "birp" and doc["risk"]["assessed"] is True
    for fmt, needle in (
        ("md", "## Risk assessment"),
        ("html", "<section"),
        ("text", "Risk assessment"),
    ):
        r = runner.invoke(app, ["draft", f, "--clinician", "Dr. Lee", "--format", fmt])
        assert r.exit_code == 0 and needle in r.stdout


def test_verify_text_note(tmp_path):
    f = write(tmp_path, "s.txt", SAMPLE)
    note = write(
        tmp_path,
        "n.txt",
        "Client reported sleeping about four hours a night. Client takes lorazepam 2 mg nightly.\n",
    )
    r = runner.invoke(
        app, ["verify", note, "--transcript", f, "--clinician", "Dr. Lee", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["summary"] == {"supported": 1, "unsupported": 1, "contradicted": 0}
    assert "medication 'lorazepam' not in the transcript" in doc["statements"][1]["reasons"]


def test_malformed_transcript_error_names_file_and_line(tmp_path):
    f = write(tmp_path, "bad.vtt", "WEBVTT\n\n1\n00:00:01.000 --> nonsense\nA: hi\n")
    r = runner.invoke(app, ["signals", f])
    assert r.exit_code == 2
    assert "bad.vtt, line 4" in r.stderr and r.stdout == ""


def test_group_without_member_is_refused(tmp_path):
    f = write(tmp_path, "g.txt", "Dr. Lee: Hi all?\nAna: Fine.\nBen: Tired.\nCy: Okay.\n")
    r = runner.invoke(app, ["draft", f, "--clinician", "Dr. Lee"])
    assert r.exit_code == 2 and "--member" in r.stderr
