"""Negation accuracy of Hearth's negex pipeline on the NegEx test kit (issue 3).

Usage: .venv/bin/python bench/negex_eval.py PATH/TO/negex/annotations-reports-1-60.tsv

Source: NegEx test kit (Chapman et al., U. Pittsburgh): 1,194 concept-sentence pairs from
60 de-identified discharge summaries, labelled Affirmed or Negated. For each pair the concept
becomes a span and Hearth's pipeline (spaCy blank English, sentencizer, negspacy with the
termset of signals/data/context.json) says whether it is negated.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

from hearth.documentation.signals.nlp import SPAN_KEY, pipeline


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path", type=Path)
    a = ap.parse_args()
    nlp = pipeline()
    sentencizer, negex = nlp.get_pipe("sentencizer"), nlp.get_pipe("negex")
    tp = fp = fn = tn = skipped = 0
    t0 = time.perf_counter()
    with a.path.open(newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            concept = re.sub(r"\s+", " ", row["Concept"]).strip().lower()
            sentence = re.sub(r"\s+", " ", row["Sentence"]).strip()
            start = sentence.lower().find(concept)
            if start < 0:
                skipped += 1
                continue
            doc = sentencizer(nlp.make_doc(sentence))
            span = doc.char_span(start, start + len(concept), alignment_mode="expand")
            if span is None:
                skipped += 1
                continue
            # judge within the concept's own sentence, as NegEx does
            sent = span.sent.as_doc()
            local = sent.char_span(
                span.start_char - span.sent.start_char,
                span.end_char - span.sent.start_char,
                alignment_mode="expand",
            )
            sent.spans[SPAN_KEY] = [local]
            negated = bool(negex(sent).spans[SPAN_KEY][0]._.negex)
            gold = row["Negation"].strip().lower() == "negated"
            tp += negated and gold
            fp += negated and not gold
            fn += (not negated) and gold
            tn += (not negated) and not gold
    n = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(f"{a.path.name}: {n} pairs scored ({skipped} skipped), {time.perf_counter() - t0:.2f} s")
    print(f"negated: precision {precision:.2f}, recall {recall:.2f}; accuracy {(tp + tn) / n:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
