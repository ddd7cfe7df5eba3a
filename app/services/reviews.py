"""Individual evaluation reports (IER): a score and a comment per award criterion, drafts, submission, blindness.

Scores run from 0 to the criterion's maximum in steps of 0.5. A draft may be incomplete (but never holds an
invalid score); submitting needs every score, every comment of at least `MIN_COMMENT_LENGTH` characters and an
overall comment, and locks the report. Blind rule: an evaluator sees the other evaluators' reports on a
proposal only once their own is submitted (`peer_reports`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from app.clock import utcnow
from app.enums import ReportStatus
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment, ConsensusScore, Criterion, IndividualReport, IndividualScore, User
from app.models.limits import MAX_COMMENT_LENGTH, MIN_COMMENT_LENGTH
from app.queries.evaluation import NOT_FOUND, Access, evaluating_assignments, evaluator_view
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotFound

HALF = Decimal("0.5")



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
    if score % HALF != 0:
        raise InvalidInput(f"{criterion.name}: scores go in steps of 0.5 (e.g. 3 or 3.5).", details={"field": field})
    return score.quantize(Decimal("0.1"))


def _clean_comment(text: str | None, field: str, label: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(f"{label}: at most {MAX_COMMENT_LENGTH} characters.", details={"field": field})
    return text


def score_inputs(criteria: list[Criterion], scores: Mapping[str, ScoreInput]) -> dict[int, tuple[Decimal | None, str]]:
    """Validate scores keyed by criterion key: unknown keys and invalid scores are refused."""
    by_key = {c.key: c for c in criteria}
    unknown = sorted(set(scores) - set(by_key))
    if unknown:
        raise InvalidInput(f"Unknown criterion: {', '.join(unknown)}.", details={"field": "scores"})
    parsed = {}
    for key, given in scores.items():
        criterion = by_key[key]
        parsed[criterion.id] = (parse_score(criterion, given.score),
                                _clean_comment(given.comment, f"scores.{key}.comment", criterion.name))
    return parsed


_ScoreRow = TypeVar("_ScoreRow", IndividualScore, ConsensusScore)


def apply_scores(rows: list[_ScoreRow], parsed: Mapping[int, tuple[Decimal | None, str]],
                 row_type: type[_ScoreRow]) -> None:
    """Write `score_inputs` output into a report's score rows (an individual or a consensus report's),
    adding the rows of criteria scored for the first time."""
    existing = {row.criterion_id: row for row in rows}
    for criterion_id, (score, comment) in parsed.items():
        row = existing.get(criterion_id)
        if row is None:
            rows.append(row_type(criterion_id=criterion_id, score=score, comment=comment))
        else:
            row.score, row.comment = score, comment


def completeness_errors(criteria: list[Criterion], scores: Mapping[int, tuple[Decimal | None, str]],
                        overall_comment: str, *, what: str = "report") -> dict[str, str]:
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


def _require_own_full_access(assignment: Assignment, actor: User) -> None:
    if assignment.evaluator_id != actor.id or evaluator_view(actor, assignment.proposal,
                                                             assignment=assignment).access is not Access.FULL:
        raise NotFound(NOT_FOUND)


def report_scores(report: IndividualReport | None) -> dict[int, tuple[Decimal | None, str]]:
    if report is None:
        return {}
    return {s.criterion_id: (s.score, s.comment) for s in report.scores}


def save_report(assignment: Assignment, *, actor: User, scores: Mapping[str, ScoreInput],
                overall_comment: str | None = None) -> IndividualReport:
    """Save the evaluator's draft (partial is fine, invalid is not). Refused once submitted.

    Side effects: the report and its scores (created on the first save), an audit event.
    """
    _require_own_full_access(assignment, actor)
    report = assignment.report
    if report is not None and report.status is not ReportStatus.DRAFT:
        raise InvalidTransition("This report is submitted and locked.")
    criteria = list(assignment.proposal.call.criteria)
    parsed = score_inputs(criteria, scores)
    if report is None:
        report = IndividualReport(assignment=assignment, status=ReportStatus.DRAFT, overall_comment="")
        db.session.add(report)
    apply_scores(report.scores, parsed, IndividualScore)
    if overall_comment is not None:
        report.overall_comment = _clean_comment(overall_comment, "overall_comment", "Overall comment")
    report.updated_at = utcnow()
    db.session.flush()
    record_event(actor, "report.saved", object_type="individual_report", object_id=report.id,
                 assignment_id=assignment.id, proposal_id=assignment.proposal_id)
    return report


def submit_report(assignment: Assignment, *, actor: User, now: datetime | None = None) -> IndividualReport:
    """Submit and lock the IER; every criterion needs a score and a comment, plus the overall comment.

    Side effects: status SUBMITTED with `submitted_at`, an audit event (saying whether it was late).
    """
    _require_own_full_access(assignment, actor)
    report = assignment.report
    if report is not None and report.status is not ReportStatus.DRAFT:
        raise InvalidTransition("This report is already submitted.")
    criteria = list(assignment.proposal.call.criteria)
    errors = completeness_errors(criteria, report_scores(report), report.overall_comment if report else "")
    if errors:
        raise InvalidInput("The report is not complete: " + " ".join(errors.values()),
                           details={"fields": errors})
    assert report is not None  # noqa: S101 - an empty report cannot be complete
    now = now or utcnow()
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    db.session.flush()
    deadline = assignment.proposal.call.evaluation_deadline
    record_event(actor, "report.submitted", object_type="individual_report", object_id=report.id,
                 assignment_id=assignment.id, proposal_id=assignment.proposal_id,
                 late=bool(deadline and now > deadline),
                 scores={s.criterion.key: str(s.score) for s in report.scores})
    return report


def peer_reports(assignment: Assignment) -> list[IndividualReport]:
    """The other evaluators' submitted reports on the proposal — empty until this evaluator's own is submitted."""
    own = assignment.report
    if own is None or own.status is ReportStatus.DRAFT:
        return []
    return [a.report for a in evaluating_assignments(assignment.proposal_id)
            if a.id != assignment.id and a.report is not None and a.report.status is not ReportStatus.DRAFT]
