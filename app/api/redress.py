"""Evaluation review (redress) over the API: the coordinator files a request about the proposal's letter and follows
it; officers read it. The same service as the applicant's page (`file_redress_request`): a late, second,
wrong-stage or non-coordinator request answers the API's error shape with the reason (409, 403, 422).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api import abort, bp
from app.enums import LetterKind, RedressGround, Role
from app.models import Proposal, RedressRequest, User
from app.models.limits import MAX_REDRESS_GROUNDS
from app.queries.access import load_proposal_for_viewer
from app.queries.redress import proposal_requests
from app.services.redress import file_redress_request
from app.web.access import current_actor

STAGES = ("ineligible", "rejection", "reserve")


class RedressFileSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES), metadata={
        "description": "The decision of the letter the request is about: ineligible, rejection or reserve"})
    ground = fields.String(required=True, validate=validate.OneOf([g.value for g in RedressGround]), metadata={
        "description": "eligibility_check (ineligibility), evaluation_procedure or incoherence (between scores and "
                       "comments) — never the merits"})
    grounds = fields.String(required=True, validate=validate.Length(max=MAX_REDRESS_GROUNDS), metadata={
        "description": "What went wrong and how it could change the decision"})


class RedressRequestSchema(Schema):
    id = fields.Integer()
    proposal = fields.String(metadata={"description": "The proposal's reference"})
    call = fields.String(metadata={"description": "The call's code"})
    letter = fields.String(metadata={"description": "The reference of the letter the request is about"})
    stage = fields.String()
    ground = fields.String()
    grounds = fields.String()
    status = fields.String(metadata={"description": "filed"})
    status_label = fields.String()
    filed_at = fields.DateTime()
    window_closes_at = fields.DateTime(metadata={"description": "The end of the window it was filed in"})


class RedressRequestsSchema(Schema):
    requests = fields.List(fields.Nested(RedressRequestSchema))


def _body(request: RedressRequest) -> dict[str, Any]:
    return {"id": request.id, "proposal": request.proposal.reference, "call": request.proposal.call.code,
            "letter": request.letter.reference, "stage": request.stage.value, "ground": request.ground.value,
            "grounds": request.grounds_text, "status": request.status.value, "status_label": request.status.label,
            "filed_at": request.filed_at, "window_closes_at": request.window_closes_at}


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
