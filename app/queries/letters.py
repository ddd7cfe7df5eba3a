"""Decision letters, read: which proposals a finalised run writes to (and with which outcome), a run's letters and
batches, an applicant's letters, and a letter found by the verification code printed on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.enums import BatchStatus, CallKind, Eligibility, LetterKind, ProposalStatus, ReportStatus
from app.extensions import db
from app.models import CURRENT_CONSENSUS, Call, ConsensusReport, Letter, LetterBatch, Proposal, SelectionRun, User
from app.queries.outcomes import Outcome, run_outcomes
from scoring import Rules

KIND_FOR_STATUS = {
    "selected": LetterKind.AWARD,
    "reserve": LetterKind.RESERVE,
    "not_funded": LetterKind.REJECTION,
    "below_threshold": LetterKind.REJECTION,
    "ineligible": LetterKind.INELIGIBLE,
}
CODE_LENGTH = 10
_CODE_ALPHABET = re.compile(r"[^A-Z2-7]")


def letter_kind(outcome: Outcome) -> LetterKind | None:
    """The letter an outcome calls for; None when it calls for none (a consortium that declined the grant)."""
    return KIND_FOR_STATUS.get(outcome.status)


@dataclass(frozen=True)
class LetterTargets:
    """The proposals a run writes to, each with its outcome, and the rules the run applied."""

    rules: Rules
    outcomes: dict[int, Outcome]  # proposal id → outcome, in proposal order


def letter_targets(run: SelectionRun) -> LetterTargets:
    """Every proposal the run writes to, with its outcome.

    A run writes to every proposal it decides, and to the call's screened-out proposals (ineligible proposals the
    run did not score still get an ineligibility letter). A run that follows another (a promotion from the
    reserve list) writes only to the proposals whose decision it changes. Withdrawn proposals and drafts, and a
    consortium that declined its grant, get no letter.
    """
    outcomes = run_outcomes(run)
    decided = outcomes.by_reference()
    before: dict[str, Outcome] = {}
    if run.parent_run_id is not None:
        parent = db.session.get(SelectionRun, run.parent_run_id)
        before = run_outcomes(parent).by_reference() if parent is not None else {}
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.reference, Proposal.eligibility)
        .where(Proposal.call_id == run.call_id, Proposal.status == ProposalStatus.SUBMITTED)
        .order_by(Proposal.number)
    ).all()
    targets: dict[int, Outcome] = {}
    for proposal_id, reference, eligibility in rows:
        outcome = decided.get(reference)
        if outcome is None and eligibility is Eligibility.INELIGIBLE:
            outcome = Outcome.screened_out(reference)
        if outcome is None or letter_kind(outcome) is None:
            continue
        if run.parent_run_id is not None:
            previous = before.get(reference)
            if previous is None and eligibility is Eligibility.INELIGIBLE:
                continue  # told already, by the parent run's ineligibility letter
            if previous is not None and letter_kind(previous) is letter_kind(outcome):
                continue
        targets[proposal_id] = outcome
    return LetterTargets(outcomes.rules, targets)


def letter_proposals(ids: Iterable[int]) -> list[Proposal]:
    """The proposals of a chunk of letters, with what their letters print (partners, organisation)."""
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.id.in_(list(ids)))
        .options(selectinload(Proposal.partners), selectinload(Proposal.organisation))
        .order_by(Proposal.number)
    ))


def approved_reports(ids: Iterable[int]) -> dict[int, ConsensusReport]:
    """Proposal id → its approved consensus report (the comments of the Evaluation Summary)."""
    reports = db.session.scalars(
        sa.select(ConsensusReport).where(ConsensusReport.proposal_id.in_(list(ids)),
                                         ConsensusReport.status == ReportStatus.APPROVED, CURRENT_CONSENSUS)
    )
    return {report.proposal_id: report for report in reports}


def transfer_call_of(call: Call) -> Call | None:
    """The call an event call's unselected proposals may move to (its letters offer it)."""
    if call.kind is not CallKind.EVENT or call.transfer_to_call_id is None:
        return None
    return db.session.get(Call, call.transfer_to_call_id)


# ---------------------------------------------------------------------------------------------- references, codes


def letter_reference(proposal: Proposal, run: SelectionRun) -> str:
    """The letter's reference: the proposal's, then L and the run number (one letter per proposal and run)."""
    return f"{proposal.reference}-L{run.number}"


def verification_code(reference: str) -> str:
    """A short code printed on the letter: the HMAC of its reference with the app's secret, in base32."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"letter:{reference}".encode(), hashlib.sha256).digest()
    code = base64.b32encode(digest).decode()[:CODE_LENGTH]
    return f"{code[:5]}-{code[5:]}"


def normalise_code(text: str) -> str | None:
    """What a person typed → the stored form (XXXXX-XXXXX), or None when it cannot be a code."""
    cleaned = _CODE_ALPHABET.sub("", text.upper().replace("0", "O").replace("1", "I").replace("8", "B"))
    if len(cleaned) != CODE_LENGTH:
        return None
    return f"{cleaned[:5]}-{cleaned[5:]}"


def find_letter_by_code(text: str) -> Letter | None:
    """The letter whose verification code a person typed (spaces, case and look-alike characters forgiven)."""
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(
        sa.select(Letter).where(Letter.verification_code == code)
        .options(selectinload(Letter.proposal).selectinload(Proposal.call))
    )


# ---------------------------------------------------------------------------------------------- letters, batches


def run_letters(run: SelectionRun) -> list[Letter]:
    """The run's letters in proposal order, with their proposals loaded."""
    return list(db.session.scalars(
        sa.select(Letter).join(Proposal, Letter.proposal_id == Proposal.id).where(Letter.run_id == run.id)
        .options(selectinload(Letter.proposal).selectinload(Proposal.organisation))
        .order_by(Proposal.number)
    ))


def latest_letter(proposal: Proposal, *, published_only: bool) -> Letter | None:
    """The proposal's most recent letter (a later run, such as a promotion from the reserve list, comes last)."""
    query = sa.select(Letter).where(Letter.proposal_id == proposal.id, Letter.kind != LetterKind.REDRESS_REPLY)
    if published_only:
        query = query.where(Letter.published_at.is_not(None))
    return db.session.scalar(query.order_by(Letter.decision_date.desc(), Letter.id.desc()).limit(1))


def applicant_letters(user: User) -> list[Letter]:
    """The published letters of the user's organisation, newest first."""
    if user.organisation_id is None:
        return []
    return list(db.session.scalars(
        sa.select(Letter).join(Proposal, Letter.proposal_id == Proposal.id)
        .where(Proposal.organisation_id == user.organisation_id, Letter.published_at.is_not(None))
        .options(selectinload(Letter.proposal).selectinload(Proposal.call))
        .order_by(Letter.published_at.desc(), Letter.id.desc())
    ))


def active_batch(run: SelectionRun) -> LetterBatch | None:
    """The run's batch that is still running (and not stalled), if any."""
    batch = db.session.scalar(
        sa.select(LetterBatch).where(LetterBatch.run_id == run.id, LetterBatch.status == BatchStatus.RUNNING)
        .order_by(LetterBatch.id.desc()).limit(1)
    )
    return batch if batch is not None and not batch.is_stalled() else None


def latest_batches(runs: Sequence[SelectionRun]) -> dict[int, LetterBatch]:
    """Run id → the run's latest letter batch (one query for all the runs)."""
    if not runs:
        return {}
    latest = sa.select(sa.func.max(LetterBatch.id)).where(LetterBatch.run_id.in_([r.id for r in runs])) \
        .group_by(LetterBatch.run_id)
    return {b.run_id: b for b in db.session.scalars(sa.select(LetterBatch).where(LetterBatch.id.in_(latest)))}


def batch_progress(batch: LetterBatch) -> dict[str, object]:
    """The JSON the progress bar polls (and the API returns)."""
    return {
        "id": batch.id, "run": batch.run_id, "status": batch.status.value, "label": batch.status.label,
        "total": batch.total, "done": batch.done, "skipped": batch.skipped, "failed": batch.failed,
        "processed": batch.processed, "percent": batch.percent, "finished": batch.is_finished,
        "stalled": batch.is_stalled(), "errors": batch.errors[:50],
        "created_at": batch.created_at.isoformat(), "finished_at": batch.finished_at.isoformat()
        if batch.finished_at else None,
    }


def letter_language(proposal: Proposal) -> str | None:
    """The language a consortium's letter is written in: the coordinator's choice, that is, the language chosen by
    the account that created the proposal for the coordinating organisation (None: not chosen, English)."""
    return proposal.created_by.language if proposal.created_by is not None else None
