"""Risk-status precision and recall per status on a labelled sentence set (issue 3).

Usage: .venv/bin/python bench/risk_status.py bench/data/risk_status_eval.jsonl [--errors]

Each row becomes a two-line transcript (the clinician's question, if any, then the client's
sentence) with roles given. A prediction is a risk signal citing the client's line. A true
positive needs the right type and status; precision counts every predicted (type, status)
that is not the gold one as a false positive (no-signal rows included).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from hearth.documentation.signals.engine import extract_signals
from hearth.documentation.signals.model import RISK_STATUSES
from hearth.documentation.transcript import Transcript, Utterance


def transcript_for(row: dict) -> Transcript:
    utts = []
    if row.get("context"):
        utts.append(Utterance("u1", "Therapist", "clinician", None, None, row["context"], "given"))
    n = len(utts) + 1
    utts.append(Utterance(f"u{n}", "Client", "client", None, None, row["text"], "given"))
    return Transcript(tuple(utts), "bench")


def predict(row: dict) -> set[tuple[str, str]]:
    t = transcript_for(row)
    last = t.utterances[-1].id
    return {
        (s.type, s.status or "")
        for s in extract_signals(t)
        if s.kind == "risk" and last in s.evidence
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path", type=Path)
    ap.add_argument("--errors", action="store_true", help="print every mistake")
    a = ap.parse_args()
    rows = [json.loads(line) for line in a.path.read_text().splitlines() if line.strip()]
    tp, fp, fn = Counter(), Counter(), Counter()
    status_tp, status_fp, status_fn = Counter(), Counter(), Counter()
    errors = []
    t0 = time.perf_counter()
    for row in rows:
        gold = (row["type"], row["status"]) if row["status"] else None
        pred = predict(row)
        for p in pred:
            if p == gold:
                tp[p[1]] += 1
            else:
                fp[p[1]] += 1
        if gold and gold not in pred:
            fn[gold[1]] += 1
        pstat = {p[1] for p in pred}
        for s in pstat:
            if gold and s == gold[1]:
                status_tp[s] += 1
            else:
                status_fp[s] += 1
        if gold and gold[1] not in pstat:
            status_fn[gold[1]] += 1
        if (gold and gold not in pred) or any(p != gold for p in pred):
            errors.append((row["id"], gold, sorted(pred), row.get("context"), row["text"]))
    elapsed = time.perf_counter() - t0

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    print(f"{a.path.name}: {len(rows)} sentences, {elapsed:.2f} s")
    print(
        f"{'status':<14}{'precision':>10}{'recall':>8}{'  (type and status must match)':<32}"
        f"{'precision':>10}{'recall':>8}  (status only)"
    )
    for s in RISK_STATUSES:
        print(
            f"{s:<14}{ratio(tp[s], tp[s] + fp[s]):>10.2f}{ratio(tp[s], tp[s] + fn[s]):>8.2f}"
            f"{'':<32}{ratio(status_tp[s], status_tp[s] + status_fp[s]):>10.2f}"
            f"{ratio(status_tp[s], status_tp[s] + status_fn[s]):>8.2f}"
        )
    none_rows = [r for r in rows if not r["status"]]
    flagged = sum(1 for r in none_rows if predict(r))
    print(f"no-signal sentences with any risk signal: {flagged}/{len(none_rows)}")
    if a.errors:
        for e in errors:
            print(e, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
