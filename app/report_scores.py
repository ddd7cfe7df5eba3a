"""The scores of an evaluation report, individual or consensus: what a valid score is, what a complete report needs.

Scores run from 0 to the criterion's maximum in steps of `SCORE_STEP` (0.5). A draft may be incomplete but never
holds an invalid score; a submitted report needs every score, every comment of at least `MIN_COMMENT_LENGTH`
characters and an overall comment. The individual report service (app.services.reviews) and the consensus service
(app.services.consensus) apply the same rules through these functions. No Flask and no database session here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from app.inputs import ScoreInput
from app.models import ConsensusScore, Criterion, IndividualScore
from app.models.limits import MAX_COMMENT_LENGTH, MIN_COMMENT_LENGTH, SCORE_STEP
from app.services.errors import InvalidInput

ParsedScores = dict[int, tuple[Decimal | None, str]]  # criterion id → (score or None, comment)
ScoreRow = TypeVar("ScoreRow", IndividualScore, ConsensusScore)


class ScoredReport(Protocol):
    """An individual or a consensus report: its score rows."""

    @property
    def scores(self) -> Sequence[IndividualScore] | Sequence[ConsensusScore]: ...


def parse_score(criterion: Criterion, value: Any) -> Decimal | None:
    """The score as a Decimal, or None when empty; InvalidInput when not 0..max in steps of 0.5."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    field = f"scores.{criterion.key}.score"
    if isinstance(value, bool):
        raise InvalidInput(f"{criterion.name}: the score must be a number.", details={"field": field})
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{criterion.name}: the score must be a number.", details={"field": field}) from None
    if not score.is_finite():
        raise InvalidInput(f"{criterion.name}: the score must be a number.", details={"field": field})
    maximum = criterion.max_score
    if score < 0 or score > maximum:
        raise InvalidInput(f"{criterion.name}: the score must be between 0 and {maximum.normalize():f}.",
                           details={"field": field})
    if score % SCORE_STEP != 0:
        raise InvalidInput(f"{criterion.name}: scores go in steps of {SCORE_STEP} (e.g. 3 or 3.5).",
                           details={"field": field})
    return score.quantize(Decimal("0.1"))


def clean_comment(text: str | None, field: str, label: str) -> str:
    """The comment without surrounding blanks; InvalidInput when longer than MAX_COMMENT_LENGTH."""
    text = (text or "").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(f"{label}: at most {MAX_COMMENT_LENGTH} characters.", details={"field": field})
    return text


def parse_scores(criteria: list[Criterion], scores: Mapping[str, ScoreInput]) -> ParsedScores:
    """Validate scores keyed by criterion key: unknown keys and invalid scores are refused."""
    by_key = {c.key: c for c in criteria}
    unknown = sorted(set(scores) - set(by_key))
    if unknown:
        raise InvalidInput(f"Unknown criterion: {', '.join(unknown)}.", details={"field": "scores"})
    parsed = {}
    for key, given in scores.items():
        criterion = by_key[key]
        parsed[criterion.id] = (parse_score(criterion, given.score),
                                clean_comment(given.comment, f"scores.{key}.comment", criterion.name))
    return parsed


def write_scores(rows: list[ScoreRow], parsed: Mapping[int, tuple[Decimal | None, str]],
                 row_type: type[ScoreRow]) -> None:
    """Write `parse_scores` output into a report's score rows (an individual or a consensus report's),
    adding the rows of criteria scored for the first time."""
    existing = {row.criterion_id: row for row in rows}
    for criterion_id, (score, comment) in parsed.items():
        row = existing.get(criterion_id)
        if row is None:
            rows.append(row_type(criterion_id=criterion_id, score=score, comment=comment))
        else:
            row.score, row.comment = score, comment


def scores_of(report: ScoredReport | None) -> ParsedScores:
    """A stored report's scores in the shape `parse_scores` returns ({} for no report)."""
    return {} if report is None else {s.criterion_id: (s.score, s.comment) for s in report.scores}


def completeness_errors(criteria: list[Criterion], scores: Mapping[int, tuple[Decimal | None, str]],
                        overall_comment: str) -> dict[str, str]:
    """What is missing before a report can be submitted, by field name ({} when complete)."""
    errors = {}
    for criterion in criteria:
        score, comment = scores.get(criterion.id, (None, ""))
        if score is None:
            errors[f"scores.{criterion.key}.score"] = f"{criterion.name}: give a score."
        if len(comment.strip()) < MIN_COMMENT_LENGTH:
            errors[f"scores.{criterion.key}.comment"] = (
                f"{criterion.name}: justify the score in at least {MIN_COMMENT_LENGTH} characters.")
    if len((overall_comment or "").strip()) < MIN_COMMENT_LENGTH:
        errors["overall_comment"] = f"Write an overall comment of at least {MIN_COMMENT_LENGTH} characters."
    return errors
