"""The applicant's home: the organisation's proposals and the calls open now; starting a draft."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.applicant import bp
from app.clock import utcnow
from app.enums import letter_decision_label
from app.models import Proposal, RedressRequest
from app.queries.access import load_visible_call
from app.queries.calls import open_calls
from app.queries.eligibility import check_proposal
from app.queries.membership import pending_join_request, waiting_join_requests
from app.queries.proposals import organisation_proposals
from app.queries.redress import organisation_requests
from app.services.proposals import create_proposal
from app.translation import gettext as _
from app.web.access import current_actor
from app.web.transaction import command
from forms.proposal import StartProposalForm


@bp.get("/")
def dashboard() -> str:
    """My organisation's proposals across calls, and the calls open now."""
    now = utcnow()
    user = current_actor()
    proposals: list[Proposal] = []
    reviews: list[RedressRequest] = []
    if user.organisation_id is not None:
        proposals = organisation_proposals(user.organisation_id)
        reviews = organisation_requests(user.organisation_id)
    checklists = {proposal.id: check_proposal(proposal) for proposal in proposals}
    organisation = user.organisation
    return render_template(
        "applicant/dashboard.html", proposals=proposals, checklists=checklists, open_calls=open_calls(now), now=now,
        start_form=StartProposalForm(), reviews=reviews, decision_label=letter_decision_label,
        waiting_requests=len(waiting_join_requests(organisation)) if organisation else 0,
        join_request=None if organisation else pending_join_request(user),
    )


@bp.post("/calls/<code>/proposals")
def start_proposal(code: str) -> Response:
    """Start a draft in an open call and go to its first section."""
    call = load_visible_call(code, current_actor())
    form = StartProposalForm()
    if not form.validate_on_submit():
        flash(_("The form expired; try again."), "error")
        return redirect(url_for("public.call_detail", code=code))
    with command() as outcome:
        proposal = create_proposal(call, actor=current_actor())
    if not outcome.ok:
        return redirect(url_for("public.call_detail", code=code))
    flash(_("Draft %(reference)s started. Save each section as you go; you can come back at any time before the "
            "deadline.", reference=proposal.reference), "success")
    return redirect(url_for("applicant.proposal_summary", proposal_id=proposal.id))

