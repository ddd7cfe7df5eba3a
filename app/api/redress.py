"""Evaluation review (redress) over the API: the coordinator files a request about the proposal's letter and follows
it; officers read it. The same service as the applicant's page (`file_redress_request`): a late, second,
wrong-stage or non-coordinator request answers the API's error shape with the reason (409, 403, 422).

Officers work the call's queue as on its pages: read a request with its re-evaluation, record the review committee's
outcome (`rejected` with its reply letter, or `upheld`), assign the re-evaluation's new evaluators, re-run the
selection, then read the outcome the re-evaluation leads to (`scoring.review`: funded from the budget left, on the
reserve list, or the decision stands) and confirm it, which closes the request with its reply letter.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api import abort, bp
from app.clock import utcnow
from app.enums import LetterKind, RedressGround, Role
from app.languages import N_
from app.models import Assignment, Call, Proposal, RedressRequest, User
from app.models.limits import MAX_REDRESS_GROUNDS
from app.queries.access import load_call, load_proposal_for_viewer, load_redress_request, require_officer
from app.queries.redress import proposal_requests, redress_queue, reevaluation_of, rerun_difference, review_preview
from app.queries.runs import ComparedProposal
from app.services.errors import NotReady
from app.services.redress import (
    assign_reevaluators,
    close_redress_request,
    file_redress_request,
    reject_redress_request,
    rerun_after_review,
    uphold_redress_request,
)
from app.web.access import current_actor
from scoring import decision_to_dict

STAGES = ("ineligible", "rejection", "reserve")


class RedressFileSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES), metadata={
        "description": "The decision of the letter the request is about: ineligible, rejection or reserve"})
    ground = fields.String(required=True, validate=validate.OneOf([g.value for g in RedressGround]), metadata={
        "description": "eligibility_check (ineligibility), evaluation_procedure or incoherence (between scores and "
                       "comments) — never the merits"})
    grounds = fields.String(required=True, validate=validate.Length(max=MAX_REDRESS_GROUNDS), metadata={
        "description": "What went wrong and how it could change the decision"})


class RedressOutcomeSchema(Schema):
    outcome = fields.String(metadata={"description": "funded (from the budget left), reserve (on the reserve list) or "
                                                     "unchanged (the decision stands)"})
    code = fields.String(metadata={"description": "The rule that decided: fits, budget (funds short: first reserve "
                                                  "place), award_cap (cap reached: first reserve place), reserve (at "
                                                  "its rank), threshold, not_funded or no_better (decision stands)"})
    reason = fields.String(metadata={"description": "The scoring core's sentence, with the figures"})
    rank = fields.Integer(allow_none=True, metadata={"description": "Its rank in the re-run"})
    total = fields.String(allow_none=True, metadata={"description": "Its new weighted total, a decimal string"})
    grant = fields.String(metadata={"description": "Its requested grant, a decimal string"})
    budget_left = fields.String(allow_none=True, metadata={
        "description": "The budget left in force before it (budget less the grants in force); null: no budget"})
    budget_left_after = fields.String(allow_none=True)
    reserve_position = fields.Integer(allow_none=True)
    run = fields.Integer(allow_none=True, metadata={
        "description": "The run that applied it (follows the run in force); null when the decision stands or before "
                       "it is confirmed"})


class RedressRequestSchema(Schema):
    id = fields.Integer()
    proposal = fields.String(metadata={"description": "The proposal's reference"})
    call = fields.String(metadata={"description": "The call's code"})
    letter = fields.String(metadata={"description": "The reference of the letter the request is about"})
    stage = fields.String()
    ground = fields.String()
    grounds = fields.String()
    status = fields.String(metadata={"description": "filed, rejected or upheld"})
    status_label = fields.String()
    filed_at = fields.DateTime()
    window_closes_at = fields.DateTime(metadata={"description": "The end of the window it was filed in"})
    decided_at = fields.DateTime(allow_none=True)
    reply_letter = fields.String(allow_none=True, metadata={
        "description": "The reference of the committee's reply letter (verifiable at /verify/<code>)"})
    closed_at = fields.DateTime(allow_none=True, metadata={
        "description": "When an upheld request was closed with the outcome of its re-evaluation"})
    outcome = fields.Nested(RedressOutcomeSchema, allow_none=True, metadata={
        "description": "The outcome of an upheld request's re-evaluation, once confirmed (null before)"})


class RedressRequestsSchema(Schema):
    requests = fields.List(fields.Nested(RedressRequestSchema))


def _body(request: RedressRequest) -> dict[str, Any]:
    return {"id": request.id, "proposal": request.proposal.reference, "call": request.proposal.call.code,
            "letter": request.letter.reference, "stage": request.stage.value, "ground": request.ground.value,
            "grounds": request.grounds_text, "status": request.status.value, "status_label": request.status.label,
            "filed_at": request.filed_at, "window_closes_at": request.window_closes_at,
            "decided_at": request.decided_at,
            "reply_letter": request.reply_letter.reference if request.reply_letter else None,
            "closed_at": request.closed_at, "outcome": _outcome(request.outcome) if request.outcome else None}


def _outcome(recorded: dict[str, Any]) -> dict[str, Any]:
    return {key: recorded.get(key) for key in ("outcome", "code", "reason", "rank", "total", "grant", "budget_left",
                                               "budget_left_after", "reserve_position", "run")}


def _proposal(proposal_id: int, user: User) -> Proposal:
    """The proposal, for its applicants and the officers; 404 when it is not the user's to see, 403 for evaluators."""
    proposal = load_proposal_for_viewer(proposal_id, user, full=False)
    if not user.has_role(Role.OFFICER, Role.ADMIN, Role.APPLICANT):
        abort(403, message="Reviews are for the coordinator's applicants and the programme officers.")
    return proposal


@bp.get("/proposals/<int:proposal_id>/redress-requests")
@bp.response(200, RedressRequestsSchema)
@bp.alt_response(403, description="Not an applicant or a programme officer")
@bp.alt_response(404, description="No such proposal, or not yours")
def list_redress_requests(proposal_id: int) -> dict[str, Any]:
    """The proposal's requests for an evaluation review, oldest first, with their state."""
    proposal = _proposal(proposal_id, current_actor())
    return {"requests": [_body(request) for request in proposal_requests(proposal)]}


@bp.post("/proposals/<int:proposal_id>/redress-requests")
@bp.arguments(RedressFileSchema)
@bp.response(201, RedressRequestSchema)
@bp.alt_response(403, description="Not an applicant of the coordinating organisation")
@bp.alt_response(404, description="No such proposal, or not yours")
@bp.alt_response(409, description="A second request, the window closed, or the letter is of another decision")
@bp.alt_response(422, description="A ground the decision does not admit, or grounds too short")
def file_redress(body: dict[str, Any], proposal_id: int) -> dict[str, Any]:
    """File the coordinator's request for a review of the decision of the proposal's letter."""
    user = current_actor()
    proposal = _proposal(proposal_id, user)
    request = file_redress_request(proposal, actor=user, stage=LetterKind(body["stage"]),
                                   ground=RedressGround(body["ground"]), grounds_text=body["grounds"])
    return _body(request)


# --- officers: the call's queue, the committee's outcome, the re-evaluation -----------------------------------------

class RedressQueueRowSchema(RedressRequestSchema):
    days_elapsed = fields.Integer(metadata={"description": "Days since filing, to the decision or to now"})


class RedressQueueSchema(Schema):
    requests = fields.List(fields.Nested(RedressQueueRowSchema), metadata={
        "description": "Those awaiting the review committee first, then by filing"})


class RedressDecisionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["rejected", "upheld"]), metadata={
        "description": "rejected: the decision stands (a reply letter is issued); upheld: the proposal is "
                       "re-evaluated by new evaluators"})
    assessment = fields.String(required=True, validate=validate.Length(max=MAX_REDRESS_GROUNDS), metadata={
        "description": "The committee's reasons, printed in the reply letter"})


class PanelMemberSchema(Schema):
    assignment = fields.Integer()
    evaluator = fields.String(metadata={"description": "The evaluator's name"})
    rapporteur = fields.Boolean()
    report = fields.String(allow_none=True, metadata={"description": "draft or submitted; null before the first save"})


class ReevaluationSchema(Schema):
    needed = fields.Integer(metadata={"description": "The call's evaluators per proposal"})
    panel = fields.List(fields.Nested(PanelMemberSchema))
    consensus = fields.String(allow_none=True, metadata={
        "description": "The new consensus's status (draft, submitted, approved); null before the first save"})


class RerunChangeSchema(Schema):
    proposal = fields.String(metadata={"description": "The proposal's reference"})
    before = fields.String(allow_none=True, metadata={"description": "Its outcome in the finalised run"})
    after = fields.String(allow_none=True, metadata={"description": "Its outcome in the re-run"})
    requested = fields.String(allow_none=True, metadata={"description": "The requested grant, a decimal string"})


class RerunSchema(Schema):
    run = fields.Integer(metadata={"description": "The re-run's number (/api/v1/calls/{code}/runs/{number})"})
    compared_with = fields.Integer(metadata={"description": "The finalised run it is compared with"})
    changes = fields.List(fields.Nested(RerunChangeSchema), metadata={
        "description": "The proposals whose outcome changes"})


class RedressCaseSchema(RedressRequestSchema):
    assessment = fields.String(allow_none=True)
    rerun = fields.Nested(RerunSchema, allow_none=True, metadata={
        "description": "The upheld request's re-run of the ranking and selection and who moved (null before it)"})
    reevaluation = fields.Nested(ReevaluationSchema, allow_none=True, metadata={
        "description": "Where the re-evaluation of an upheld request stands (null otherwise)"})


def _panel_member(assignment: Assignment) -> dict[str, Any]:
    report = assignment.report
    return {"assignment": assignment.id, "evaluator": assignment.evaluator.full_name,
            "rapporteur": assignment.is_rapporteur, "report": report.status.value if report else None}


def _change(compared: ComparedProposal) -> dict[str, Any]:
    latest = compared.b or compared.a
    requested = latest.requested if latest is not None else None
    return {"proposal": compared.reference, "before": compared.a.status if compared.a else None,
            "after": compared.b.status if compared.b else None,
            "requested": None if requested is None else f"{requested:.2f}"}


def _rerun(request: RedressRequest) -> dict[str, Any] | None:
    difference = rerun_difference(request)
    if difference is None:
        return None
    return {"run": difference.b.number, "compared_with": difference.a.number,
            "changes": [_change(compared) for compared in difference.changed]}


def _case(request: RedressRequest) -> dict[str, Any]:
    reevaluation = reevaluation_of(request)
    return {**_body(request), "assessment": request.assessment, "rerun": _rerun(request),
            "reevaluation": None if reevaluation is None else {
        "needed": reevaluation.needed, "panel": [_panel_member(a) for a in reevaluation.panel],
        "consensus": reevaluation.consensus.status.value if reevaluation.consensus else None}}


def _officers_request(code: str, redress_id: int) -> tuple[Call, RedressRequest]:
    call = load_call(code)
    return call, load_redress_request(call, redress_id, current_actor())


@bp.get("/calls/<code>/redress-requests")
@bp.response(200, RedressQueueSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
def redress_call_queue(code: str) -> dict[str, Any]:
    """The call's evaluation review requests, as the officers' queue shows them."""
    call = load_call(code)
    require_officer(current_actor(), to=N_("read the evaluation reviews"))
    return {"requests": [{**_body(row.request), "days_elapsed": row.days_elapsed}
                         for row in redress_queue(call, utcnow())]}


@bp.get("/calls/<code>/redress-requests/<int:redress_id>")
@bp.response(200, RedressCaseSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or request")
def redress_get(code: str, redress_id: int) -> dict[str, Any]:
    """One request, the committee's assessment and, once upheld, its re-evaluation."""
    return _case(_officers_request(code, redress_id)[1])


@bp.post("/calls/<code>/redress-requests/<int:redress_id>/decision")
@bp.arguments(RedressDecisionSchema)
@bp.response(200, RedressCaseSchema)
@bp.alt_response(403, description="Not a programme officer, or one who took part in the proposal's evaluation")
@bp.alt_response(404, description="No such call or request")
@bp.alt_response(409, description="Already decided, or upheld on an ineligibility decision")
@bp.alt_response(422, description="An assessment too short or too long")
def redress_decide(body: dict[str, Any], code: str, redress_id: int) -> dict[str, Any]:
    """Record the review committee's outcome: `rejected` (reply letter issued) or `upheld` (re-evaluation)."""
    _, request = _officers_request(code, redress_id)
    decide = uphold_redress_request if body["outcome"] == "upheld" else reject_redress_request
    decide(request, actor=current_actor(), assessment=body["assessment"])
    return _case(request)


@bp.post("/calls/<code>/redress-requests/<int:redress_id>/reevaluators")
@bp.response(201, RedressCaseSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or request")
@bp.alt_response(409, description="The request is not upheld, the re-evaluation already has its evaluators, or "
                                  "infeasible: no evaluator left who fits (details.proposals say why)")
def redress_assign_reevaluators(code: str, redress_id: int) -> dict[str, Any]:
    """Assign the re-evaluation's evaluators (none of the original ones, no conflict), published to them at once."""
    _, request = _officers_request(code, redress_id)
    assign_reevaluators(request, actor=current_actor())
    return _case(request)


@bp.post("/calls/<code>/redress-requests/<int:redress_id>/rerun")
@bp.response(201, RedressCaseSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or request")
@bp.alt_response(409, description="The request is not upheld, or the re-evaluation's consensus is not approved yet")
def redress_rerun_operation(code: str, redress_id: int) -> dict[str, Any]:
    """Re-run the ranking and selection with the re-evaluation's consensus: a new recorded run, and who moved."""
    _, request = _officers_request(code, redress_id)
    rerun_after_review(request, actor=current_actor())
    return _case(request)


class RedressOutcomePreviewSchema(Schema):
    closed = fields.Boolean(metadata={"description": "True once confirmed: `outcome` is then the one recorded"})
    outcome = fields.Nested(RedressOutcomeSchema, allow_none=True, metadata={
        "description": "Null while there is none to confirm (`waiting` says why)"})
    waiting = fields.String(allow_none=True, metadata={
        "description": "What the outcome waits for (the request upheld, the re-run, a finalised run in force)"})
    token = fields.String(allow_none=True, metadata={
        "description": "Send it back to confirm exactly this outcome (null once closed)"})
    in_force = fields.Integer(allow_none=True, metadata={"description": "The finalised run it is placed against"})
    rerun = fields.Integer(allow_none=True, metadata={"description": "The re-run its new rank comes from"})


class RedressOutcomeConfirmSchema(Schema):
    token = fields.String(required=True, metadata={"description": "The token of the outcome read (GET …/outcome)"})


@bp.get("/calls/<code>/redress-requests/<int:redress_id>/outcome")
@bp.response(200, RedressOutcomePreviewSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or request")
def redress_outcome_read(code: str, redress_id: int) -> dict[str, Any]:
    """The outcome the upheld request's re-evaluation leads to, as the scoring core decides it, with the token that
    confirms it; once confirmed, the outcome recorded."""
    _, request = _officers_request(code, redress_id)
    require_officer(current_actor(), to=N_("read the evaluation reviews"))
    if request.outcome is not None:
        return {"closed": True, "outcome": _outcome(request.outcome), "token": None, "waiting": None,
                "in_force": request.outcome.get("in_force"), "rerun": request.outcome.get("rerun")}
    try:
        preview = review_preview(request)
    except NotReady as blocked:
        return {"closed": False, "outcome": None, "token": None, "waiting": blocked.message, "in_force": None,
                "rerun": None}
    if preview is None:
        return {"closed": False, "outcome": None, "token": None, "in_force": None, "rerun": None,
                "waiting": "The request must be upheld and the ranking and selection re-run with the re-evaluation's "
                           "consensus."}
    decided = {**decision_to_dict(preview.decision), "run": None}
    return {"closed": False, "outcome": _outcome(decided), "token": preview.token, "waiting": None,
            "in_force": preview.in_force.number, "rerun": preview.rerun.number}


@bp.post("/calls/<code>/redress-requests/<int:redress_id>/outcome")
@bp.arguments(RedressOutcomeConfirmSchema)
@bp.response(200, RedressCaseSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or request")
@bp.alt_response(409, description="Not upheld, already closed, not re-run yet, or the token is out of date")
def redress_outcome_confirm(body: dict[str, Any], code: str, redress_id: int) -> dict[str, Any]:
    """Confirm the outcome read with its token: applied to the run in force (a new finalised run when the
    proposal's place changes), the request closed and the reply letter issued to the coordinator."""
    _, request = _officers_request(code, redress_id)
    close_redress_request(request, actor=current_actor(), token=body["token"])
    return _case(request)
