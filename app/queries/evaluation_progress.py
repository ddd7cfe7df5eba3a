"""The officer's evaluation dashboard: proposals × progress and evaluators × load, in four queries.

Reads columns, not objects, and aggregates in Python, so the number of SQL queries does not depend on the
number of proposals (a test and `bench/assignment.py` check it at two sizes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import AssignmentState, ConflictDeclaration, Eligibility, ProposalStatus, ReportStatus
from app.extensions import db
from app.models import (
    CURRENT_CONSENSUS,
    Assignment,
    Call,
    ConsensusReport,
    IndividualReport,
    PoolMember,
    Proposal,
    User,
)
from app.queries.consensus import ready_to_rank_reasons

CONSENSUS_STATES = ("none", "draft", "submitted", "approved")


@dataclass
class ProposalProgress:
    id: int
    reference: str
    acronym: str
    title: str
    strand: str | None
    eligibility: Eligibility
    proposed: int = 0
    published: int = 0
    submitted: int = 0
    overdue: int = 0
    open_conflicts: int = 0
    rapporteur: str | None = None
    consensus: str = "none"
    evaluators: list[str] = field(default_factory=list)
    # Why each evaluator: their name and the terms their profile shares with the proposal (none when assigned by
    # hand or matched on the strand alone).
    matches: list[tuple[str, list[str]]] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)  # of its active evaluators who gave one

    @property
    def assigned(self) -> int:
        return self.proposed + self.published

    @property
    def repeated_nationalities(self) -> list[str]:
        """Nationalities of more than one of its evaluators (the panel rule, when the call has it, forbids them)."""
        return sorted(code for code, n in Counter(self.nationalities).items() if n > 1)


@dataclass
class EvaluatorProgress:
    user_id: int
    name: str
    email: str
    organisation: str
    country: str
    expertise: list[str]
    max_load: int
    accepted: bool
    withdrawn: bool
    load: int = 0
    published: int = 0
    submitted: int = 0
    overdue: int = 0
    rapporteur_of: int = 0
    nationality: str = ""


@dataclass
class CallProgress:
    call: Call
    proposals: list[ProposalProgress]
    evaluators: list[EvaluatorProgress]
    now: datetime
    ready: bool = False
    reasons: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _consensus_label(status: ReportStatus | None) -> str:
    return "none" if status is None else status.value


def _proposal_rows(call: Call) -> dict[int, ProposalProgress]:
    return {
        row.id: ProposalProgress(row.id, row.reference, row.acronym, row.title, row.strand, row.eligibility)
        for row in db.session.execute(
            sa.select(Proposal.id, Proposal.reference, Proposal.acronym, Proposal.title, Proposal.strand,
                      Proposal.eligibility)
            .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED)
            .order_by(Proposal.number))
    }


def _evaluator_rows(call: Call) -> dict[int, EvaluatorProgress]:
    return {
        row.user_id: EvaluatorProgress(row.user_id, row.full_name, row.email, row.organisation_name, row.country,
                                       list(row.expertise or []), row.max_load,
                                       row.code_of_conduct_accepted_at is not None, row.withdrawn_at is not None,
                                       nationality=row.nationality or "")
        for row in db.session.execute(
            sa.select(PoolMember.user_id, User.full_name, User.email, PoolMember.organisation_name,
                      PoolMember.country, PoolMember.expertise, PoolMember.max_load,
                      PoolMember.code_of_conduct_accepted_at, PoolMember.withdrawn_at, PoolMember.nationality)
            .join(User, User.id == PoolMember.user_id)
            .where(PoolMember.call_id == call.id).order_by(User.full_name, User.id))
    }


def _count_assignments(call: Call, proposals: dict[int, ProposalProgress], evaluators: dict[int, EvaluatorProgress],
                       now: datetime) -> None:
    """Add every active assignment of the call to its proposal's and its evaluator's progress."""
    late = call.evaluation_deadline is not None and now > call.evaluation_deadline
    rows = db.session.execute(
        sa.select(Assignment.proposal_id, Assignment.evaluator_id, Assignment.state, Assignment.conflict,
                  Assignment.conflict_waived_reason, Assignment.is_rapporteur, IndividualReport.status,
                  Assignment.shared_terms)
        .outerjoin(IndividualReport, IndividualReport.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN))
    for proposal_id, evaluator_id, state, conflict, waived, is_rapporteur, report_status, terms in rows:
        proposal = proposals.get(proposal_id)
        evaluator = evaluators.get(evaluator_id)
        open_conflict = conflict is ConflictDeclaration.CONFLICT and not waived
        done = report_status is not None and report_status is not ReportStatus.DRAFT
        is_late = late and state is AssignmentState.PUBLISHED and not done and not open_conflict
        if proposal is not None:
            if state is AssignmentState.PROPOSED:
                proposal.proposed += 1
            else:
                proposal.published += 1
            proposal.submitted += done
            proposal.overdue += is_late
            proposal.open_conflicts += open_conflict
            name = evaluator.name if evaluator else f"#{evaluator_id}"
            proposal.evaluators.append(name)
            proposal.matches.append((name, list(terms or [])))
            if evaluator is not None and evaluator.nationality:
                proposal.nationalities.append(evaluator.nationality)
            if is_rapporteur:
                proposal.rapporteur = name
        if evaluator is not None:
            evaluator.load += 1
            evaluator.published += state is AssignmentState.PUBLISHED
            evaluator.submitted += done
            evaluator.overdue += is_late
            evaluator.rapporteur_of += is_rapporteur


def _totals(listed: list[ProposalProgress], k: int) -> dict[str, int]:
    eligible = [p for p in listed if p.eligibility is Eligibility.ELIGIBLE]
    return {
        "submitted": len(listed),
        "eligible": len(eligible),
        "ineligible": sum(1 for p in listed if p.eligibility is Eligibility.INELIGIBLE),
        "pending": sum(1 for p in listed if p.eligibility is Eligibility.PENDING),
        "fully_assigned": sum(1 for p in eligible if p.assigned - p.open_conflicts >= k),
        "proposed": sum(p.proposed for p in listed),
        "published": sum(p.published for p in listed),
        "reports_submitted": sum(p.submitted for p in listed),
        "reports_expected": sum(p.published - p.open_conflicts for p in eligible),
        "overdue": sum(p.overdue for p in listed),
        "open_conflicts": sum(p.open_conflicts for p in listed),
        "consensus_approved": sum(1 for p in eligible if p.consensus == "approved"),
        "consensus_submitted": sum(1 for p in eligible if p.consensus == "submitted"),
    }


def call_progress(call: Call, now: datetime | None = None) -> CallProgress:
    """Everything the dashboard shows for `call`, in a constant number of queries."""
    now = now or utcnow()
    proposals = _proposal_rows(call)
    evaluators = _evaluator_rows(call)
    _count_assignments(call, proposals, evaluators, now)
    for proposal_id, status in db.session.execute(
            sa.select(ConsensusReport.proposal_id, ConsensusReport.status)
            .join(Proposal, Proposal.id == ConsensusReport.proposal_id)
            .where(Proposal.call_id == call.id, CURRENT_CONSENSUS)):
        if proposal_id in proposals:
            proposals[proposal_id].consensus = _consensus_label(status)
    listed = list(proposals.values())
    statuses = {"none": None, **{s.value: s for s in ReportStatus}}
    reasons = ready_to_rank_reasons([(p.reference, p.eligibility, statuses[p.consensus]) for p in listed])
    return CallProgress(call, listed, list(evaluators.values()), now, not reasons, reasons,
                        _totals(listed, call.evaluators_per_proposal))


def filter_proposals(progress: CallProgress, *, eligibility: str = "", consensus: str = "", status: str = "",
                     strand: str = "", text: str = "") -> list[ProposalProgress]:
    """The dashboard's filters (all optional): eligibility, consensus state, a status, strand, text."""
    k = progress.call.evaluators_per_proposal
    rows = progress.proposals
    if eligibility:
        rows = [p for p in rows if p.eligibility.value == eligibility]
    if consensus:
        rows = [p for p in rows if p.consensus == consensus]
    if strand:
        rows = [p for p in rows if p.strand == strand]
    if status == "overdue":
        rows = [p for p in rows if p.overdue]
    elif status == "unassigned":
        rows = [p for p in rows if p.eligibility is Eligibility.ELIGIBLE and p.assigned - p.open_conflicts < k]
    elif status == "conflicts":
        rows = [p for p in rows if p.open_conflicts]
    elif status == "awaiting_reports":
        rows = [p for p in rows if p.published and p.submitted < p.published - p.open_conflicts]
    elif status == "awaiting_approval":
        rows = [p for p in rows if p.consensus == "submitted"]
    if text:
        needle = text.casefold().strip()
        rows = [p for p in rows if needle in p.reference.casefold() or needle in p.acronym.casefold()
                or needle in p.title.casefold()]
    return rows


SORT_KEYS = {
    "reference": lambda p: p.reference,
    "acronym": lambda p: p.acronym.casefold(),
    "strand": lambda p: (p.strand or "").casefold(),
    "eligibility": lambda p: p.eligibility.value,
    "assigned": lambda p: (p.assigned - p.open_conflicts, p.proposed),
    "reports": lambda p: (p.submitted, -p.overdue),
    "overdue": lambda p: p.overdue,
    "consensus": lambda p: CONSENSUS_STATES.index(p.consensus),
    "rapporteur": lambda p: (p.rapporteur or "").casefold(),
}


def sort_proposals(rows: list[ProposalProgress], key: str, descending: bool = False) -> list[ProposalProgress]:
    """Rows ordered by one of SORT_KEYS (reference order for an unknown key); ties keep reference order."""
    if key not in SORT_KEYS:
        return list(reversed(rows)) if descending else list(rows)
    return sorted(rows, key=SORT_KEYS[key], reverse=descending)
