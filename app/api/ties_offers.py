"""Residual ties and transfer offers over the API, for programme officers (and administrators): the same services
as the officer pages (`resolve_tie`, `revoke_tie_resolution`, `offer_transfers`).

GET a call's residual ties and its tie resolutions, record an order for one tie with its justification, revoke a
resolution; for event calls (stakeholder sessions → local events), GET what sending the transfer offers would reach
and the offers sent, and send them. Every endpoint answers 403 to other roles and 404 for an unknown call or
resolution; a refusal of the service answers in the API's error shape (422 invalid input, 409 invalid transition).
"""

from __future__ import annotations

from typing import Any

from app.api import bp
from app.api.schemas_selections import OfferSchema, OffersSchema, TieResolutionSchema, TieResolveSchema, TiesSchema
from app.models import Call, TieResolution
from app.models.selection import TransferOffer
from app.queries.access import load_call, load_tie_resolution
from app.queries.ranking import live_ranking
from app.queries.runs import list_tie_resolutions
from app.queries.transfer import offers_sent, transfer_plan
from app.services.selection import resolve_tie, revoke_tie_resolution
from app.services.transfer import offer_transfers
from app.web.access import current_actor, officer_required


def _resolution_body(resolution: TieResolution, call: Call) -> dict[str, Any]:
    return {"id": resolution.id, "call": call.code, "order": list(resolution.ordered_references),
            "justification": resolution.justification, "active": resolution.is_active,
            "created_at": resolution.created_at,
            "created_by": resolution.created_by.email if resolution.created_by else None,
            "revoked_at": resolution.revoked_at}


def _offer_body(offer: TransferOffer) -> dict[str, Any]:
    return {"id": offer.id, "proposal": offer.proposal.reference, "target_call": offer.target_call.code,
            "status": offer.status.value, "offered_at": offer.offered_at, "responded_at": offer.responded_at,
            "copy": offer.copy.reference if offer.copy else None}


# ---------------------------------------------------------------------------------------------- ties


@bp.get("/calls/<code>/ties")
@officer_required
@bp.response(200, TiesSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
def list_ties(code: str) -> dict[str, Any]:
    """The residual ties of the live ranking (the call's options) and the call's tie resolutions."""
    call = load_call(code)
    return {"ties": [list(tie.references) for tie in live_ranking(call).unresolved_ties],
            "resolutions": [_resolution_body(r, call) for r in list_tie_resolutions(call)]}


@bp.post("/calls/<code>/ties")
@officer_required
@bp.arguments(TieResolveSchema)
@bp.response(201, TieResolutionSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
@bp.alt_response(422, description="invalid_input: not one residual tie of the current ranking (details.ties lists "
                                  "them), a proposal named twice, or a justification too short")
def resolve_tie_operation(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Record the order of one residual tie with its justification; it applies from the next run (a previous
    resolution of the same proposals is revoked)."""
    call = load_call(code)
    resolution = resolve_tie(call, actor=current_actor(), ordered_references=args["order"],
                             justification=args["justification"])
    return _resolution_body(resolution, call)


@bp.post("/calls/<code>/ties/<int:resolution_id>/revoke")
@officer_required
@bp.response(200, TieResolutionSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or tie resolution")
@bp.alt_response(409, description="invalid_transition: already revoked")
def revoke_tie_operation(code: str, resolution_id: int) -> dict[str, Any]:
    """Withdraw a tie resolution: the next run orders the tie by reference again (runs made keep it)."""
    call = load_call(code)
    resolution = load_tie_resolution(call, resolution_id, current_actor())
    revoke_tie_resolution(resolution, actor=current_actor())
    return _resolution_body(resolution, call)


# ---------------------------------------------------------------------------------------------- transfer offers


@bp.get("/calls/<code>/offers")
@officer_required
@bp.response(200, OffersSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
def list_offers(code: str) -> dict[str, Any]:
    """Event calls: the proposals sending the offers now would reach, and each offer sent with its status."""
    call = load_call(code)
    plan = transfer_plan(call)
    return {"target_call": plan.target.code if plan.target else None,
            "candidates": [proposal.reference for proposal in plan.candidates],
            "offers": [_offer_body(offer) for offer in offers_sent(call)]}


@bp.post("/calls/<code>/offers")
@officer_required
@bp.response(201, OfferSchema(many=True))
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
@bp.alt_response(409, description="invalid_transition: the call names no other call, or no selection is final")
def send_offers(code: str) -> list[dict[str, Any]]:
    """Event calls: offer the proposals the final selection did not select a copy in the call's transfer target.
    Proposals already offered are skipped, so sending again reaches only new ones (an empty list)."""
    offers = offer_transfers(load_call(code), actor=current_actor())
    return [_offer_body(offer) for offer in offers]
