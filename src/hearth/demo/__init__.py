"""The synthetic demo practice: `hearth demo seed [--reset]` and `hearth run --seed-if-empty`.

``data.py`` holds the fake people, places and week; ``seed.py`` builds them
through the ordinary services in named, run-once steps; ``wipe.py`` removes
them again. Later slices add a step to ``seed.STEPS`` for what a newcomer needs
to see their feature.
"""

from hearth.demo.data import DEMO_PASSWORD, DEMO_PRACTICE_NAME
from hearth.demo.seed import (
    STEPS,
    DemoContext,
    DemoInfo,
    DemoLogin,
    DemoRefused,
    demo_info,
    has_practice,
    seed,
)
from hearth.demo.wipe import wipe

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_PRACTICE_NAME",
    "STEPS",
    "DemoContext",
    "DemoInfo",
    "DemoLogin",
    "DemoRefused",
    "demo_info",
    "has_practice",
    "seed",
    "wipe",
]
