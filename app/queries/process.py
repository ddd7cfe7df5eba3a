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
from app.translation import gettext, ngettext


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
    stage = Stage("assessment", gettext("Assessment"), [
        (gettext("Assessed"), gettext("%(done)d of %(total)d", done=f.assessed, total=f.eligible)),
        (gettext("Suitable"), str(f.suitable))])
    stage.done = f.eligible > 0 and f.assessed == f.eligible
    if f.eligible == 0:
        stage.blocker = gettext("No eligible proposal to assess yet.")
    elif f.assessed < f.eligible:
        stage.blocker = ngettext("%(num)d proposal to assess.", "%(num)d proposals to assess.",
                                 f.eligible - f.assessed)
        stage.action = Action(gettext("Assess the proposals"), "manage.assessment")
    return stage


def _ranking_by_assessment(f: _Figures, closed: bool) -> Stage:
    ready = closed and f.submitted > 0 and f.pending == 0 and f.assessed == f.eligible
    stage = Stage("ranking", gettext("Ranking"), [(gettext("Assessed suitable"), str(f.suitable))], done=ready)
    if not ready:
        stage.blocker = gettext("Every proposal is screened and every eligible one assessed first.") \
            if f.submitted else gettext("Nothing to rank yet.")
    stage.action = Action(gettext("Open the ranking"), "manage.selection_ranking") if ready else None
    return stage


def _intake(call: Call, f: _Figures, closed: bool) -> Stage:
    stage = Stage("intake", gettext("Intake"), [(gettext("Drafts"), str(f.drafts)),
                                                (gettext("Submitted"), str(f.submitted))], done=closed)
    if not closed:
        stage.blocker = gettext("The call is open: screening starts when its deadline has passed.")
    stage.action = Action(gettext("See the proposals"), "manage.intake_proposals")
    return stage


def _screening(f: _Figures, closed: bool) -> Stage:
    stage = Stage("screening", gettext("Screening"), [
        (gettext("To screen"), str(f.pending)), (gettext("Eligible"), str(f.eligible)),
        (gettext("Ineligible"), str(f.ineligible))])
    stage.done = closed and f.submitted > 0 and f.pending == 0
    if closed and f.submitted == 0:
        stage.blocker = gettext("No proposal was submitted.")
    elif f.pending:
        stage.blocker = ngettext("%(num)d proposal to screen.", "%(num)d proposals to screen.", f.pending)
        stage.action = Action(gettext("Screen the proposals"), "manage.evaluation_screening")
    return stage


def _evaluation(call: Call, f: _Figures) -> Stage:
    places = f.eligible * call.evaluators_per_proposal
    stage = Stage("evaluation", gettext("Evaluation"), [
        (gettext("Evaluators assigned"), gettext("%(done)d of %(total)d", done=f.published, total=places)),
        (gettext("Reports submitted"), gettext("%(done)d of %(total)d", done=f.reports_in, total=f.published))])
    stage.done = f.eligible > 0 and f.published >= places and f.reports_in >= f.published
    if f.eligible == 0:
        stage.blocker = gettext("No eligible proposal to evaluate yet.")
    elif f.published < places:
        if f.proposed:
            stage.blocker = ngettext(
                "%(num)d evaluator place to fill and publish (%(proposed)d proposed, not published).",
                "%(num)d evaluator places to fill and publish (%(proposed)d proposed, not published).",
                places - f.published, proposed=f.proposed)
        else:
            stage.blocker = ngettext("%(num)d evaluator place to fill and publish.",
                                     "%(num)d evaluator places to fill and publish.", places - f.published)
        stage.action = Action(gettext("Assign evaluators"), "manage.evaluation_assignments")
    elif f.reports_in < f.published:
        stage.blocker = ngettext("%(num)d individual report still to come.",
                                 "%(num)d individual reports still to come.", f.published - f.reports_in)
        stage.action = Action(gettext("Follow the reports"), "manage.evaluation_dashboard")
    return stage


def _consensus(f: _Figures) -> Stage:
    approved, waiting = f.consensus.get(ReportStatus.APPROVED, 0), f.consensus.get(ReportStatus.SUBMITTED, 0)
    stage = Stage("consensus", gettext("Consensus"), [
        (gettext("Approved"), gettext("%(done)d of %(total)d", done=approved, total=f.eligible)),
        (gettext("Awaiting approval"), str(waiting))])
    stage.done = f.eligible > 0 and approved == f.eligible
    if waiting:
        stage.blocker = ngettext("%(num)d consensus report awaits your approval.",
                                 "%(num)d consensus reports await your approval.", waiting)
        stage.action = Action(gettext("Approve the consensus reports"), "manage.evaluation_dashboard")
    elif f.eligible and approved < f.eligible:
        stage.blocker = ngettext("%(num)d proposal without an approved consensus.",
                                 "%(num)d proposals without an approved consensus.", f.eligible - approved)
    return stage


def _ranking(f: _Figures, closed: bool) -> Stage:
    ready = closed and f.submitted > 0 and not f.ranking_blockers
    stage = Stage("ranking", gettext("Ranking"),
                  [(gettext("Proposals to rank"), str(f.consensus.get(ReportStatus.APPROVED, 0)))], done=ready)
    if not ready:
        stage.blocker = f.ranking_blockers[0] if f.ranking_blockers else gettext("Nothing to rank yet.")
    stage.action = Action(gettext("Open the ranking"), "manage.selection_ranking") if ready else None
    return stage


def _selection(f: _Figures, ready: bool) -> Stage:
    finalised = gettext("run %(number)d", number=f.finalised_run) if f.finalised_run else gettext("none")
    stage = Stage("selection", gettext("Selection"),
                  [(gettext("Runs"), str(f.runs)), (gettext("Finalised"), finalised)], done=f.finalised_run is not None)
    if f.finalised_run is None:
        stage.blocker = gettext("No selection run is finalised.") if ready else gettext("The ranking is not ready.")
        if ready:
            stage.action = Action(gettext("Run and finalise a selection"), "manage.selection_ranking")
    return stage


def _letters(f: _Figures) -> Stage:
    stage = Stage("letters", gettext("Letters"), [(gettext("Generated"), str(f.letters)),
                                                  (gettext("Published"), str(f.letters_published))])
    stage.done = f.letters > 0 and f.letters_published == f.letters
    if f.finalised_run is None:
        stage.blocker = gettext("Letters are written once a selection run is finalised.")
    elif f.letters == 0:
        stage.blocker = gettext("No letter is generated yet.")
        stage.action = Action(gettext("Generate the letters"), "manage.call_letters")
    elif f.letters_published < f.letters:
        stage.blocker = ngettext("%(num)d letter not published.", "%(num)d letters not published.",
                                 f.letters - f.letters_published)
        stage.action = Action(gettext("Publish the letters"), "manage.call_letters")
    return stage


def _redress(call: Call, f: _Figures) -> Stage:
    report = redress_report(call)
    waiting = report.by_status[RedressStatus.FILED]
    taken = (gettext("median %(median)s days, longest %(longest)s", median=format(report.median_days, "g"),
                     longest=report.max_days) if report.median_days is not None else gettext("none decided yet"))
    stage = Stage("redress", gettext("Redress"), [
        (gettext("Letters published"), str(f.letters_published)), (gettext("Review requests"), str(report.total)),
        (gettext("Awaiting the committee"), str(waiting)),
        (gettext("Rejected (decision stands)"), str(report.by_status[RedressStatus.REJECTED])),
        (gettext("Filing to decision"), taken)])
    stage.done = f.letters_published > 0 and waiting == 0
    if waiting:
        stage.blocker = ngettext("%(num)d review request awaiting the review committee.",
                                 "%(num)d review requests awaiting the review committee.", waiting)
        stage.action = Action(gettext("Review the requests"), "manage.redress_requests")
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
