"""The spaCy pipeline: blank English, a sentencizer, our matches as spans, negspacy's negex."""

from __future__ import annotations

from functools import cache
from typing import Any

from hearth.documentation.signals.lexicon import context_rules

SPAN_KEY = "hearth"


@cache
def pipeline() -> Any:
    """spaCy blank('en') + sentencizer + negex using the termset of context.json (built once)."""
    import negspacy.negation  # noqa: F401  (registers the "negex" factory)
    import spacy

    neg = context_rules().negation
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "negex",
        config={
            "neg_termset": {
                "pseudo_negations": neg.pseudo,
                "preceding_negations": neg.preceding,
                "following_negations": neg.following,
                "termination": neg.termination,
            },
            "span_keys": [SPAN_KEY],
        },
    )
    return nlp
