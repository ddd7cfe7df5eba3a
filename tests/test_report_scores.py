"""The scores of evaluation reports: the report form offers exactly the scores the rule accepts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models import Criterion
from app.models.limits import MIN_COMMENT_LENGTH, SCORE_STEP
from app.report_scores import completeness_errors, parse_score
from app.services.errors import InvalidInput
from forms.review import score_choices


def _criterion(maximum: str) -> Criterion:
    return Criterion(id=1, key="relevance", name="Relevance", max_score=Decimal(maximum), weight=Decimal(1))


@pytest.mark.parametrize("maximum", ["5", "10", "4.5"])
def test_every_score_the_form_offers_is_accepted_and_nothing_in_between(maximum: str) -> None:
    criterion = _criterion(maximum)
    offered = [choice.value for choice in score_choices(criterion.max_score)]
    assert offered[0] == ""  # not scored yet
    assert parse_score(criterion, offered[0]) is None
    values = [Decimal(text) for text in offered[1:]]
    assert values[0] == 0
    assert values[-1] == criterion.max_score
    assert all(b - a == SCORE_STEP for a, b in zip(values, values[1:], strict=False))
    for value in values:
        assert parse_score(criterion, value) == value
        with pytest.raises(InvalidInput):
            parse_score(criterion, value + SCORE_STEP / 2)


def test_a_complete_report_needs_every_score_every_comment_and_an_overall_comment() -> None:
    criterion = _criterion("5")
    enough = "x" * MIN_COMMENT_LENGTH
    assert completeness_errors([criterion], {1: (Decimal(4), enough)}, enough) == {}
    assert completeness_errors([criterion], {1: (None, enough[1:])}, " " * MIN_COMMENT_LENGTH) == {
        "scores.relevance.score": "Relevance: give a score.",
        "scores.relevance.comment": f"Relevance: justify the score in at least {MIN_COMMENT_LENGTH} characters.",
        "overall_comment": f"Write an overall comment of at least {MIN_COMMENT_LENGTH} characters.",
    }


def test_a_refusal_names_the_criterion_as_the_call_gives_it_in_the_readers_language(app) -> None:  # type: ignore[no-untyped-def]
    from app.models import Call
    from app.translation import in_language

    criterion = _criterion("5")
    Call(code="TEXTS", texts={"fr": {"criteria": {"relevance": {"name": "Pertinence"}}}}, criteria=[criterion])
    with app.test_request_context(), in_language("fr"):
        assert completeness_errors([criterion], {1: (None, "x" * MIN_COMMENT_LENGTH)}, "x" * MIN_COMMENT_LENGTH) == {
            "scores.relevance.score": "Pertinence : attribuez une note."}
    with app.test_request_context(), in_language("de"):
        with pytest.raises(InvalidInput) as refused:
            parse_score(criterion, "x")
        assert refused.value.params["criterion"] == "Relevance"
