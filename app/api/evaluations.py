"""Evaluation over the API: the same services, rules and errors as the pages.

Officers: invite evaluators, compute and publish assignments, screen proposals, approve consensus reports.
Evaluators: their evaluations (the id is the assignment's), declarations, individual reports, and — for the
rapporteur — the consensus. A proposal an evaluator may not see answers 404 whatever the reason (not assigned,
not published, conflicted, code of conduct not accepted); other roles get 403.
"""

from __future__ import annotations

from typing import Any

from app.api import bp
from app.api.schemas_evaluations import (
    AssignmentSchema,
    AutoAssignSchema,
    AutoResultSchema,
    ConflictInSchema,
    ConsensusInSchema,
    EligibilityInSchema,
    EligibilityOutSchema,
    InviteSchema,
    PoolMemberSchema,
    ProgressSchema,
    PublishResultSchema,
    PublishSchema,
    ReopenSchema,
    ReportInSchema,
)
from app.inputs import ScoreInput
from app.models import Assignment, Call, ConsensusReport, IndividualReport, PoolMember, Proposal
from app.queries.access import load_call, load_proposal_for_viewer
from app.queries.assignment import active_call_assignments
from app.queries.consensus import Spread, consensus_of, load_consensus_proposal, readiness, spreads
from app.queries.evaluation import (
    Access,
    Evaluation,
    load_evaluation,
    own_report_submitted,
    peer_reports,
    published_assignments,
    require_evaluator,
)
from app.queries.evaluation_progress import call_progress
from app.queries.pool import call_pool, find_evaluator, memberships_of
from app.queries.screening import automatic_checks
from app.queries.submitted import SubmittedVersion
from app.services import assignment as assigning
from app.services import consensus as consensus_service
from app.services import pool as pool_service
from app.services import reviews, screening
from app.services.conflicts import declare_conflict
from app.web.access import current_actor, officer_required

# ---------------------------------------------------------------------------------------------- bodies


def _score_inputs(items: list[dict[str, Any]]) -> dict[str, ScoreInput]:
    return {item["criterion"]: ScoreInput(item.get("score"), item.get("comment") or "") for item in items}


def _criteria(call: Call) -> list[dict[str, Any]]:
    return [{"key": c.key, "name": c.name, "max_score": str(c.max_score),
             "threshold": None if c.threshold is None else str(c.threshold)} for c in call.criteria]


def _report(report: IndividualReport | ConsensusReport | None) -> dict[str, Any] | None:
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
    if isinstance(report, ConsensusReport):
        data["approved_at"] = report.approved_at.isoformat() if report.approved_at else None
    return data


def _spread(rows: list[Spread]) -> list[dict[str, Any]]:
    return [{"criterion": s.criterion.key, "scores": [str(v) for v in s.scores],
             "min": None if s.minimum is None else str(s.minimum), "max": None if s.maximum is None else str(s.maximum),
             "mean": None if s.mean is None else str(s.mean), "divergent": s.divergent} for s in rows]


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


def _detail(view: Evaluation) -> dict[str, Any]:
    assignment, version = view.assignment, view.version
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
    own = assignment.report
    if own is not None and own_report_submitted(assignment):
        peers = peer_reports(assignment)
        data["others"] = [_report(r) for r in peers]
        data["spread"] = _spread(spreads(list(call.criteria), [*peers, own]))
        data["consensus"] = _report(consensus_of(assignment.proposal))
    else:
        data["others"] = None
        data["consensus"] = None
    return data


# ---------------------------------------------------------------------------------------------- officers


@bp.post("/calls/<code>/evaluators")
@officer_required
@bp.arguments(InviteSchema)
@bp.response(201, PoolMemberSchema)
def invite_evaluator(body: dict[str, Any], code: str) -> PoolMember:
    """Invite an evaluator account to the call's pool (officers). 409 when already in it."""
    return pool_service.invite_evaluator(load_call(code), actor=current_actor(), user=find_evaluator(body["email"]),
                                         expertise=body["expertise"], max_load=body["max_load"],
                                         organisation_name=body["organisation"], country=body["country"])


@bp.get("/calls/<code>/evaluators")
@officer_required
@bp.response(200, PoolMemberSchema(many=True))
def list_evaluators(code: str) -> list[PoolMember]:
    """The call's evaluator pool (officers)."""
    return call_pool(load_call(code))


@bp.post("/calls/<code>/assignments/auto")
@officer_required
@bp.arguments(AutoAssignSchema)
@bp.response(200, AutoResultSchema)
@bp.alt_response(409, description="`infeasible`: `details.proposals` names each proposal that cannot be covered "
                                  "and why, `details.rule` the panel rule that cannot be met (null when loads or "
                                  "conflicts are the cause); nothing is changed.")
def auto_assign(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Fill every missing evaluator place (min-cost flow); the new assignments are PROPOSED until published."""
    call = load_call(code)
    result = assigning.fill_gaps(call, actor=current_actor(), discard_proposed=body["discard_proposed"])
    return {"created": result.created, "withdrawn": [a.id for a in result.withdrawn], "removed": result.removed,
            "assignments": active_call_assignments(call)}


@bp.get("/calls/<code>/assignments")
@officer_required
@bp.response(200, AssignmentSchema(many=True))
def list_assignments(code: str) -> list[Assignment]:
    """Every active (proposed or published) assignment of the call (officers)."""
    return active_call_assignments(load_call(code))


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


@bp.patch("/proposals/<int(max=2147483647):proposal_id>/eligibility")
@officer_required
@bp.arguments(EligibilityInSchema)
@bp.response(200, EligibilityOutSchema)
def decide_eligibility(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Confirm or override the automatic eligibility result, with a reason (officers; after the deadline)."""
    proposal = load_proposal_for_viewer(proposal_id, current_actor(), full=False)
    screening.decide_eligibility(proposal, actor=current_actor(), eligible=body["eligibility"] == "eligible",
                                 reason=body["reason"])
    checklist = automatic_checks(proposal)
    return {"id": proposal.id, "reference": proposal.reference, "eligibility": proposal.eligibility,
            "eligibility_reason": proposal.eligibility_reason, "screened_at": proposal.screened_at,
            "automatic_checks": [c.as_dict() for c in checklist.checks]}


@bp.post("/proposals/<int(max=2147483647):proposal_id>/consensus/approve")
@officer_required
@bp.response(200, description="See the summary above.")
def approve_consensus(proposal_id: int) -> dict[str, Any]:
    """Approve the submitted consensus report (officers): its scores are what ranking uses."""
    proposal = load_proposal_for_viewer(proposal_id, current_actor(), full=False)
    report = consensus_service.approve_consensus(proposal, actor=current_actor())
    data = _report(report) or {}
    data["proposal_id"] = proposal.id
    return data


@bp.post("/proposals/<int(max=2147483647):proposal_id>/consensus/reopen")
@officer_required
@bp.arguments(ReopenSchema)
@bp.response(200, description="See the summary above.")
def reopen_consensus(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """Send a submitted or approved consensus back to the rapporteur as a draft, with a reason (officers)."""
    proposal = load_proposal_for_viewer(proposal_id, current_actor(), full=False)
    report = consensus_service.reopen_consensus(proposal, actor=current_actor(), reason=body["reason"])
    data = _report(report) or {}
    data["proposal_id"] = proposal.id
    return data


# ---------------------------------------------------------------------------------------------- evaluators


@bp.get("/evaluations")
@bp.response(200, description="My evaluations (the id is the assignment's).")
def my_evaluations() -> list[dict[str, Any]]:
    """My evaluations: proposals assigned to me that I may see, with their status."""
    user = require_evaluator(current_actor())
    members = {m.call_id: m for m in memberships_of(user)}
    entries = sorted(published_assignments(user, members), key=lambda e: e.assignment.id)
    return [_summary(e.assignment, e.version, e.access) for e in entries if e.access is not Access.NONE]


@bp.get("/evaluations/<int(max=2147483647):evaluation_id>")
@bp.response(200, description="See the summary above.")
def get_evaluation(evaluation_id: int) -> dict[str, Any]:
    """One evaluation: before the declaration only acronym, title and consortium; then the proposal and my report;
    the other evaluators' reports only once mine is submitted."""
    return _detail(load_evaluation(evaluation_id, current_actor(), need=Access.SUMMARY))


@bp.put("/evaluations/<int(max=2147483647):evaluation_id>")
@bp.arguments(ReportInSchema)
@bp.response(200, description="See the summary above.")
def save_evaluation(body: dict[str, Any], evaluation_id: int) -> dict[str, Any]:
    """Save my draft report: scores 0 to the maximum in steps of 0.5, comments. Refused once submitted (409)."""
    view = load_evaluation(evaluation_id, current_actor())
    reviews.save_report(view.assignment, actor=current_actor(), scores=_score_inputs(body["scores"]),
                        overall_comment=body["overall_comment"])
    return _detail(load_evaluation(evaluation_id, current_actor()))


@bp.post("/evaluations/<int(max=2147483647):evaluation_id>/submit")
@bp.response(200, description="See the summary above.")
def submit_evaluation(evaluation_id: int) -> dict[str, Any]:
    """Submit and lock my report; 422 with `details.fields` when a score or a comment is missing."""
    view = load_evaluation(evaluation_id, current_actor())
    reviews.submit_report(view.assignment, actor=current_actor())
    return _detail(load_evaluation(evaluation_id, current_actor()))


@bp.post("/evaluations/<int(max=2147483647):evaluation_id>/conflict")
@bp.arguments(ConflictInSchema)
@bp.response(200, description="See the summary above.")
def declare(body: dict[str, Any], evaluation_id: int) -> dict[str, Any]:
    """Declare a conflict of interest (or none) on an assigned proposal; a conflict hides it from me (then 404)."""
    view = load_evaluation(evaluation_id, current_actor(), need=Access.SUMMARY)
    declare_conflict(view.assignment, actor=current_actor(), conflict=body["conflict"], note=body["note"])
    if body["conflict"]:
        return {"id": evaluation_id, "conflict": "conflict",
                "message": "Your conflict of interest is recorded; the proposal is no longer shown to you."}
    return _detail(load_evaluation(evaluation_id, current_actor()))


def _consensus_body(proposal: Proposal) -> dict[str, Any]:
    state = readiness(proposal)
    return {
        "proposal_id": proposal.id, "reference": proposal.reference, "ready": state.ready, "message": state.message,
        "rapporteur_id": state.rapporteur.evaluator_id if state.rapporteur else None,
        "spread": _spread(spreads(list(proposal.call.criteria), list(state.reports))),
        "report": _report(consensus_of(proposal)),
    }


@bp.get("/proposals/<int(max=2147483647):proposal_id>/consensus")
@bp.response(200, description="See the summary above.")
def get_consensus(proposal_id: int) -> dict[str, Any]:
    """The consensus report beside the spread of the IERs (officers; the proposal's evaluators after their IER)."""
    return _consensus_body(load_consensus_proposal(proposal_id, current_actor()))


@bp.put("/proposals/<int(max=2147483647):proposal_id>/consensus")
@bp.arguments(ConsensusInSchema)
@bp.response(200, description="See the summary above.")
def save_consensus(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """The rapporteur drafts the consensus (once every IER is in); `submit: true` sends it for approval."""
    user = require_evaluator(current_actor(), refusal="Only the proposal's rapporteur drafts the consensus report.")
    proposal = load_proposal_for_viewer(proposal_id, user, full=False)
    consensus_service.save_consensus(proposal, actor=user, scores=_score_inputs(body["scores"]),
                                     overall_comment=body["overall_comment"], submit=body["submit"])
    return _consensus_body(proposal)
