"""Typed inputs: what a form or an API body says, parsed at the edge, in the shape the services take.

Forms and API schemas build these; services validate and store them. No Flask and no database, so that forms need
not import services (nor services forms). Step by step the services' untyped dicts become types here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.enums import OrganisationType


@dataclass(frozen=True)
class PartnerInput:
    """One consortium member other than the coordinator, as the applicant typed it."""

    name: str
    country: str
    organisation_type: OrganisationType
    contact_email: str = ""
    requested_amount: Decimal | None = None


@dataclass(frozen=True)
class ScoreInput:
    """One criterion of an evaluation report, as typed: the score and its comment."""

    score: Any  # a Decimal, a number or its text; None or "" for "not scored yet"
    comment: str = ""
