"""Assignments as pages, the API and the automatic assignment read them.

`assignment_problem` turns the call's rows into the solver's plain data (`matching`): the places each eligible
proposal still needs and whom it must not get, each evaluator's free places and expertise; `affinity_texts` what the
proposals and the evaluators wrote, to match them on. The assignments
themselves are made, published and withdrawn in app.services.assignment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import AssignmentState, ConflictDeclaration, Eligibility, ProposalStatus
from app.extensions import db
from app.models import Assignment, Call, PoolMember, Proposal
from app.queries.conflicts import ConflictIndex, ConflictReason, country_conflict_is_hard, kept_away_countries
from app.queries.evaluation import counts_toward_k, is_active
from app.queries.pool import call_pool, current_loads
from app.queries.submitted import SubmittedVersion
from matching import EvaluatorSlot, ProposalNeed


def eligible_proposals(call: Call, only: set[int] | None = None) -> list[Proposal]:
    """The call's submitted and eligible proposals (or those of them in `only`), by reference."""
    query = (sa.select(Proposal)
             .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
                    Proposal.eligibility == Eligibility.ELIGIBLE)
             .options(selectinload(Proposal.partners), selectinload(Proposal.documents),
                      selectinload(Proposal.organisation))
             .order_by(Proposal.number))
    if only is not None:
        query = query.where(Proposal.id.in_(only))
    return list(db.session.scalars(query))


def call_assignments(call: Call) -> list[Assignment]:
    """Every assignment of the call, withdrawn ones too, with its report, in the order they were made."""
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.call_id == call.id).options(selectinload(Assignment.report))
        .order_by(Assignment.id)))


def active_call_assignments(call: Call) -> list[Assignment]:
    """The call's proposed and published assignments with their proposals, evaluators and reports."""
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN)
        .options(selectinload(Assignment.proposal), selectinload(Assignment.evaluator),
                 selectinload(Assignment.report))
        .order_by(Assignment.proposal_id, Assignment.id)))


def proposal_assignments(proposal: Proposal) -> list[Assignment]:
    """Every assignment of the proposal, withdrawn ones too, with evaluators and reports, by state."""
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.proposal_id == proposal.id)
        .options(selectinload(Assignment.evaluator), selectinload(Assignment.report))
        .order_by(Assignment.state, Assignment.id)))


@dataclass(frozen=True)
class Candidate:
    """A member of the pool as a possible evaluator of one proposal."""

    member: PoolMember
    conflicts: list[ConflictReason]  # the automatic conflict rules the member breaks on this proposal
    load: int
    assigned: bool  # has (or had) an assignment to this proposal
    full: bool  # at their maximum load
    expert: bool  # their expertise names the proposal's strand

    @property
    def available(self) -> bool:
        """May be assigned by hand: free of conflicts, not assigned yet, below their maximum load."""
        return not self.conflicts and not self.assigned and not self.full


def assignment_candidates(call: Call, version: SubmittedVersion, assignments: Iterable[Assignment]) -> list[Candidate]:
    """The active members of the call's pool as evaluators of the proposal whose submitted `version` this is."""
    members = [m for m in call_pool(call) if m.withdrawn_at is None]
    index = ConflictIndex(call, members, [version])
    loads = current_loads(call)
    taken = {a.evaluator_id for a in assignments}
    candidates = []
    for member in members:
        load = loads.get(member.user_id, 0)
        candidates.append(Candidate(member, index.reasons(version.id, member.user_id), load,
                                    member.user_id in taken, load >= member.max_load,
                                    version.strand in (member.expertise or [])))
    return candidates


def proposal_text(version: SubmittedVersion) -> str:
    """What a proposal is about, as matched against evaluators: its title, abstract, keywords and strand."""
    return "\n".join(part for part in (version.title, version.abstract, *version.keywords, version.strand or "")
                     if part)


def evaluator_text(member: PoolMember) -> str:
    """What an evaluator knows, as matched against proposals: their keywords, statement and strands."""
    return "\n".join([*(member.expertise_keywords or []), member.expertise_statement or "",
                      *(member.expertise or [])]).strip()


def affinity_texts(proposals: list[Proposal], versions: dict[int, SubmittedVersion],
                   members: list[PoolMember]) -> tuple[dict[int, str], dict[int, str]] | None:
    """The texts to match proposals and evaluators on (`matching.Affinity`), or None while no evaluator of the pool
    has written keywords or a statement: then the strand alone decides, as it always did."""
    if not any(m.expertise_keywords or (m.expertise_statement or "").strip() for m in members):
        return None
    return ({p.id: proposal_text(versions[p.id]) for p in proposals},
            {m.user_id: evaluator_text(m) for m in members})


@dataclass(frozen=True)
class AssignmentProblem:
    """The solver's input for a call: what each eligible proposal needs, what each evaluator can take."""

    needs: list[ProposalNeed]
    slots: list[EvaluatorSlot]

    @property
    def covered(self) -> int:
        """Proposals that already have all their evaluators."""
        return sum(1 for need in self.needs if need.need == 0)


def assignment_problem(call: Call, proposals: list[Proposal], versions: dict[int, SubmittedVersion],
                       members: list[PoolMember], rows: list[Assignment],
                       conflicts: ConflictIndex) -> AssignmentProblem:
    """The places `proposals` still need (k minus the assignments that count), the evaluators each must not get
    (conflicted, or already assigned or withdrawn from it), and the free places of each active member of the pool,
    given the call's assignments `rows`."""
    load: dict[int, int] = {}
    taken: dict[int, set[int]] = {p.id: set() for p in proposals}
    declared: dict[int, set[int]] = {p.id: set() for p in proposals}
    counted: dict[int, int] = {p.id: 0 for p in proposals}
    nationality = {m.user_id: m.nationality for m in members}
    gender = {m.user_id: m.gender.value if m.gender else "" for m in members}
    sitting: dict[int, set[str]] = {p.id: set() for p in proposals}  # nationalities already on each panel
    genders: dict[int, list[str]] = {p.id: [] for p in proposals}  # and the genders, one per evaluator
    for assignment in rows:
        if is_active(assignment):
            load[assignment.evaluator_id] = load.get(assignment.evaluator_id, 0) + 1
        if assignment.proposal_id in taken:
            taken[assignment.proposal_id].add(assignment.evaluator_id)
            if assignment.conflict is ConflictDeclaration.CONFLICT:
                declared[assignment.proposal_id].add(assignment.evaluator_id)
            if counts_toward_k(assignment):
                counted[assignment.proposal_id] += 1
                if nationality.get(assignment.evaluator_id):
                    sitting[assignment.proposal_id].add(nationality[assignment.evaluator_id])
                genders[assignment.proposal_id].append(gender.get(assignment.evaluator_id, ""))
    k = call.evaluators_per_proposal
    # A hard country rule is a conflict of interest (in `conflicts`); a soft one, countries the solver avoids.
    soft_country = call.country_conflict and not country_conflict_is_hard(call)
    needs = []
    for proposal in proposals:
        conflicted = frozenset(set(conflicts.for_proposal(proposal.id)) | declared[proposal.id])
        needs.append(ProposalNeed(
            id=proposal.id, strand=versions[proposal.id].strand, need=max(0, k - counted[proposal.id]),
            excluded=frozenset(taken[proposal.id]) | conflicted, conflicted=conflicted,
            label=f"{proposal.reference} {versions[proposal.id].acronym}".strip(),
            nationalities=frozenset(sitting[proposal.id]), genders=tuple(genders[proposal.id]),
            countries=frozenset(kept_away_countries(call, versions[proposal.id])) if soft_country else frozenset(),
        ))
    slots = [
        EvaluatorSlot(id=m.user_id, capacity=max(0, m.max_load - load.get(m.user_id, 0)),
                      expertise=frozenset(m.expertise or []), load=load.get(m.user_id, 0), label=m.user.full_name,
                      nationality=m.nationality or "", country=m.country or "",
                      gender=m.gender.value if m.gender else "")
        for m in members
    ]
    return AssignmentProblem(needs, slots)
