"""The evaluator's pages: assignments, code of conduct, conflict declaration, the IER, the consensus.

Every page that shows anything of a proposal loads it through `load_evaluation` (the one access rule of
`app.queries.evaluation`): a proposal the evaluator may not see does not exist for them (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import ConsentKind, ReportStatus
from app.formatting import format_score
from app.languages import N_
from app.models import ConsensusReport, IndividualReport
from app.privacy.texts import current_text
from app.queries.consensus import consensus_of, readiness, spreads
from app.queries.evaluation import (
    Access,
    Evaluation,
    load_evaluation,
    own_report_submitted,
    peer_reports,
    stored_annexes,
)
from app.queries.pool import load_own_membership
from app.queries.worklist import worklist
from app.review import bp
from app.services import consensus as consensus_service
from app.services import pool as pool_service
from app.services import reviews
from app.services.conflicts import declare_conflict
from app.translation import gettext
from app.web.access import current_actor
from app.web.downloads import send_annex
from app.web.transaction import command
from forms.review import (
    CodeOfConductForm,
    ConflictDeclarationForm,
    ConsensusForm,
    DeclineInvitationForm,
    EvaluatorProfileForm,
    IndividualReportForm,
    ScoresForm,
    scores_form,
)

INCOMPLETE = N_("The report is not complete: see the marked fields.")
Form = TypeVar("Form", bound=ScoresForm)


@bp.get("/")
def dashboard() -> str:
    """My invitations and my assigned proposals with their status and the evaluation deadline."""
    now = utcnow()
    work = worklist(current_actor(), now)
    return render_template("review/dashboard.html", rows=work.rows, pending=work.pending, members=work.members,
                           hidden=work.hidden, now=now)


@bp.route("/calls/<code>/code-of-conduct", methods=["GET", "POST"])
def code_of_conduct(code: str) -> str | Response:
    """The call's code of conduct: accepted before anything of its proposals is shown."""
    member = load_own_membership(code, current_actor())
    form = CodeOfConductForm()
    if form.validate_on_submit():
        with command() as outcome:
            pool_service.accept_code_of_conduct(member, actor=current_actor(), text_version=form.text_version.data)
        if outcome.ok:
            flash(gettext("Thank you. Your assigned proposals are listed below as soon as the officer publishes "
                          "them."), "success")
            return redirect(url_for("review.dashboard"))
    text = current_text(ConsentKind.CODE_OF_CONDUCT)
    form.text_version.data = text.version  # what is accepted next is the text shown now
    return render_template("review/code_of_conduct.html", member=member, call=member.call, form=form,
                           decline_form=DeclineInvitationForm(), text=text)


@bp.route("/calls/<code>/profile", methods=["GET", "POST"])
def evaluator_profile(code: str) -> Response | tuple[str, int]:
    """My profile in the call's pool: nationality, gender (optional), expertise keywords and statement."""
    member = load_own_membership(code, current_actor())
    form = EvaluatorProfileForm(data={
        "nationality": member.nationality, "gender": member.gender.value if member.gender else "",
        "expertise_keywords": ", ".join(member.expertise_keywords or []),
        "expertise_statement": member.expertise_statement})
    status = 200
    if request.method == "POST":
        form = EvaluatorProfileForm()
        status = 422
        if form.validate():
            with command(form) as outcome:
                pool_service.update_evaluator_profile(
                    member, actor=current_actor(), nationality=form.nationality.data or "",
                    gender=form.gender.data or None, keywords=form.keywords(),
                    statement=form.expertise_statement.data or "")
            if outcome.ok:
                flash(gettext("Your profile is saved."), "success")
                return redirect(url_for("review.dashboard"))
            status = outcome.status
    return render_template("review/profile.html", member=member, call=member.call, form=form), status


@bp.post("/calls/<code>/decline")
def decline(code: str) -> Response:
    """Decline an invitation (before accepting the code of conduct; afterwards, write to the officer)."""
    member = load_own_membership(code, current_actor())
    form = DeclineInvitationForm()
    if member.code_of_conduct_accepted_at is not None:
        flash(gettext("You accepted the code of conduct of this call: ask the programme officer to withdraw you."),
              "error")
        return redirect(url_for("review.dashboard"))
    if form.validate_on_submit():
        with command() as outcome:
            pool_service.withdraw_pool_member(member, actor=current_actor(),
                                              reason=(form.reason.data or "").strip() or "Declined the invitation")
        if outcome.ok:
            flash(gettext("You declined the invitation to %(code)s.", code=code), "success")
    return redirect(url_for("review.dashboard"))


def _scores_form(form_type: type[Form], evaluation: Evaluation,
                 report: IndividualReport | ConsensusReport | None) -> Form:
    """The report form of the call's criteria; on GET, filled with the stored `report`."""
    criteria = list(evaluation.call.criteria)
    form = scores_form(form_type, criteria)
    if request.method == "GET" and report is not None:
        form.overall_comment.data = report.overall_comment
        by_id = {s.criterion_id: s for s in report.scores}
        for criterion in criteria:
            score = by_id.get(criterion.id)
            if score is not None:
                form[f"score_{criterion.key}"].data = "" if score.score is None else format_score(score.score)
                form[f"comment_{criterion.key}"].data = score.comment
    return form


def _declaration_page(evaluation: Evaluation, form: ConflictDeclarationForm, status: int = 200) -> tuple[str, int]:
    return render_template("review/declaration.html", view=evaluation, version=evaluation.version,
                           call=evaluation.call, form=form), status


@bp.get("/evaluations/<int(max=2147483647):assignment_id>")
def evaluation(assignment_id: int) -> str | tuple[str, int]:
    """Before the declaration: acronym, title, consortium and the declaration form. After: the proposal and the IER."""
    view = load_evaluation(assignment_id, current_actor(), need=Access.SUMMARY)
    if view.access is Access.SUMMARY:
        return _declaration_page(view, ConflictDeclarationForm())
    return _evaluation_page(view, _scores_form(IndividualReportForm, view, view.assignment.report))


def _evaluation_page(view: Evaluation, form: IndividualReportForm, status: int = 200) -> tuple[str, int]:
    assignment = view.assignment
    peers = peer_reports(assignment)
    locked = own_report_submitted(assignment)
    return render_template(
        "review/evaluation.html", view=view, assignment=assignment, version=view.version, call=view.call,
        form=form, peers=peers, locked=locked, readiness=readiness(view.proposal),
        consensus=consensus_of(view.proposal), documents=stored_annexes(view.version),
        spreads=spreads(list(view.call.criteria), [*peers, assignment.report])
        if locked and assignment.report is not None else [],
        now=utcnow(),
    ), status


@bp.post("/evaluations/<int(max=2147483647):assignment_id>/declaration")
def declaration(assignment_id: int) -> Response | tuple[str, int]:
    """The conflict-of-interest declaration on one assigned proposal."""
    view = load_evaluation(assignment_id, current_actor(), need=Access.SUMMARY)
    form = ConflictDeclarationForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            declare_conflict(view.assignment, actor=current_actor(), conflict=form.declaration.data == "conflict",
                             note=form.note.data or "")
        if outcome.ok:
            if form.declaration.data == "conflict":
                flash(gettext("Your conflict of interest is recorded and the programme officer is told. The "
                              "proposal is no longer shown to you."), "success")
                return redirect(url_for("review.dashboard"))
            flash(gettext("Declaration recorded: the proposal is open for your evaluation."), "success")
            return redirect(url_for("review.evaluation", assignment_id=assignment_id))
    if view.access is not Access.SUMMARY:
        return redirect(url_for("review.evaluation", assignment_id=assignment_id))
    return _declaration_page(view, form, 422)


@bp.post("/evaluations/<int(max=2147483647):assignment_id>")
def save_evaluation(assignment_id: int) -> Response | tuple[str, int]:
    """Save the draft, or submit and lock the report."""
    view = load_evaluation(assignment_id, current_actor())
    form = _scores_form(IndividualReportForm, view, view.assignment.report)
    if not form.validate_on_submit():
        return _evaluation_page(view, form, 422)
    submitting = bool(form.submit.data)
    with command(form, locate=_report_field(form), announce=gettext(INCOMPLETE)) as outcome:
        reviews.save_report(view.assignment, actor=current_actor(), scores=form.scores(),
                            overall_comment=form.overall_comment.data or "")
        if submitting:
            reviews.submit_report(view.assignment, actor=current_actor())
    if not outcome.ok:
        return _evaluation_page(load_evaluation(assignment_id, current_actor()), form, outcome.status)
    if submitting:
        flash(gettext("Your report is submitted and locked. The other evaluators' reports are now shown below."),
              "success")
    else:
        flash(gettext("Draft saved."), "success")
    return redirect(url_for("review.evaluation", assignment_id=assignment_id))


def _report_field(form: FlaskForm) -> Callable[[str], Any]:
    """A service's field name on the report form: scores.<key>.score is the field score_<key>."""

    def locate(name: str) -> Any:
        if name.startswith("scores."):
            _, key, part = name.split(".", 2)
            name = f"{part}_{key}"
        return form._fields.get(name)

    return locate


@bp.get("/evaluations/<int(max=2147483647):assignment_id>/annexes/<int(max=2147483647):document_id>")
def annex(assignment_id: int, document_id: int) -> Response:
    """Download an annex of the submitted version (only with full access to the proposal)."""
    view = load_evaluation(assignment_id, current_actor())
    for _annex, document in stored_annexes(view.version):
        if document is not None and document.id == document_id:
            return send_annex(document)
    abort(404)


def _consensus_page(view: Evaluation, form: ConsensusForm, status: int = 200) -> tuple[str, int]:
    state = readiness(view.proposal)
    report = consensus_of(view.proposal)
    editable = (view.assignment.is_rapporteur and state.ready
                and (report is None or report.status is ReportStatus.DRAFT))
    return render_template(
        "review/consensus.html", view=view, assignment=view.assignment, version=view.version,
        call=view.call, readiness=state, report=report, form=form, editable=editable,
        spreads=spreads(list(view.call.criteria), list(state.reports)),
        reports=list(state.reports), now=utcnow(),
    ), status


@bp.route("/evaluations/<int(max=2147483647):assignment_id>/consensus", methods=["GET", "POST"])
def consensus(assignment_id: int) -> Response | tuple[str, int]:
    """The consensus report beside the spread of the IERs: the rapporteur drafts it, the others read it."""
    view = load_evaluation(assignment_id, current_actor())
    if not own_report_submitted(view.assignment):
        flash(gettext("Submit your own report first: the other evaluators' scores stay hidden until then."), "info")
        return redirect(url_for("review.evaluation", assignment_id=assignment_id))
    form = _scores_form(ConsensusForm, view, consensus_of(view.proposal))
    if request.method != "POST":
        return _consensus_page(view, form)
    if not form.validate_on_submit():
        return _consensus_page(view, form, 422)
    submitting = bool(form.submit.data)
    with command(form, locate=_report_field(form), announce=gettext(INCOMPLETE)) as outcome:
        consensus_service.save_consensus(view.proposal, actor=current_actor(), scores=form.scores(),
                                         overall_comment=form.overall_comment.data or "", submit=submitting)
    if not outcome.ok:
        return _consensus_page(load_evaluation(assignment_id, current_actor()), form, outcome.status)
    flash(gettext("The consensus report is submitted to the programme officer for approval.") if submitting
          else gettext("Consensus draft saved."), "success")
    return redirect(url_for("review.consensus", assignment_id=assignment_id))
