"""Officer pages of the intake stage: a call's proposals, one proposal read-only, extensions, call settings."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import ProposalStatus
from app.extensions import db
from app.manage import bp
from app.models import AuditEvent, Proposal, Submission
from app.queries.access import load_call, load_proposal_for_viewer
from app.queries.eligibility import check_proposal, has_budget
from app.queries.personal_data import corrections_since
from app.services.call_settings import (
    changed_names,
    extensions_overtaken,
    overtaken_token,
    update_call_settings,
)
from app.services.documents import find_document
from app.services.errors import ConfirmationRequired
from app.services.proposals import grant_extension
from app.services.receipts import find_submission, receipt_context
from app.web.access import current_actor
from app.web.downloads import send_annex, send_receipt_pdf, send_snapshot
from app.web.transaction import command
from forms.intake import CallSettingsForm, ExtensionForm, in_zone, wall_clock


def _proposal(proposal_id: int) -> Proposal:
    return load_proposal_for_viewer(proposal_id, current_actor())


@bp.get("/calls/<code>/proposals")
def intake_proposals(code: str) -> str:
    """Every proposal of the call: reference, acronym, coordinator, status, submitted version and time."""
    call = load_call(code)
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id)
        .options(selectinload(Proposal.organisation), selectinload(Proposal.partners),
                 selectinload(Proposal.documents), selectinload(Proposal.submissions).defer(Submission.snapshot))
        .order_by(Proposal.number)
    ).all()
    counts = {status: sum(1 for p in proposals if p.status is status) for status in ProposalStatus}
    checklists = {p.id: check_proposal(p) for p in proposals}
    return render_template("manage/intake_proposals.html", call=call, proposals=proposals, counts=counts,
                           checklists=checklists, now=utcnow())


@bp.get("/proposals/<int(max=2147483647):proposal_id>")
def intake_proposal(proposal_id: int) -> str:
    """One proposal, read-only, with its checklist, submitted versions, extension and audit trail."""
    proposal = _proposal(proposal_id)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "proposal", AuditEvent.object_id == str(proposal.id))
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(200)
    ).all()
    return render_template("manage/intake_proposal.html", proposal=proposal, call=proposal.call, now=utcnow(),
                           checklist=check_proposal(proposal), has_budget=has_budget(proposal.call), events=events,
                           edit_links=False, annex_endpoint="manage.intake_annex")


@bp.route("/proposals/<int(max=2147483647):proposal_id>/extension", methods=["GET", "POST"])
def intake_extension(proposal_id: int) -> str | Response | tuple[str, int]:
    """Grant one proposal a later deadline, with a reason (audited, shown to the applicant)."""
    proposal = _proposal(proposal_id)
    call = proposal.call
    form = ExtensionForm()
    if request.method == "GET":
        form.deadline.data = wall_clock(proposal.effective_deadline, call.time_zone)
        form.reason.data = proposal.extension_reason or ""
    elif form.validate():
        with command(form) as outcome:
            grant_extension(proposal, actor=current_actor(), deadline=in_zone(form.deadline.data, call.time_zone),  # type: ignore[arg-type]
                            reason=form.reason.data or "")
        if outcome.ok:
            flash(f"Extension granted: {proposal.reference} can be submitted until "
                  f"{proposal.extended_deadline:%d %B %Y %H:%M:%S} UTC.", "success")
            return redirect(url_for("manage.intake_proposal", proposal_id=proposal_id))
    status = 422 if form.errors else 200
    return render_template("manage/intake_extension.html", proposal=proposal, call=call, form=form,
                           now=utcnow()), status


@bp.route("/calls/<code>/settings", methods=["GET", "POST"])
def intake_call_settings(code: str) -> str | Response | tuple[str, int]:
    """Deadline, money, award cap, page limit, consortium rules (audited)."""
    call = load_call(code)
    zone = call.time_zone
    form = CallSettingsForm()
    overtaken: list[Proposal] = []
    new_deadline = None
    if request.method == "GET":
        form.process(data={
            "opens_at": wall_clock(call.opens_at, zone), "deadline": wall_clock(call.deadline, zone),
            "budget": call.budget, "max_awards": call.max_awards, "max_grant_per_proposal": call.max_grant_per_proposal,
            "page_limit": call.page_limit, "min_partners": call.min_partners, "min_countries": call.min_countries,
            "eligible_countries": " ".join(call.eligible_countries or []),
            "duration_min_months": call.duration_min_months, "duration_max_months": call.duration_max_months,
            "privacy_controller": call.privacy_controller, "privacy_dpo": call.privacy_dpo,
        })
    elif form.validate():
        changes = {
            "opens_at": in_zone(form.opens_at.data, zone), "deadline": in_zone(form.deadline.data, zone),
            "budget": form.budget.amount, "max_awards": form.max_awards.data,
            "max_grant_per_proposal": form.max_grant_per_proposal.amount, "page_limit": form.page_limit.data,
            "min_partners": form.min_partners.data, "min_countries": form.min_countries.data,
            "eligible_countries": (form.eligible_countries.data or "").replace(",", " ").split(),
            "duration_min_months": form.duration_min_months.data,
            "duration_max_months": form.duration_max_months.data,
            "privacy_controller": form.privacy_controller.data or "", "privacy_dpo": form.privacy_dpo.data or "",
        }
        with command(form, announce=True, handled=(ConfirmationRequired,)) as outcome:
            changed = update_call_settings(call, actor=current_actor(), changes=changes,
                                           confirm=form.confirm.data or None)
        if isinstance(outcome.error, ConfirmationRequired):
            # Nothing was written: the same form again, naming the extensions the new deadline overtakes, with
            # the token that confirms exactly the list shown.
            new_deadline = changes["deadline"]
            overtaken = extensions_overtaken(call, new_deadline)
            form.confirm.data = overtaken_token(overtaken)
        elif outcome.ok:
            flash(f"Saved: {changed_names(changed)}." if changed else "Nothing changed.", "success")
            return redirect(url_for("manage.call_overview", code=code))
    status = 422 if form.errors else 200
    return render_template("manage/intake_settings.html", call=call, form=form, now=utcnow(),
                           overtaken=overtaken, overtaken_by=new_deadline), status


@bp.get("/proposals/<int(max=2147483647):proposal_id>/annexes/<int(max=2147483647):document_id>")
def intake_annex(proposal_id: int, document_id: int) -> Response:
    return send_annex(find_document(_proposal(proposal_id), document_id))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>")
def intake_receipt(proposal_id: int, version: int) -> str:
    proposal = _proposal(proposal_id)
    submission = find_submission(proposal, version)
    return render_template("manage/intake_receipt.html", proposal=proposal, call=proposal.call,
                           corrections=corrections_since(submission), **receipt_context(submission))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>/receipt.pdf")
def intake_receipt_pdf(proposal_id: int, version: int) -> Response:
    return send_receipt_pdf(find_submission(_proposal(proposal_id), version))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>/snapshot.json")
def intake_snapshot(proposal_id: int, version: int) -> Response:
    return send_snapshot(find_submission(_proposal(proposal_id), version))
