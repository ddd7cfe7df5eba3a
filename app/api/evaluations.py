"""Evaluation over the API: the same services, rules and errors as the pages.

Officers: invite evaluators, compute and publish assignments, screen proposals, approve consensus reports.
Evaluators: their evaluations (the id is the assignment's), declarations, individual reports, and — for the
rapporteur — the consensus. A proposal an evaluator may not see answers 404 whatever the reason (not assigned,
not published, conflicted, code of conduct not accepted); other roles get 403.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from app.api import bp
from app.enums import AssignmentState, Role
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment, Call, IndividualReport, PoolMember, Proposal, User
from app.models.limits import MAX_COMMENT_LENGTH, MAX_LOAD_LIMIT
from app.queries.access import is_officer, load_call
from app.queries.evaluation import (
    Access,
    EvaluatorView,
    load_evaluation,
    own_report_submitted,
    published_assignments,
)
from app.queries.evaluation_progress import call_progress
from app.queries.submitted import SubmittedVersion
from app.services import assignment as assigning
from app.services import consensus as consensus_service
from app.services import pool as pool_service
from app.services import reviews, screening
from app.services.conflicts import declare_conflict
from app.services.errors import NotAllowed, NotFound
from app.web.access import current_actor, officer_required

# ---------------------------------------------------------------------------------------------- schemas


class PersonSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    email = fields.String()


class InviteSchema(Schema):
    email = fields.Email(required=True, metadata={"description": "An existing evaluator account."})
    organisation = fields.String(load_default=None, validate=validate.Length(max=200),
                                 metadata={"description": "Affiliation for conflict checks; default: the account's."})
    country = fields.String(load_default=None, validate=validate.Length(equal=2),
                            metadata={"description": "ISO 3166 alpha-2; default: the account's."})
    expertise = fields.List(fields.String(), load_default=list,
                            metadata={"description": "Strands or topics of the call."})
    max_load = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LOAD_LIMIT))


class PoolMemberSchema(Schema):
    id = fields.Integer()
    evaluator = fields.Nested(PersonSchema, attribute="user")
    organisation = fields.String(attribute="organisation_name")
    country = fields.String()
    expertise = fields.List(fields.String())
    max_load = fields.Integer()
    invited_at = fields.AwareDateTime(format="iso")
    code_of_conduct_accepted_at = fields.AwareDateTime(format="iso", allow_none=True)
    withdrawn_at = fields.AwareDateTime(format="iso", allow_none=True)


class ProposalRefSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    acronym = fields.String()


class AssignmentSchema(Schema):
    id = fields.Integer()
    proposal = fields.Nested(ProposalRefSchema)
    evaluator = fields.Nested(PersonSchema)
    state = fields.String(attribute="state.value")
    is_rapporteur = fields.Boolean()
    conflict = fields.String(attribute="conflict.value")
    conflict_waived = fields.Function(lambda a: bool(a.conflict_waived_reason))
    report_status = fields.Function(lambda a: a.report.status.value if a.report else None)


class AutoAssignSchema(Schema):
    discard_proposed = fields.Boolean(load_default=False,
                                      metadata={"description": "Recompute unpublished assignments too."})


class AutoResultSchema(Schema):
    created = fields.List(fields.Nested(AssignmentSchema))
    withdrawn = fields.List(fields.Integer(), metadata={"description": "Ids of assignments withdrawn (conflicts)."})
    removed = fields.Integer(metadata={"description": "Unpublished assignments discarded before computing."})
    assignments = fields.List(fields.Nested(AssignmentSchema), metadata={"description": "Every active assignment."})


class PublishSchema(Schema):
    evaluation_deadline = fields.AwareDateTime(format="iso", load_default=None,
                                               metadata={"description": "Required unless the call has one."})


class PublishResultSchema(Schema):
    published = fields.Integer()
    evaluation_deadline = fields.AwareDateTime(format="iso")


class ScoreInSchema(Schema):
    criterion = fields.String(required=True, metadata={"description": "The criterion key, e.g. relevance."})
    score = fields.Raw(load_default=None, allow_none=True,
                       metadata={"description": "0 to the criterion's maximum in steps of 0.5 (number or string); "
                                                "null: not scored yet."})
    comment = fields.String(load_default="", validate=validate.Length(max=MAX_COMMENT_LENGTH))


class ReportInSchema(Schema):
    overall_comment = fields.String(load_default=None, validate=validate.Length(max=MAX_COMMENT_LENGTH))
    scores = fields.List(fields.Nested(ScoreInSchema), load_default=list)


class ConsensusInSchema(ReportInSchema):
    submit = fields.Boolean(load_default=False, metadata={"description": "Submit for the officer's approval."})


class ConflictInSchema(Schema):
    conflict = fields.Boolean(required=True, metadata={"description": "true: I have a conflict of interest."})
    note = fields.String(load_default="", validate=validate.Length(max=2000),
                         metadata={"description": "What the conflict is (required when conflict is true)."})


class EligibilityInSchema(Schema):
    eligibility = fields.String(required=True, validate=validate.OneOf(["eligible", "ineligible"]))
    reason = fields.String(required=True, validate=validate.Length(max=4000))


class CheckSchema(Schema):
    key = fields.String()
    label = fields.String()
    ok = fields.Boolean()
    fix = fields.String()


class EligibilityOutSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    eligibility = fields.String(attribute="eligibility.value")
    eligibility_reason = fields.String(allow_none=True)
    screened_at = fields.AwareDateTime(format="iso", allow_none=True)
    automatic_checks = fields.List(fields.Nested(CheckSchema))


class ProgressSchema(Schema):
    ready_to_rank = fields.Boolean()
    reasons = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


def _score_inputs(items: list[dict[str, Any]]) -> dict[str, ScoreInput]:
    return {item["criterion"]: ScoreInput(item.get("score"), item.get("comment") or "") for item in items}


def _criteria(call: Call) -> list[dict[str, Any]]:
    return [{"key": c.key, "name": c.name, "max_score": str(c.max_score),
             "threshold": None if c.threshold is None else str(c.threshold)} for c in call.criteria]


def _report(report: Any, *, with_evaluator: bool = False) -> dict[str, Any] | None:
    if report is None:
        return None
    by_id = {s.criterion_id: s for s in report.scores}
    call = report.assignment.proposal.call if isinstance(report, IndividualReport) else report.proposal.call
    data: dict[str, Any] = {
        "status": report.status.value, "overall_comment": report.overall_comment,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "scores": [{"criterion": c.key,
                    "score": None if by_id.get(c.id) is None or by_id[c.id].score is None else str(by_id[c.id].score),
                    "comment": by_id[c.id].comment if by_id.get(c.id) else ""} for c in call.criteria],
    }
    if isinstance(report, consensus_service.ConsensusReport):
        data["approved_at"] = report.approved_at.isoformat() if report.approved_at else None
    return data


def _spread(spreads: list[consensus_service.Spread]) -> list[dict[str, Any]]:
    return [{"criterion": s.criterion.key, "scores": [str(v) for v in s.scores],
             "min": None if s.minimum is None else str(s.minimum), "max": None if s.maximum is None else str(s.maximum),
             "mean": None if s.mean is None else str(s.mean), "divergent": s.divergent} for s in spreads]


def _summary(assignment: Assignment, version: SubmittedVersion, access: Access) -> dict[str, Any]:
    """What the evaluator sees before declaring: acronym, title, consortium, status."""
    call = version.call
    report = assignment.report
    return {
        "id": assignment.id, "call": call.code,
        "proposal": {"id": version.id, "reference": version.reference, "acronym": version.acronym,
                     "title": version.title,
                     "consortium": [{"name": p.name, "country": p.country, "coordinator": p.is_coordinator}
                                    for p in version.partners]},
        "access": "full" if access is Access.FULL else "declaration_needed",
        "conflict": assignment.conflict.value, "is_rapporteur": assignment.is_rapporteur,
        "report_status": report.status.value if report else None,
        "evaluation_deadline": call.evaluation_deadline.isoformat() if call.evaluation_deadline else None,
    }


def _detail(view: EvaluatorView) -> dict[str, Any]:
    assignment, version = view.assignment, view.version
    assert assignment is not None  # noqa: S101 - load_evaluation returns an accessible view
    assert version is not None  # noqa: S101
    data = _summary(assignment, version, view.access)
    if view.access is not Access.FULL:
        return data
    call = version.call
    data["proposal"].update({
        "abstract": version.abstract, "strand": version.strand, "duration_months": version.duration_months,
        "requested_grant": None if version.requested_grant is None else f"{version.requested_grant:.2f}",
        "version": version.version, "annexes": [{"kind": a.kind.value, "filename": a.filename, "pages": a.page_count,
                                                 "sha256": a.sha256} for a in version.documents],
    })
    data["criteria"] = _criteria(call)
    data["report"] = _report(assignment.report)
    # Blind rule: nothing of the others until the own report is submitted.
    if own_report_submitted(assignment):
        peers = reviews.peer_reports(assignment)
        data["others"] = [_report(r) for r in peers]
        data["spread"] = _spread(consensus_service.spreads(list(call.criteria), [*peers, assignment.report]))
        data["consensus"] = _report(consensus_service.consensus_of(assignment.proposal))
    else:
        data["others"] = None
        data["consensus"] = None
    return data


def _require_evaluator() -> User:
    user = current_actor()
    if not user.has_role(Role.EVALUATOR):
        raise NotAllowed("Only evaluators have evaluations.")
    return user


def _active_assignments(call: Call) -> list[Assignment]:
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN)
        .options(selectinload(Assignment.proposal), selectinload(Assignment.evaluator),
                 selectinload(Assignment.report))
        .order_by(Assignment.proposal_id, Assignment.id)))


# ---------------------------------------------------------------------------------------------- officers


@bp.post("/calls/<code>/evaluators")
@officer_required
@bp.arguments(InviteSchema)
@bp.response(201, PoolMemberSchema)
def invite_evaluator(body: dict[str, Any], code: str) -> PoolMember:
    """Invite an evaluator account to the call's pool (officers). 409 when already in it."""
    call = load_call(code)
    user = pool_service.find_evaluator(body["email"])
    member = pool_service.invite_evaluator(call, actor=current_actor(), user=user, expertise=body["expertise"],
                                           max_load=body["max_load"], organisation_name=body["organisation"],
                                           country=body["country"])
    return member


@bp.get("/calls/<code>/evaluators")
@officer_required
@bp.response(200, PoolMemberSchema(many=True))
def list_evaluators(code: str) -> list[PoolMember]:
    """The call's evaluator pool (officers)."""
    return pool_service.pool(load_call(code))


@bp.post("/calls/<code>/assignments/auto")
@officer_required
@bp.arguments(AutoAssignSchema)
@bp.response(200, AutoResultSchema)
@bp.alt_response(409, description="`infeasible`: `details.proposals` names each proposal that cannot be covered "
                                  "and why; nothing is changed.")
def auto_assign(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Fill every missing evaluator place (min-cost flow); the new assignments are PROPOSED until published."""
    call = load_call(code)
    result = assigning.fill_gaps(call, actor=current_actor(), discard_proposed=body["discard_proposed"])
    return {"created": result.created, "withdrawn": [a.id for a in result.withdrawn], "removed": result.removed,
            "assignments": _active_assignments(call)}


@bp.get("/calls/<code>/assignments")
@officer_required
@bp.response(200, AssignmentSchema(many=True))
def list_assignments(code: str) -> list[Assignment]:
    """Every active (proposed or published) assignment of the call (officers)."""
    return _active_assignments(load_call(code))


@bp.post("/calls/<code>/assignments/publish")
@officer_required
@bp.arguments(PublishSchema)
@bp.response(200, PublishResultSchema)
def publish_assignments(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Publish the proposed assignments: their evaluators see them from now on. Needs the evaluation deadline."""
    call = load_call(code)
    published = assigning.publish_assignments(call, actor=current_actor(),
                                              evaluation_deadline=body["evaluation_deadline"])
    return {"published": len(published), "evaluation_deadline": call.evaluation_deadline}


@bp.get("/calls/<code>/evaluation")
@officer_required
@bp.response(200, ProgressSchema)
def evaluation_progress(code: str) -> dict[str, Any]:
    """Counts of the evaluation and whether the call is ready to rank (officers)."""
    progress = call_progress(load_call(code))
    return {"ready_to_rank": progress.ready, "reasons": progress.reasons, "counts": progress.counts}


def _submitted_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("There is no such proposal.")
    return proposal


@bp.patch("/proposals/<int(max=2147483647):proposal_id>/eligibility")
@officer_required
@bp.arguments(EligibilityInSchema)
@bp.response(200, EligibilityOutSchema)
def decide_eligibility(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Confirm or override the automatic eligibility result, with a reason (officers; after the deadline)."""
    proposal = _submitted_proposal(proposal_id)
    screening.decide_eligibility(proposal, actor=current_actor(), eligible=body["eligibility"] == "eligible",
                                 reason=body["reason"])
    checklist = screening.automatic_checks(proposal)
    return {"id": proposal.id, "reference": proposal.reference, "eligibility": proposal.eligibility,
            "eligibility_reason": proposal.eligibility_reason, "screened_at": proposal.screened_at,
            "automatic_checks": [c.as_dict() for c in checklist.checks]}


@bp.post("/proposals/<int(max=2147483647):proposal_id>/consensus/approve")
@officer_required
@bp.response(200, description="See the summary above.")
def approve_consensus(proposal_id: int) -> dict[str, Any]:
    """Approve the submitted consensus report (officers): its scores are what ranking uses."""
    proposal = _submitted_proposal(proposal_id)
    report = consensus_service.approve_consensus(proposal, actor=current_actor())
    data = _report(report) or {}
    data["proposal_id"] = proposal.id
    return data


class ReopenSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=4000))


@bp.post("/proposals/<int(max=2147483647):proposal_id>/consensus/reopen")
@officer_required
@bp.arguments(ReopenSchema)
@bp.response(200, description="See the summary above.")
def reopen_consensus(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Send a submitted or approved consensus back to the rapporteur as a draft, with a reason (officers)."""
    proposal = _submitted_proposal(proposal_id)
    report = consensus_service.reopen_consensus(proposal, actor=current_actor(), reason=body["reason"])
    data = _report(report) or {}
    data["proposal_id"] = proposal.id
    return data


# ---------------------------------------------------------------------------------------------- evaluators


@bp.get("/evaluations")
@bp.response(200, description="My evaluations (the id is the assignment's).")
def my_evaluations() -> list[dict[str, Any]]:
    """My evaluations: proposals assigned to me that I may see, with their status."""
    user = _require_evaluator()
    members = {m.call_id: m for m in db.session.scalars(
        sa.select(PoolMember).where(PoolMember.user_id == user.id))}
    entries = sorted(published_assignments(user, members), key=lambda e: e.assignment.id)
    items = [_summary(e.assignment, e.version, e.access) for e in entries if e.access is not Access.NONE]
    return items


@bp.get("/evaluations/<int(max=2147483647):evaluation_id>")
@bp.response(200, description="See the summary above.")
def get_evaluation(evaluation_id: int) -> dict[str, Any]:
    """One evaluation: before the declaration only acronym, title and consortium; then the proposal and my report;
    the other evaluators' reports only once mine is submitted."""
    _require_evaluator()
    return _detail(load_evaluation(evaluation_id, current_actor(), need=Access.SUMMARY))


@bp.put("/evaluations/<int(max=2147483647):evaluation_id>")
@bp.arguments(ReportInSchema)
@bp.response(200, description="See the summary above.")
def save_evaluation(body: dict[str, Any], evaluation_id: int) -> dict[str, Any]:
    """Save my draft report: scores 0 to the maximum in steps of 0.5, comments. Refused once submitted (409)."""
    _require_evaluator()
    view = load_evaluation(evaluation_id, current_actor())
    assert view.assignment is not None  # noqa: S101
    reviews.save_report(view.assignment, actor=current_actor(), scores=_score_inputs(body["scores"]),
                        overall_comment=body["overall_comment"])
    return _detail(load_evaluation(evaluation_id, current_actor()))


@bp.post("/evaluations/<int(max=2147483647):evaluation_id>/submit")
@bp.response(200, description="See the summary above.")
def submit_evaluation(evaluation_id: int) -> dict[str, Any]:
    """Submit and lock my report; 422 with `details.fields` when a score or a comment is missing."""
    _require_evaluator()
    view = load_evaluation(evaluation_id, current_actor())
    assert view.assignment is not None  # noqa: S101
    reviews.submit_report(view.assignment, actor=current_actor())
    return _detail(load_evaluation(evaluation_id, current_actor()))


@bp.post("/evaluations/<int(max=2147483647):evaluation_id>/conflict")
@bp.arguments(ConflictInSchema)
@bp.response(200, description="See the summary above.")
def declare(body: dict[str, Any], evaluation_id: int) -> dict[str, Any]:
    """Declare a conflict of interest (or none) on an assigned proposal; a conflict hides it from me (then 404)."""
    _require_evaluator()
    view = load_evaluation(evaluation_id, current_actor(), need=Access.SUMMARY)
    assert view.assignment is not None  # noqa: S101
    declare_conflict(view.assignment, actor=current_actor(), conflict=body["conflict"], note=body["note"])
    if body["conflict"]:
        return {"id": evaluation_id, "conflict": "conflict",
                "message": "Your conflict of interest is recorded; the proposal is no longer shown to you."}
    return _detail(load_evaluation(evaluation_id, current_actor()))


def _consensus_view(proposal_id: int) -> tuple[Proposal, EvaluatorView | None]:
    """The proposal for an officer, or for one of its evaluators with full access and their own report in."""
    proposal = _submitted_proposal(proposal_id)
    user = current_actor()
    if is_officer(user):
        return proposal, None
    if not user.has_role(Role.EVALUATOR):
        raise NotAllowed("Only evaluators and programme officers see consensus reports.")
    assignment = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                               Assignment.evaluator_id == user.id))
    if assignment is None:
        raise NotFound("There is no such proposal.")
    view = load_evaluation(assignment.id, user)
    if not own_report_submitted(assignment):
        raise NotFound("There is no such proposal.")
    return proposal, view


def _consensus_body(proposal: Proposal) -> dict[str, Any]:
    state = consensus_service.readiness(proposal)
    return {
        "proposal_id": proposal.id, "reference": proposal.reference, "ready": state.ready, "message": state.message,
        "rapporteur_id": state.rapporteur.evaluator_id if state.rapporteur else None,
        "spread": _spread(consensus_service.spreads(list(proposal.call.criteria), list(state.reports))),
        "report": _report(consensus_service.consensus_of(proposal)),
    }


@bp.get("/proposals/<int(max=2147483647):proposal_id>/consensus")
@bp.response(200, description="See the summary above.")
def get_consensus(proposal_id: int) -> dict[str, Any]:
    """The consensus report beside the spread of the IERs (officers; the proposal's evaluators after their IER)."""
    proposal, _view = _consensus_view(proposal_id)
    return _consensus_body(proposal)


@bp.put("/proposals/<int(max=2147483647):proposal_id>/consensus")
@bp.arguments(ConsensusInSchema)
@bp.response(200, description="See the summary above.")
def save_consensus(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """The rapporteur drafts the consensus (once every IER is in); `submit: true` sends it for approval."""
    user = current_actor()
    if not user.has_role(Role.EVALUATOR):
        raise NotAllowed("Only the proposal's rapporteur drafts the consensus report.")
    proposal = _submitted_proposal(proposal_id)
    consensus_service.save_consensus(proposal, actor=user, scores=_score_inputs(body["scores"]),
                                     overall_comment=body["overall_comment"], submit=body["submit"])
    return _consensus_body(proposal)
