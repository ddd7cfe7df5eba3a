"""Officer pages of who evaluates what: the call's evaluator pool, and the assignment of its evaluators to proposals
(computed, adjusted by hand, published; evaluators withdrawn, replaced, made rapporteur; conflicts judged)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.clock import utcnow
from app.enums import AssignmentState, Eligibility
from app.manage import bp
from app.manage.infeasible import infeasible_text
from app.models import Call, Proposal
from app.queries.access import load_call, load_call_assignment, load_pool_member, load_submitted_proposal
from app.queries.assignment import Candidate, assignment_candidates, eligible_proposals, proposal_assignments
from app.queries.conflicts import has_open_declared_conflict
from app.queries.evaluation import counts_toward_k
from app.queries.evaluation_progress import call_progress
from app.queries.panel_checks import gender_balance, panel_checks
from app.queries.pool import (
    call_pool,
    current_loads,
    evaluator_account,
    evaluator_accounts,
    evaluator_assignments,
    find_evaluator,
    panel_balance,
)
from app.queries.screening import screening_open
from app.queries.submitted import submitted_version
from app.services import assignment as assigning
from app.services import pool as pool_service
from app.services.conflicts import waive_conflict
from app.services.errors import AssignmentInfeasible
from app.translation import gettext, ngettext
from app.web.access import current_actor
from app.web.errors import reader_message
from app.web.transaction import command
from forms.evaluation import (
    ActionForm,
    AddAssignmentForm,
    AutoAssignForm,
    EvaluationSettingsForm,
    InviteEvaluatorForm,
    LongReasonForm,
    PoolMemberForm,
    PublishForm,
    ReasonForm,
)
from forms.intake import in_zone, wall_clock

# --- the pool --------------------------------------------------------------------------------------------------------

@bp.route("/calls/<code>/evaluators", methods=["GET", "POST"])
def evaluation_pool(code: str) -> Response | tuple[str, int]:
    """The call's evaluator pool and the invitation form."""
    call = load_call(code)
    form = InviteEvaluatorForm(strands=call.strands)
    if form.validate_on_submit():
        with command(form) as outcome:
            member = pool_service.invite_evaluator(
                call, actor=current_actor(), user=find_evaluator(form.email.data or ""),
                expertise=form.expertise.data or [], max_load=form.max_load.data or 0,
                organisation_name=form.organisation_name.data or None, country=form.country.data or None)
        if outcome.ok:
            flash(gettext("%(name)s is invited to %(code)s; they accept the code of conduct before seeing anything.",
                          name=member.user.full_name, code=call.code), "success")
            return redirect(url_for("manage.evaluation_pool", code=code))
    members = call_pool(call)
    in_pool = {m.user_id for m in members if m.withdrawn_at is None}
    accounts = [u for u in evaluator_accounts() if u.id not in in_pool]
    return render_template("manage/evaluation_pool.html", call=call, members=members, loads=current_loads(call),
                           form=form, accounts=accounts, now=utcnow()), 422 if form.errors else 200


@bp.route("/calls/<code>/evaluators/<int(max=2147483647):member_id>", methods=["GET", "POST"])
def evaluation_pool_member(code: str, member_id: int) -> Response | tuple[str, int]:
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
            flash(gettext("Saved."), "success")
            return redirect(url_for("manage.evaluation_pool", code=code))
    return render_template("manage/evaluation_pool_member.html", call=call, member=member, form=form,
                           assignments=evaluator_assignments(call, member), withdraw_form=ReasonForm(),
                           now=utcnow()), 422 if form.errors else 200


@bp.post("/calls/<code>/evaluators/<int(max=2147483647):member_id>/withdraw")
def evaluation_pool_withdraw(code: str, member_id: int) -> Response:
    """Withdraw an evaluator from the pool; their unfinished assignments are withdrawn and replaced."""
    call = load_call(code)
    member = load_pool_member(call, member_id, current_actor())
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(gettext("Give the reason for the withdrawal."), "error")
        return redirect(url_for("manage.evaluation_pool_member", code=code, member_id=member_id))
    with command(handled=(AssignmentInfeasible,)) as outcome:
        withdrawn = pool_service.withdraw_pool_member(member, actor=current_actor(), reason=form.reason.data or "")
        replaced = (assigning.fill_gaps(call, actor=current_actor(), only={a.proposal_id for a in withdrawn})
                    if withdrawn else None)
    if isinstance(outcome.error, AssignmentInfeasible):
        flash(gettext("Not withdrawn: no replacement fits. %(reason)s", reason=reader_message(outcome.error)), "error")
    if not outcome.ok:
        return redirect(url_for("manage.evaluation_pool_member", code=code, member_id=member_id))
    if replaced is None:
        message = gettext("%(name)s left the pool.", name=member.user.full_name)
    else:
        message = ngettext("%(name)s left the pool. %(num)d replacement assignment is proposed: publish them to tell "
                           "the new evaluators.",
                           "%(name)s left the pool. %(num)d replacement assignments are proposed: publish them to tell "
                           "the new evaluators.", len(replaced.created), name=member.user.full_name)
    flash(message, "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


# --- the call's assignment -------------------------------------------------------------------------------------------

def _assignments_page(call: Call, *, infeasible: AssignmentInfeasible | None = None,
                      publish_form: PublishForm | None = None, status: int = 200) -> tuple[str, int]:
    progress = call_progress(call)
    publish_form = publish_form or PublishForm()
    if request.method == "GET" or publish_form.evaluation_deadline.data is None:
        # Proposed: the call's evaluation deadline, or three weeks after the call's deadline (or today), at 17:00.
        default = call.evaluation_deadline or (max(utcnow(), call.deadline) + timedelta(days=21)).replace(
            hour=17, minute=0, second=0, microsecond=0)
        publish_form.evaluation_deadline.data = wall_clock(default, call.time_zone)
    settings = EvaluationSettingsForm(data={"evaluators_per_proposal": call.evaluators_per_proposal,
                                            "country_conflict": call.country_conflict,
                                            "country_scope": call.country_conflict_scope.value,
                                            "country_strength": call.country_conflict_strength.value,
                                            "nationality_rule": call.nationality_rule.value,
                                            "gender_rule": call.gender_rule.value, "gender_target": call.gender_target})
    rows = [p for p in progress.proposals if p.eligibility is Eligibility.ELIGIBLE]
    return render_template(
        "manage/evaluation_assignments.html", call=call, progress=progress, rows=rows,
        balance=panel_balance(call, (p.strand for p in rows)), infeasible=infeasible,
        infeasible_text=infeasible_text(infeasible) if infeasible else None,
        checks=panel_checks(call, eligible_proposals(call)), genders=gender_balance(call),
        auto_form=AutoAssignForm(), publish_form=publish_form, settings_form=settings,
        open=screening_open(call), now=progress.now,
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
        flash(gettext("The form expired; try again."), "error")
        return redirect(url_for("manage.evaluation_assignments", code=code))
    with command(handled=(AssignmentInfeasible,)) as outcome:
        result = assigning.fill_gaps(call, actor=current_actor(), discard_proposed=bool(form.discard_proposed.data))
    if isinstance(outcome.error, AssignmentInfeasible):
        return _assignments_page(call, infeasible=outcome.error, status=409)
    if not outcome.ok:
        return redirect(url_for("manage.evaluation_assignments", code=code))
    # Each count is a clause of its own, in the reader's language; they are listed, not built into one sentence.
    parts = [ngettext("%(num)d assignment proposed", "%(num)d assignments proposed", len(result.created))]
    if result.withdrawn:
        parts.append(ngettext("%(num)d withdrawn (conflicts of interest)", "%(num)d withdrawn (conflicts of interest)",
                              len(result.withdrawn)))
    if result.removed:
        parts.append(ngettext("%(num)d unpublished discarded", "%(num)d unpublished discarded", result.removed))
    flash(gettext("%(counts)s. Check them, then publish.", counts="; ".join(parts)), "success")
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
    flash(ngettext("%(num)d assignment published.", "%(num)d assignments published.", len(published)), "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


@bp.post("/calls/<code>/assignments/settings")
def evaluation_settings(code: str) -> Response:
    """Evaluators per proposal (k) and the panel rules: countries, nationalities, genders."""
    call = load_call(code)
    form = EvaluationSettingsForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors) or gettext("The form expired."), "error")
        return redirect(url_for("manage.evaluation_assignments", code=code))
    with command() as outcome:
        assigning.update_evaluation_settings(call, actor=current_actor(),
                                             evaluators_per_proposal=form.evaluators_per_proposal.data or 0,
                                             country_conflict=bool(form.country_conflict.data),
                                             country_scope=form.country_scope.data or None,
                                             country_strength=form.country_strength.data or None,
                                             nationality_rule=form.nationality_rule.data,
                                             gender_rule=form.gender_rule.data or None,
                                             gender_target=form.gender_target.data)
    if outcome.ok:
        flash(gettext("Evaluation settings saved."), "success")
    return redirect(url_for("manage.evaluation_assignments", code=code))


# --- one proposal's evaluators ---------------------------------------------------------------------------------------

@bp.get("/calls/<code>/assignments/<int(max=2147483647):proposal_id>")
def evaluation_assignment_proposal(code: str, proposal_id: int) -> tuple[str, int]:
    """One proposal's evaluators, with the pool's conflicts and loads, to adjust by hand."""
    call = load_call(code)
    return _assignment_proposal_page(call, load_submitted_proposal(call, proposal_id, current_actor()))


def _evaluator_choices(candidates: list[Candidate]) -> list[SelectChoice]:
    """Whom the officer may assign by hand: experts first, then the least loaded."""
    return [
        SelectChoice(str(c.member.user_id),
                     gettext("%(name)s · load %(load)d/%(max)d · expert", name=c.member.user.full_name, load=c.load,
                             max=c.member.max_load) if c.expert
                     else gettext("%(name)s · load %(load)d/%(max)d", name=c.member.user.full_name, load=c.load,
                                  max=c.member.max_load))
        for c in sorted(candidates, key=lambda c: (not c.expert, c.load)) if c.available
    ]


def _assignment_proposal_page(call: Call, proposal: Proposal, add_form: AddAssignmentForm | None = None,
                              status: int = 200) -> tuple[str, int]:
    version = submitted_version(proposal)
    assignments = proposal_assignments(proposal)
    candidates = assignment_candidates(call, version, assignments)
    add_form = add_form or AddAssignmentForm()
    add_form.evaluator.choices = _evaluator_choices(candidates)
    return render_template(
        "manage/evaluation_assignment_proposal.html", call=call, proposal=proposal, version=version,
        assignments=assignments, candidates=candidates, add_form=add_form, reason_form=ReasonForm(),
        waive_form=LongReasonForm(), action_form=ActionForm(),
        active=sum(1 for a in assignments if counts_toward_k(a)),
        has_open_conflict=has_open_declared_conflict, withdrawal_reason=_withdrawal_reason, now=utcnow(),
    ), status


def _withdrawal_reason(reason: str) -> str:
    """A withdrawal's reason as the reader reads it: the assignment's own recorded reasons in their language, an
    officer's as written."""
    return gettext(reason) if reason in assigning.RECORDED_REASONS else reason


@bp.post("/calls/<code>/assignments/<int(max=2147483647):proposal_id>/add")
def evaluation_assignment_add(code: str, proposal_id: int) -> Response | tuple[str, int]:
    call = load_call(code)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    form = AddAssignmentForm()
    if not form.validate_on_submit():
        flash(gettext("Choose an evaluator."), "error")
        return redirect(url_for("manage.evaluation_assignment_proposal", code=code, proposal_id=proposal_id))
    # Every refusal is about the evaluator chosen: shown next to that field.
    with command(form, locate=lambda _name: form.evaluator, fallback=form.evaluator) as outcome:
        evaluator = evaluator_account(form.evaluator.data)
        assigning.add_assignment(proposal, actor=current_actor(), evaluator=evaluator)
    if not outcome.ok:
        return _assignment_proposal_page(call, proposal, form, outcome.status)
    flash(gettext("%(name)s proposed for %(reference)s; publish to tell them.", name=evaluator.full_name,
                  reference=proposal.reference), "success")
    return redirect(url_for("manage.evaluation_assignment_proposal", code=code, proposal_id=proposal_id))


# --- one assignment: withdraw, replace, rapporteur, conflict not material --------------------------------------------

def _reason_given(form: ReasonForm | LongReasonForm) -> bool:
    """Whether the form brings a valid reason; if not, the refusal is flashed."""
    if form.validate_on_submit():
        return True
    flash(" ".join(form.reason.errors) or gettext("Give a reason."), "error")
    return False


def _to_proposal(code: str, proposal_id: int) -> Response:
    return redirect(url_for("manage.evaluation_assignment_proposal", code=code, proposal_id=proposal_id))


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/withdraw")
def evaluation_assignment_withdraw(code: str, assignment_id: int) -> Response:
    """Take an evaluator off a proposal: a proposed assignment is removed, a published one withdrawn with a reason."""
    assignment = load_call_assignment(load_call(code), assignment_id, current_actor())
    proposal_id, form = assignment.proposal_id, ReasonForm()
    if assignment.state is AssignmentState.PUBLISHED and not _reason_given(form):
        return _to_proposal(code, proposal_id)
    with command() as outcome:
        assigning.remove_assignment(assignment, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        flash(gettext("Assignment removed."), "success")
    return _to_proposal(code, proposal_id)


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/replace")
def evaluation_assignment_replace(code: str, assignment_id: int) -> Response:
    """Withdraw an evaluator and propose a replacement for that place only."""
    assignment = load_call_assignment(load_call(code), assignment_id, current_actor())
    proposal_id, form = assignment.proposal_id, ReasonForm()
    if not _reason_given(form):
        return _to_proposal(code, proposal_id)
    with command() as outcome:
        result = assigning.replace_evaluator(assignment, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        names = ", ".join(a.evaluator.full_name for a in result.created if a.evaluator is not None)
        flash(gettext("Withdrawn; proposed replacement: %(names)s. Publish to tell them.", names=names) if names
              else gettext("Withdrawn."), "success")
    return _to_proposal(code, proposal_id)


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/rapporteur")
def evaluation_assignment_rapporteur(code: str, assignment_id: int) -> Response:
    """Make this evaluator the proposal's rapporteur."""
    assignment = load_call_assignment(load_call(code), assignment_id, current_actor())
    with command() as outcome:
        assigning.set_rapporteur(assignment, actor=current_actor())
    if outcome.ok:
        flash(gettext("Rapporteur changed."), "success")
    return _to_proposal(code, assignment.proposal_id)


@bp.post("/calls/<code>/assignment/<int(max=2147483647):assignment_id>/waive")
def evaluation_assignment_waive(code: str, assignment_id: int) -> Response:
    """Record a declared conflict of interest as not material, with the reason."""
    assignment = load_call_assignment(load_call(code), assignment_id, current_actor())
    proposal_id, form = assignment.proposal_id, LongReasonForm()
    if not _reason_given(form):
        return _to_proposal(code, proposal_id)
    with command() as outcome:
        waive_conflict(assignment, actor=current_actor(), reason=form.reason.data or "")
    if outcome.ok:
        flash(gettext("The conflict is recorded as not material: the evaluator can now open the proposal."), "success")
    return _to_proposal(code, proposal_id)
