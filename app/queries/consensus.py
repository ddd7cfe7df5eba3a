"""Consensus as pages and the API read it: whether it is open, the spread of the individual scores, the report.

Consensus opens when the proposal's k evaluators are published and have all submitted their IER (`readiness`); the
rapporteur drafts it and the officer approves it (app.services.consensus). The approved consensus scores are what
ranking uses; a call is ready to rank when every submitted proposal is screened and every eligible one has an
approved consensus (`ready_to_rank_reasons`, which the officer's dashboard shows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import AssignmentState, ConflictDeclaration, Eligibility, ReportStatus
from app.extensions import db
from app.languages import N_
from app.models import (
    CURRENT_CONSENSUS,
    Assignment,
    AuditEvent,
    Call,
    ConsensusReport,
    Criterion,
    IndividualReport,
    Proposal,
    User,
)
from app.queries.access import is_officer
from app.queries.evaluation import (
    active_assignments,
    assignment_of,
    counts_toward_k,
    load_evaluation,
    own_report_submitted,
    require_evaluator,
)
from app.services.errors import NotFound
from app.translation import gettext, ngettext

DIVERGENCE = Decimal(2)  # evaluators who differ by this much or more are flagged for discussion


@dataclass(frozen=True)
class Spread:
    """The individual scores on one criterion: the consensus page shows them beside the consensus score."""

    criterion: Criterion
    scores: tuple[Decimal, ...]

    @property
    def minimum(self) -> Decimal | None:
        return min(self.scores) if self.scores else None

    @property
    def maximum(self) -> Decimal | None:
        return max(self.scores) if self.scores else None

    @property
    def mean(self) -> Decimal | None:
        if not self.scores:
            return None
        return (sum(self.scores, Decimal(0)) / len(self.scores)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def divergent(self) -> bool:
        return bool(self.scores) and (max(self.scores) - min(self.scores)) >= DIVERGENCE


def spreads(criteria: list[Criterion], reports: list[IndividualReport]) -> list[Spread]:
    """Min, max, mean and the divergence flag per criterion, over the submitted reports."""
    by_criterion: dict[int, list[Decimal]] = {c.id: [] for c in criteria}
    for report in reports:
        for score in report.scores:
            if score.score is not None and score.criterion_id in by_criterion:
                by_criterion[score.criterion_id].append(score.score)
    return [Spread(c, tuple(by_criterion[c.id])) for c in criteria]


READY = N_("Every individual report is in.")
WAITING = N_("%(submitted)d of %(expected)d individual reports are submitted; the consensus opens when all are in.")


@dataclass(frozen=True)
class Readiness:
    ready: bool
    submitted: int
    expected: int
    reports: tuple[IndividualReport, ...] = ()
    rapporteur: Assignment | None = None

    @property
    def template(self) -> str:
        """The catalogue message saying whether the consensus is open (filled in from `params`)."""
        return READY if self.ready else WAITING

    @property
    def params(self) -> dict[str, Any]:
        return {} if self.ready else {"submitted": self.submitted, "expected": self.expected}

    @property
    def message(self) -> str:
        """Whether the consensus is open, in the language being spoken (the reader's on a page)."""
        return gettext(self.template, **self.params)


def readiness(proposal: Proposal) -> Readiness:
    """Consensus opens when the proposal's k evaluators are published and have all submitted their IER."""
    k = proposal.call.evaluators_per_proposal
    active = [a for a in active_assignments(proposal.id) if counts_toward_k(a)]
    done = [a for a in active if a.state is AssignmentState.PUBLISHED and a.report is not None
            and a.report.status is not ReportStatus.DRAFT]
    expected = max(k, len(active))
    rapporteur = next((a for a in active if a.is_rapporteur), None)
    reports = tuple(a.report for a in done if a.report is not None)
    return Readiness(len(done) >= k and len(done) == len(active), len(done), expected, reports, rapporteur)


def consensus_of(proposal: Proposal) -> ConsensusReport | None:
    """The proposal's consensus report in force, whatever its status (None before the rapporteur's first save, and
    after an upheld evaluation review superseded it until the new panel's rapporteur saves theirs)."""
    return db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id,
                                                              CURRENT_CONSENSUS))


def _named(references: list[str], limit: int = 10) -> str:
    shown = ", ".join(references[:limit])
    if len(references) <= limit:
        return shown
    return ngettext("%(names)s and %(num)d more", "%(names)s and %(num)d more", len(references) - limit, names=shown)


def ready_to_rank_reasons(rows: list[tuple[str, Eligibility, ReportStatus | None]]) -> list[str]:
    """Why a call is not ready to rank, from (reference, eligibility, consensus status) of its submitted proposals,
    in the language being spoken (the officer's on a page; English outside a request)."""
    pending = [ref for ref, eligibility, _ in rows if eligibility is Eligibility.PENDING]
    eligible = [(ref, status) for ref, eligibility, status in rows if eligibility is Eligibility.ELIGIBLE]
    without = [ref for ref, status in eligible if status is not ReportStatus.APPROVED]
    reasons = []
    if not rows:
        reasons.append(gettext("No proposal was submitted."))
    if pending:
        reasons.append(ngettext("%(num)d proposal awaits screening: %(names)s.",
                                "%(num)d proposals await screening: %(names)s.", len(pending), names=_named(pending)))
    if rows and not eligible and not pending:
        reasons.append(gettext("No proposal is eligible."))
    if without:
        reasons.append(ngettext("%(num)d eligible proposal has no approved consensus: %(names)s.",
                                "%(num)d eligible proposals have no approved consensus: %(names)s.", len(without),
                                names=_named(without)))
    return reasons


def consensus_statuses(proposal_ids: Iterable[int]) -> dict[int, ReportStatus]:
    """Proposal id → the status of its consensus report, for the proposals that have one (one query)."""
    rows = db.session.execute(sa.select(ConsensusReport.proposal_id, ConsensusReport.status)
                              .where(ConsensusReport.proposal_id.in_(list(proposal_ids)), CURRENT_CONSENSUS))
    return {proposal_id: status for proposal_id, status in rows}


@dataclass(frozen=True)
class ReportsIn:
    """How many of a proposal's individual reports are in, and whether that opens the consensus (`readiness`)."""

    submitted: int
    expected: int
    ready: bool


def reports_in(proposal_ids: Iterable[int]) -> dict[int, ReportsIn]:
    """Proposal id → its reports in, by the rule of `readiness`, for many proposals in one query."""
    rows = db.session.execute(
        sa.select(Assignment.proposal_id, Assignment.state, Assignment.conflict, Assignment.conflict_waived_reason,
                  IndividualReport.status, Call.evaluators_per_proposal)
        .join(Proposal, Proposal.id == Assignment.proposal_id).join(Call, Call.id == Proposal.call_id)
        .outerjoin(IndividualReport, IndividualReport.assignment_id == Assignment.id)
        .where(Assignment.proposal_id.in_(list(proposal_ids)), Assignment.state != AssignmentState.WITHDRAWN))
    active: dict[int, int] = {}
    done: dict[int, int] = {}
    places: dict[int, int] = {}
    for proposal_id, state, conflict, waived, report_status, k in rows:
        places[proposal_id] = k
        if conflict is ConflictDeclaration.CONFLICT and not waived:  # an open declared conflict: not one of the k
            continue
        active[proposal_id] = active.get(proposal_id, 0) + 1
        finished = state is AssignmentState.PUBLISHED and report_status not in (None, ReportStatus.DRAFT)
        done[proposal_id] = done.get(proposal_id, 0) + finished
    return {proposal_id: ReportsIn(done.get(proposal_id, 0), max(k, active.get(proposal_id, 0)),
                                   done.get(proposal_id, 0) >= k and done.get(proposal_id, 0) == active.get(
                                       proposal_id, 0))
            for proposal_id, k in places.items()}


def consensus_history(proposal: Proposal, *, limit: int = 50) -> list[AuditEvent]:
    """What happened to the proposal's consensus report (saved, submitted, approved, reopened), latest first."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "consensus_report",
                                    AuditEvent.data["proposal_id"].as_integer() == proposal.id)
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(limit)))


def load_consensus_proposal(proposal_id: int, user: User | None) -> Proposal:
    """The proposal whose consensus `user` reads: officers read every one; an evaluator reads it once their own
    report on the proposal is submitted and while they may see the proposal (NotFound otherwise); other roles are
    refused (NotAllowed)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(N_("There is no such proposal."))
    if is_officer(user):
        return proposal
    evaluator = require_evaluator(user, refusal="Only evaluators and programme officers see consensus reports.")
    assignment = assignment_of(proposal.id, evaluator.id)
    if assignment is None:
        raise NotFound(N_("There is no such proposal."))
    load_evaluation(assignment.id, evaluator)
    if not own_report_submitted(assignment):
        raise NotFound(N_("There is no such proposal."))
    return proposal
