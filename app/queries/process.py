"""The officer's process view of one call: Intake → Screening → Evaluation → Consensus → Ranking → Selection →
Letters → Redress, each stage with its counts, what blocks the next one, and the next action. A call selected by the
officer's assessment (a call for expression of interest) has an Assessment stage instead of Evaluation and Consensus.

Counts are read as aggregates in a fixed number of queries (six), whatever the size of the call, so the call's page
stays as fast at 5,000 proposals as at five. Redress shows the letters published (the decisions an applicant can
contest), the evaluation review requests by state and the time the decided ones took (app.queries.redress).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import AssignmentState, Eligibility, ProposalStatus, RedressStatus, ReportStatus, RunStatus, Verdict
from app.extensions import db
from app.models import (
    CURRENT_CONSENSUS,
    Assessment,
    Assignment,
    Call,
    ConsensusReport,
    IndividualReport,
    Letter,
    Proposal,
    SelectionRun,
)
from app.queries.consensus import ready_to_rank_reasons
from app.queries.redress import redress_report
from app.queries.screening import screening_open


@dataclass(frozen=True)
class Action:
    """The next thing to do in a stage: a button to the page where it is done (an endpoint taking the call's code)."""

    label: str
    endpoint: str


@dataclass
class Stage:
    key: str
    name: str
    counts: list[tuple[str, str]] = field(default_factory=list)
    done: bool = False
    blocker: str | None = None
    action: Action | None = None
    current: bool = False


@dataclass(frozen=True)
class _Figures:
    """Everything the stages count, read in five queries."""

    drafts: int
    submitted: int
    pending: int
    eligible: int
    ineligible: int
    published: int
    proposed: int
    reports_in: int
    consensus: dict[ReportStatus, int]
    ranking_blockers: list[str]
    runs: int
    finalised_run: int | None
    letters: int
    letters_published: int
    assessed: int = 0  # a call selected by assessment: the eligible proposals assessed, and those found suitable
    suitable: int = 0


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _figures(call: Call) -> _Figures:
    statuses = dict(db.session.execute(
        sa.select(Proposal.status, sa.func.count()).where(Proposal.call_id == call.id).group_by(Proposal.status)).all())
    rows = db.session.execute(
        sa.select(Proposal.reference, Proposal.eligibility, ConsensusReport.status)
        .outerjoin(ConsensusReport, sa.and_(ConsensusReport.proposal_id == Proposal.id, CURRENT_CONSENSUS))
        .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED)).all()
    eligibility = [row[1] for row in rows]
    consensus: dict[ReportStatus, int] = {}
    for _reference, state, status in rows:
        if state is Eligibility.ELIGIBLE and status is not None:
            consensus[status] = consensus.get(status, 0) + 1
    assignments = db.session.execute(
        sa.select(Assignment.state, IndividualReport.status, sa.func.count())
        .outerjoin(IndividualReport, IndividualReport.assignment_id == Assignment.id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN,
               Proposal.eligibility == Eligibility.ELIGIBLE)
        .group_by(Assignment.state, IndividualReport.status)).all()
    runs = db.session.execute(sa.select(SelectionRun.number, SelectionRun.status, SelectionRun.superseded_at)
                              .where(SelectionRun.call_id == call.id)).all()
    in_force = [number for number, status, superseded in runs if status is RunStatus.FINALISED and superseded is None]
    finalised_run = max(in_force) if in_force else None
    letters, published = db.session.execute(
        sa.select(sa.func.count(Letter.id), sa.func.count(Letter.published_at))
        .join(SelectionRun, SelectionRun.id == Letter.run_id)
        .where(SelectionRun.call_id == call.id, SelectionRun.number == (finalised_run or 0))).one()
    return _Figures(
        drafts=statuses.get(ProposalStatus.DRAFT, 0), submitted=len(rows),
        pending=eligibility.count(Eligibility.PENDING), eligible=eligibility.count(Eligibility.ELIGIBLE),
        ineligible=eligibility.count(Eligibility.INELIGIBLE),
        published=sum(n for state, _, n in assignments if state is AssignmentState.PUBLISHED),
        proposed=sum(n for state, _, n in assignments if state is AssignmentState.PROPOSED),
        reports_in=sum(n for state, report, n in assignments
                       if state is AssignmentState.PUBLISHED and report not in (None, ReportStatus.DRAFT)),
        consensus=consensus,
        ranking_blockers=ready_to_rank_reasons([(ref, state, status) for ref, state, status in rows]),
        runs=len(runs), finalised_run=finalised_run, letters=int(letters or 0), letters_published=int(published or 0),
        **(_assessed(call) if call.is_assessed else {}),
    )


def _assessed(call: Call) -> dict[str, int]:
    """The eligible proposals of a call selected by assessment that are assessed, by verdict: one query."""
    verdicts = dict(db.session.execute(
        sa.select(Assessment.verdict, sa.func.count()).join(Proposal, Proposal.id == Assessment.proposal_id)
        .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
               Proposal.eligibility == Eligibility.ELIGIBLE).group_by(Assessment.verdict)).all())
    return {"assessed": sum(verdicts.values()), "suitable": verdicts.get(Verdict.SUITABLE, 0)}


def _assessment(f: _Figures) -> Stage:
    stage = Stage("assessment", "Assessment", [("Assessed", f"{f.assessed} of {f.eligible}"),
                                               ("Suitable", str(f.suitable))])
    stage.done = f.eligible > 0 and f.assessed == f.eligible
    if f.eligible == 0:
        stage.blocker = "No eligible proposal to assess yet."
    elif f.assessed < f.eligible:
        stage.blocker = f"{_plural(f.eligible - f.assessed, 'proposal')} to assess."
        stage.action = Action("Assess the proposals", "manage.assessment")
    return stage


def _ranking_by_assessment(f: _Figures, closed: bool) -> Stage:
    ready = closed and f.submitted > 0 and f.pending == 0 and f.assessed == f.eligible
    stage = Stage("ranking", "Ranking", [("Assessed suitable", str(f.suitable))], done=ready)
    if not ready:
        stage.blocker = "Every proposal is screened and every eligible one assessed first." if f.submitted else \
            "Nothing to rank yet."
    stage.action = Action("Open the ranking", "manage.selection_ranking") if ready else None
    return stage


def _intake(call: Call, f: _Figures, closed: bool) -> Stage:
    stage = Stage("intake", "Intake", [("Drafts", str(f.drafts)), ("Submitted", str(f.submitted))], done=closed)
    if not closed:
        stage.blocker = "The call is open: screening starts when its deadline has passed."
    stage.action = Action("See the proposals", "manage.intake_proposals")
    return stage


def _screening(f: _Figures, closed: bool) -> Stage:
    stage = Stage("screening", "Screening", [("To screen", str(f.pending)), ("Eligible", str(f.eligible)),
                                             ("Ineligible", str(f.ineligible))])
    stage.done = closed and f.submitted > 0 and f.pending == 0
    if closed and f.submitted == 0:
        stage.blocker = "No proposal was submitted."
    elif f.pending:
        stage.blocker = f"{_plural(f.pending, 'proposal')} to screen."
        stage.action = Action("Screen the proposals", "manage.evaluation_screening")
    return stage


def _evaluation(call: Call, f: _Figures) -> Stage:
    places = f.eligible * call.evaluators_per_proposal
    stage = Stage("evaluation", "Evaluation", [("Evaluators assigned", f"{f.published} of {places}"),
                                               ("Reports submitted", f"{f.reports_in} of {f.published}")])
    stage.done = f.eligible > 0 and f.published >= places and f.reports_in >= f.published
    if f.eligible == 0:
        stage.blocker = "No eligible proposal to evaluate yet."
    elif f.published < places:
        unpublished = f" ({f.proposed} proposed, not published)" if f.proposed else ""
        stage.blocker = f"{_plural(places - f.published, 'evaluator place')} to fill and publish{unpublished}."
        stage.action = Action("Assign evaluators", "manage.evaluation_assignments")
    elif f.reports_in < f.published:
        stage.blocker = f"{_plural(f.published - f.reports_in, 'individual report')} still to come."
        stage.action = Action("Follow the reports", "manage.evaluation_dashboard")
    return stage


def _consensus(f: _Figures) -> Stage:
    approved, waiting = f.consensus.get(ReportStatus.APPROVED, 0), f.consensus.get(ReportStatus.SUBMITTED, 0)
    stage = Stage("consensus", "Consensus", [("Approved", f"{approved} of {f.eligible}"),
                                             ("Awaiting approval", str(waiting))])
    stage.done = f.eligible > 0 and approved == f.eligible
    if waiting:
        stage.blocker = f"{_plural(waiting, 'consensus report')} {'awaits' if waiting == 1 else 'await'} your approval."
        stage.action = Action("Approve the consensus reports", "manage.evaluation_dashboard")
    elif f.eligible and approved < f.eligible:
        stage.blocker = f"{_plural(f.eligible - approved, 'proposal')} without an approved consensus."
    return stage


def _ranking(f: _Figures, closed: bool) -> Stage:
    ready = closed and f.submitted > 0 and not f.ranking_blockers
    stage = Stage("ranking", "Ranking", [("Proposals to rank", str(f.consensus.get(ReportStatus.APPROVED, 0)))],
                  done=ready)
    if not ready:
        stage.blocker = f.ranking_blockers[0] if f.ranking_blockers else "Nothing to rank yet."
    stage.action = Action("Open the ranking", "manage.selection_ranking") if ready else None
    return stage


def _selection(f: _Figures, ready: bool) -> Stage:
    finalised = f"run {f.finalised_run}" if f.finalised_run else "none"
    stage = Stage("selection", "Selection", [("Runs", str(f.runs)), ("Finalised", finalised)],
                  done=f.finalised_run is not None)
    if f.finalised_run is None:
        stage.blocker = "No selection run is finalised." if ready else "The ranking is not ready."
        if ready:
            stage.action = Action("Run and finalise a selection", "manage.selection_ranking")
    return stage


def _letters(f: _Figures) -> Stage:
    stage = Stage("letters", "Letters", [("Generated", str(f.letters)), ("Published", str(f.letters_published))])
    stage.done = f.letters > 0 and f.letters_published == f.letters
    if f.finalised_run is None:
        stage.blocker = "Letters are written once a selection run is finalised."
    elif f.letters == 0:
        stage.blocker = "No letter is generated yet."
        stage.action = Action("Generate the letters", "manage.call_letters")
    elif f.letters_published < f.letters:
        stage.blocker = f"{_plural(f.letters - f.letters_published, 'letter')} not published."
        stage.action = Action("Publish the letters", "manage.call_letters")
    return stage


def _redress(call: Call, f: _Figures) -> Stage:
    report = redress_report(call)
    waiting = report.by_status[RedressStatus.FILED]
    taken = (f"median {report.median_days:g} days, longest {report.max_days}" if report.median_days is not None
             else "none decided yet")
    stage = Stage("redress", "Redress", [
        ("Letters published", str(f.letters_published)), ("Review requests", str(report.total)),
        ("Awaiting the committee", str(waiting)), ("Rejected (decision stands)",
                                                   str(report.by_status[RedressStatus.REJECTED])),
        ("Filing to decision", taken)])
    stage.done = f.letters_published > 0 and waiting == 0
    if waiting:
        stage.blocker = f"{_plural(waiting, 'review request')} awaiting the review committee."
        stage.action = Action("Review the requests", "manage.redress_requests")
    return stage


def call_process(call: Call, now: datetime | None = None) -> list[Stage]:
    """The call's stages in order; the first one not done is the current one."""
    closed = screening_open(call, now or utcnow())
    f = _figures(call)
    if call.is_assessed:
        stages = [_intake(call, f, closed), _screening(f, closed), _assessment(f), _ranking_by_assessment(f, closed)]
    else:
        stages = [_intake(call, f, closed), _screening(f, closed), _evaluation(call, f), _consensus(f),
                  _ranking(f, closed)]
    stages += [_selection(f, stages[-1].done), _letters(f), _redress(call, f)]
    current = next((stage for stage in stages if not stage.done), None)
    if current is not None:
        current.current = True
    return stages
