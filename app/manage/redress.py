"""Officer pages for evaluation review (redress): a call's queue and report, and one request's file side by side with
the review committee's decision."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import LetterKind, letter_decision_label, letter_kind_label
from app.manage import bp
from app.queries.access import load_call, load_redress_request
from app.queries.redress import (
    redress_case,
    redress_queue,
    redress_report,
    redress_window,
    reevaluation_of,
    rerun_difference,
    review_preview,
)
from app.services.errors import NotReady
from app.services.redress import (
    assign_reevaluators,
    close_redress_request,
    reject_redress_request,
    rerun_after_review,
    uphold_redress_request,
)
from app.translation import gettext, ngettext
from app.web.access import current_actor
from app.web.errors import reader_message
from app.web.transaction import command
from forms.redress import RedressDecisionForm, RedressOutcomeForm, ReevaluationPanelForm, ReevaluationRerunForm


@bp.get("/calls/<code>/redress")
def redress_requests(code: str) -> str:
    """The call's requests (those awaiting the committee first), with the time taken so far, and the report."""
    call = load_call(code)
    now = utcnow()
    return render_template("manage/redress_queue.html", call=call, rows=redress_queue(call, now),
                           report=redress_report(call), decision_label=letter_decision_label, now=now)


@bp.route("/calls/<code>/redress/<int(max=2147483647):redress_id>", methods=["GET", "POST"])
def redress_request(code: str, redress_id: int) -> Response | tuple[str, int]:
    """The letter, the consensus, the individual reports and the audit trail; the committee's decision."""
    call = load_call(code)
    request = load_redress_request(call, redress_id, current_actor())
    form = RedressDecisionForm()
    if request.stage is LetterKind.INELIGIBLE:  # re-screened, not re-evaluated: the service refuses it anyway
        del form.uphold
    status = 200
    if form.validate_on_submit():
        upheld = "uphold" in form and bool(form.uphold.data)
        with command(form, fallback=form.assessment, announce=True) as outcome:
            decide = uphold_redress_request if upheld else reject_redress_request
            decide(request, actor=current_actor(), assessment=form.assessment.data)
        if outcome.ok:
            flash(gettext("Request upheld: the original evaluators are withdrawn and the consensus set aside; assign "
                          "the new evaluators below.") if upheld else
                  gettext("Request rejected: the decision stands and the reply letter is issued to the coordinator."),
                  "success")
            return redirect(url_for("manage.redress_request", code=call.code, redress_id=request.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    case = redress_case(request)
    try:
        review, review_blocked = review_preview(request), None
    except NotReady as blocked:
        review, review_blocked = None, reader_message(blocked)
    outcome_form = RedressOutcomeForm(formdata=None)
    if review is not None:
        outcome_form.token.data = review.token
    return render_template(
        "manage/redress_request.html", call=call, case=case, request=request, form=form,
        panel_form=ReevaluationPanelForm(), reevaluation=reevaluation_of(request), rerun_form=ReevaluationRerunForm(),
        difference=rerun_difference(request), review=review, review_blocked=review_blocked,
        outcome_form=outcome_form,
        may_decide=current_actor().id not in case.participants, window=redress_window(request.letter, call),
        kind_label=letter_kind_label, decision_label=letter_decision_label, now=utcnow()), status


@bp.post("/calls/<code>/redress/<int(max=2147483647):redress_id>/reevaluators")
def redress_reevaluators(code: str, redress_id: int) -> Response:
    """The officer assigns the re-evaluation's panel of an upheld request (none of the original evaluators)."""
    call = load_call(code)
    request = load_redress_request(call, redress_id, current_actor())
    with command() as outcome:
        created = assign_reevaluators(request, actor=current_actor())
    if outcome.ok:
        flash(ngettext("%(num)d new evaluator assigned; they see the proposal on their dashboard.",
                       "%(num)d new evaluators assigned; they see the proposal on their dashboard.", len(created)),
              "success")
    return redirect(url_for("manage.redress_request", code=call.code, redress_id=request.id))


@bp.post("/calls/<code>/redress/<int(max=2147483647):redress_id>/rerun")
def redress_rerun(code: str, redress_id: int) -> Response:
    """Re-run the ranking and selection once the re-evaluation's consensus is approved (a new recorded run)."""
    call = load_call(code)
    request = load_redress_request(call, redress_id, current_actor())
    with command() as outcome:
        run = rerun_after_review(request, actor=current_actor())
    if outcome.ok:
        flash(gettext("Run %(number)s recorded with the re-evaluation's consensus: its difference from the finalised "
                      "run is below.", number=run.number), "success")
    return redirect(url_for("manage.redress_request", code=call.code, redress_id=request.id))


@bp.post("/calls/<code>/redress/<int(max=2147483647):redress_id>/outcome")
def redress_outcome(code: str, redress_id: int) -> Response:
    """Confirm the outcome the re-evaluation leads to (funded from the budget left, on the reserve list, or the
    decision stands, as scoring decides) and close the upheld request with its reply letter."""
    call = load_call(code)
    request = load_redress_request(call, redress_id, current_actor())
    form = RedressOutcomeForm()
    if form.validate_on_submit():
        with command() as outcome:
            close_redress_request(request, actor=current_actor(), token=form.token.data or "")
        if outcome.ok:
            flash(gettext("Outcome confirmed: the request is closed and the reply letter is issued to the "
                          "coordinator."), "success")
    else:
        flash(gettext("The confirmation was not sent with the outcome it confirms: open the request again."), "error")
    return redirect(url_for("manage.redress_request", code=call.code, redress_id=request.id))
