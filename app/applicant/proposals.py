"""The proposal pages: overview and checklist, one page per section, annexes, submission, receipts.

Views are thin: load through the one loader (404 for proposals of other organisations), parse the form, call
one service in `command` (app.web.transaction commits it, or shows its refusal on the form), flash, redirect. A save
based on an old version renders the edit-conflict page (409) with both versions and the user's input kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.applicant import bp
from app.clock import utcnow
from app.countries import country_name
from app.enums import DocumentKind, OrganisationType
from app.formatting import format_money, human_size
from app.inputs import ProposalChanges
from app.languages import N_
from app.models import Proposal
from app.queries.access import load_proposal_for_applicant
from app.queries.documents import find_document
from app.queries.eligibility import active_documents, annex_kinds, check_proposal, has_budget
from app.queries.personal_data import corrections_since
from app.queries.receipts import find_submission, has_unsubmitted_changes, receipt_context
from app.services.documents import too_large_message
from app.services.errors import DeadlinePassed, EditConflict, IneligibleProposal, NotFound
from app.services.proposals import remove_annex, save_proposal, submit_proposal, upload_annex, withdraw_proposal
from app.translation import current_language, gettext, ngettext
from app.web.access import annex_upload_limit, current_actor
from app.web.downloads import send_annex, send_receipt_pdf, send_snapshot
from app.web.errors import reader_message
from app.web.transaction import command
from forms.proposal import (
    AnnexUploadForm,
    BudgetForm,
    ConsortiumForm,
    ProposalSummaryForm,
    SubmitProposalForm,
    WithdrawProposalForm,
    _VersionedForm,
)

SECTIONS = ("summary", "consortium", "budget", "annexes")
# What a save says, by section: whole sentences, one per section, for the catalogues.
SAVED = {"summary": N_("Summary saved."), "consortium": N_("Consortium saved."), "budget": N_("Budget saved."),
         "annexes": N_("Annexes saved.")}
Row = tuple[str, str, str]  # label, the user's unsaved value, the saved value


def _load(proposal_id: int) -> Proposal:
    return load_proposal_for_applicant(proposal_id, current_actor())


def _render(template: str, proposal: Proposal, status: int = 200, **context: Any) -> tuple[str, int]:
    now = utcnow()
    name = template.rsplit("/", 1)[-1].removesuffix(".html")
    context.setdefault("here", name.removeprefix("section_") if name.startswith("section_") else "overview")
    page = render_template(
        template, proposal=proposal, call=proposal.call, now=now, checklist=check_proposal(proposal),
        editable=proposal.is_editable(now), changed_since_submission=has_unsubmitted_changes(proposal),
        has_budget=has_budget(proposal.call), sections=SECTIONS,
        max_upload=human_size(current_app.config["MAX_UPLOAD_BYTES"], locale=current_language()), **context)
    return page, status


def _next_url(proposal: Proposal, wanted: str | None, here: str) -> str:
    """After a save: the section the user was leaving for, else the same section."""
    target = wanted if wanted in (*SECTIONS, "overview") else here
    if target == "budget" and not has_budget(proposal.call):
        target = "overview"
    endpoint = "applicant.proposal_overview" if target == "overview" else f"applicant.proposal_{target}"
    return url_for(endpoint, proposal_id=proposal.id)


def _save_section(proposal_id: int, section: str, form: _VersionedForm, changes: Callable[[Proposal], ProposalChanges],
                  conflict_rows: Callable[[Proposal], list[Row]]) -> Response | tuple[str, int]:
    """The POST half of every section: save, or show what went wrong with the user's input kept.

    `changes` reads the form against the proposal as saved; `conflict_rows` compares the form with the proposal a
    colleague saved meanwhile, for the edit-conflict page.
    """
    template = f"applicant/section_{section}.html"
    proposal = _load(proposal_id)
    if not form.validate():
        flash(gettext("Some fields need attention; nothing was saved yet."), "error")
        return _render(template, proposal, 422, form=form)
    with command(form, locate=form.locate, handled=(EditConflict,)) as outcome:
        save_proposal(proposal, actor=current_actor(), base_version=form.base_version(), changes=changes(proposal),
                      section=section)
    if isinstance(outcome.error, EditConflict):
        proposal = _load(proposal_id)
        rows = conflict_rows(proposal)
        # Saving again from the conflict page deliberately replaces the newer version.
        form.version.data = str(proposal.edit_version)
        return _render(template, proposal, 409, form=form, conflict={
            "message": reader_message(outcome.error), "rows": rows, "details": outcome.error.details})
    if outcome.error is not None:
        return _render(template, _load(proposal_id), outcome.status, form=form)
    flash(gettext(SAVED[section]), "success")
    wanted = form.next_section.data or request.form.get("continue_to")
    return redirect(_next_url(proposal, wanted, section))


# -- overview ----------------------------------------------------------------------------------------------------

@bp.get("/proposals/<int(max=2147483647):proposal_id>")
def proposal_overview(proposal_id: int) -> tuple[str, int]:
    """The proposal at a glance: the checklist, each section, annexes, submission and history."""
    proposal = _load(proposal_id)
    form = SubmitProposalForm(data={"version": proposal.edit_version})
    return _render("applicant/proposal.html", proposal, submit_form=form)


# -- summary -----------------------------------------------------------------------------------------------------

def _summary_form(proposal: Proposal, formdata: bool) -> ProposalSummaryForm:
    call = proposal.call
    data = None if formdata else {
        "version": proposal.edit_version, "acronym": proposal.acronym, "title": proposal.title,
        "abstract": proposal.abstract, "keywords": ", ".join(proposal.keywords or []),
        "strand": proposal.strand or "", "duration_months": proposal.duration_months,
    }
    form = ProposalSummaryForm(data=data) if data is not None else ProposalSummaryForm()
    form.set_call(call.strands, call.strand_label, (call.duration_min_months, call.duration_max_months))
    return form


def _summary_rows(form: ProposalSummaryForm, saved: Proposal) -> list[Row]:
    return [
        (gettext("Acronym"), form.acronym.data or "", saved.acronym),
        (gettext("Title"), form.title.data or "", saved.title),
        (gettext("Abstract"), form.abstract.data or "", saved.abstract),
        (saved.call.strand_label, form.strand.data or "", saved.strand or ""),
        (gettext("Duration (months)"), str(form.duration_months.data or ""), str(saved.duration_months or "")),
    ]


@bp.route("/proposals/<int(max=2147483647):proposal_id>/summary", methods=["GET", "POST"])
def proposal_summary(proposal_id: int) -> Response | tuple[str, int]:
    """Acronym, title, abstract, strand and duration."""
    proposal = _load(proposal_id)
    form = _summary_form(proposal, request.method == "POST")
    if request.method == "GET":
        return _render("applicant/section_summary.html", proposal, form=form)
    return _save_section(proposal_id, "summary", form, lambda _: form.changes(),
                         lambda saved: _summary_rows(form, saved))


# -- consortium --------------------------------------------------------------------------------------------------

def _partner_text(name: str, country: str, type_: str, email: str) -> str:
    label = gettext(OrganisationType(type_).label) if type_ in OrganisationType._value2member_map_ else type_
    return gettext("%(name)s (%(country)s, %(type)s, %(email)s)", name=name,
                   country=country_name(country, locale=current_language()) if country else "-", type=label or "-",
                   email=email or gettext("no e-mail"))


def _consortium_rows(form: ConsortiumForm, saved: Proposal) -> list[Row]:
    saved_coordinator = saved.coordinator
    theirs = [_partner_text(p.name, p.country, p.organisation_type.value, p.contact_email)
              for p in saved.partners if not p.is_coordinator]
    yours = [_partner_text(r.name.data or "", r.country.data or "", r.organisation_type.data or "",
                           r.contact_email.data or "") for r in form.kept_rows()]
    result: list[Row] = [(gettext("Coordinator's contact e-mail"), form.coordinator_contact_email.data or "",
                          saved_coordinator.contact_email if saved_coordinator else "")]
    for index in range(max(len(theirs), len(yours))):
        result.append((gettext("Partner %(number)d", number=index + 2), yours[index] if index < len(yours) else "",
                       theirs[index] if index < len(theirs) else ""))
    return result


@bp.route("/proposals/<int(max=2147483647):proposal_id>/consortium", methods=["GET", "POST"])
def proposal_consortium(proposal_id: int) -> Response | tuple[str, int]:
    """The coordinator's contact and every partner (a blank row to add one, a box to remove one)."""
    proposal = _load(proposal_id)
    if request.method == "POST":
        form = ConsortiumForm()
        # A kept partner keeps its requested amount (the budget section sets it).
        return _save_section(proposal_id, "consortium", form,
                             lambda saved: form.changes({str(p.id): p.requested_amount for p in saved.partners}),
                             lambda saved: _consortium_rows(form, saved))
    coordinator = proposal.coordinator
    others = [p for p in proposal.partners if not p.is_coordinator]
    form = ConsortiumForm(data={
        "version": proposal.edit_version,
        "coordinator_contact_email": coordinator.contact_email if coordinator else "",
        "partners": [{"id": str(p.id), "name": p.name, "country": p.country,
                      "organisation_type": p.organisation_type.value, "contact_email": p.contact_email}
                     for p in others] + [{}],
    })
    return _render("applicant/section_consortium.html", proposal, form=form)


# -- budget ------------------------------------------------------------------------------------------------------

def _budget_rows(form: BudgetForm, saved: Proposal) -> list[Row]:
    language = current_language()
    result: list[Row] = [(gettext("Requested EU grant"), form.requested_grant.data or "",
                          format_money(saved.requested_grant, locale=language))]
    for index, partner in enumerate(saved.partners):
        yours = form.amounts.entries[index].data if index < len(form.amounts.entries) else ""
        result.append((partner.name, yours or "", format_money(partner.requested_amount, locale=language)))
    return result


@bp.route("/proposals/<int(max=2147483647):proposal_id>/budget", methods=["GET", "POST"])
def proposal_budget(proposal_id: int) -> Response | tuple[str, int]:
    """The requested EU grant and its split per partner (grant calls only)."""
    proposal = _load(proposal_id)
    if not has_budget(proposal.call):
        abort(404)
    if request.method == "POST":
        form = BudgetForm()
        return _save_section(proposal_id, "budget", form, lambda _: form.changes(),
                             lambda saved: _budget_rows(form, saved))
    form = BudgetForm(data={"version": proposal.edit_version, "requested_grant": proposal.requested_grant,
                            "amounts": [p.requested_amount for p in proposal.partners]})
    return _render("applicant/section_budget.html", proposal, form=form)


# -- annexes -----------------------------------------------------------------------------------------------------

def _annex_form(proposal: Proposal, **kwargs: Any) -> AnnexUploadForm:
    """The upload form, offering the call's annex types only (required first)."""
    form = AnnexUploadForm(**kwargs)
    required, optional = annex_kinds(proposal.call)
    form.offer([*required, *optional])
    return form


def _annexes_page(proposal: Proposal, form: AnnexUploadForm, status: int = 200) -> tuple[str, int]:
    required, optional = annex_kinds(proposal.call)
    # The reference calls' annexes (Part B required, letters of support optional) keep their own explanation.
    usual = required == [DocumentKind.PART_B] and optional == [DocumentKind.SUPPORT_LETTER]
    return _render("applicant/section_annexes.html", proposal, status, form=form, usual_annexes=usual,
                   required_annexes=[gettext(kind.label) for kind in required],
                   optional_annexes=[gettext(kind.label) for kind in optional])


@bp.route("/proposals/<int(max=2147483647):proposal_id>/annexes", methods=["GET", "POST"])
@annex_upload_limit
def proposal_annexes(proposal_id: int) -> Response | tuple[str, int]:
    proposal = _load(proposal_id)
    form = _annex_form(proposal)
    if request.method == "GET":
        uploaded = {d.kind for d in active_documents(proposal)}
        missing = [kind for kind in annex_kinds(proposal.call)[0] if kind not in uploaded]
        if missing:
            form.kind.data = missing[0].value
        return _annexes_page(proposal, form)
    if not form.validate():
        return _annexes_page(proposal, form, 422)
    upload = form.file.data
    # Every refusal of an upload (not a PDF, too large, the deadline) is shown at the file input.
    with command(form, locate=lambda _name: form.file, fallback=form.file) as outcome:
        document = upload_annex(proposal, actor=current_actor(), kind=DocumentKind(form.kind.data),
                                stream=upload.stream, filename=upload.filename)
    if not outcome.ok:
        return _annexes_page(_load(proposal_id), form, outcome.status)
    flash(ngettext("%(annex)s uploaded: %(file)s, %(num)d page.", "%(annex)s uploaded: %(file)s, %(num)d pages.",
                   document.page_count, annex=gettext(document.kind.label), file=document.filename), "success")
    return redirect(url_for("applicant.proposal_annexes", proposal_id=proposal.id))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """Werkzeug refused a body over MAX_CONTENT_LENGTH without reading it: say so in words, on the same page."""
    proposal_id = (request.view_args or {}).get("proposal_id")
    message = too_large_message()
    if request.endpoint == "applicant.proposal_annexes" and proposal_id is not None:
        try:
            proposal = _load(int(proposal_id))
        except NotFound:
            abort(404)
        form = _annex_form(proposal, formdata=None)
        form.file.errors = [message]
        return _annexes_page(proposal, form, 413)
    error.description = message
    return render_template("errors/error.html", error=error, status=413), 413


@bp.post("/proposals/<int(max=2147483647):proposal_id>/annexes/<int(max=2147483647):document_id>/remove")
def remove_proposal_annex(proposal_id: int, document_id: int) -> Response:
    proposal = _load(proposal_id)
    document = find_document(proposal, document_id, include_removed=False)
    with command() as outcome:
        remove_annex(proposal, document, actor=current_actor())
    if outcome.ok:
        flash(gettext("%(file)s removed from the proposal.", file=document.filename), "success")
    return redirect(url_for("applicant.proposal_annexes", proposal_id=proposal_id))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/annexes/<int(max=2147483647):document_id>")
def download_annex(proposal_id: int, document_id: int) -> Response:
    proposal = _load(proposal_id)
    return send_annex(find_document(proposal, document_id))


# -- submission, withdrawal, receipts ----------------------------------------------------------------------------

@bp.post("/proposals/<int(max=2147483647):proposal_id>/submit")
def submit(proposal_id: int) -> Response | tuple[str, int]:
    proposal = _load(proposal_id)
    form = SubmitProposalForm()
    if not form.validate():
        return _render("applicant/proposal.html", proposal, 422, submit_form=form)
    # The commit re-checks the clock (see app.services.proposals): a refusal may come from the commit itself.
    with command(handled=(IneligibleProposal,)) as outcome:
        submission = submit_proposal(proposal, actor=current_actor(), base_version=form.base_version(),
                                     declaration_version=form.declaration_version.data)
    if isinstance(outcome.error, IneligibleProposal):
        failed = len(outcome.error.details.get("failures", ()))
        flash(ngettext("The proposal cannot be submitted yet: %(num)d check failed. Fix the items marked in the "
                       "checklist, then submit again.",
                       "The proposal cannot be submitted yet: %(num)d checks failed. Fix the items marked in the "
                       "checklist, then submit again.", failed), "error")
        return _render("applicant/proposal.html", _load(proposal_id), 422, submit_form=form)
    if isinstance(outcome.error, DeadlinePassed | EditConflict):
        proposal = _load(proposal_id)
        form.version.data = str(proposal.edit_version)
        return _render("applicant/proposal.html", proposal, outcome.status, submit_form=form)
    if outcome.error is not None:
        return redirect(url_for("applicant.proposal_overview", proposal_id=proposal_id))
    flash(gettext("Submitted: version %(version)d, receipt %(receipt)s.", version=submission.version,
                  receipt=submission.receipt_number), "success")
    return redirect(url_for("applicant.receipt", proposal_id=proposal_id, version=submission.version))


@bp.route("/proposals/<int(max=2147483647):proposal_id>/withdraw", methods=["GET", "POST"])
def withdraw(proposal_id: int) -> Response | tuple[str, int]:
    proposal = _load(proposal_id)
    form = WithdrawProposalForm()
    if form.validate_on_submit():
        with command() as outcome:
            withdraw_proposal(proposal, actor=current_actor(), reason=form.reason.data or "")
        if outcome.ok:
            flash(gettext("%(reference)s is withdrawn from the call.", reference=proposal.reference), "success")
        return redirect(url_for("applicant.proposal_overview", proposal_id=proposal_id))
    return _render("applicant/withdraw.html", proposal, 422 if form.errors else 200, form=form)


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>")
def receipt(proposal_id: int, version: int) -> tuple[str, int]:
    proposal = _load(proposal_id)
    submission = find_submission(proposal, version)
    return _render("applicant/receipt.html", proposal, corrections=corrections_since(submission),
                   **receipt_context(submission))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>/receipt.pdf")
def receipt_pdf(proposal_id: int, version: int) -> Response:
    return send_receipt_pdf(find_submission(_load(proposal_id), version))


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>/snapshot.json")
def snapshot(proposal_id: int, version: int) -> Response:
    return send_snapshot(find_submission(_load(proposal_id), version))
