"""The officer's assessment of a call for expression of interest (evaluation mode `assessment`): every proposal
screened eligible in one table, each with its own small form (`app.services.assessment`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.manage import bp
from app.models import Call
from app.queries.access import load_call, load_submitted_proposal
from app.queries.assessment import AssessmentRow, assessment_closed_reason, assessment_rows, require_assessed_call
from app.services.assessment import record_assessment
from app.translation import gettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.assessment import AssessmentForm


def _row_form(row: AssessmentRow) -> AssessmentForm:
    """The row's form, showing its assessment; each row has its own prefix, so that its fields' ids are unique."""
    form = AssessmentForm(prefix=f"p{row.proposal_id}", formdata=None)
    if row.assessment is not None:
        form.verdict.data, form.fit.data = row.assessment.verdict.value, row.assessment.fit
        form.note.data = row.assessment.note
    return form


def _page(call: Call, *, posted: tuple[int, AssessmentForm] | None = None, status: int = 200) -> tuple[str, int]:
    rows = assessment_rows(call)
    forms = {row.proposal_id: _row_form(row) for row in rows}
    if posted is not None:
        forms[posted[0]] = posted[1]
    assessed = sum(1 for row in rows if row.assessment is not None)
    return render_template("manage/assessment.html", call=call, rows=rows, forms=forms, assessed=assessed,
                           closed_reason=assessment_closed_reason(call), now=utcnow()), status


@bp.get("/calls/<code>/assessment")
def assessment(code: str) -> tuple[str, int]:
    """The eligible proposals of a call selected by assessment, each with its assessment form."""
    call = load_call(code)
    require_assessed_call(call)
    return _page(call)


@bp.post("/calls/<code>/assessment/<int(max=2147483647):proposal_id>")
def assess_proposal(code: str, proposal_id: int) -> Response | tuple[str, int]:
    """Record one proposal's assessment; a refusal is shown at its field, in the proposal's row."""
    call = load_call(code)
    require_assessed_call(call)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    form = AssessmentForm(prefix=f"p{proposal_id}")
    status = 200
    if form.validate_on_submit():
        with command(form) as outcome:
            record_assessment(proposal, actor=current_actor(), verdict=form.verdict.data or "", fit=form.fit.data,
                              note=form.note.data or "")
        if outcome.ok:
            flash(gettext("%(reference)s assessed.", reference=proposal.reference), "success")
            return redirect(url_for("manage.assessment", code=code, _anchor=f"row-{proposal_id}"))
        status = outcome.status
    return _page(call, posted=(proposal_id, form), status=422 if form.errors else status)
