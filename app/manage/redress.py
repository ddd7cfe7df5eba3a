"""Officer pages for evaluation review (redress): a call's queue and report, and one request's file side by side with
the review committee's decision."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import letter_decision_label, letter_kind_label
from app.manage import bp
from app.queries.access import load_call, load_redress_request
from app.queries.redress import redress_case, redress_queue, redress_report, redress_window
from app.services.redress import reject_redress_request
from app.web.access import current_actor
from app.web.transaction import command
from forms.redress import RedressRejectForm


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
    form = RedressRejectForm()
    status = 200
    if form.validate_on_submit():
        with command(form, fallback=form.assessment, announce=True) as outcome:
            reject_redress_request(request, actor=current_actor(), assessment=form.assessment.data)
        if outcome.ok:
            flash("Request rejected: the decision stands and the reply letter is issued to the coordinator.",
                  "success")
            return redirect(url_for("manage.redress_request", code=call.code, redress_id=request.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    case = redress_case(request)
    return render_template(
        "manage/redress_request.html", call=call, case=case, request=request, form=form,
        may_decide=current_actor().id not in case.participants, window=redress_window(request.letter, call),
        kind_label=letter_kind_label, decision_label=letter_decision_label, now=utcnow()), status
