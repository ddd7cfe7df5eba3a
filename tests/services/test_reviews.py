"""Individual evaluation reports: valid scores only, complete before submission, then locked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.enums import ReportStatus
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment
from app.services import reviews
from app.services.errors import InvalidInput, InvalidTransition, NotFound
from tests.evaluation_support import GOOD, events, full_scores, user
from tests.factories import make_evaluation_setup

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.mark.parametrize("value", ["-0.5", "5.5", "3.25", "2.7", "abc", "NaN", "Infinity", True, "1e1"])
def test_invalid_scores_are_refused_even_in_a_draft(value: object) -> None:
    s = make_evaluation_setup(proposals=1)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(InvalidInput) as error:
        reviews.save_report(assignment, actor=user(s.evaluator_ids[0]),
                            scores={"relevance": ScoreInput(value, "")})
    assert error.value.details == {"field": "scores.relevance.score"}


@pytest.mark.parametrize(("value", "stored"), [("0", "0.0"), ("0.5", "0.5"), ("4.5", "4.5"), ("5", "5.0"),
                                               (3, "3.0"), (Decimal("2.50"), "2.5")])
def test_half_points_from_zero_to_the_maximum_are_accepted(value: object, stored: str) -> None:
    s = make_evaluation_setup(proposals=1)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    report = reviews.save_report(assignment, actor=user(s.evaluator_ids[0]),
                                 scores={"relevance": ScoreInput(value, "")})
    assert str(report.scores[0].score) == stored


def test_a_criterion_with_a_maximum_of_ten_accepts_ten() -> None:
    s = make_evaluation_setup(proposals=1, criteria=[{"key": "relevance", "name": "Relevance", "max": 10}])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    report = reviews.save_report(assignment, actor=user(s.evaluator_ids[0]),
                                 scores={"relevance": ScoreInput("9.5", "")})
    assert report.scores[0].score == Decimal("9.5")


def test_unknown_criteria_are_refused() -> None:
    s = make_evaluation_setup(proposals=1)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(InvalidInput):
        reviews.save_report(assignment, actor=user(s.evaluator_ids[0]), scores={"beauty": ScoreInput("3", "")})


def test_submitting_needs_every_score_and_comment_then_locks() -> None:
    s = make_evaluation_setup(proposals=1)
    evaluator = user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], evaluator.id)])
    reviews.save_report(assignment, actor=evaluator, scores={"relevance": ScoreInput("4", "Too short.")})
    with pytest.raises(InvalidInput) as error:
        reviews.submit_report(assignment, actor=evaluator)
    fields = error.value.details["fields"]
    assert set(fields) == {"scores.relevance.comment", "scores.quality.score", "scores.quality.comment",
                           "scores.impact.score", "scores.impact.comment", "overall_comment"}
    reviews.save_report(assignment, actor=evaluator, scores=full_scores("3.5"), overall_comment=GOOD)
    report = reviews.submit_report(assignment, actor=evaluator)
    assert report.status is ReportStatus.SUBMITTED
    with pytest.raises(InvalidTransition):
        reviews.save_report(assignment, actor=evaluator, scores=full_scores("5"))
    with pytest.raises(InvalidTransition):
        reviews.submit_report(assignment, actor=evaluator)
    assert events("report.submitted")[0].data["scores"] == {"relevance": "3.5", "quality": "3.5", "impact": "3.5"}


def test_an_evaluator_who_has_not_declared_cannot_score() -> None:
    s = make_evaluation_setup(proposals=1, declared=False)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(NotFound):
        reviews.save_report(assignment, actor=user(s.evaluator_ids[0]), scores=full_scores())
