"""Officer pages of the evaluation stage: the progress dashboard, screening, and each proposal's reports and consensus.

The evaluator pool and the assignments have their pages in app/manage/assignments.py.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import Eligibility
from app.manage import bp
from app.queries.access import load_call, load_submitted_proposal
from app.queries.consensus import consensus_history, consensus_of, readiness, spreads
from app.queries.evaluation import active_assignments, own_report_submitted
from app.queries.evaluation_progress import CONSENSUS_STATES, call_progress, filter_proposals, sort_proposals
from app.queries.screening import automatic_checks, screening_decisions, screening_open, screening_rows
from app.queries.submitted import submitted_version
from app.services import consensus as consensus_service
from app.services import screening
from app.translation import gettext, ngettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.evaluation import ActionForm, ConfirmPassingForm, EligibilityForm, LongReasonForm

PAGE_SIZE = 200  # proposals per page of the dashboard; sorting and filtering apply to all of them
FILTERS = ("eligibility", "consensus", "status", "strand", "q")


# --- the dashboard -------------------------------------------------------------------------------------------------

@bp.get("/calls/<code>/evaluation")
def evaluation_dashboard(code: str) -> str:
    """Per call: proposals × (eligibility, assigned, IERs, consensus) and evaluators × (load, progress)."""
    call = load_call(code)
    progress = call_progress(call)
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    rows = filter_proposals(progress, eligibility=filters["eligibility"], consensus=filters["consensus"],
                            status=filters["status"], strand=filters["strand"], text=filters["q"])
    sort = request.args.get("sort", "reference")
    descending = request.args.get("dir") == "desc"
    rows = sort_proposals(rows, sort, descending)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return render_template("manage/evaluation_dashboard.html", call=call, progress=progress,
                           rows=rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], matching=len(rows), page=page,
                           pages=pages, sort=sort, descending=descending, filters=filters,
                           consensus_states=CONSENSUS_STATES, eligibilities=list(Eligibility), now=progress.now)


# --- screening -------------------------------------------------------------------------------------------------------

@bp.get("/calls/<code>/screening")
def evaluation_screening(code: str) -> str:
    """The submitted proposals with their automatic eligibility results and the officer's decisions."""
    call = load_call(code)
    now = utcnow()
    is_open = screening_open(call, now)
    return render_template("manage/evaluation_screening.html", call=call,
                           rows=screening_rows(call, now) if is_open else [], now=now, open=is_open,
                           confirm_form=ConfirmPassingForm())


@bp.post("/calls/<code>/screening/confirm")
def evaluation_screening_confirm(code: str) -> Response:
    """Confirm as eligible every pending proposal that passes every automatic check."""
    call = load_call(code)
    form = ConfirmPassingForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or gettext("The form expired; try again."), "error")
        return redirect(url_for("manage.evaluation_screening", code=code))
    with command() as outcome:
        confirmed = screening.confirm_passing(call, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        flash(ngettext("%(num)d proposal confirmed eligible.", "%(num)d proposals confirmed eligible.", len(confirmed))
              if confirmed else gettext("No pending proposal passes every check: decide the others one by one."),
              "success")
    return redirect(url_for("manage.evaluation_screening", code=code))


@bp.route("/calls/<code>/screening/<int(max=2147483647):proposal_id>", methods=["GET", "POST"])
def evaluation_screening_proposal(code: str, proposal_id: int) -> Response | tuple[str, int]:
    """One proposal's automatic checklist and the officer's decision (eligible or ineligible, with a reason)."""
    call = load_call(code)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    form = EligibilityForm()
    if request.method == "GET" and proposal.eligibility is not Eligibility.PENDING:
        form.decision.data = proposal.eligibility.value
    status = 200
    if form.validate_on_submit():
        with command(form) as outcome:
            screening.decide_eligibility(proposal, actor=current_actor(), eligible=form.decision.data == "eligible",
                                         reason=form.reason.data or "")
        status = outcome.status
        if outcome.ok:
            flash(gettext("%(reference)s is eligible.", reference=proposal.reference)
                  if proposal.eligibility is Eligibility.ELIGIBLE
                  else gettext("%(reference)s is ineligible.", reference=proposal.reference), "success")
            return redirect(url_for("manage.evaluation_screening", code=code))
    return render_template("manage/evaluation_screening_proposal.html", call=call, proposal=proposal,
                           version=submitted_version(proposal), checklist=automatic_checks(proposal), form=form,
                           events=screening_decisions(proposal), open=screening_open(call),
                           now=utcnow()), 422 if form.errors else status


# --- one proposal's reports and consensus ---------------------------------------------------------------------------

@bp.get("/calls/<code>/evaluation/<int(max=2147483647):proposal_id>")
def evaluation_proposal(code: str, proposal_id: int) -> str:
    """Every IER of the proposal, the spread, and the consensus report to approve or reopen."""
    call = load_call(code)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    assignments = active_assignments(proposal.id)
    reports = [a.report for a in assignments if a.report is not None and own_report_submitted(a)]
    return render_template(
        "manage/evaluation_proposal.html", call=call, proposal=proposal, version=submitted_version(proposal),
        assignments=assignments, readiness=readiness(proposal), reports=reports, report=consensus_of(proposal),
        spreads=spreads(list(call.criteria), reports), action_form=ActionForm(), reopen_form=LongReasonForm(),
        events=consensus_history(proposal), now=utcnow(),
    )


@bp.post("/calls/<code>/evaluation/<int(max=2147483647):proposal_id>/approve")
def evaluation_consensus_approve(code: str, proposal_id: int) -> Response:
    call = load_call(code)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    if ActionForm().validate_on_submit():
        with command() as outcome:
            consensus_service.approve_consensus(proposal, actor=current_actor())
        if outcome.ok:
            flash(gettext("Consensus of %(reference)s approved: its scores are ready for ranking.",
                          reference=proposal.reference), "success")
    return redirect(url_for("manage.evaluation_proposal", code=code, proposal_id=proposal_id))


@bp.post("/calls/<code>/evaluation/<int(max=2147483647):proposal_id>/reopen")
def evaluation_consensus_reopen(code: str, proposal_id: int) -> Response:
    call = load_call(code)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    form = LongReasonForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or gettext("Give the reason."), "error")
        return redirect(url_for("manage.evaluation_proposal", code=code, proposal_id=proposal_id))
    with command() as outcome:
        consensus_service.reopen_consensus(proposal, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        flash(gettext("The consensus report is back with the rapporteur as a draft."), "success")
    return redirect(url_for("manage.evaluation_proposal", code=code, proposal_id=proposal_id))
