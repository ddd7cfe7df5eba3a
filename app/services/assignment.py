"""Assigning evaluators to eligible proposals: automatic (min-cost flow), by hand, publication, replacement.

Assignments are PROPOSED (the officer's working copy, invisible to evaluators) until published. The automatic
assignment fills gaps: every active assignment stays as it is and only missing places are filled, so
replacing an evaluator who withdraws changes nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

import matching
from app.clock import utcnow
from app.enums import AssignmentState, Eligibility, ProposalStatus, ReportStatus
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, PoolMember, Proposal, User
from app.models.limits import MIN_WITHDRAWAL_REASON
from app.queries.access import require_officer
from app.queries.assignment import (
    affinity_texts,
    assignment_problem,
    call_assignments,
    eligible_proposals,
    proposal_assignments,
)
from app.queries.conflicts import ConflictIndex, ConflictReasons, detected_conflicts, has_open_declared_conflict
from app.queries.consensus import consensus_of
from app.queries.evaluation import assignment_of, counts_toward_k, is_active, pool_member
from app.queries.pool import active_pool, current_loads
from app.queries.screening import screening_open
from app.queries.submitted import SubmittedVersion, submitted_version, submitted_versions
from app.services.audit import record_event
from app.services.errors import AssignmentInfeasible, InvalidInput, InvalidTransition
from app.services.evaluator_mail import queue_assignment_notices
from app.services.panel_rules import check_panel_rules, panel_rules
from app.services.panel_rules import update_evaluation_settings as update_evaluation_settings  # its former home


@dataclass
class FillResult:
    created: list[Assignment] = field(default_factory=list)
    withdrawn: list[Assignment] = field(default_factory=list)
    removed: int = 0  # proposed assignments discarded before computing
    covered: int = 0  # proposals that already had all their evaluators


def _withdraw(assignment: Assignment, *, actor: User, reason: str, now: datetime) -> None:
    assignment.state = AssignmentState.WITHDRAWN
    assignment.withdrawn_at, assignment.withdrawn_reason = now, reason
    assignment.is_rapporteur = False
    record_event(actor, "assignment.withdrawn", object_type="assignment", object_id=assignment.id,
                 proposal_id=assignment.proposal_id, evaluator_id=assignment.evaluator_id, reason=reason)


def _require_assignable(call: Call, now: datetime) -> None:
    if not screening_open(call, now):
        raise InvalidTransition(N_("Evaluators are assigned after the call's deadline."))


def fill_gaps(call: Call, *, actor: User, only: set[int] | None = None, discard_proposed: bool = False,
              now: datetime | None = None, exclude: Mapping[int, frozenset[int]] | None = None) -> FillResult:
    """Give every eligible proposal (or those in `only`) exactly k evaluators, solving a min-cost flow (`matching`).

    Active assignments stay; those that became invalid (a declared conflict not waived, an automatic conflict
    after an affiliation change) are withdrawn first and replaced. With `discard_proposed`, unpublished
    assignments are thrown away and computed afresh. No evaluator gets more than their maximum load or a
    proposal they are conflicted with; loads are balanced and the closest evaluators preferred: by what the
    proposal and the evaluators' profiles say (`matching.affinity`, stored with each assignment with the terms it
    rests on) once the pool has written any, else by expertise in the proposal's strand.
    `exclude` (proposal id → evaluator ids) keeps more evaluators away from a proposal than its conflicts: an upheld
    evaluation review's re-evaluation excludes every original evaluator (app.services.redress).
    Raises AssignmentInfeasible, naming every proposal that cannot be covered and why, and changes nothing.
    Side effects: new PROPOSED assignments, withdrawn ones, default rapporteurs, audit events.
    """
    require_officer(actor)
    now = now or utcnow()
    _require_assignable(call, now)
    proposals = eligible_proposals(call, only)
    if not proposals and only is None:
        raise InvalidTransition(N_("No proposal is eligible yet: screen the proposals first."))
    members = active_pool(call)
    versions = submitted_versions(proposals)
    conflicts = ConflictIndex(call, members, list(versions.values()))
    result = FillResult()
    rows = _clear_invalid(call, proposals, members, conflicts, result, actor=actor,
                          discard_proposed=discard_proposed, now=now)
    problem = assignment_problem(call, proposals, versions, members, rows, conflicts)
    if exclude:
        problem = replace(problem, needs=[replace(n, excluded=n.excluded | exclude.get(n.id, frozenset()))
                                          for n in problem.needs])
    result.covered = problem.covered
    texts = affinity_texts(proposals, versions, members)
    affinity = matching.Affinity(*texts) if texts else None
    rules = panel_rules(call)
    solution = matching.solve(problem.needs, problem.slots, affinity, rules)
    if isinstance(solution, matching.Infeasible):
        raise _infeasible(solution, proposals, versions)
    for pair in solution.pairs:
        assignment = Assignment(call_id=call.id, proposal_id=pair.proposal_id, evaluator_id=pair.evaluator_id,
                                state=AssignmentState.PROPOSED, created_at=now,
                                affinity=round(pair.affinity, 4) if affinity else None,
                                shared_terms=list(pair.shared_terms))
        db.session.add(assignment)
        result.created.append(assignment)
    db.session.flush()
    _choose_rapporteurs(call, proposals, versions, members)
    record_event(actor, "assignments.computed", object_type="call", object_id=call.code,
                 created=len(result.created), withdrawn=[a.id for a in result.withdrawn], removed=result.removed,
                 proposals=len(proposals), evaluators_per_proposal=call.evaluators_per_proposal,
                 expertise_matches=sum(1 for p in solution.pairs if p.expertise_match),
                 matched_on="profiles" if affinity else "strand")
    return result


# The reasons recorded (in English, as data) when the automatic assignment withdraws an evaluator on its own; pages
# say these again in their reader's language (an officer's reason, or one naming conflicts, is shown as written).
DECLARED_CONFLICT = N_("The evaluator declared a conflict of interest.")
LEFT_THE_POOL = N_("The evaluator is no longer in the call's pool.")
RECORDED_REASONS = frozenset({DECLARED_CONFLICT, LEFT_THE_POOL})


def _invalid_because(assignment: Assignment, conflicts: ConflictIndex, member_ids: set[int]) -> str | None:
    """Why an active assignment no longer stands, or None when it does."""
    if has_open_declared_conflict(assignment):
        return DECLARED_CONFLICT
    reasons = conflicts.reasons(assignment.proposal_id, assignment.evaluator_id)
    if reasons:
        return "Conflict of interest: " + "; ".join(reasons) + "."
    if assignment.evaluator_id not in member_ids:
        return LEFT_THE_POOL
    return None


def _clear_invalid(call: Call, proposals: list[Proposal], members: list[PoolMember], conflicts: ConflictIndex,
                   result: FillResult, *, actor: User, discard_proposed: bool, now: datetime) -> list[Assignment]:
    """Withdraw the active assignments of `proposals` that no longer stand (and, with `discard_proposed`, delete
    the unpublished ones); returns the call's assignments that remain."""
    member_ids = {m.user_id for m in members}
    wanted = {p.id for p in proposals}
    rows = call_assignments(call)
    discarded: set[int] = set()
    for assignment in rows:
        if assignment.proposal_id not in wanted or not is_active(assignment):
            continue
        if discard_proposed and assignment.state is AssignmentState.PROPOSED:
            db.session.delete(assignment)
            discarded.add(assignment.id)
            result.removed += 1
            continue
        reason = _invalid_because(assignment, conflicts, member_ids)
        if reason:
            _withdraw(assignment, actor=actor, reason=reason, now=now)
            result.withdrawn.append(assignment)
    if result.removed:
        record_event(actor, "assignments.discarded", object_type="call", object_id=call.code, count=result.removed)
    db.session.flush()
    return [a for a in rows if a.id not in discarded]


def _infeasible(solution: matching.Infeasible, proposals: list[Proposal],
                versions: dict[int, SubmittedVersion]) -> AssignmentInfeasible:
    """The refusal that names every proposal that cannot be covered, and why (pages and the API show it)."""
    by_id = {p.id: p for p in proposals}
    return AssignmentInfeasible(solution.message, details={
        "missing": solution.missing,
        "rule": solution.rule or None,
        # Which sentence the message and each reason are, with their figures: pages say them in their language.
        "reason_code": solution.code, "figures": dict(solution.figures),
        "proposals": [
            {"id": s.proposal_id, "reference": by_id[s.proposal_id].reference,
             "acronym": versions[s.proposal_id].acronym, "needed": s.needed, "available": s.available,
             "conflicted": s.conflicted, "at_maximum_load": s.full, "reason": s.reason, "rule": s.rule or None,
             "reason_code": s.code, "figures": dict(s.figures)}
            for s in solution.shortfalls
        ],
    })


def _choose_rapporteurs(call: Call, proposals: list[Proposal], versions: dict[int, SubmittedVersion],
                        members: list[PoolMember]) -> None:
    """A default rapporteur for each proposal that has none: an expert in its strand, spreading the role."""
    expertise = {m.user_id: set(m.expertise or []) for m in members}
    rows = [a for a in call_assignments(call) if counts_toward_k(a)]
    roles: dict[int, int] = {}
    by_proposal: dict[int, list[Assignment]] = {}
    for assignment in rows:
        by_proposal.setdefault(assignment.proposal_id, []).append(assignment)
        if assignment.is_rapporteur:
            roles[assignment.evaluator_id] = roles.get(assignment.evaluator_id, 0) + 1
    for proposal in proposals:
        candidates = by_proposal.get(proposal.id, [])
        if not candidates or any(a.is_rapporteur for a in candidates):
            continue
        strand = versions[proposal.id].strand
        chosen = min(candidates, key=lambda a: (strand not in expertise.get(a.evaluator_id, set()),
                                                roles.get(a.evaluator_id, 0), a.evaluator_id))
        chosen.is_rapporteur = True
        roles[chosen.evaluator_id] = roles.get(chosen.evaluator_id, 0) + 1
    db.session.flush()


def add_assignment(proposal: Proposal, *, actor: User, evaluator: User, now: datetime | None = None) -> Assignment:
    """Assign one evaluator by hand (PROPOSED until published); conflicts and overloads are refused."""
    require_officer(actor)
    now = now or utcnow()
    call = proposal.call
    _require_assignable(call, now)
    if proposal.status is not ProposalStatus.SUBMITTED or proposal.eligibility is not Eligibility.ELIGIBLE:
        raise InvalidTransition(N_("Only eligible proposals are evaluated."))
    member = pool_member(call.id, evaluator.id)
    if member is None or member.withdrawn_at is not None:
        raise InvalidInput(N_("%(name)s is not in the pool of this call."), details={"field": "evaluator"},
                           name=evaluator.full_name)
    existing = assignment_of(proposal.id, evaluator.id)
    if existing is not None:
        raise InvalidInput(N_("%(name)s is already assigned to this proposal.") if is_active(existing)
                           else N_("%(name)s was withdrawn from this proposal."), details={"field": "evaluator"},
                           name=evaluator.full_name)
    reasons = detected_conflicts(call, member, submitted_version(proposal))
    if reasons:
        raise InvalidInput(N_("%(name)s has a conflict of interest: %(reasons)s."), details={"field": "evaluator"},
                           name=evaluator.full_name, reasons=ConflictReasons(reasons))
    load = current_loads(call).get(evaluator.id, 0)
    if load >= member.max_load:
        raise InvalidInput(N_("%(name)s is at their maximum load (%(load)d)."), details={"field": "evaluator"},
                           name=evaluator.full_name, load=member.max_load)
    current = [a for a in proposal_assignments(proposal) if counts_toward_k(a)]
    if len(current) >= call.evaluators_per_proposal:
        raise InvalidInput(N_("%(reference)s already has %(count)d evaluators; remove one first."),
                           details={"field": "evaluator"}, reference=proposal.reference,
                           count=call.evaluators_per_proposal)
    check_panel_rules(call, member, current)
    assignment = Assignment(call_id=call.id, proposal_id=proposal.id, evaluator_id=evaluator.id,
                            state=AssignmentState.PROPOSED, created_at=now, is_rapporteur=not current)
    db.session.add(assignment)
    db.session.flush()
    record_event(actor, "assignment.added", object_type="assignment", object_id=assignment.id,
                 proposal_id=proposal.id, evaluator_id=evaluator.id)
    return assignment


def remove_assignment(assignment: Assignment, *, actor: User, reason: str = "",
                      now: datetime | None = None) -> None:
    """Take an evaluator off a proposal: a proposed assignment is deleted, a published one withdrawn.

    Refused once the proposal's consensus is approved. Side effects: the row, an audit event.
    """
    require_officer(actor)
    now = now or utcnow()
    if not is_active(assignment):
        raise InvalidTransition(N_("This assignment is already withdrawn."))
    report = consensus_of(assignment.proposal)
    if report is not None and report.status is ReportStatus.APPROVED:
        raise InvalidTransition(N_("The consensus of this proposal is approved; reopen it first."))
    if assignment.state is AssignmentState.PROPOSED:
        record_event(actor, "assignment.removed", object_type="assignment", object_id=assignment.id,
                     proposal_id=assignment.proposal_id, evaluator_id=assignment.evaluator_id)
        db.session.delete(assignment)
        db.session.flush()
        return
    reason = (reason or "").strip()
    if len(reason) < MIN_WITHDRAWAL_REASON:
        raise InvalidInput(N_("Say why the evaluator is withdrawn (the evaluator was told about this proposal)."),
                           details={"field": "reason"})
    _withdraw(assignment, actor=actor, reason=reason, now=now)
    db.session.flush()


def replace_evaluator(assignment: Assignment, *, actor: User, reason: str, now: datetime | None = None) -> FillResult:
    """Withdraw one evaluator from one proposal and find a replacement for that place only.

    Everything else stays as it is. Raises AssignmentInfeasible (and changes nothing) when nobody fits.
    """
    remove_assignment(assignment, actor=actor, reason=reason, now=now)
    call = db.session.get(Call, assignment.call_id)
    assert call is not None  # noqa: S101 - the foreign key guarantees it
    return fill_gaps(call, actor=actor, only={assignment.proposal_id}, now=now)


def set_evaluation_deadline(call: Call, *, actor: User, deadline: datetime, now: datetime | None = None) -> Call:
    """When individual reports are due (shown to evaluators; overdue reports are highlighted)."""
    require_officer(actor)
    now = now or utcnow()
    if deadline.tzinfo is None:
        raise InvalidInput(N_("Give the evaluation deadline with its time zone."), details={"field": "deadline"})
    if deadline <= call.deadline:
        raise InvalidInput(N_("The evaluation deadline comes after the call's deadline."),
                           details={"field": "deadline"})
    if deadline <= now and deadline != call.evaluation_deadline:
        raise InvalidInput(N_("The evaluation deadline must be in the future."), details={"field": "deadline"})
    previous = call.evaluation_deadline
    call.evaluation_deadline = deadline
    db.session.flush()
    record_event(actor, "call.evaluation_deadline_set", object_type="call", object_id=call.code,
                 deadline=deadline.isoformat(), previous=previous.isoformat() if previous else None)
    return call


def publish_assignments(call: Call, *, actor: User, evaluation_deadline: datetime | None = None,
                        now: datetime | None = None, notify: bool = True) -> list[Assignment]:
    """Make the proposed assignments visible to their evaluators. Needs the evaluation deadline.

    Side effects: states PUBLISHED with `published_at`, maybe the call's evaluation deadline, an audit event, and
    (unless `notify` is false: the demo seed) the job that e-mails each evaluator their proposals.
    """
    require_officer(actor)
    now = now or utcnow()
    _require_assignable(call, now)
    if evaluation_deadline is not None:
        set_evaluation_deadline(call, actor=actor, deadline=evaluation_deadline, now=now)
    if call.evaluation_deadline is None:
        raise InvalidInput(N_("Set the evaluation deadline before publishing the assignments."),
                           details={"field": "evaluation_deadline"})
    proposed = list(db.session.scalars(
        sa.select(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.PROPOSED,
               Proposal.eligibility == Eligibility.ELIGIBLE, Proposal.status == ProposalStatus.SUBMITTED)))
    if not proposed:
        raise InvalidTransition(N_("There are no proposed assignments to publish."))
    for assignment in proposed:
        assignment.state = AssignmentState.PUBLISHED
        assignment.published_at = now
    db.session.flush()
    record_event(actor, "assignments.published", object_type="call", object_id=call.code, count=len(proposed),
                 assignment_ids=[a.id for a in proposed], evaluation_deadline=call.evaluation_deadline.isoformat())
    if notify:
        queue_assignment_notices(call, proposed)
    return proposed


def set_rapporteur(assignment: Assignment, *, actor: User) -> Assignment:
    """Make this evaluator the proposal's rapporteur (who drafts the consensus report)."""
    require_officer(actor)
    if not counts_toward_k(assignment):
        raise InvalidTransition(N_("The rapporteur is one of the proposal's active evaluators."))
    consensus = consensus_of(assignment.proposal)
    if consensus is not None and consensus.status is not ReportStatus.DRAFT:
        raise InvalidTransition(N_("The consensus report is submitted; reopen it before changing the rapporteur."))
    for other in db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == assignment.proposal_id)):
        other.is_rapporteur = other.id == assignment.id
    if consensus is not None:
        consensus.rapporteur_id = assignment.evaluator_id
    db.session.flush()
    record_event(actor, "assignment.rapporteur_set", object_type="assignment", object_id=assignment.id,
                 proposal_id=assignment.proposal_id, evaluator_id=assignment.evaluator_id)
    return assignment
