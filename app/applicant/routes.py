from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.applicant import bp
from app.clock import utcnow
from app.extensions import db
from app.models import Call, Proposal, Submission
from app.services import membership
from app.services.eligibility import check_proposal
from app.services.errors import DomainError
from app.services.proposals import create_proposal
from app.viewhelpers import signed_in_user
from forms.proposal import StartProposalForm


@bp.get("/")
def dashboard() -> str:
    """My organisation's proposals across calls, and the calls open now."""
    now = utcnow()
    user = signed_in_user()
    proposals: list[Proposal] = []
    if user.organisation_id is not None:
        proposals = list(db.session.scalars(
            sa.select(Proposal).where(Proposal.organisation_id == user.organisation_id)
            .options(selectinload(Proposal.call), selectinload(Proposal.partners),
                     selectinload(Proposal.documents), selectinload(Proposal.submissions).defer(Submission.snapshot))
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        ))
    checklists = {proposal.id: check_proposal(proposal) for proposal in proposals}
    open_calls = db.session.scalars(
        sa.select(Call).where(Call.opens_at <= now, Call.deadline > now).order_by(Call.deadline)
    ).all()
    organisation = user.organisation
    return render_template(
        "applicant/dashboard.html", proposals=proposals, checklists=checklists, open_calls=open_calls, now=now,
        start_form=StartProposalForm(),
        waiting_requests=len(membership.waiting_join_requests(organisation)) if organisation else 0,
        join_request=None if organisation else membership.pending_join_request(user),
    )


@bp.post("/calls/<code>/proposals")
def start_proposal(code: str) -> Response:
    """Start a draft in an open call and go to its first section."""
    call = db.first_or_404(sa.select(Call).where(Call.code == code), description=f"There is no call {code!r}.")
    form = StartProposalForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("public.call_detail", code=code))
    try:
        proposal = create_proposal(call, actor=signed_in_user())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("public.call_detail", code=code))
    db.session.commit()
    flash(f"Draft {proposal.reference} started. Save each section as you go; you can come back at any time "
          "before the deadline.", "success")
    return redirect(url_for("applicant.proposal_summary", proposal_id=proposal.id))

