"""Officer pages of the intake stage: a call's proposals, one proposal read-only, extensions, call settings."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.call_inputs import changed_names
from app.clock import utcnow
from app.enums import ProposalStatus
from app.formatting import format_local
from app.inputs import UNSET
from app.manage import bp
from app.models import Proposal
from app.queries.access import load_call, load_proposal_for_viewer
from app.queries.calls import extensions_overtaken, overtaken_token
from app.queries.documents import find_document
from app.queries.eligibility import check_proposal, has_budget
from app.queries.personal_data import corrections_since
from app.queries.proposals import PROPOSAL_SORTS, call_proposals_page, proposal_history
from app.queries.receipts import find_submission, receipt_context
from app.services.call_settings import update_call_settings
from app.services.errors import ConfirmationRequired
from app.services.proposals import grant_extension
from app.translation import current_language, gettext
from app.web.access import current_actor
from app.web.downloads import send_annex, send_receipt_pdf, send_snapshot
from app.web.transaction import command
from forms.intake import CallSettingsForm, ExtensionForm, wall_clock


def _proposal(proposal_id: int) -> Proposal:
    return load_proposal_for_viewer(proposal_id, current_actor())


MAX_SEARCH = 100


@bp.get("/calls/<code>/proposals")
def intake_proposals(code: str) -> str:
    """The call's proposals, a page at a time (filtered, searched and sorted on the server): reference, acronym,
    coordinator, status, submitted version and time, checklist."""
    call = load_call(code)
    args = request.args
    status = args.get("status", "")
    sort = args.get("sort", "reference")
    listing = call_proposals_page(
        call, page=args.get("page", 1, type=int) or 1,
        status=ProposalStatus(status) if status in set(ProposalStatus) else None,
        search=args.get("q", "").strip()[:MAX_SEARCH], sort=sort if sort in PROPOSAL_SORTS else "reference",
        descending=args.get("dir") == "desc")
    query = {key: value for key, value in (("status", status if status in set(ProposalStatus) else ""),
                                           ("q", args.get("q", "").strip()[:MAX_SEARCH]),
                                           ("sort", sort if sort in PROPOSAL_SORTS and "sort" in args else ""),
                                           ("dir", "desc" if args.get("dir") == "desc" else "")) if value}
    checklists = {p.id: check_proposal(p) for p in listing.rows}
    return render_template("manage/intake_proposals.html", call=call, listing=listing, proposals=listing.rows,
                           counts=listing.counts, checklists=checklists, query=query, sorts=list(PROPOSAL_SORTS),
                           now=utcnow())


@bp.get("/proposals/<int(max=2147483647):proposal_id>")
def intake_proposal(proposal_id: int) -> str:
    """One proposal, read-only, with its checklist, submitted versions, extension and audit trail."""
    proposal = _proposal(proposal_id)
    return render_template("manage/intake_proposal.html", proposal=proposal, call=proposal.call, now=utcnow(),
                           checklist=check_proposal(proposal), has_budget=has_budget(proposal.call),
                           events=proposal_history(proposal), edit_links=False, annex_endpoint="manage.intake_annex")


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
            grant_extension(proposal, actor=current_actor(), deadline=form.new_deadline(call.time_zone),
                            reason=form.reason.data or "")
        if outcome.ok:
            flash(gettext("Extension granted: %(reference)s can be submitted until %(deadline)s.",
                          reference=proposal.reference,
                          deadline=format_local(proposal.extended_deadline, call.time_zone,
                                                locale=current_language())), "success")
            return redirect(url_for("manage.intake_proposal", proposal_id=proposal_id))
    status = 422 if form.errors else 200
    return render_template("manage/intake_extension.html", proposal=proposal, call=call, form=form,
                           now=utcnow()), status


@bp.route("/calls/<code>/settings", methods=["GET", "POST"])
def intake_call_settings(code: str) -> str | Response | tuple[str, int]:
    """Deadline, money, award cap, page limit, consortium rules (audited)."""
    call = load_call(code)
    form = CallSettingsForm()
    overtaken: list[Proposal] = []
    new_deadline: datetime | None = None
    if request.method == "GET":
        form.show(call)
    elif form.validate():
        settings = form.settings(call.time_zone)
        with command(form, announce=True, handled=(ConfirmationRequired,)) as outcome:
            changed = update_call_settings(call, actor=current_actor(), settings=settings,
                                           confirm=form.confirm.data or None, reason=form.reason.data or "")
        if isinstance(outcome.error, ConfirmationRequired) and settings.deadline is not UNSET:
            # Nothing was written: the same form again, naming the extensions the new deadline overtakes, with
            # the token that confirms exactly the list shown.
            new_deadline = settings.deadline
            overtaken = extensions_overtaken(call, new_deadline)
            form.confirm.data = overtaken_token(overtaken)
        elif outcome.ok:
            flash(gettext("Saved: %(names)s.", names=changed_names(changed)) if changed
                  else gettext("Nothing changed."), "success")
            return redirect(url_for("manage.call_overview", code=code))
    status = 422 if form.errors else 200
    return render_template("manage/intake_settings.html", call=call, form=form, now=utcnow(),
                           overtaken=overtaken, overtaken_by=new_deadline), status


@bp.get("/proposals/<int(max=2147483647):proposal_id>/annexes/<int(max=2147483647):document_id>")
def intake_annex(proposal_id: int, document_id: int) -> Response:
    """An annex of the proposal (also one its submitted versions kept after it was replaced)."""
    return send_annex(find_document(_proposal(proposal_id), document_id))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>")
def intake_receipt(proposal_id: int, version: int) -> str:
    """The receipt of one submitted version, read from its snapshot, with whether its hash still holds."""
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
