"""Builders that put realistic rows straight into the database, for tests of later stages.

They bypass the services on purpose (an evaluation test needs submitted proposals, not the submit flow).
Call them inside an app context; they flush, the caller commits.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.enums import (
    AssignmentState,
    CallKind,
    ConflictDeclaration,
    Eligibility,
    OrganisationType,
    ProposalStatus,
    ReportStatus,
)
from app.extensions import db
from app.models import (
    Assignment,
    Call,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    Organisation,
    Partner,
    Proposal,
    Submission,
    User,
)
from app.services.accounts import find_or_create_organisation

PAST_DEADLINE = datetime(2021, 12, 7, 16, 0, tzinfo=UTC)


def make_call(code: str = "TEST-CALL", *, deadline: datetime = PAST_DEADLINE,
              budget: Decimal | None = Decimal("42000000.00"), max_awards: int | None = 30,
              kind: CallKind = CallKind.GRANT, criteria: list[dict[str, Any]] | None = None, **fields: Any) -> Call:
    """A call like Euroclusters (three criteria 0-5, threshold 3, overall 10) unless told otherwise."""
    criteria = criteria or [
        {"key": "relevance", "name": "Relevance"}, {"key": "quality", "name": "Quality"},
        {"key": "impact", "name": "Impact"},
    ]
    defaults: dict[str, Any] = dict(
        title=f"Call {code}", programme="Test programme", kind=kind, description="A call for tests.",
        opens_at=deadline - timedelta(days=60), deadline=deadline, budget=budget, max_awards=max_awards,
        max_grant_per_proposal=Decimal("1400000.00") if budget is not None else None, min_partners=1,
        min_countries=1, eligible_countries=[], page_limit=50, evaluators_per_proposal=3,
        strands=["Open", "Tourism", "Digital", "Health"], overall_threshold=Decimal(10),
        tie_break=["relevance", "impact", "quality"], coverage_field=None, reserve_size=5,
    )
    defaults.update(fields)
    call = Call(code=code, **defaults, criteria=[
        Criterion(key=c["key"], name=c["name"], description=c.get("description", ""),
                  max_score=Decimal(c.get("max", 5)), weight=Decimal(str(c.get("weight", 1))),
                  threshold=None if c.get("threshold", 3) is None else Decimal(str(c.get("threshold", 3))),
                  position=i)
        for i, c in enumerate(criteria, start=1)
    ])
    db.session.add(call)
    db.session.flush()
    return call


def make_proposal(call: Call, creator: User, *, acronym: str | None = None, strand: str | None = "Open",
                  requested: Decimal | None = Decimal("1000000.00"), partners: list[tuple[str, str]] | None = None,
                  submitted: bool = True, eligibility: Eligibility = Eligibility.PENDING) -> Proposal:
    """A proposal of `creator`'s organisation; partners are (name, country) after the coordinator."""
    number = (db.session.scalar(sa.select(sa.func.max(Proposal.number)).where(Proposal.call_id == call.id)) or 0) + 1
    organisation = creator.organisation or find_or_create_organisation("Applicant Org", "BE", OrganisationType.CLUSTER)
    proposal = Proposal(
        call=call, number=number, reference=f"{call.code}-{number:04d}", organisation=organisation,
        created_by=creator, acronym=acronym or f"PROP{number}", title=f"Proposal {number}",
        abstract="An abstract.", strand=strand, duration_months=36, requested_grant=requested,
        eligibility=eligibility,
    )
    members = [(organisation.name, organisation.country), *(partners or [("Partner A", "DE"), ("Partner B", "FR")])]
    share = (requested / len(members)).quantize(Decimal("0.01")) if requested is not None else None
    for position, (name, country) in enumerate(members):
        amount = share
        if requested is not None and share is not None and position == len(members) - 1:
            amount = requested - share * (len(members) - 1)
        proposal.partners.append(Partner(position=position, is_coordinator=position == 0, name=name, country=country,
                                         organisation_type=OrganisationType.CLUSTER, contact_email="",
                                         requested_amount=amount))
    db.session.add(proposal)
    db.session.flush()
    if submitted:
        proposal.status = ProposalStatus.SUBMITTED
        snapshot = json.dumps({"reference": proposal.reference, "acronym": proposal.acronym}, sort_keys=True)
        proposal.submissions.append(Submission(
            version=1, receipt_number=f"R-{proposal.reference}-1", snapshot=snapshot,
            sha256=hashlib.sha256(snapshot.encode()).hexdigest(), submitted_at=call.deadline - timedelta(hours=1),
            submitted_by_id=creator.id,
        ))
        db.session.flush()
    return proposal


def make_approved_consensus(proposal: Proposal, scores: dict[str, str | Decimal], *,
                            approver: User | None = None) -> ConsensusReport:
    """An approved consensus report with the given score per criterion key."""
    report = ConsensusReport(proposal=proposal, status=ReportStatus.APPROVED, overall_comment="Consensus reached.",
                             approved_at=proposal.call.deadline + timedelta(days=30),
                             approved_by_id=approver.id if approver else None)
    for criterion in proposal.call.criteria:
        report.scores.append(ConsensusScore(criterion=criterion, score=Decimal(str(scores[criterion.key])),
                                            comment=f"Consensus on {criterion.name.lower()}."))
    proposal.eligibility = Eligibility.ELIGIBLE
    db.session.add(report)
    db.session.flush()
    return report


def make_assignment(proposal: Proposal, evaluator: User, *, published: bool = True,
                    no_conflict: bool = True) -> Assignment:
    assignment = Assignment(
        call_id=proposal.call_id, proposal=proposal, evaluator=evaluator,
        state=AssignmentState.PUBLISHED if published else AssignmentState.PROPOSED,
        conflict=ConflictDeclaration.NO_CONFLICT if no_conflict else ConflictDeclaration.UNDECLARED,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def organisation(name: str, country: str) -> Organisation:
    return find_or_create_organisation(name, country, OrganisationType.CLUSTER)
