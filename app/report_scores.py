"""The scores of an evaluation report, individual or consensus: what a valid score is, what a complete report needs.

Scores run from 0 to the criterion's maximum in steps of `SCORE_STEP` (0.5). A draft may be incomplete but never
holds an invalid score; a submitted report needs every score, every comment of at least `MIN_COMMENT_LENGTH`
characters and an overall comment. The individual report service (app.services.reviews) and the consensus service
(app.services.consensus) apply the same rules through these functions. No request and no database session here:
refusals are catalogue messages the web layer translates for their reader, and the messages of the missing fields
are written in the language being spoken (app.translation; English outside a request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from app.formatting import format_score
from app.inputs import ScoreInput
from app.languages import N_
from app.models import ConsensusScore, Criterion, IndividualScore
from app.models.limits import MAX_COMMENT_LENGTH, MIN_COMMENT_LENGTH, SCORE_STEP
from app.services.errors import InvalidInput
from app.translation import current_language, gettext, ngettext

NOT_A_NUMBER = N_("%(criterion)s: the score must be a number.")

ParsedScores = dict[int, tuple[Decimal | None, str]]  # criterion id → (score or None, comment)
ScoreRow = TypeVar("ScoreRow", IndividualScore, ConsensusScore)


def _name(criterion: Criterion) -> str:
    """The criterion as the call names it in the language being spoken (the English where none was given)."""
    return criterion.text("name", current_language())


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
        raise InvalidInput(NOT_A_NUMBER, details={"field": field}, criterion=_name(criterion))
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(NOT_A_NUMBER, details={"field": field}, criterion=_name(criterion)) from None
    if not score.is_finite():
        raise InvalidInput(NOT_A_NUMBER, details={"field": field}, criterion=_name(criterion))
    maximum = criterion.max_score
    locale = current_language()
    if score < 0 or score > maximum:
        raise InvalidInput(N_("%(criterion)s: the score must be between 0 and %(maximum)s."),
                           details={"field": field}, criterion=_name(criterion),
                           maximum=format_score(maximum, locale=locale))
    if score % SCORE_STEP != 0:
        raise InvalidInput(N_("%(criterion)s: scores go in steps of %(step)s (e.g. 3 or 3.5)."),
                           details={"field": field}, criterion=_name(criterion),
                           step=format_score(SCORE_STEP, locale=locale))
    return score.quantize(Decimal("0.1"))


def clean_comment(text: str | None, field: str, label: str) -> str:
    """The comment without surrounding blanks; InvalidInput when longer than MAX_COMMENT_LENGTH."""
    text = (text or "").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(N_("%(label)s: at most %(count)d characters."), details={"field": field}, label=label,
                           count=MAX_COMMENT_LENGTH)
    return text


def parse_scores(criteria: list[Criterion], scores: Mapping[str, ScoreInput]) -> ParsedScores:
    """Validate scores keyed by criterion key: unknown keys and invalid scores are refused."""
    by_key = {c.key: c for c in criteria}
    unknown = sorted(set(scores) - set(by_key))
    if unknown:
        raise InvalidInput(N_("Unknown criterion: %(keys)s."), details={"field": "scores"}, keys=", ".join(unknown))
    parsed = {}
    for key, given in scores.items():
        criterion = by_key[key]
        parsed[criterion.id] = (parse_score(criterion, given.score),
                                clean_comment(given.comment, f"scores.{key}.comment", _name(criterion)))
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
    """What is missing before a report can be submitted, by field name ({} when complete), in the language being
    spoken."""
    errors = {}
    for criterion in criteria:
        score, comment = scores.get(criterion.id, (None, ""))
        if score is None:
            errors[f"scores.{criterion.key}.score"] = gettext("%(criterion)s: give a score.",
                                                              criterion=_name(criterion))
        if len(comment.strip()) < MIN_COMMENT_LENGTH:
            errors[f"scores.{criterion.key}.comment"] = ngettext(
                "%(criterion)s: justify the score in at least %(num)d character.",
                "%(criterion)s: justify the score in at least %(num)d characters.",
                MIN_COMMENT_LENGTH, criterion=_name(criterion))
    if len((overall_comment or "").strip()) < MIN_COMMENT_LENGTH:
        errors["overall_comment"] = ngettext("Write an overall comment of at least %(num)d character.",
                                             "Write an overall comment of at least %(num)d characters.",
                                             MIN_COMMENT_LENGTH)
    return errors


def incomplete(report_kind: str, errors: dict[str, str]) -> InvalidInput:
    """The refusal to submit an incomplete report (`errors` from `completeness_errors`): each field is named."""
    return InvalidInput(report_kind, details={"fields": errors}, problems=" ".join(errors.values()))
