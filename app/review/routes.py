"""The evaluator's pages: assignments, code of conduct, conflict declaration, the IER, the consensus.

Every page that shows anything of a proposal loads it through `load_evaluation` (the one access rule of
`app.queries.evaluation`): a proposal the evaluator may not see does not exist for them (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import ConsentKind, ReportStatus
from app.extensions import db
from app.formatting import format_score
from app.models import Assignment, Call, ConsensusReport, Document, PoolMember
from app.privacy.texts import current_text
from app.queries.evaluation import (
    Access,
    EvaluatorView,
    load_evaluation,
    own_report_submitted,
    published_assignments,
)
from app.queries.submitted import SubmittedVersion
from app.review import bp
from app.services import consensus as consensus_service
from app.services import pool as pool_service
from app.services import reviews
from app.services.conflicts import declare_conflict
from app.web.access import current_actor
from app.web.downloads import send_annex
from app.web.transaction import command
from forms.review import (
    CodeOfConductForm,
    ConflictDeclarationForm,
    ConsensusForm,
    DeclineInvitationForm,
    IndividualReportForm,
    scores_form,
)


@dataclass
class Row:
    """One line of the evaluator's dashboard."""

    assignment: Assignment
    version: SubmittedVersion
    access: Access
    call: Call
    status: str
    overdue: bool


def _status(assignment: Assignment, access: Access, consensus: ReportStatus | None) -> str:
    if access is Access.SUMMARY:
        return "Declare conflicts"
    report = assignment.report
    if report is None or report.status is ReportStatus.DRAFT:
        return "Draft" if report is not None else "To evaluate"
    if assignment.is_rapporteur and consensus in (None, ReportStatus.DRAFT):
        return "Submitted · consensus to draft"
    if consensus is ReportStatus.APPROVED:
        return "Consensus approved"
    if consensus is ReportStatus.SUBMITTED:
        return "Consensus submitted"
    return "Submitted"


@bp.get("/")
def dashboard() -> str:
    """My invitations and my assigned proposals with their status and the evaluation deadline."""
    user, now = current_actor(), utcnow()
    members = list(db.session.scalars(
        sa.select(PoolMember).where(PoolMember.user_id == user.id, PoolMember.withdrawn_at.is_(None))
        .options(selectinload(PoolMember.call)).order_by(PoolMember.invited_at.desc())))
    entries = published_assignments(user, {m.call_id: m for m in members})
    consensus = dict(db.session.execute(
        sa.select(ConsensusReport.proposal_id, ConsensusReport.status)
        .where(ConsensusReport.proposal_id.in_([e.assignment.proposal_id for e in entries]))).all())
    rows, hidden = [], 0
    for entry in entries:
        assignment, member, access = entry.assignment, entry.member, entry.access
        proposal = assignment.proposal
        if access is Access.NONE:
            hidden += member is not None and member.code_of_conduct_accepted_at is not None
            continue
        deadline = proposal.call.evaluation_deadline
        done = assignment.report is not None and assignment.report.status is not ReportStatus.DRAFT
        rows.append(Row(assignment, entry.version, access, proposal.call,
                        _status(assignment, access, consensus.get(proposal.id)),
                        bool(deadline and now > deadline and not done)))
    pending = [m for m in members if m.code_of_conduct_accepted_at is None]
    return render_template("review/dashboard.html", rows=rows, pending=pending, members=members, hidden=hidden,
                           now=now)


def _member_for(code: str) -> PoolMember:
    member = db.session.scalar(
        sa.select(PoolMember).join(Call, Call.id == PoolMember.call_id)
        .where(Call.code == code, PoolMember.user_id == current_actor().id, PoolMember.withdrawn_at.is_(None)))
    if member is None:
        abort(404)
    return member


@bp.route("/calls/<code>/code-of-conduct", methods=["GET", "POST"])
def code_of_conduct(code: str) -> str | Response:
    """The call's code of conduct: accepted before anything of its proposals is shown."""
    member = _member_for(code)
    form = CodeOfConductForm()
    if form.validate_on_submit():
        with command() as outcome:
            pool_service.accept_code_of_conduct(member, actor=current_actor(), text_version=form.text_version.data)
        if outcome.ok:
            flash("Thank you. Your assigned proposals are listed below as soon as the officer publishes them.",
                  "success")
            return redirect(url_for("review.dashboard"))
    text = current_text(ConsentKind.CODE_OF_CONDUCT)
    form.text_version.data = text.version  # what is accepted next is the text shown now
    return render_template("review/code_of_conduct.html", member=member, call=member.call, form=form,
                           decline_form=DeclineInvitationForm(), text=text)


@bp.post("/calls/<code>/decline")
def decline(code: str) -> Response:
    """Decline an invitation (before accepting the code of conduct; afterwards, write to the officer)."""
    member = _member_for(code)
    form = DeclineInvitationForm()
    if member.code_of_conduct_accepted_at is not None:
        flash("You accepted the code of conduct of this call: ask the programme officer to withdraw you.", "error")
        return redirect(url_for("review.dashboard"))
    if form.validate_on_submit():
        with command() as outcome:
            pool_service.withdraw_pool_member(member, actor=current_actor(),
                                              reason=(form.reason.data or "").strip() or "Declined the invitation")
        if outcome.ok:
            flash(f"You declined the invitation to {code}.", "success")
    return redirect(url_for("review.dashboard"))


def _criteria_rows(view: EvaluatorView) -> list[object]:
    return list(view.version.call.criteria)


def _report_form(view: EvaluatorView, **kwargs: object) -> IndividualReportForm:
    criteria = _criteria_rows(view)
    form = scores_form(IndividualReportForm, criteria, **kwargs)  # type: ignore[arg-type]
    if request.method == "GET" and view.assignment is not None and view.assignment.report is not None:
        report = view.assignment.report
        form.overall_comment.data = report.overall_comment
        by_id = {s.criterion_id: s for s in report.scores}
        for criterion in criteria:
            score = by_id.get(criterion.id)  # type: ignore[attr-defined]
            if score is not None:
                form[f"score_{criterion.key}"].data = _score_text(score.score)  # type: ignore[attr-defined]
                form[f"comment_{criterion.key}"].data = score.comment  # type: ignore[attr-defined]
    return form  # type: ignore[return-value]


def _score_text(value: Decimal | None) -> str:
    return "" if value is None else format_score(value)


@bp.get("/evaluations/<int(max=2147483647):assignment_id>")
def evaluation(assignment_id: int) -> str:
    """Before the declaration: acronym, title, consortium and the declaration form. After: the proposal and the IER."""
    view = load_evaluation(assignment_id, current_actor(), need=Access.SUMMARY)
    if view.access is Access.SUMMARY:
        return render_template("review/declaration.html", view=view, version=view.version,
                               call=view.version.call if view.version else None, form=ConflictDeclarationForm())
    return _render_evaluation(view, _report_form(view))


def _render_evaluation(view: EvaluatorView, form: IndividualReportForm, status: int = 200) -> str:
    assignment = view.assignment
    peers = reviews.peer_reports(assignment)
    state = consensus_service.readiness(assignment.proposal)
    report = consensus_service.consensus_of(assignment.proposal)
    documents = _annex_documents(view)
    locked = assignment.report is not None and assignment.report.status is not ReportStatus.DRAFT
    return render_template(
        "review/evaluation.html", view=view, assignment=assignment, version=view.version, call=view.version.call,
        form=form, peers=peers, locked=locked, readiness=state, consensus=report, documents=documents,
        spreads=consensus_service.spreads(list(view.version.call.criteria), peers + [assignment.report])
        if locked and assignment.report is not None else [],
        now=utcnow(),
    ), status  # type: ignore[return-value]


def _annex_documents(view: EvaluatorView) -> list[tuple[object, Document | None]]:
    """The annexes of the submitted version, each with the stored document that holds its bytes."""
    proposal = view.version.proposal
    stored = {d.sha256: d for d in db.session.scalars(sa.select(Document).where(Document.proposal_id == proposal.id))}
    return [(annex, stored.get(annex.sha256)) for annex in view.version.documents]


@bp.post("/evaluations/<int(max=2147483647):assignment_id>/declaration")
def declaration(assignment_id: int) -> Response | str:
    """The conflict-of-interest declaration on one assigned proposal."""
    view = load_evaluation(assignment_id, current_actor(), need=Access.SUMMARY)
    form = ConflictDeclarationForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            declare_conflict(view.assignment, actor=current_actor(), conflict=form.declaration.data == "conflict",
                             note=form.note.data or "")
        if outcome.ok:
            if form.declaration.data == "conflict":
                flash("Your conflict of interest is recorded and the programme officer is told. The proposal is "
                      "no longer shown to you.", "success")
                return redirect(url_for("review.dashboard"))
            flash("Declaration recorded: the proposal is open for your evaluation.", "success")
            return redirect(url_for("review.evaluation", assignment_id=assignment_id))
    if view.access is not Access.SUMMARY:
        return redirect(url_for("review.evaluation", assignment_id=assignment_id))
    return render_template("review/declaration.html", view=view, version=view.version,
                           call=view.version.call if view.version else None, form=form), 422  # type: ignore[return-value]


@bp.post("/evaluations/<int(max=2147483647):assignment_id>")
def save_evaluation(assignment_id: int) -> Response | str:
    """Save the draft, or submit and lock the report."""
    view = load_evaluation(assignment_id, current_actor())
    form = _report_form(view)
    if not form.validate_on_submit():
        return _render_evaluation(view, form, 422)
    submitting = bool(form.submit.data)
    with command(form, locate=_report_field(form), announce=INCOMPLETE) as outcome:
        reviews.save_report(view.assignment, actor=current_actor(), scores=form.scores(),
                            overall_comment=form.overall_comment.data or "")
        if submitting:
            reviews.submit_report(view.assignment, actor=current_actor())
    if not outcome.ok:
        return _render_evaluation(load_evaluation(assignment_id, current_actor()), form, outcome.status)
    if submitting:
        flash("Your report is submitted and locked. The other evaluators' reports are now shown below.", "success")
    else:
        flash("Draft saved.", "success")
    return redirect(url_for("review.evaluation", assignment_id=assignment_id))


INCOMPLETE = "The report is not complete: see the marked fields."


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
    for _annex, document in _annex_documents(view):
        if document is not None and document.id == document_id:
            return send_annex(document)
    abort(404)


def _consensus_form(view: EvaluatorView, report: ConsensusReport | None) -> ConsensusForm:
    criteria = list(view.version.call.criteria)
    form = scores_form(ConsensusForm, criteria)
    if request.method == "GET" and report is not None:
        form.overall_comment.data = report.overall_comment
        by_id = {s.criterion_id: s for s in report.scores}
        for criterion in criteria:
            score = by_id.get(criterion.id)
            if score is not None:
                form[f"score_{criterion.key}"].data = _score_text(score.score)
                form[f"comment_{criterion.key}"].data = score.comment
    return form  # type: ignore[return-value]


def _render_consensus(view: EvaluatorView, form: ConsensusForm, status: int = 200) -> str:
    proposal = view.assignment.proposal
    state = consensus_service.readiness(proposal)
    report = consensus_service.consensus_of(proposal)
    editable = (view.assignment.is_rapporteur and state.ready
                and (report is None or report.status is ReportStatus.DRAFT))
    return render_template(
        "review/consensus.html", view=view, assignment=view.assignment, version=view.version,
        call=view.version.call, readiness=state, report=report, form=form, editable=editable,
        spreads=consensus_service.spreads(list(view.version.call.criteria), list(state.reports)),
        reports=list(state.reports), now=utcnow(),
    ), status  # type: ignore[return-value]


@bp.route("/evaluations/<int(max=2147483647):assignment_id>/consensus", methods=["GET", "POST"])
def consensus(assignment_id: int) -> str | Response:
    """The consensus report beside the spread of the IERs: the rapporteur drafts it, the others read it."""
    view = load_evaluation(assignment_id, current_actor())
    if not own_report_submitted(view.assignment):
        flash("Submit your own report first: the other evaluators' scores stay hidden until then.", "info")
        return redirect(url_for("review.evaluation", assignment_id=assignment_id))
    proposal = view.assignment.proposal
    form = _consensus_form(view, consensus_service.consensus_of(proposal))
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_consensus(view, form, 422)
        submitting = bool(form.submit.data)
        with command(form, locate=_report_field(form), announce=INCOMPLETE) as outcome:
            consensus_service.save_consensus(proposal, actor=current_actor(), scores=form.scores(),
                                             overall_comment=form.overall_comment.data or "", submit=submitting)
        if not outcome.ok:
            return _render_consensus(load_evaluation(assignment_id, current_actor()), form, outcome.status)
        flash("The consensus report is submitted to the programme officer for approval." if submitting
              else "Consensus draft saved.", "success")
        return redirect(url_for("review.consensus", assignment_id=assignment_id))
    return _render_consensus(view, form)

