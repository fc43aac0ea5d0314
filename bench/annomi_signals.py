"""Signals over the AnnoMI motivational-interviewing transcripts (issue 3).

Usage: .venv/bin/python bench/annomi_signals.py PATH/TO/annomi/annomi-dev.csv [--show]

Source: AnnoMI (Wu et al., ICASSP 2022; Future Internet 2023): 90 real MI session
transcripts from public demonstration videos, therapist and client turns. There are no risk
labels, so this reports what the engine finds — risk signals by type and status, alerts,
interventions — and its speed; --show prints every alerting sentence for reading by hand.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from hearth.documentation.signals.engine import extract_signals
from hearth.documentation.transcript import Transcript, Utterance


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path", type=Path)
    ap.add_argument("--show", action="store_true")
    a = ap.parse_args()
    sessions: dict[str, list[dict[str, str]]] = defaultdict(list)
    with a.path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sessions[row["transcript_id"]].append(row)
    statuses: Counter[tuple[str, str]] = Counter()
    kinds: Counter[str] = Counter()
    alerts = []
    utterances = 0
    t0 = time.perf_counter()
    for tid, rows in sessions.items():
        rows.sort(key=lambda r: int(r["utterance_id"]))
        utts = tuple(
            Utterance(
                f"u{i}",
                r["interlocutor"],
                "clinician" if r["interlocutor"] == "therapist" else "client",
                None,
                None,
                r["utterance_text"],
                "given",
            )
            for i, r in enumerate(rows, 1)
        )
        utterances += len(utts)
        for s in extract_signals(Transcript(utts)):
            kinds[s.kind] += 1
            if s.kind == "risk":
                statuses[(s.type, s.status or "")] += 1
                if s.alerts:
                    alerts.append((tid, rows[0]["topic"], s.type, s.status, s.summary))
    elapsed = time.perf_counter() - t0
    print(f"{a.path.name}: {len(sessions)} sessions, {utterances} utterances, {elapsed:.2f} s")
    print("signals by kind:", dict(sorted(kinds.items())))
    for (rtype, status), n in sorted(statuses.items()):
        print(f"  risk {rtype:<18} {status:<13} {n}")
    print(f"alerting risk signals: {len(alerts)} in {len({a[0] for a in alerts})} sessions")
    if a.show:
        for alert in alerts:
            print(" ", alert)
    return 0


if __name__ == "__main__":
    sys.exit(main())
