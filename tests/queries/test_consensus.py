"""Consensus as pages read it: the spread of the individual scores, readiness, statuses and history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Assignment, Call
from app.queries.consensus import spreads
from tests.factories import (
    make_evaluation_setup,
    make_report,
)

pytestmark = pytest.mark.usefixtures("app_ctx")

def test_spread_of_individual_scores() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    call = db.session.get(Call, s.call_id)
    reports = [make_report(db.session.get(Assignment, s.assignments[(pid, e)]), scores)
               for e, scores in zip(s.evaluator_ids, [{"relevance": "3", "quality": "4", "impact": "2"},
                                                      {"relevance": "5", "quality": "4", "impact": "2.5"},
                                                      {"relevance": "4", "quality": "3.5", "impact": "3"}],
                                    strict=True)]
    relevance, quality, impact = spreads(list(call.criteria), reports)
    assert (relevance.minimum, relevance.maximum, relevance.mean, relevance.divergent) == (
        Decimal(3), Decimal(5), Decimal("4.00"), True)
    assert (quality.mean, quality.divergent) == (Decimal("3.83"), False)
    assert (impact.minimum, impact.maximum, impact.divergent) == (Decimal(2), Decimal(3), False)
