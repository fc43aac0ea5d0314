"""Imports every slice's tables so that Base.metadata is complete (Alembic, tests)."""

from hearth.db import Base
from hearth.documentation import models as documentation_models
from hearth.documentation.capture import models as capture_models
from hearth.messaging import models as messaging_models
from hearth.practice import models as practice_models
from hearth.security import models as security_models

metadata = Base.metadata

__all__ = [
    "capture_models",
    "documentation_models",
    "messaging_models",
    "metadata",
    "practice_models",
    "security_models",
]
