"""Evaluation: who may see what, and the shared facts every evaluation page and endpoint reads.

THE access rule for evaluators (`evaluator_access`) lives here; every review page, API endpoint and annex
download calls it, and `app.queries.access.can_view_proposal` delegates to it for evaluators.

An evaluator sees a proposal only when all of these hold:
- they have a PUBLISHED assignment to it (a proposed, unpublished or withdrawn one shows nothing);
- they are in the call's pool, not withdrawn, and have accepted the call's code of conduct;
- no automatic conflict rule applies (organisation in the consortium; coordinator's country when the call says so);
- they have not declared a conflict on it (or an officer recorded the declared conflict as not material);
- the proposal is submitted and eligible.
Before declaring "no conflict" they see only its acronym, title and consortium (`Access.SUMMARY`). In every
other case the proposal does not exist for them (404). Other roles have no evaluations at all (403).

Blind rule: an evaluator sees the other evaluators' reports on a proposal only once their own is submitted
(`peer_reports`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import AssignmentState, ConflictDeclaration, Eligibility, ProposalStatus, ReportStatus, Role
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, Document, IndividualReport, PoolMember, Proposal, User
from app.queries.conflicts import detected_conflicts, has_open_declared_conflict
from app.queries.submitted import SubmittedVersion, VersionAnnex, submitted_version, submitted_versions
from app.services.errors import NotAllowed, NotFound

NOT_FOUND = N_("There is no such evaluation.")


class Access(IntEnum):
    NONE = 0
    SUMMARY = 1  # acronym, title, consortium: enough to declare a conflict of interest
    FULL = 2


def is_active(assignment: Assignment) -> bool:
    """Proposed or published, not withdrawn."""
    return assignment.state is not AssignmentState.WITHDRAWN


def counts_toward_k(assignment: Assignment) -> bool:
    """An assignment that fills one of the proposal's k evaluator places."""
    return is_active(assignment) and not has_open_declared_conflict(assignment)


def access_level(*, proposal: Proposal, assignment: Assignment | None, member: PoolMember | None,
                 conflicts: Sequence[str]) -> Access:
    """The access rule on loaded rows (see the module docstring); `conflicts` are the automatic ones."""
    if assignment is None or assignment.state is not AssignmentState.PUBLISHED:
        return Access.NONE
    if member is None or member.withdrawn_at is not None or member.code_of_conduct_accepted_at is None:
        return Access.NONE
    if proposal.status is not ProposalStatus.SUBMITTED or proposal.eligibility is not Eligibility.ELIGIBLE:
        return Access.NONE
    if conflicts or has_open_declared_conflict(assignment):
        return Access.NONE
    if assignment.conflict is ConflictDeclaration.UNDECLARED:
        return Access.SUMMARY
    return Access.FULL


def pool_member(call_id: int, user_id: int) -> PoolMember | None:
    return db.session.scalar(sa.select(PoolMember).where(PoolMember.call_id == call_id,
                                                         PoolMember.user_id == user_id))


def assignment_of(proposal_id: int, user_id: int) -> Assignment | None:
    return db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal_id,
                                                         Assignment.evaluator_id == user_id))


@dataclass
class EvaluatorView:
    """What one evaluator may see of one proposal, with the rows the pages need."""

    access: Access
    assignment: Assignment | None
    member: PoolMember | None
    version: SubmittedVersion | None


def evaluator_view(user: User | None, proposal: Proposal, *, assignment: Assignment | None = None) -> EvaluatorView:
    """Apply the access rule for `user` as an evaluator of `proposal`."""
    if user is None or not user.has_role(Role.EVALUATOR):
        return EvaluatorView(Access.NONE, None, None, None)
    assignment = assignment or assignment_of(proposal.id, user.id)
    if assignment is None or assignment.evaluator_id != user.id or assignment.proposal_id != proposal.id:
        return EvaluatorView(Access.NONE, None, None, None)
    member = pool_member(proposal.call_id, user.id)
    if member is None:
        return EvaluatorView(Access.NONE, assignment, None, None)
    version = submitted_version(proposal)
    conflicts = detected_conflicts(proposal.call, member, version)
    access = access_level(proposal=proposal, assignment=assignment, member=member, conflicts=conflicts)
    return EvaluatorView(access, assignment, member, version if access else None)


def evaluator_access(user: User | None, proposal: Proposal) -> Access:
    """How much of `proposal` the evaluator `user` may see (Access.NONE: it does not exist for them)."""
    return evaluator_view(user, proposal).access


def evaluator_can_view(user: User | None, proposal: Proposal) -> bool:
    """Full view (content, annexes, scores) of `proposal` for the evaluator `user`."""
    return evaluator_access(user, proposal) is Access.FULL


def require_evaluator(user: User | None, *, refusal: str = "Only evaluators have evaluations.") -> User:
    """NotAllowed (403), saying `refusal`, unless `user` holds the evaluator role."""
    if user is None or not user.has_role(Role.EVALUATOR):
        raise NotAllowed(refusal)
    return user


@dataclass(frozen=True)
class Evaluation:
    """An evaluator's own assignment that they may open: what they may see, and the rows the pages show."""

    access: Access
    assignment: Assignment
    member: PoolMember
    version: SubmittedVersion

    @property
    def proposal(self) -> Proposal:
        return self.assignment.proposal

    @property
    def call(self) -> Call:
        return self.version.call


def load_evaluation(assignment_id: int, user: User | None, *, need: Access = Access.FULL) -> Evaluation:
    """The evaluator's own assignment with at least `need` access; NotFound (404) otherwise, NotAllowed (403) for
    a user who is no evaluator."""
    evaluator = require_evaluator(user)
    assignment = db.session.scalar(
        sa.select(Assignment).where(Assignment.id == assignment_id).options(
            selectinload(Assignment.proposal).selectinload(Proposal.call),
            selectinload(Assignment.proposal).selectinload(Proposal.partners),
            selectinload(Assignment.proposal).selectinload(Proposal.submissions),
            selectinload(Assignment.report),
        )
    )
    if assignment is None or assignment.evaluator_id != evaluator.id:
        raise NotFound(NOT_FOUND)
    view = evaluator_view(evaluator, assignment.proposal, assignment=assignment)
    if view.access < need or view.member is None or view.version is None:
        raise NotFound(NOT_FOUND)
    return Evaluation(view.access, assignment, view.member, view.version)


def stored_annexes(version: SubmittedVersion) -> list[tuple[VersionAnnex, Document | None]]:
    """The annexes of the submitted version, each with the stored document that holds its bytes (if still stored)."""
    stored = {d.sha256: d for d in db.session.scalars(sa.select(Document).where(Document.proposal_id == version.id))}
    return [(annex, stored.get(annex.sha256)) for annex in version.documents]


def active_assignments(proposal_id: int) -> list[Assignment]:
    """The proposal's assignments that are not withdrawn, rapporteur first."""
    rows = db.session.scalars(
        sa.select(Assignment).where(Assignment.proposal_id == proposal_id,
                                    Assignment.state != AssignmentState.WITHDRAWN)
        .options(selectinload(Assignment.report), selectinload(Assignment.evaluator))
        .order_by(Assignment.is_rapporteur.desc(), Assignment.id)
    )
    return list(rows)


def evaluating_assignments(proposal_id: int) -> list[Assignment]:
    """The published assignments whose evaluator evaluates the proposal (no open declared conflict)."""
    return [a for a in active_assignments(proposal_id)
            if a.state is AssignmentState.PUBLISHED and counts_toward_k(a)]


@dataclass(frozen=True)
class EvaluatorAssignment:
    """One of an evaluator's published assignments, with what the evaluator may see of its proposal."""

    assignment: Assignment
    member: PoolMember | None
    version: SubmittedVersion
    access: Access


def published_assignments(user: User, members: Mapping[int, PoolMember]) -> list[EvaluatorAssignment]:
    """The user's published assignments by call and proposal, in a fixed number of queries, each with its
    submitted version and access level given the user's pool memberships `members` (by call id). Assignments
    the user may not see (Access.NONE) are included: the dashboard counts them."""
    assignments = list(db.session.scalars(
        sa.select(Assignment).where(Assignment.evaluator_id == user.id,
                                    Assignment.state == AssignmentState.PUBLISHED)
        .options(selectinload(Assignment.report),
                 selectinload(Assignment.proposal).selectinload(Proposal.partners),
                 selectinload(Assignment.proposal).selectinload(Proposal.organisation),
                 selectinload(Assignment.proposal).selectinload(Proposal.documents),
                 selectinload(Assignment.proposal).selectinload(Proposal.call))
        .order_by(Assignment.call_id, Assignment.proposal_id)))
    versions = submitted_versions(a.proposal for a in assignments)
    result = []
    for assignment in assignments:
        proposal = assignment.proposal
        member = members.get(proposal.call_id)
        version = versions[proposal.id]
        conflicts = detected_conflicts(proposal.call, member, version) if member else []
        access = access_level(proposal=proposal, assignment=assignment, member=member, conflicts=conflicts)
        result.append(EvaluatorAssignment(assignment, member, version, access))
    return result


def own_report_submitted(assignment: Assignment) -> bool:
    return assignment.report is not None and assignment.report.status is not ReportStatus.DRAFT


def peer_reports(assignment: Assignment) -> list[IndividualReport]:
    """The other evaluators' submitted reports on the proposal — empty until this evaluator's own is submitted."""
    own = assignment.report
    if own is None or own.status is ReportStatus.DRAFT:
        return []
    return [a.report for a in evaluating_assignments(assignment.proposal_id)
            if a.id != assignment.id and a.report is not None and a.report.status is not ReportStatus.DRAFT]
