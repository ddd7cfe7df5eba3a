"""Individual evaluation reports (IER): a score and a comment per award criterion, saved as drafts, then submitted.

The rules of the scores (0 to the criterion's maximum in steps of 0.5; complete before submission) are those of
app.report_scores; submitting locks the report. The blind rule, the other evaluators' reports shown only once the
own one is submitted, is read by `app.queries.evaluation.peer_reports`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from app.clock import utcnow
from app.enums import ReportStatus
from app.extensions import db
from app.inputs import ScoreInput
from app.languages import N_
from app.models import Assignment, IndividualReport, IndividualScore, User
from app.queries.evaluation import NOT_FOUND, Access, evaluator_view
from app.report_scores import clean_comment, completeness_errors, incomplete, parse_scores, scores_of, write_scores
from app.services.audit import record_event
from app.services.errors import InvalidTransition, NotFound
from app.translation import gettext


def _require_own_full_access(assignment: Assignment, actor: User) -> None:
    if assignment.evaluator_id != actor.id or evaluator_view(actor, assignment.proposal,
                                                             assignment=assignment).access is not Access.FULL:
        raise NotFound(NOT_FOUND)


def save_report(assignment: Assignment, *, actor: User, scores: Mapping[str, ScoreInput],
                overall_comment: str | None = None) -> IndividualReport:
    """Save the evaluator's draft (partial is fine, invalid is not). Refused once submitted.

    Side effects: the report and its scores (created on the first save), an audit event.
    """
    _require_own_full_access(assignment, actor)
    report = assignment.report
    if report is not None and report.status is not ReportStatus.DRAFT:
        raise InvalidTransition(N_("This report is submitted and locked."))
    criteria = list(assignment.proposal.call.criteria)
    parsed = parse_scores(criteria, scores)
    if report is None:
        report = IndividualReport(assignment=assignment, status=ReportStatus.DRAFT, overall_comment="")
        db.session.add(report)
    write_scores(report.scores, parsed, IndividualScore)
    if overall_comment is not None:
        report.overall_comment = clean_comment(overall_comment, "overall_comment", gettext("Overall comment"))
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
        raise InvalidTransition(N_("This report is already submitted."))
    criteria = list(assignment.proposal.call.criteria)
    errors = completeness_errors(criteria, scores_of(report), report.overall_comment if report else "")
    if errors:
        raise incomplete(N_("The report is not complete: %(problems)s"), errors)
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
