"""Officer pages of the evaluation stage: screening, the evaluator pool, assignments, progress, consensus approval."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.clock import utcnow
from app.enums import AssignmentState, Eligibility, ReportStatus
from app.extensions import db
from app.manage import bp
from app.models import Assignment, AuditEvent, Call, Proposal, User
from app.queries.access import load_call, load_call_assignment, load_pool_member, load_submitted_proposal
from app.queries.conflicts import ConflictIndex, has_open_declared_conflict
from app.queries.evaluation import active_assignments, counts_toward_k
from app.queries.evaluation_progress import CONSENSUS_STATES, call_progress, filter_proposals, sort_proposals
from app.queries.submitted import submitted_version
from app.services import assignment as assigning
from app.services import consensus as consensus_service
from app.services import pool as pool_service
from app.services import screening
from app.services.conflicts import waive_conflict
from app.services.errors import AssignmentInfeasible, NotFound
from app.web.access import current_actor
from app.web.transaction import command
from forms.evaluation import (
    ActionForm,
    AddAssignmentForm,
    AutoAssignForm,
    ConfirmPassingForm,
    EligibilityForm,
    EvaluationSettingsForm,
    InviteEvaluatorForm,
    LongReasonForm,
    PoolMemberForm,
    PublishForm,
    ReasonForm,
)
from forms.intake import in_zone, wall_clock

PAGE_SIZE = 200  # proposals per page of the dashboard; sorting and filtering apply to all of them



def _proposal(call: Call, proposal_id: int) -> Proposal:
    return load_submitted_proposal(call, proposal_id, current_actor())


# --- the dashboard -------------------------------------------------------------------------------------------------

@bp.get("/calls/<code>/evaluation")
def evaluation_dashboard(code: str) -> str:
    """Per call: proposals × (eligibility, assigned, IERs, consensus) and evaluators × (load, progress)."""
    call = load_call(code)
    progress = call_progress(call)
    filters = {name: request.args.get(name, "").strip() for name in ("eligibility", "consensus", "status", "strand",
                                                                       "q")}
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
    rows = screening.screening_rows(call, now) if screening.screening_open(call, now) else []
    return render_template("manage/evaluation_screening.html", call=call, rows=rows, now=now,
                           open=screening.screening_open(call, now), confirm_form=ConfirmPassingForm())


@bp.post("/calls/<code>/screening/confirm")
def evaluation_screening_confirm(code: str) -> Response:
    """Confirm as eligible every pending proposal that passes every automatic check."""
    call = load_call(code)
    form = ConfirmPassingForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "The form expired; try again.", "error")
        return redirect(url_for("manage.evaluation_screening", code=code))
    with command() as outcome:
        confirmed = screening.confirm_passing(call, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        flash(f"{len(confirmed)} proposal{'s' if len(confirmed) != 1 else ''} confirmed eligible." if confirmed
              else "No pending proposal passes every check: decide the others one by one.", "success")
    return redirect(url_for("manage.evaluation_screening", code=code))


@bp.route("/calls/<code>/screening/<int(max=2147483647):proposal_id>", methods=["GET", "POST"])
def evaluation_screening_proposal(code: str, proposal_id: int) -> str | Response | tuple[str, int]:
    """One proposal's automatic checklist and the officer's decision (eligible or ineligible, with a reason)."""
    call = load_call(code)
    proposal = _proposal(call, proposal_id)
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
            flash(f"{proposal.reference} is {proposal.eligibility.value}.", "success")
            return redirect(url_for("manage.evaluation_screening", code=code))
    version = submitted_version(proposal)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "proposal", AuditEvent.object_id == str(proposal.id),
                                    AuditEvent.action == "proposal.screened")
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc())).all()
    status = 422 if form.errors else status
    return render_template("manage/evaluation_screening_proposal.html", call=call, proposal=proposal,
                           version=version, checklist=screening.automatic_checks(proposal), form=form, events=events,
                           open=screening.screening_open(call), now=utcnow()), status


# --- the pool --------------------------------------------------------------------------------------------------------

@bp.route("/calls/<code>/evaluators", methods=["GET", "POST"])
def evaluation_pool(code: str) -> str | Response | tuple[str, int]:
    """The call's evaluator pool and the invitation form."""
    call = load_call(code)
    form = InviteEvaluatorForm(strands=call.strands)
    if form.validate_on_submit():
        with command(form) as outcome:
            user = pool_service.find_evaluator(form.email.data or "")
            member = pool_service.invite_evaluator(
                call, actor=current_actor(), user=user, expertise=form.expertise.data or [],
                max_load=form.max_load.data or 0, organisation_name=form.organisation_name.data or None,
                country=form.country.data or None)
        if outcome.ok:
            flash(f"{member.user.full_name} is invited to {call.code}; they accept the code of conduct before "
                  f"seeing anything.", "success")
            return redirect(url_for("manage.evaluation_pool", code=code))
    members = pool_service.pool(call)
    loads = pool_service.current_loads(call)
    in_pool = {m.user_id for m in members if m.withdrawn_at is None}
    accounts = [u for u in pool_service.evaluator_accounts() if u.id not in in_pool]
    status = 422 if form.errors else 200
    return render_template("manage/evaluation_pool.html", call=call, members=members, loads=loads, form=form,
                           accounts=accounts, now=utcnow()), status


@bp.route("/calls/<code>/evaluators/<int(max=2147483647):member_id>", methods=["GET", "POST"])
def evaluation_pool_member(code: str, member_id: int) -> str | Response | tuple[str, int]:
    """Change an evaluator's affiliation, expertise or maximum load; or withdraw them from the pool."""
    call = load_call(code)
    member = load_pool_member(call, member_id, current_actor())
    form = PoolMemberForm(strands=call.strands)
    if request.method == "GET":
        form.organisation_name.data, form.country.data = member.organisation_name, member.country
        form.expertise.data, form.max_load.data = list(member.expertise or []), member.max_load
    elif form.validate_on_submit():
        with command(form) as outcome:
            pool_service.update_pool_member(member, actor=current_actor(), expertise=form.expertise.data or [],
                                            max_load=form.max_load.data or 0,
                                            organisation_name=form.organisation_name.data or None,
                                            country=form.country.data or None)
        if outcome.ok:
            flash("Saved.", "success")
            return redirect(url_for("manage.evaluation_pool", code=code))
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.call_id == call.id, Assignment.evaluator_id == member.user_id)
        .options(selectinload(Assignment.proposal), selectinload(Assignment.report)).order_by(Assignment.id)).all()
    status = 422 if form.errors else 200
    return render_template("manage/evaluation_pool_member.html", call=call, member=member, form=form,
                           assignments=assignments, withdraw_form=ReasonForm(), now=utcnow()), status


@bp.post("/calls/<code>/evaluators/<int(max=2147483647):member_id>/withdraw")
def evaluation_pool_withdraw(code: str, member_id: int) -> Response:
    """Withdraw an evaluator from the pool; their unfinished assignments are withdrawn and replaced."""
    call = load_call(code)
    member = load_pool_member(call, member_id, current_actor())
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Give the reason for the withdrawal.", "error")
        return redirect(url_for("manage.evaluation_pool_member", code=code, member_id=member_id))
    with command(handled=(AssignmentInfeasible,)) as outcome:
        withdrawn = pool_service.withdraw_pool_member(member, actor=current_actor(), reason=form.reason.data or "")
        replaced = (assigning.fill_gaps(call, actor=current_actor(), only={a.proposal_id for a in withdrawn})
                    if withdrawn else None)
    if isinstance(outcome.error, AssignmentInfeasible):
        flash(f"Not withdrawn: no replacement fits. {outcome.error.message}", "error")
    if not outcome.ok:
        return redirect(url_for("manage.evaluation_pool_member", code=code, member_id=member_id))
    message = f"{member.user.full_name} left the pool."
    if replaced is not None:
        message += (f" {len(replaced.created)} replacement assignment{'s are' if len(replaced.created) != 1 else ' is'}"
                    f" proposed: publish them to tell the new evaluators.")
    flash(message, "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


# --- assignments -----------------------------------------------------------------------------------------------------

def _assignments_page(call: Call, *, infeasible: AssignmentInfeasible | None = None,
                      publish_form: PublishForm | None = None, status: int = 200) -> tuple[str, int]:
    progress = call_progress(call)
    rows = [p for p in progress.proposals if p.eligibility is Eligibility.ELIGIBLE]
    publish_form = publish_form or PublishForm()
    if request.method == "GET" or publish_form.evaluation_deadline.data is None:
        default = call.evaluation_deadline or (max(utcnow(), call.deadline) + timedelta(days=21)).replace(
            hour=17, minute=0, second=0, microsecond=0)
        publish_form.evaluation_deadline.data = wall_clock(default, call.time_zone)
    settings = EvaluationSettingsForm(data={"evaluators_per_proposal": call.evaluators_per_proposal,
                                            "country_conflict": call.country_conflict})
    return render_template(
        "manage/evaluation_assignments.html", call=call, progress=progress, rows=rows, infeasible=infeasible,
        auto_form=AutoAssignForm(), publish_form=publish_form, settings_form=settings,
        open=screening.screening_open(call), now=progress.now,
    ), status


@bp.get("/calls/<code>/assignments")
def evaluation_assignments(code: str) -> tuple[str, int]:
    """Eligible proposals with their evaluators; compute, adjust and publish the assignment."""
    return _assignments_page(load_call(code))


@bp.post("/calls/<code>/assignments/auto")
def evaluation_assign_auto(code: str) -> Response | tuple[str, int]:
    """Fill every missing evaluator place with the min-cost flow; report exactly what cannot be covered."""
    call = load_call(code)
    form = AutoAssignForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("manage.evaluation_assignments", code=code))
    with command(handled=(AssignmentInfeasible,)) as outcome:
        result = assigning.fill_gaps(call, actor=current_actor(), discard_proposed=bool(form.discard_proposed.data))
    if isinstance(outcome.error, AssignmentInfeasible):
        return _assignments_page(call, infeasible=outcome.error, status=409)
    if not outcome.ok:
        return redirect(url_for("manage.evaluation_assignments", code=code))
    parts = [f"{len(result.created)} assignment{'s' if len(result.created) != 1 else ''} proposed"]
    if result.withdrawn:
        parts.append(f"{len(result.withdrawn)} withdrawn (conflicts of interest)")
    if result.removed:
        parts.append(f"{result.removed} unpublished discarded")
    flash("; ".join(parts) + ". Check them, then publish.", "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


@bp.post("/calls/<code>/assignments/publish")
def evaluation_publish(code: str) -> Response | tuple[str, int]:
    """Publish the proposed assignments with the evaluation deadline: the evaluators see them from now on."""
    call = load_call(code)
    form = PublishForm()
    if not form.validate_on_submit():
        return _assignments_page(call, publish_form=form, status=422)
    # A refusal about the deadline goes next to its field, on the page; any other is flashed.
    with command(form, locate=lambda name: form.evaluation_deadline
                 if name in ("deadline", "evaluation_deadline") else None) as outcome:
        published = assigning.publish_assignments(
            call, actor=current_actor(), evaluation_deadline=in_zone(form.evaluation_deadline.data, call.time_zone))
    if form.evaluation_deadline.errors:
        return _assignments_page(call, publish_form=form, status=outcome.status)
    if not outcome.ok:
        return redirect(url_for("manage.evaluation_assignments", code=code))
    flash(f"{len(published)} assignment{'s' if len(published) != 1 else ''} published.", "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


@bp.post("/calls/<code>/assignments/settings")
def evaluation_settings(code: str) -> Response:
    """Evaluators per proposal (k) and the country conflict rule."""
    call = load_call(code)
    form = EvaluationSettingsForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors) or "The form expired.", "error")
        return redirect(url_for("manage.evaluation_assignments", code=code))
    with command() as outcome:
        assigning.update_evaluation_settings(call, actor=current_actor(),
                                             evaluators_per_proposal=form.evaluators_per_proposal.data or 0,
                                             country_conflict=bool(form.country_conflict.data))
    if outcome.ok:
        flash("Evaluation settings saved.", "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


@bp.get("/calls/<code>/assignments/<int(max=2147483647):proposal_id>")
def evaluation_assignment_proposal(code: str, proposal_id: int) -> str:
    """One proposal's evaluators, with the pool's conflicts and loads, to adjust by hand."""
    call = load_call(code)
    proposal = _proposal(call, proposal_id)
    return _render_assignment_proposal(call, proposal)


def _render_assignment_proposal(call: Call, proposal: Proposal, add_form: AddAssignmentForm | None = None,
                                status: int = 200) -> str:
    version = submitted_version(proposal)
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.proposal_id == proposal.id)
        .options(selectinload(Assignment.evaluator), selectinload(Assignment.report))
        .order_by(Assignment.state, Assignment.id)).all()
    members = [m for m in pool_service.pool(call) if m.withdrawn_at is None]
    index = ConflictIndex(call, members, [version])
    loads = pool_service.current_loads(call)
    taken = {a.evaluator_id for a in assignments}
    candidates = []
    for member in members:
        reasons = index.reasons(proposal.id, member.user_id)
        load = loads.get(member.user_id, 0)
        candidates.append({"member": member, "conflicts": reasons, "load": load,
                           "assigned": member.user_id in taken, "full": load >= member.max_load,
                           "expert": version.strand in (member.expertise or [])})
    add_form = add_form or AddAssignmentForm()
    add_form.evaluator.choices = [
        SelectChoice(str(c["member"].user_id), f"{c['member'].user.full_name} · load {c['load']}/"
                     f"{c['member'].max_load}{' · expert' if c['expert'] else ''}")
        for c in sorted(candidates, key=lambda c: (not c["expert"], c["load"]))
        if not c["conflicts"] and not c["assigned"] and not c["full"]
    ]
    active = sum(1 for a in assignments if counts_toward_k(a))
    return render_template(
        "manage/evaluation_assignment_proposal.html", call=call, proposal=proposal, version=version,
        assignments=assignments, candidates=candidates, add_form=add_form, reason_form=ReasonForm(),
        waive_form=LongReasonForm(), action_form=ActionForm(), active=active,
        has_open_conflict=has_open_declared_conflict, now=utcnow(),
    ), status  # type: ignore[return-value]


@bp.post("/calls/<code>/assignments/<int(max=2147483647):proposal_id>/add")
def evaluation_assignment_add(code: str, proposal_id: int) -> Response | str:
    call = load_call(code)
    proposal = _proposal(call, proposal_id)
    form = AddAssignmentForm()
    if form.validate_on_submit():
        evaluator = db.session.get(User, int(form.evaluator.data)) if (form.evaluator.data or "").isdigit() else None
        # Every refusal is about the evaluator chosen: shown next to that field.
        with command(form, locate=lambda _name: form.evaluator, fallback=form.evaluator) as outcome:
            if evaluator is None:
                raise NotFound("There is no such evaluator.")
            assigning.add_assignment(proposal, actor=current_actor(), evaluator=evaluator)
        if not outcome.ok:
            return _render_assignment_proposal(call, proposal, form, outcome.status)
        flash(f"{evaluator.full_name} proposed for {proposal.reference}; publish to tell them.", "success")
    else:
        flash("Choose an evaluator.", "error")
    return redirect(url_for("manage.evaluation_assignment_proposal", code=code, proposal_id=proposal_id))


def _assignment_action(code: str, assignment_id: int, action: str) -> Response:
    call = load_call(code)
    assignment = load_call_assignment(call, assignment_id, current_actor())
    proposal_id = assignment.proposal_id
    form = LongReasonForm() if action == "waive" else ReasonForm() if action in ("withdraw", "replace") \
        else ActionForm()
    back = redirect(url_for("manage.evaluation_assignment_proposal", code=code, proposal_id=proposal_id))
    needs_reason = action in ("waive", "replace") or (
        action == "withdraw" and assignment.state is AssignmentState.PUBLISHED)
    reason = getattr(form, "reason", None)
    if needs_reason and not form.validate_on_submit():
        flash(" ".join(reason.errors) if reason is not None and reason.errors else "Give a reason.", "error")
        return back
    text = (reason.data or "") if reason is not None else ""
    actor = current_actor()
    with command() as outcome:
        if action == "withdraw":
            assigning.remove_assignment(assignment, actor=actor, reason=text)
            message = "Assignment removed."
        elif action == "replace":
            result = assigning.replace_evaluator(assignment, actor=actor, reason=text)
            names = ", ".join(a.evaluator.full_name for a in result.created if a.evaluator is not None)
            message = f"Withdrawn; proposed replacement: {names}. Publish to tell them." if names else "Withdrawn."
        elif action == "rapporteur":
            assigning.set_rapporteur(assignment, actor=actor)
            message = "Rapporteur changed."
        else:
            waive_conflict(assignment, actor=actor, reason=text)
            message = "The conflict is recorded as not material: the evaluator can now open the proposal."
    if outcome.ok:
        flash(message, "success")
    return back


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/withdraw")
def evaluation_assignment_withdraw(code: str, assignment_id: int) -> Response:
    return _assignment_action(code, assignment_id, "withdraw")


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/replace")
def evaluation_assignment_replace(code: str, assignment_id: int) -> Response:
    return _assignment_action(code, assignment_id, "replace")


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/rapporteur")
def evaluation_assignment_rapporteur(code: str, assignment_id: int) -> Response:
    return _assignment_action(code, assignment_id, "rapporteur")


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/waive")
def evaluation_assignment_waive(code: str, assignment_id: int) -> Response:
    return _assignment_action(code, assignment_id, "waive")


# --- one proposal's reports and consensus ---------------------------------------------------------------------------

@bp.get("/calls/<code>/evaluation/<int(max=2147483647):proposal_id>")
def evaluation_proposal(code: str, proposal_id: int) -> str:
    """Every IER of the proposal, the spread, and the consensus report to approve or reopen."""
    call = load_call(code)
    proposal = _proposal(call, proposal_id)
    version = submitted_version(proposal)
    assignments = active_assignments(proposal.id)
    state = consensus_service.readiness(proposal)
    reports = [a.report for a in assignments if a.report is not None and a.report.status is not ReportStatus.DRAFT]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "consensus_report",
                                    AuditEvent.data["proposal_id"].as_integer() == proposal.id)
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(50)).all()
    return render_template(
        "manage/evaluation_proposal.html", call=call, proposal=proposal, version=version, assignments=assignments,
        readiness=state, reports=reports, report=consensus_service.consensus_of(proposal),
        spreads=consensus_service.spreads(list(call.criteria), reports), action_form=ActionForm(),
        reopen_form=LongReasonForm(), events=events, now=utcnow(),
    )


@bp.post("/calls/<code>/evaluation/<int(max=2147483647):proposal_id>/approve")
def evaluation_consensus_approve(code: str, proposal_id: int) -> Response:
    call = load_call(code)
    proposal = _proposal(call, proposal_id)
    if ActionForm().validate_on_submit():
        with command() as outcome:
            consensus_service.approve_consensus(proposal, actor=current_actor())
        if outcome.ok:
            flash(f"Consensus of {proposal.reference} approved: its scores are ready for ranking.", "success")
    return redirect(url_for("manage.evaluation_proposal", code=code, proposal_id=proposal_id))


@bp.post("/calls/<code>/evaluation/<int(max=2147483647):proposal_id>/reopen")
def evaluation_consensus_reopen(code: str, proposal_id: int) -> Response:
    call = load_call(code)
    proposal = _proposal(call, proposal_id)
    form = LongReasonForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "Give the reason.", "error")
        return redirect(url_for("manage.evaluation_proposal", code=code, proposal_id=proposal_id))
    with command() as outcome:
        consensus_service.reopen_consensus(proposal, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        flash("The consensus report is back with the rapporteur as a draft.", "success")
    return redirect(url_for("manage.evaluation_proposal", code=code, proposal_id=proposal_id))
