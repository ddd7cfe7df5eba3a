"""The demo's evaluations, done the way officers and evaluators do them: through the app's own services.

Screening runs the automatic checks on the submitted versions (the officer confirms the passing ones and declares
the others ineligible for the checks they fail); the demo evaluators join the call's pool and accept its code of
conduct; the solver assigns them (conflicts of interest detected as for any call) and the officer publishes; each
evaluator declares no conflict, writes and submits a report whose comments follow its scores; each rapporteur drafts
the consensus from the reports and the officer approves it. Scores come from a seeded random generator, so the demo
is the same every time. Nothing here writes a screening, an assignment or a report by hand.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.enums import AssignmentState, Eligibility, ReportStatus
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment, Call, Criterion, PoolMember, Proposal, User
from app.queries.consensus import readiness
from app.queries.eligibility import Checklist
from app.queries.screening import screening_rows
from app.seeds.accounts_demo import demo_user
from app.services.assignment import fill_gaps, publish_assignments
from app.services.conflicts import declare_conflict
from app.services.consensus import approve_consensus, save_consensus
from app.services.pool import accept_code_of_conduct, invite_evaluator
from app.services.reviews import save_report, submit_report
from app.services.screening import confirm_passing, decide_eligibility

DEMO_OFFICER = "officer@eurogrants.test"
PASSING_REASON = "Every automatic eligibility check passes on the submitted version; confirmed by the officer."
COMMENTS = {
    "high": "The proposal is convincing on this criterion; the objectives are specific and well evidenced.",
    "mid": "Adequate on this criterion, with some shortcomings in the detail of the work plan.",
    "low": "Weak on this criterion: the approach is insufficiently described and the evidence thin.",
}
OVERALL = {
    "high": "A strong proposal overall, with a credible plan to reach the small and medium-sized enterprises.",
    "mid": "A sound proposal overall, though parts of the work plan and the budget need more detail.",
    "low": "Overall the proposal falls short: its objectives, method and expected impact remain vague.",
}


def level(score: Decimal) -> str:
    """How a score out of 5 reads in words: the comments and the overall opinion follow it."""
    return "high" if score >= 4 else "mid" if score >= 3 else "low"


def criterion_comment(criterion: Criterion, score: Decimal) -> str:
    return f"{criterion.name}: {COMMENTS[level(score)]}"


def demo_officer() -> User:
    return demo_user(DEMO_OFFICER)


def ineligibility_reason(checklist: Checklist) -> str:
    """One line per failed check, as the letter of an ineligible proposal lists them."""
    return "\n".join(f"{check.label}: not met by the submitted version." for check in checklist.failures)


def screen(call: Call, *, officer: User, now: datetime) -> None:
    """The officer confirms every proposal whose checks all pass and declares the others ineligible, each for the
    checks its own submitted version fails."""
    confirm_passing(call, actor=officer, reason=PASSING_REASON, now=now)
    for row in screening_rows(call, now):
        if row.ready and row.proposal.eligibility is Eligibility.PENDING and not row.checklist.ok:
            decide_eligibility(row.proposal, actor=officer, eligible=False,
                               reason=ineligibility_reason(row.checklist), now=now)


def staff_pool(call: Call, evaluators: list[User], *, officer: User, max_load: int, now: datetime) -> None:
    """Invite the evaluators missing from the call's pool (expertise: every strand) and accept the code of conduct
    for them, as each would on first opening the call."""
    present = set(db.session.scalars(sa.select(PoolMember.user_id).where(PoolMember.call_id == call.id)))
    for evaluator in evaluators:
        if evaluator.id in present:
            continue
        member = invite_evaluator(call, actor=officer, user=evaluator, expertise=list(call.strands or []),
                                  max_load=max_load)
        accept_code_of_conduct(member, actor=evaluator, now=now)


def assign(call: Call, *, officer: User, now: datetime, evaluation_deadline: datetime) -> None:
    """The solver's assignment of every eligible proposal, published with the evaluation deadline."""
    fill_gaps(call, actor=officer, now=now)
    # The demo evaluators' addresses are made up: no e-mail for them.
    publish_assignments(call, actor=officer, evaluation_deadline=evaluation_deadline, now=now, notify=False)


def _open_assignments(call: Call) -> list[Assignment]:
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.call_id == call.id, Assignment.state == AssignmentState.PUBLISHED)
        .order_by(Assignment.proposal_id, Assignment.id)))


def write_reports(call: Call, targets: Mapping[int, dict[str, Decimal]], rng: random.Random, *,
                  now: datetime) -> None:
    """Each assigned evaluator declares no conflict and submits a report on each proposal of `targets` (proposal
    id -> the scores its evaluators converge on): their own scores within half a point of those, comments that
    follow the scores."""
    criteria = list(call.criteria)
    for assignment in _open_assignments(call):
        scores = targets.get(assignment.proposal_id)
        if scores is None or (assignment.report is not None
                              and assignment.report.status is not ReportStatus.DRAFT):
            continue
        evaluator = assignment.evaluator
        declare_conflict(assignment, actor=evaluator, conflict=False)
        own = {c.key: min(c.max_score, max(Decimal(0), scores[c.key] + rng.choice((-1, 0, 0, 1)) / Decimal(2)))
               for c in criteria}
        average = sum(own.values(), Decimal(0)) / len(own)
        save_report(assignment, actor=evaluator, overall_comment=OVERALL[level(average)],
                    scores={c.key: ScoreInput(own[c.key], criterion_comment(c, own[c.key])) for c in criteria})
        submit_report(assignment, actor=evaluator, now=now)


def agree_consensus(call: Call, targets: Mapping[int, dict[str, Decimal]], *, officer: User, drafted: datetime,
                    approved: datetime) -> None:
    """Each rapporteur drafts and submits the consensus of the reports in; the officer approves it."""
    criteria = list(call.criteria)
    for proposal_id, scores in targets.items():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal is not None  # noqa: S101 - the targets are the call's proposals
        state = readiness(proposal)
        if not state.ready or state.rapporteur is None:
            continue
        total = sum(scores.values(), Decimal(0)) / len(scores)
        overall = (f"Consensus of the {len(state.reports)} evaluators, drawn up by the rapporteur from their "
                   f"individual reports. {OVERALL[level(total)]}")
        save_consensus(proposal, actor=state.rapporteur.evaluator, overall_comment=overall, submit=True,
                       scores={c.key: ScoreInput(scores[c.key], criterion_comment(c, scores[c.key]))
                               for c in criteria}, now=drafted)
        approve_consensus(proposal, actor=officer, now=approved)
