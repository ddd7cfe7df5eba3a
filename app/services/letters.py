"""Decision letters: award, reserve, rejection and ineligibility letters of a finalised selection run.

The content comes from the finalised run's output (status, rank, total, reason), the approved consensus reports
(scores and comments) and the call's criteria (threshold, weight); ineligible letters give the screening reason.
Each letter is rendered from `templates/pdf/` by `app.pdf`, stored by its SHA-256 and verifiable with a short
code printed on it. A run's letters are generated in the background (`app.jobs`), in chunks across processes.
"""

from __future__ import annotations

import base64
import calendar
import csv
import hashlib
import hmac
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import selectinload

from app import jobs
from app.clock import utcnow
from app.enums import (
    BatchStatus,
    CallKind,
    Eligibility,
    LetterKind,
    ProposalStatus,
    ReportStatus,
    RunStatus,
    letter_decision_label,
    letter_kind_label,
)
from app.extensions import db
from app.formatting import format_money, format_score
from app.models import (
    Call,
    ConsensusReport,
    Job,
    Letter,
    LetterBatch,
    Proposal,
    SelectionRun,
    User,
)
from app.pdf import render_pdf_with_pages
from app.queries.access import require_officer
from app.queries.personal_data import erasure_rule_name, proposal_erasure
from app.services.audit import record_event
from app.services.errors import ContentErased, InvalidTransition, NotFound
from app.services.outbox import queue_notifications
from app.storage import get_storage

KIND_FOR_STATUS = {
    "selected": LetterKind.AWARD,
    "reserve": LetterKind.RESERVE,
    "not_funded": LetterKind.REJECTION,
    "below_threshold": LetterKind.REJECTION,
    "ineligible": LetterKind.INELIGIBLE,
}
CODE_LENGTH = 10
# Passed to the renderer pre-parsed rather than linked from the template (see app.pdf._stylesheets).
LETTER_STYLESHEETS = ("css/print.css",)
_CODE_ALPHABET = re.compile(r"[^A-Z2-7]")
# Letters per background job: small enough for a progress bar that moves, large enough to keep overhead low.
MAX_CHUNK = 8


# --- what each proposal gets ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One proposal's line of a run's output (selection-rules.md), with its reserve position, and what its letter
    needs to state the reason the scoring core gave: the reason code, the requested grant and the budget left at its
    step, the coverage value, and the run's award cap and reserve list size."""

    status: str
    rank: int | None = None
    total: Decimal | None = None
    reason: str = ""
    reserve_position: int | None = None
    reason_code: str | None = None
    requested: Decimal | None = None
    budget_left: Decimal | None = None
    coverage_value: str | None = None
    max_awards: int | None = None
    reserve_size: int | None = None

    @property
    def kind(self) -> LetterKind | None:
        """The letter this outcome calls for; None when it calls for none (a consortium that declined the grant)."""
        return KIND_FOR_STATUS.get(self.status)


def run_outcomes(run: SelectionRun) -> dict[str, Outcome]:
    """Each proposal reference of the run's output → its outcome.

    Read through the selection service, which maps the ids of officer-resolved ties back to references.
    """
    from app.services.selection import run_outcomes as read_run

    outcomes = read_run(run)
    rules = outcomes.rules
    coverage_field = rules.get("coverage")
    max_awards = None if rules.get("max_awards") is None else int(rules["max_awards"])
    reserve_size = None if rules.get("reserve_size") is None else int(rules["reserve_size"])
    return {
        line.reference: Outcome(
            status=line.status, rank=line.rank, total=line.total, reason=line.reason,
            reserve_position=line.reserve_position, reason_code=line.reason_code, requested=line.requested,
            budget_left=line.budget_left,
            coverage_value=None if not coverage_field or line.fields.get(coverage_field) is None
            else str(line.fields[coverage_field]),
            max_awards=max_awards, reserve_size=reserve_size,
        )
        for line in outcomes.outcomes
    }


def decision_reason(outcome: Outcome, call: Call) -> str:
    """The reason the scoring core gave for the decision (its reason code), as the letter states it, with the
    run's figures; empty when the run's output names no reason code, and the letter then states no reason of its
    own beyond the core's selection line.

    One sentence per rule, nothing else: the award cap, the budget (skip or stop policy), the coverage rule, rank
    order within the budget, a promotion from the reserve list. Thresholds and ineligibility have letters of their
    own that say so.
    """
    is_event = call.kind is CallKind.EVENT
    cap = outcome.max_awards
    turn = "when its turn came in the selection"
    code = outcome.reason_code
    if code == "award_cap":
        if is_event:
            if cap == 1:
                return f"The call has one slot, and it had been given {turn}."
            return f"The call has {cap} slots, and all {cap} had been given {turn}."
        if cap == 1:
            return f"The call funds one proposal, and that award had been made {turn}."
        return f"The call funds at most {cap} proposals, and all {cap} awards had been made {turn}."
    if code == "budget":
        return (f"Its requested grant of {format_money(outcome.requested)} did not fit the "
                f"{format_money(outcome.budget_left)} of the budget left {turn}.")
    if code == "stop_policy":
        return ("The selection funds the proposals in rank order and, under the call's rules, stops at the first "
                "whose requested grant does not fit the budget left; it stopped at a proposal ranked above this one.")
    if code == "coverage":
        value = f" ({outcome.coverage_value})" if outcome.coverage_value else ""
        fits = "" if is_event else " whose requested grant fits the budget"
        return (f"It was selected under the call's coverage rule, as the best-ranked proposal of its "
                f"{call.strand_label.lower()}{value}{fits}.")
    if code == "fits":
        if is_event:
            return "It was accepted in rank order, within the slots available."
        return "It was selected in rank order: its requested grant fitted the budget left when its turn came."
    if code == "promoted":
        return ("It was on the reserve list and is now selected from it, in the order of the list: a selected "
                "proposal left the selection, and its requested grant fits the budget this freed.")
    return ""


def letter_targets(run: SelectionRun) -> list[tuple[int, Outcome]]:
    """(proposal id, outcome) of every proposal the run writes to.

    A run writes to every proposal it decides, and to the call's screened-out proposals (ineligible proposals the
    run did not score still get an ineligibility letter). A run that follows another (a promotion from the
    reserve list) writes only to the proposals whose decision it changes. Withdrawn proposals and drafts, and a
    consortium that declined its grant, get no letter.
    """
    outcomes = run_outcomes(run)
    before: dict[str, Outcome] = {}
    if run.parent_run_id is not None:
        parent = db.session.get(SelectionRun, run.parent_run_id)
        before = run_outcomes(parent) if parent is not None else {}
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.reference, Proposal.eligibility)
        .where(Proposal.call_id == run.call_id, Proposal.status == ProposalStatus.SUBMITTED)
        .order_by(Proposal.number)
    ).all()
    targets = []
    for proposal_id, reference, eligibility in rows:
        outcome = outcomes.get(reference)
        if outcome is None and eligibility is Eligibility.INELIGIBLE:
            outcome = Outcome(status="ineligible", reason="excluded at the eligibility screening")
        if outcome is None or outcome.kind is None:
            continue
        if run.parent_run_id is not None:
            previous = before.get(reference)
            if previous is None and eligibility is Eligibility.INELIGIBLE:
                continue  # told already, by the parent run's ineligibility letter
            if previous is not None and previous.kind is outcome.kind:
                continue
        targets.append((proposal_id, outcome))
    return targets


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


# --- rendering ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderedLetter:
    kind: LetterKind
    reference: str
    verification_code: str
    decision_date: datetime
    pdf: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def template_for(kind: LetterKind, call: Call) -> str:
    if call.kind is CallKind.EVENT:
        if kind is LetterKind.AWARD:
            return "pdf/letter_event_acceptance.html"
        if kind is LetterKind.REJECTION:
            return "pdf/letter_event_non_acceptance.html"
    return f"pdf/letter_{kind.value}.html"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _evaluation_rows(call: Call, report: ConsensusReport | None) -> list[dict[str, Any]]:
    by_criterion = {score.criterion_id: score for score in (report.scores if report else [])}
    rows = []
    for criterion in call.criteria:
        score = by_criterion.get(criterion.id)
        rows.append({
            "name": criterion.name, "score": score.score if score else None, "max": criterion.max_score,
            "threshold": criterion.threshold, "weight": criterion.weight,
            "comment": score.comment if score else "",
            "below_threshold": bool(score and score.score is not None and criterion.threshold is not None
                                    and score.score < criterion.threshold),
        })
    return rows


def letter_context(proposal: Proposal, run: SelectionRun, outcome: Outcome, report: ConsensusReport | None,
                   *, transfer_call: Call | None = None) -> dict[str, Any]:
    """Everything a letter template shows, as plain values (no lazy loading from the template)."""
    call = run.call
    config = current_app.config
    kind = outcome.kind
    if kind is None:
        raise ValueError(f"the status {outcome.status!r} calls for no letter")
    reference = letter_reference(proposal, run)
    code = verification_code(reference)
    decided = decision_moment(run)
    local_day = decided.astimezone(call.zone).date()
    rows = _evaluation_rows(call, report)
    scores = [row["score"] for row in rows if row["score"] is not None]
    unweighted = sum(scores, Decimal(0)) if len(scores) == len(rows) and rows else None
    weighted = outcome.total
    if weighted is None and unweighted is not None:
        weighted = sum((row["score"] * row["weight"] for row in rows), Decimal(0))
    base_url = str(config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    coordinator = proposal.coordinator
    eligibility_reasons = [line.strip(" -•\t") for line in (proposal.eligibility_reason or "").splitlines()]
    return {
        "kind": kind.value,
        "kind_label": letter_kind_label(kind, call.kind),
        "decision_label": letter_decision_label(kind, call.kind),
        "is_event": call.kind is CallKind.EVENT,
        "reference": reference,
        "verification_code": code,
        "verify_url": f"{base_url}/verify/{code}",
        "decision_iso": decided.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decision_day": f"{local_day.day} {local_day:%B %Y}",
        "call": {
            "code": call.code, "title": call.title, "programme": call.programme,
            "reserve_size": call.reserve_size, "strand_label": call.strand_label,
            "max_total": call.max_total_score, "overall_threshold": call.overall_threshold,
        },
        "proposal": {
            "reference": proposal.reference, "acronym": proposal.acronym, "title": proposal.title,
            "strand": proposal.strand, "duration_months": proposal.duration_months,
            "requested": format_money(proposal.requested_grant) if proposal.requested_grant is not None else None,
            "organisation": proposal.organisation.name,
            "country": proposal.organisation.country,
            "coordinator": coordinator.name if coordinator else proposal.organisation.name,
            "partners": len(proposal.partners),
        },
        "outcome": {
            "status": outcome.status, "rank": outcome.rank, "reason": outcome.reason,
            "reserve_position": outcome.reserve_position,
            "total": format_score(weighted) if weighted is not None else None,
            "reason_code": outcome.reason_code, "why": decision_reason(outcome, call),
            # The run's reserve list, which may differ from the call's setting (an officer's what-if options).
            "reserve_size": call.reserve_size if outcome.reserve_size is None else outcome.reserve_size,
        },
        "evaluation": {
            "rows": [{**row, "score": format_score(row["score"]), "max": format_score(row["max"]),
                      "threshold": format_score(row["threshold"]) if row["threshold"] is not None else None,
                      "weight": format_score(row["weight"])} for row in rows],
            "unweighted": format_score(unweighted) if unweighted is not None else None,
            "weighted": format_score(weighted) if weighted is not None else None,
            "weights_differ": any(row["weight"] != 1 for row in rows),
            "overall_comment": report.overall_comment if report else "",
            "available": report is not None,
        },
        "eligibility_reasons": [reason for reason in eligibility_reasons if reason],
        "next_step": {
            "starts": _day_text(local_day + timedelta(days=int(config.get("GRANT_PREPARATION_DAYS", 14)))),
            "sign_by": _day_text(add_months(local_day, 3)),
        },
        "redress_days": int(config.get("REDRESS_DAYS", 30)),
        "issuer": config.get("LETTER_ISSUER", ""),
        "signatory": config.get("LETTER_SIGNATORY", ""),
        "contact_email": config.get("LETTER_CONTACT_EMAIL", ""),
        "transfer": {"code": transfer_call.code, "title": transfer_call.title,
                     "url": f"{base_url}/calls/{transfer_call.code}"} if transfer_call is not None else None,
    }


def _day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def decision_moment(run: SelectionRun) -> datetime:
    """The date letters carry (and their PDF metadata): when the run was finalised."""
    return run.finalised_at or run.created_at


def render_letter(proposal: Proposal, run: SelectionRun, outcome: Outcome, report: ConsensusReport | None, *,
                  transfer_call: Call | None = None) -> RenderedLetter:
    """Render one letter to PDF (pure: the same inputs give the same bytes)."""
    context = letter_context(proposal, run, outcome, report, transfer_call=transfer_call)
    kind = LetterKind(context["kind"])
    html = render_template(template_for(kind, run.call), **context)
    pdf, pages = render_pdf_with_pages(html, stylesheets=LETTER_STYLESHEETS)
    return RenderedLetter(kind=kind, reference=context["reference"],
                          verification_code=context["verification_code"], decision_date=decision_moment(run),
                          pdf=pdf, pages=pages)


def letter_html(proposal: Proposal, run: SelectionRun, outcome: Outcome, report: ConsensusReport | None, *,
                transfer_call: Call | None = None) -> str:
    """The HTML a letter is rendered from (for the benchmark and for previews)."""
    context = letter_context(proposal, run, outcome, report, transfer_call=transfer_call)
    return render_template(template_for(LetterKind(context["kind"]), run.call), **context)


def _load_proposals(ids: Iterable[int]) -> list[Proposal]:
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.id.in_(list(ids)))
        .options(selectinload(Proposal.partners), selectinload(Proposal.organisation))
        .order_by(Proposal.number)
    ))


def _approved_reports(ids: Iterable[int]) -> dict[int, ConsensusReport]:
    reports = db.session.scalars(
        sa.select(ConsensusReport).where(ConsensusReport.proposal_id.in_(list(ids)),
                                         ConsensusReport.status == ReportStatus.APPROVED)
    )
    return {report.proposal_id: report for report in reports}


def _transfer_call(call: Call) -> Call | None:
    if call.kind is not CallKind.EVENT or call.transfer_to_call_id is None:
        return None
    return db.session.get(Call, call.transfer_to_call_id)


# --- batches --------------------------------------------------------------------------------------------------


def active_batch(run: SelectionRun) -> LetterBatch | None:
    """The run's batch that is still running (and not stalled), if any."""
    batch = db.session.scalar(
        sa.select(LetterBatch).where(LetterBatch.run_id == run.id, LetterBatch.status == BatchStatus.RUNNING)
        .order_by(LetterBatch.id.desc()).limit(1)
    )
    return batch if batch is not None and not batch.is_stalled() else None

def chunk_size(count: int, workers: int) -> int:
    """Letters per job: about eight jobs per worker, at most MAX_CHUNK letters each."""
    return max(1, min(MAX_CHUNK, math.ceil(count / max(1, workers * 8))))


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


def start_letter_batch(run: SelectionRun, *, actor: User | None) -> LetterBatch:
    """Generate every letter of a finalised run in the background; letters already stored are kept.

    Side effects: a LetterBatch, one job per chunk of letters (dispatched when the caller commits), an audit event.
    Raises NotAllowed (not an officer), InvalidTransition (run not finalised, or a batch already running).
    """
    require_officer(actor, to="handle letters", unattended=True)
    if run.status is not RunStatus.FINALISED:
        raise InvalidTransition("Letters are written once the selection run is finalised.",
                                details={"run": run.id, "status": run.status.value})
    running = active_batch(run)
    if running is not None:
        raise InvalidTransition("The letters of this run are being generated already.",
                                details={"batch": running.id})
    now = utcnow()
    for stalled in db.session.scalars(sa.select(LetterBatch).where(LetterBatch.run_id == run.id,
                                                                   LetterBatch.status == BatchStatus.RUNNING)):
        # Its worker is gone: close it so that it does not show as running for ever.
        stalled.status, stalled.finished_at = BatchStatus.FINISHED_WITH_ERRORS, now
        stalled.errors = [*stalled.errors, {"proposal": "-", "message": "stalled; the next batch took over"}]
    targets = letter_targets(run)
    existing = dict(db.session.execute(
        sa.select(Letter.proposal_id, Letter.sha256).where(Letter.run_id == run.id)
    ).all())
    storage = get_storage()
    to_render = [pid for pid, _ in targets if not (pid in existing and storage.exists(existing[pid]))]
    batch = LetterBatch(run_id=run.id, total=len(targets), skipped=len(targets) - len(to_render),
                        created_by_id=actor.id if actor else None, created_at=now, updated_at=now)
    if not to_render:
        batch.status, batch.finished_at = BatchStatus.FINISHED, now
    db.session.add(batch)
    db.session.flush()
    size = chunk_size(len(to_render), int(current_app.config.get("JOBS_WORKERS", 2)))
    for start in range(0, len(to_render), size):
        jobs.enqueue("letters.render", {"batch_id": batch.id, "proposal_ids": to_render[start:start + size]})
    record_event(actor, "letters.batch_started", object_type="selection_run", object_id=run.id,
                 batch=batch.id, total=batch.total, to_render=len(to_render))
    db.session.flush()
    return batch


def render_letters_job(payload: dict[str, Any]) -> dict[str, int]:
    """A background job: render one chunk of a batch, store the PDFs, record the letters and their e-mails.

    Reads first, renders with no transaction open, then writes everything in one transaction that starts by
    locking the batch row (the job's own status commits with it, in `app.jobs`). A letter that fails to render
    is reported in the batch and does not stop the others.
    """
    batch = db.session.get(LetterBatch, payload["batch_id"])
    if batch is None:
        return {"done": 0, "skipped": 0, "failed": 0}
    run = batch.run
    outcomes = dict(letter_targets(run))
    ids = [pid for pid in payload["proposal_ids"] if pid in outcomes]
    proposals = _load_proposals(ids)
    reports = _approved_reports(ids)
    transfer_call = _transfer_call(run.call)
    existing = {letter.proposal_id: letter for letter in db.session.scalars(
        sa.select(Letter).where(Letter.run_id == run.id, Letter.proposal_id.in_(ids)))}
    # Render with no write lock held: SQLite starts its transaction at the first write, and PostgreSQL takes
    # the batch's row lock only in the write phase below.

    storage = get_storage()
    rendered: list[tuple[Proposal, RenderedLetter, int]] = []
    errors: list[dict[str, str]] = []
    skipped = 0
    for proposal in proposals:
        letter = existing.get(proposal.id)
        if letter is not None and storage.exists(letter.sha256):
            skipped += 1
            continue
        try:
            result = render_letter(proposal, run, outcomes[proposal.id], reports.get(proposal.id),
                                   transfer_call=transfer_call)
            storage.put_bytes(result.pdf)
            rendered.append((proposal, result, result.pages))
        except Exception as error:  # one letter's failure is reported; the others go on
            current_app.logger.exception("letter for %s failed", proposal.reference)
            errors.append({"proposal": proposal.reference, "message": f"{type(error).__name__}: {error}"[:500]})
    missing = set(payload["proposal_ids"]) - {p.id for p in proposals}
    errors += [{"proposal": f"#{pid}", "message": "the proposal is not part of this run any more"}
               for pid in sorted(missing)]

    # Write phase: lock the job's row (of two deliveries of this chunk, one writes), then the batch row
    # (PostgreSQL row lock, SQLite write lock), then read both fresh.
    jobs.begin_commit()
    db.session.execute(
        sa.update(LetterBatch).where(LetterBatch.id == batch.id).values(
            done=LetterBatch.done + len(rendered), skipped=LetterBatch.skipped + skipped,
            failed=LetterBatch.failed + len(errors), updated_at=utcnow())
    )
    batch = db.session.get(LetterBatch, payload["batch_id"], populate_existing=True)
    assert batch is not None  # noqa: S101 - locked above
    if errors:
        batch.errors = [*batch.errors, *errors]
    new_letters = []
    for proposal, result, pages in rendered:
        letter = existing.get(proposal.id)
        if letter is None:
            letter = Letter(proposal_id=proposal.id, run_id=run.id)
            db.session.add(letter)
            new_letters.append(letter)
        letter.kind, letter.reference = result.kind, result.reference
        letter.verification_code, letter.sha256 = result.verification_code, result.sha256
        letter.decision_date, letter.batch_id = result.decision_date, batch.id
        letter.size_bytes, letter.page_count = len(result.pdf), pages
    db.session.flush()
    queue_notifications(new_letters)
    _finish_if_complete(batch)
    db.session.flush()
    return {"done": len(rendered), "skipped": skipped, "failed": len(errors)}


def letters_job_crashed(job: Job) -> None:
    """A chunk's job died without writing anything: count its letters as failed so the batch can finish."""
    batch_id, ids = job.payload.get("batch_id"), job.payload.get("proposal_ids") or []
    db.session.execute(
        sa.update(LetterBatch).where(LetterBatch.id == batch_id).values(
            failed=LetterBatch.failed + len(ids), updated_at=utcnow())
    )
    batch = db.session.get(LetterBatch, batch_id, populate_existing=True)
    if batch is None:
        return
    references = dict(db.session.execute(sa.select(Proposal.id, Proposal.reference)
                                          .where(Proposal.id.in_(ids))).all())
    message = f"the background job stopped: {job.error or 'unknown error'}"[:500]
    batch.errors = [*batch.errors, *({"proposal": references.get(pid, f"#{pid}"), "message": message}
                                     for pid in ids)]
    _finish_if_complete(batch)


def _finish_if_complete(batch: LetterBatch) -> None:
    if batch.status is BatchStatus.RUNNING and batch.processed >= batch.total:
        batch.status = BatchStatus.FINISHED_WITH_ERRORS if batch.failed else BatchStatus.FINISHED
        batch.finished_at = utcnow()
        record_event(None, "letters.batch_finished", object_type="selection_run", object_id=batch.run_id,
                     batch=batch.id, done=batch.done, skipped=batch.skipped, failed=batch.failed)


# --- after the batch ------------------------------------------------------------------------------------------

def run_letters(run: SelectionRun) -> list[Letter]:
    """The run's letters in proposal order, with their proposals loaded."""
    return list(db.session.scalars(
        sa.select(Letter).join(Proposal, Letter.proposal_id == Proposal.id).where(Letter.run_id == run.id)
        .options(selectinload(Letter.proposal).selectinload(Proposal.organisation))
        .order_by(Proposal.number)
    ))


def publish_letters(run: SelectionRun, *, actor: User | None) -> int:
    """Make the run's letters visible to the applicants; returns how many were newly published.

    Side effects: Letter.published_at/published_by_id, an audit event.
    """
    require_officer(actor, to="handle letters", unattended=True)
    if run.status is not RunStatus.FINALISED:
        raise InvalidTransition("Only the letters of a finalised run can be published.")
    if active_batch(run) is not None:
        raise InvalidTransition("Wait until the letters are generated before publishing them.")
    letters = [letter for letter in run_letters(run) if letter.published_at is None]
    if not letters and not run_letters(run):
        raise InvalidTransition("There are no letters to publish yet: generate them first.")
    now = utcnow()
    for letter in letters:
        letter.published_at, letter.published_by_id = now, actor.id if actor else None
    record_event(actor, "letters.published", object_type="selection_run", object_id=run.id, count=len(letters))
    db.session.flush()
    return len(letters)


def letter_filename(letter: Letter) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{letter.reference}_{letter.kind.value}")
    return f"{safe}.pdf"


def letters_zip(run: SelectionRun, letters: Sequence[Letter] | None = None) -> bytes:
    """Every stored letter of the run in one ZIP, with a manifest; the same letters give the same bytes."""
    letters = run_letters(run) if letters is None else letters
    storage = get_storage()
    stamp = decision_moment(run).timetuple()[:6]
    buffer = io.BytesIO()
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\n")
    writer.writerow(["file", "reference", "proposal", "acronym", "kind", "sha256", "verification_code", "pages"])
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for letter in letters:
            if not storage.exists(letter.sha256):
                continue
            name = letter_filename(letter)
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), storage.read(letter.sha256))
            writer.writerow([name, letter.reference, letter.proposal.reference, letter.proposal.acronym,
                             letter.kind.value, letter.sha256, letter.verification_code, letter.page_count])
        archive.writestr(zipfile.ZipInfo("manifest.csv", date_time=stamp), manifest.getvalue())
    return buffer.getvalue()


def find_letter_by_code(text: str) -> Letter | None:
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(
        sa.select(Letter).where(Letter.verification_code == code)
        .options(selectinload(Letter.proposal).selectinload(Proposal.call))
    )


def letter_pdf(letter: Letter) -> bytes:
    """The stored PDF; ContentErased (410) when the proposal's personal content was erased under its rule."""
    storage = get_storage()
    if not storage.exists(letter.sha256):
        entry = proposal_erasure(letter.proposal_id)
        if entry is not None:
            raise ContentErased(f"This letter's content was erased on {entry.erased_at:%d %B %Y} under the rule "
                                f"“{erasure_rule_name(entry)}”; its hash ({letter.sha256}) stays on record.")
        raise NotFound("This letter's file is missing: tell the programme officer.")
    return storage.read(letter.sha256)


def latest_letter(proposal: Proposal, *, published_only: bool) -> Letter | None:
    """The proposal's most recent letter (a later run, such as a promotion from the reserve list, comes last)."""
    query = sa.select(Letter).where(Letter.proposal_id == proposal.id)
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


def finalised_runs(call: Call) -> list[SelectionRun]:
    return list(db.session.scalars(
        sa.select(SelectionRun).where(SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED)
        .order_by(SelectionRun.number.desc())
    ))
