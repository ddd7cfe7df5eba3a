"""A closed call for expression of interest (evaluation mode `assessment`: places, no budget, no criteria) with
proposals screened eligible or not, for the tests of the officer's assessment and of its selection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.enums import CallKind, Eligibility, EvaluationMode, ProposalStatus
from app.extensions import db
from app.models import Call, Proposal, Submission, User
from tests.factories import make_call, make_proposal


@dataclass
class MissionWorld:
    call: Call
    proposals: list[Proposal]  # screened eligible, in order of submission (the earliest first)
    ineligible: Proposal


def make_mission_call(code: str = "MISSION-KR", *, places: int = 2, reserve: int = 1, **fields: object) -> Call:
    """A closed, published call selected by assessment; its criteria are gone (it needs none)."""
    call = make_call(code, kind=CallKind.EVENT, budget=None, max_awards=places, reserve_size=reserve,
                     evaluation_mode=EvaluationMode.ASSESSMENT, overall_threshold=None, tie_break=[],
                     **fields)
    call.criteria.clear()
    db.session.flush()
    return call


def make_mission_world(applicant: User, *, eligible: int = 4, places: int = 2, reserve: int = 1) -> MissionWorld:
    call = make_mission_call(places=places, reserve=reserve)
    proposals = []
    for index in range(eligible):
        # Submitted one hour apart: the earlier one wins an equal fit.
        proposals.append(submitted_proposal(call, applicant, f"KR{index + 1}",
                                            call.deadline - timedelta(hours=eligible - index)))
    ineligible = make_proposal(call, applicant, acronym="KRX", requested=None, strand=None,
                               eligibility=Eligibility.INELIGIBLE)
    db.session.flush()
    return MissionWorld(call, proposals, ineligible)


def submitted_proposal(call: Call, applicant: User, acronym: str, at: datetime,
                       eligibility: Eligibility = Eligibility.ELIGIBLE) -> Proposal:
    """A proposal submitted at `at` (a submission cannot change once stored, so it is written with its time)."""
    proposal = make_proposal(call, applicant, acronym=acronym, requested=None, strand=None, submitted=False,
                             eligibility=eligibility)
    proposal.status = ProposalStatus.SUBMITTED
    proposal.submissions.append(Submission(version=1, receipt_number=f"R-{proposal.reference}-1", snapshot="{}",
                                           sha256=hashlib.sha256(b"{}").hexdigest(), submitted_at=at,
                                           submitted_by_id=applicant.id))
    db.session.flush()
    return proposal
