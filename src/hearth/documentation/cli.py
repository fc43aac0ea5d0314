"""Scripting commands that need no database: `hearth signals`, `draft` and `verify` (CLI.md)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from hearth.errors import HearthError


class Fmt(StrEnum):
    json = "json"
    text = "text"


class DraftFmt(StrEnum):
    json = "json"
    md = "md"
    html = "html"
    text = "text"


FileArg = Annotated[
    Path, typer.Argument(help="Transcript: WebVTT, SRT, 'Name: text' lines, tags or Hearth JSON.")
]
ClinicianOpt = Annotated[
    str | None, typer.Option("--clinician", help="The clinician's speaker label in the transcript.")
]
KindOpt = Annotated[
    str | None,
    typer.Option(
        "--kind", help="Session kind (individual, couples, family_with_client, group, …)."
    ),
]


def _fail(message: str) -> None:
    typer.echo(f"hearth: {message}", err=True)
    raise typer.Exit(2)


def _transcript(path: Path, clinician: str | None) -> Any:
    from hearth.documentation.importers import load
    from hearth.documentation.roles import assign_roles

    return assign_roles(load(path), clinician=clinician)


def _emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def signals(
    file: FileArg,
    clinician: ClinicianOpt = None,
    format: Annotated[Fmt, typer.Option("--format", help="json or text.")] = Fmt.json,
) -> None:
    """Clinical signals of a transcript: risk, emotions, symptoms, behaviours, interventions."""
    from hearth.documentation.signals.engine import complexity_cues, extract_signals, risk_assessed
    from hearth.documentation.signals.lexicon import versions

    try:
        t = _transcript(file, clinician)
        sigs = extract_signals(t)
    except HearthError as e:
        _fail(e.message)
        return
    if format is Fmt.text:
        for s in sigs:
            status = f" [{s.status}]" if s.status else ""
            typer.echo(
                f"{s.kind:<13} {s.type:<24}{status:<15} {', '.join(s.evidence):<12} {s.summary}"
            )
        return
    _emit(
        {
            "utterances": [u.to_json() for u in t.utterances],
            "signals": [s.to_json() for s in sigs],
            "risk_assessed": risk_assessed(sigs),
            "complexity": complexity_cues(t),
            "lexicons": versions(),
        }
    )


def draft(
    file: FileArg,
    template: Annotated[
        str,
        typer.Option(
            "--template", help="soap, dap, birp, girp, intake, discharge, or a .json template."
        ),
    ] = "soap",
    clinician: ClinicianOpt = None,
    density: Annotated[
        str, typer.Option("--density", help="brief, standard or detailed.")
    ] = "standard",
    quotes: Annotated[str, typer.Option("--quotes", help="none, some or many.")] = "some",
    client_name: Annotated[
        str | None, typer.Option("--client-name", help="The client's preferred name.")
    ] = None,
    pronouns: Annotated[
        str | None, typer.Option("--pronouns", help="she/her, he/him, they/them, …")
    ] = None,
    member: Annotated[
        str | None, typer.Option("--member", help="Group sessions: the member whose note to draft.")
    ] = None,
    kind: KindOpt = None,
    format: Annotated[
        DraftFmt, typer.Option("--format", help="json, md, html or text.")
    ] = DraftFmt.json,
) -> None:
    """Draft an evidence-linked progress note from a transcript (every statement verified)."""
    from hearth.documentation.drafting.engine import (
        DraftOptions,
        draft_note,
        render_html,
        render_markdown,
        render_text,
    )
    from hearth.documentation.drafting.templates import get_template

    try:
        t = _transcript(file, clinician)
        opts = DraftOptions(
            density=density,
            quotes=quotes,
            client_name=client_name,
            pronouns=pronouns,
            member=member,
            session_kind=kind,
        )
        d = draft_note(t, get_template(template), opts)
    except HearthError as e:
        _fail(e.message)
        return
    if format is DraftFmt.json:
        _emit(d.to_json())
    elif format is DraftFmt.md:
        sys.stdout.write(render_markdown(d))
    elif format is DraftFmt.html:
        sys.stdout.write(render_html(d) + "\n")
    else:
        sys.stdout.write(render_text(d))


def verify(
    note: Annotated[
        Path,
        typer.Argument(help="A plain-text note ([u12] citations optional) or `hearth draft` JSON."),
    ],
    transcript: Annotated[Path, typer.Option("--transcript", help="The session transcript.")],
    clinician: ClinicianOpt = None,
    client_name: Annotated[
        str | None, typer.Option("--client-name", help="The client's preferred name.")
    ] = None,
    pronouns: Annotated[str | None, typer.Option("--pronouns")] = None,
    format: Annotated[Fmt, typer.Option("--format", help="json or text.")] = Fmt.json,
) -> None:
    """Check each statement of a note against the transcript (supported, unsupported, …)."""
    from hearth.documentation.verify import VerifyContext, verify_note

    try:
        t = _transcript(transcript, clinician)
        try:
            raw = note.read_text(encoding="utf-8")
        except OSError as e:
            _fail(f"{note}: cannot read the note: {e.strerror}")
            return
        doc: Any = raw
        if raw.lstrip().startswith("{"):
            try:
                doc = json.loads(raw)
            except json.JSONDecodeError as e:
                _fail(f"{note.name}, line {e.lineno}: not valid JSON: {e.msg}")
                return
        profile = {
            k: v for k, v in {"preferred_name": client_name, "pronouns": pronouns}.items() if v
        }
        result = verify_note(doc, VerifyContext.build(t, profile=profile))
    except HearthError as e:
        _fail(e.message)
        return
    if format is Fmt.text:
        for st in result["statements"]:
            reasons = "; ".join(st["reasons"])
            typer.echo(
                f"{st['verification']:<13} {st['text']}" + (f"  ({reasons})" if reasons else "")
            )
        s = result["summary"]
        typer.echo(
            f"{s['supported']} supported, {s['unsupported']} unsupported, "
            f"{s['contradicted']} contradicted"
        )
        return
    _emit(result)


def register(app: typer.Typer) -> None:
    """Add the documentation commands to the `hearth` command."""
    app.command("signals")(signals)
    app.command("draft")(draft)
    app.command("verify")(verify)
