"""Evaluation review (redress): the window a decision letter opens, and the requests filed in it.

The window (the EU's practice, shared/domain/eu-evaluation.md): the coordinator may request a review within
`redress_days` (30) of receiving the letter; a letter not opened within `redress_unopened_days` (10) of its sending
counts as received on that day. A letter is sent when it is published to the applicants, and opened when an
applicant of the proposal's organisation first downloads it (`Letter.opened_at`, app.services.redress). Both periods
are the call's settings, or the instance's REDRESS_DAYS and REDRESS_UNOPENED_DAYS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.enums import REDRESS_GROUNDS, LetterKind, RedressStatus, ReportStatus
from app.extensions import db
from app.languages import N_
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    ConsensusReport,
    IndividualReport,
    Letter,
    Proposal,
    RedressRequest,
    SelectionRun,
)
from app.queries.consensus import consensus_of
from app.queries.evaluation import active_assignments
from app.queries.runs import Comparison, acronyms_of, compare_runs, run_in_force
from app.services.errors import InvalidInput, NotReady
from scoring import (
    ReviewDecision,
    ScoringError,
    Selection,
    canonical_json,
    decide_review_document,
    parse_input,
    read_json,
    read_output,
    review_document,
)


@dataclass(frozen=True)
class RedressWindow:
    """When a letter counts as received and until when a review may be requested."""

    sent_at: datetime
    received_at: datetime
    opened: bool  # received by opening it, rather than counted as received on the last day to open it
    closes_at: datetime
    days: int
    unopened_days: int

    def is_open(self, now: datetime) -> bool:
        """Open up to and including the instant it closes."""
        return now <= self.closes_at

    def days_left(self, now: datetime) -> int:
        """Whole days left before it closes (0 on its last day and after)."""
        return max(0, (self.closes_at - now).days)


def redress_periods(call: Call, config: Mapping[str, Any] | None = None) -> tuple[int, int]:
    """(days to request a review, days until an unopened letter counts as received) of the call."""
    config = config if config is not None else current_app.config
    return (call.redress_days or int(config.get("REDRESS_DAYS", 30)),
            call.redress_unopened_days or int(config.get("REDRESS_UNOPENED_DAYS", 10)))


def redress_window(letter: Letter, call: Call, config: Mapping[str, Any] | None = None) -> RedressWindow | None:
    """The window the letter opens; None for a letter that opens none (an award, or one not published yet)."""
    if letter.kind not in REDRESS_GROUNDS or letter.published_at is None:
        return None
    days, unopened_days = redress_periods(call, config)
    deemed = letter.published_at + timedelta(days=unopened_days)
    opened = letter.opened_at is not None and letter.opened_at < deemed
    received = letter.opened_at if opened and letter.opened_at is not None else deemed
    return RedressWindow(sent_at=letter.published_at, received_at=received, opened=opened,
                         closes_at=received + timedelta(days=days), days=days, unopened_days=unopened_days)


def redressable_letter(proposal: Proposal) -> Letter | None:
    """The proposal's decision in force as its applicants know it: its latest published letter."""
    return db.session.scalar(
        sa.select(Letter).where(Letter.proposal_id == proposal.id, Letter.published_at.is_not(None),
                                Letter.kind != LetterKind.REDRESS_REPLY)
        .order_by(Letter.decision_date.desc(), Letter.id.desc()).limit(1))


def proposal_requests(proposal: Proposal) -> list[RedressRequest]:
    """The proposal's requests, oldest first."""
    return list(db.session.scalars(
        sa.select(RedressRequest).where(RedressRequest.proposal_id == proposal.id)
        .order_by(RedressRequest.filed_at, RedressRequest.id)))


def request_for(proposal: Proposal, stage: LetterKind) -> RedressRequest | None:
    """The proposal's request about this stage, if one was filed (there is at most one)."""
    return db.session.scalar(sa.select(RedressRequest).where(RedressRequest.proposal_id == proposal.id,
                                                             RedressRequest.stage == stage))


def organisation_requests(organisation_id: int) -> list[RedressRequest]:
    """Every request about the organisation's proposals, newest first, with their proposals and calls."""
    return list(db.session.scalars(
        sa.select(RedressRequest).join(Proposal, RedressRequest.proposal_id == Proposal.id)
        .where(Proposal.organisation_id == organisation_id)
        .options(selectinload(RedressRequest.proposal).selectinload(Proposal.call))
        .order_by(RedressRequest.filed_at.desc(), RedressRequest.id.desc())))


def requests_by_letter(letters: Iterable[Letter]) -> dict[int, RedressRequest]:
    """For each letter, the request filed about its proposal's stage, if any (one query)."""
    letters = list(letters)
    if not letters:
        return {}
    requests = db.session.scalars(sa.select(RedressRequest).where(
        RedressRequest.proposal_id.in_({letter.proposal_id for letter in letters})))
    by_stage = {(request.proposal_id, request.stage): request for request in requests}
    return {letter.id: by_stage[(letter.proposal_id, letter.kind)]
            for letter in letters if (letter.proposal_id, letter.kind) in by_stage}


# --- the officers' side: the queue, one request's file, the review committee ----------------------------------------

# What counts as taking part in a proposal's evaluation, read from its audit trail: screening it, being assigned to
# it, changing its evaluators (adding, removing or withdrawing one, waiving a conflict, naming the rapporteur),
# writing one of its reports, or drafting, submitting, approving or reopening its consensus. Call-wide acts (computing
# or publishing every assignment of the call, running the selection) are not about one proposal and do not count.
EVALUATION_ACTIONS: frozenset[str] = frozenset({
    "proposal.screened", "assignment.added", "assignment.removed", "assignment.withdrawn",
    "assignment.conflict_waived", "assignment.rapporteur_set", "report.saved", "report.submitted",
    "consensus.saved", "consensus.submitted", "consensus.approved", "consensus.reopened",
})
TRAIL_LENGTH = 200


def _trail_query(proposal: Proposal) -> sa.Select[AuditEvent]:
    return sa.select(AuditEvent).where(sa.or_(
        sa.and_(AuditEvent.object_type == "proposal", AuditEvent.object_id == str(proposal.id)),
        sa.and_(AuditEvent.object_type.in_(("assignment", "individual_report", "consensus_report")),
                AuditEvent.data["proposal_id"].as_integer() == proposal.id)))


def proposal_trail(proposal: Proposal) -> list[AuditEvent]:
    """The proposal's audit trail, its evaluation's included (assignments, reports, consensus), oldest first."""
    return list(db.session.scalars(
        _trail_query(proposal).options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id).limit(TRAIL_LENGTH)))


def evaluation_participants(proposal: Proposal) -> set[int]:
    """The accounts that took part in the proposal's evaluation (EVALUATION_ACTIONS), and those the records name
    even without an event: its evaluators, its screener, its consensus's rapporteur and approver."""
    actors = db.session.scalars(sa.select(AuditEvent.actor_id).where(
        AuditEvent.id.in_(_trail_query(proposal).with_only_columns(AuditEvent.id)),
        AuditEvent.action.in_(EVALUATION_ACTIONS), AuditEvent.actor_id.is_not(None)))
    named = set(db.session.scalars(sa.select(Assignment.evaluator_id).where(Assignment.proposal_id == proposal.id)))
    for report in db.session.scalars(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id)):
        named |= {user_id for user_id in (report.rapporteur_id, report.approved_by_id) if user_id is not None}
    if proposal.screened_by_id is not None:
        named.add(proposal.screened_by_id)
    return {actor_id for actor_id in actors if actor_id is not None} | named


@dataclass(frozen=True)
class QueueRow:
    request: RedressRequest
    days_elapsed: int  # since filing, to the decision or to now


def redress_queue(call: Call, now: datetime) -> list[QueueRow]:
    """The call's requests, those awaiting the committee first, then by filing (one query)."""
    requests = db.session.scalars(
        sa.select(RedressRequest).where(RedressRequest.call_id == call.id)
        .options(selectinload(RedressRequest.proposal), selectinload(RedressRequest.filed_by),
                 selectinload(RedressRequest.decided_by))
        .order_by((RedressRequest.status == RedressStatus.FILED).desc(), RedressRequest.filed_at,
                  RedressRequest.id))
    return [QueueRow(request, ((request.decided_at or now) - request.filed_at).days) for request in requests]


@dataclass(frozen=True)
class RedressCase:
    """Everything the committee reads side by side: the letter, the consensus, the individual reports, the trail."""

    request: RedressRequest
    consensus: ConsensusReport | None
    reports: list[IndividualReport]
    trail: list[AuditEvent]
    participants: set[int]


def redress_case(request: RedressRequest) -> RedressCase:
    proposal = request.proposal
    # The consensus the decision under review rests on: the first (a re-evaluation's comes after it).
    consensus = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id)
                                  .order_by(ConsensusReport.id).limit(1))
    reports = list(db.session.scalars(
        sa.select(IndividualReport).join(Assignment, Assignment.id == IndividualReport.assignment_id)
        .where(Assignment.proposal_id == proposal.id, IndividualReport.status == ReportStatus.SUBMITTED)
        .options(selectinload(IndividualReport.assignment).selectinload(Assignment.evaluator))
        .order_by(IndividualReport.submitted_at, IndividualReport.id)))
    return RedressCase(request, consensus, reports, proposal_trail(proposal), evaluation_participants(proposal))


@dataclass(frozen=True)
class RedressReport:
    """A call's requests by state and the time the decided ones took, filing to decision, in days."""

    total: int
    by_status: dict[RedressStatus, int]
    decided: int
    median_days: float | None
    max_days: int | None


def redress_report(call: Call) -> RedressReport:
    rows = db.session.execute(sa.select(RedressRequest.status, RedressRequest.filed_at, RedressRequest.decided_at)
                              .where(RedressRequest.call_id == call.id)).all()
    by_status = {status: sum(1 for row in rows if row.status is status) for status in RedressStatus}
    durations = [(row.decided_at - row.filed_at).days for row in rows if row.decided_at is not None]
    return RedressReport(total=len(rows), by_status=by_status, decided=len(durations),
                         median_days=float(median(durations)) if durations else None,
                         max_days=max(durations) if durations else None)


@dataclass(frozen=True)
class Reevaluation:
    """Where the re-evaluation an upheld request ordered stands: its panel (rapporteur first) with their reports,
    the number of evaluators the call needs, and the new consensus (None until the rapporteur first saves it)."""

    panel: list[Assignment]
    needed: int
    consensus: ConsensusReport | None

    @property
    def panel_complete(self) -> bool:
        return len(self.panel) >= self.needed

    @property
    def consensus_approved(self) -> bool:
        return self.consensus is not None and self.consensus.status is ReportStatus.APPROVED


def reevaluation_of(request: RedressRequest) -> Reevaluation | None:
    """The re-evaluation of an upheld request (None for any other): two queries whatever the panel's size. Upholding
    withdrew the original evaluators and superseded their consensus, so what is active and in force is the new one."""
    if request.status is not RedressStatus.UPHELD:
        return None
    proposal = request.proposal
    return Reevaluation(panel=active_assignments(proposal.id), needed=proposal.call.evaluators_per_proposal,
                        consensus=consensus_of(proposal))


def rerun_difference(request: RedressRequest) -> Comparison | None:
    """The upheld request's re-run beside the finalised run of the letter under review (or, for a letter of no run,
    the run in force): who moved, funded or not, and the amounts. None before the re-run."""
    if request.rerun is None:
        return None
    baseline = request.letter.run or run_in_force(request.call)
    if baseline is None or baseline.id == request.rerun.id:
        return None
    return compare_runs(baseline, request.rerun, acronyms=acronyms_of(request.call))


# --- closing an upheld request: where the re-evaluated proposal stands (scoring.review) ----------------------------


@dataclass(frozen=True)
class ReviewPreview:
    """What confirming an upheld request's outcome does: the decision `scoring.review` takes on the run in force and
    the re-run, the review document it decides on (stored as the new run's input), the selection that follows (the
    one in force when the decision stands), and the token that confirms exactly this."""

    decision: ReviewDecision
    document: dict[str, Any]
    after: Selection
    in_force: SelectionRun
    rerun: SelectionRun
    token: str


def _reference_ids(document: Mapping[str, Any]) -> dict[str, str]:
    """Reference → the id a run's input gives the proposal (a resolved tie renames it)."""
    return {str(item.get("reference", item["id"])): str(item["id"]) for item in document["proposals"]}


def review_preview(request: RedressRequest) -> ReviewPreview | None:
    """The outcome an upheld request's re-evaluation leads to, decided by `scoring.review` from the run in force and
    the request's re-run; None before the re-run, once closed, or for a request not upheld. NotReady when no
    finalised run is in force (the outcome is placed against one)."""
    if request.status is not RedressStatus.UPHELD or request.rerun is None or request.is_closed:
        return None
    in_force = run_in_force(request.call)
    if in_force is None:
        raise NotReady(N_("No finalised run is in force: the re-evaluated proposal is placed against the outcome in "
                          "force, so finalise the call's selection first."))
    rerun = request.rerun
    reference = request.proposal.reference
    first_input, previous_output = json.loads(in_force.input_json), json.loads(in_force.output_json)
    rerun_input, rerun_output = read_json(rerun.input_json), read_json(rerun.output_json)
    in_force_ids, rerun_ids = _reference_ids(first_input), _reference_ids(rerun_input)
    if reference not in in_force_ids or reference not in rerun_ids:
        raise NotReady(N_("%(reference)s is not in both the run in force and the re-run: re-run the selection."),
                       reference=reference)
    rules, candidates = parse_input({"rules": rerun_input["rules"], "proposals": rerun_input["proposals"]})
    rerun_outcomes = {outcome.id: outcome for outcome in read_output(rerun_output, rules, candidates).proposals}
    by_rerun_id = {rerun_id: ref for ref, rerun_id in rerun_ids.items()}
    to_reference = {in_force_id: ref for ref, in_force_id in in_force_ids.items()}
    reserve_ranks = {}
    for in_force_id in previous_output["reserve"]:
        ranked = rerun_outcomes.get(rerun_ids.get(to_reference.get(in_force_id, ""), ""))
        if ranked is not None and ranked.rank is not None:
            reserve_ranks[in_force_id] = ranked.rank
    new_scores = next(item["scores"] for item in json.loads(rerun.input_json)["proposals"]
                      if by_rerun_id.get(str(item["id"])) == reference)
    document = review_document(
        first_input, previous_output, previous_run=in_force.number, previous_output_sha256=in_force.output_sha256,
        reviewed_id=in_force_ids[reference], new_scores=new_scores, rerun_outcome=rerun_outcomes[rerun_ids[reference]],
        rerun_run=rerun.number, rerun_output_sha256=rerun.output_sha256, reserve_ranks=reserve_ranks,
        request=f"{reference}-R{request.id}")
    try:
        decision, after = decide_review_document(document)
    except ScoringError as error:
        raise InvalidInput(f"The review input is invalid: {error}") from error
    token = hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
    return ReviewPreview(decision, document, after, in_force, rerun, token)
