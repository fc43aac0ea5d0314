"""Transcript -> verified draft latency for 30, 60 and 120-minute two-speaker sessions (issue 3).

Usage: .venv/bin/python bench/draft_latency.py [--runs 5]

Model loading (spaCy pipeline, compiled lexicons, templates) is timed once and reported apart.
Each run parses the transcript, maps roles, extracts signals, drafts a SOAP note and verifies
every statement — the whole per-note hot path. Prints medians and the growth per minute.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synthetic_session import session

from hearth.documentation.drafting.engine import DraftOptions, draft_note
from hearth.documentation.drafting.templates import builtin_templates
from hearth.documentation.importers import parse
from hearth.documentation.roles import assign_roles
from hearth.documentation.signals.engine import compiled
from hearth.documentation.signals.nlp import pipeline


def one(text: str) -> float:
    t0 = time.perf_counter()
    t = assign_roles(parse(text), clinician="Dr. Example")
    draft = draft_note(t, builtin_templates()["soap"], DraftOptions(client_name="Sam"))
    draft.to_json()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    t0 = time.perf_counter()
    pipeline()
    compiled()
    builtin_templates()
    print(f"model loading (once per process): {time.perf_counter() - t0:.2f} s")
    one(session(5))  # warm caches
    medians = {}
    for minutes in (30, 60, 120):
        text = session(minutes)
        runs = [one(text) for _ in range(a.runs)]
        medians[minutes] = statistics.median(runs)
        words = len(text.split())
        print(
            f"{minutes:>4} min  {words:>6} words  {text.count(chr(10)):>5} utterances  "
            f"median {medians[minutes]:.3f} s  (min {min(runs):.3f}, max {max(runs):.3f})"
        )
    print(
        f"growth 30->60 min: x{medians[60] / medians[30]:.2f}; "
        f"60->120 min: x{medians[120] / medians[60]:.2f}"
    )
    print(f"target: 60 minutes <= 1.0 s -> {'met' if medians[60] <= 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
