"""Decision letters, as state changes: a finalised run's letters generated in the background, and published.

What a letter says is read from the run's outcomes (`app.queries.letter_context`) and rendered by
`app.letter_files`; each letter is stored by its SHA-256 and verifiable with a short code printed on it. A run's
letters are generated in the background (`app.jobs`), in chunks across processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import jobs
from app.clock import utcnow
from app.enums import BatchStatus, RunStatus
from app.extensions import db
from app.languages import N_
from app.letter_files import RenderedLetter, render_letter
from app.models import Job, Letter, LetterBatch, Proposal, SelectionRun, User
from app.queries.access import require_officer
from app.queries.letters import (
    LetterTargets,
    active_batch,
    approved_reports,
    letter_proposals,
    letter_targets,
    run_letters,
    transfer_call_of,
)
from app.services.audit import record_event
from app.services.errors import InvalidTransition
from app.services.outbox import queue_notifications
from app.storage import get_storage

# Letters per background job: small enough for a progress bar that moves, large enough to keep overhead low.
MAX_CHUNK = 8


def chunk_size(count: int, workers: int) -> int:
    """Letters per job: about eight jobs per worker, at most MAX_CHUNK letters each."""
    return max(1, min(MAX_CHUNK, math.ceil(count / max(1, workers * 8))))


def chunk_plan(count: int, size: int) -> list[int]:
    """The letters of each job, in order: 1, 2, 4 … up to `size`, then `size` each, `count` in all.

    The first job holds one letter, so the progress bar moves as soon as the first letter is stored, not after a
    whole chunk (seconds at a busy time); the jobs then grow to `size`, so the batch is not slowed by many tiny
    transactions.
    """
    plan, step = [], 1
    while count > 0:
        plan.append(min(step, size, count))
        count -= plan[-1]
        step *= 2
    return plan


def start_letter_batch(run: SelectionRun, *, actor: User | None) -> LetterBatch:
    """Generate every letter of a finalised run in the background; letters already stored are kept.

    Side effects: a LetterBatch, one job per chunk of letters (dispatched when the caller commits), an audit event.
    Raises NotAllowed (not an officer), InvalidTransition (run not finalised, or a batch already running).
    """
    require_officer(actor, to=N_("handle letters"), unattended=True)
    if run.status is not RunStatus.FINALISED:
        raise InvalidTransition(N_("Letters are written once the selection run is finalised."),
                                details={"run": run.id, "status": run.status.value})
    running = active_batch(run)
    if running is not None:
        raise InvalidTransition(N_("The letters of this run are being generated already."),
                                details={"batch": running.id})
    now = utcnow()
    for stalled in db.session.scalars(sa.select(LetterBatch).where(LetterBatch.run_id == run.id,
                                                                   LetterBatch.status == BatchStatus.RUNNING)):
        # Its worker is gone: close it so that it does not show as running for ever.
        stalled.status, stalled.finished_at = BatchStatus.FINISHED_WITH_ERRORS, now
        stalled.errors = [*stalled.errors, {"proposal": "-", "message": "stalled; the next batch took over"}]
    targets = letter_targets(run).outcomes
    existing = dict(db.session.execute(
        sa.select(Letter.proposal_id, Letter.sha256).where(Letter.run_id == run.id)
    ).all())
    storage = get_storage()
    to_render = [pid for pid in targets if not (pid in existing and storage.exists(existing[pid]))]
    batch = LetterBatch(run_id=run.id, total=len(targets), skipped=len(targets) - len(to_render),
                        created_by_id=actor.id if actor else None, created_at=now, updated_at=now)
    if not to_render:
        batch.status, batch.finished_at = BatchStatus.FINISHED, now
    db.session.add(batch)
    db.session.flush()
    size = chunk_size(len(to_render), int(current_app.config.get("JOBS_WORKERS", 2)))
    start = 0
    for letters in chunk_plan(len(to_render), size):
        jobs.enqueue("letters.render", {"batch_id": batch.id, "proposal_ids": to_render[start:start + letters]})
        start += letters
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
    targets = letter_targets(run)
    ids = [pid for pid in payload["proposal_ids"] if pid in targets.outcomes]
    proposals = letter_proposals(ids)
    existing = {letter.proposal_id: letter for letter in db.session.scalars(
        sa.select(Letter).where(Letter.run_id == run.id, Letter.proposal_id.in_(ids)))}
    # Render with no write lock held: SQLite starts its transaction at the first write, and PostgreSQL takes
    # the batch's row lock only in the write phase below.
    chunk = _render_chunk(run, targets, proposals, existing)
    missing = set(payload["proposal_ids"]) - {p.id for p in proposals}
    chunk.errors += [{"proposal": f"#{pid}", "message": "the proposal is not part of this run any more"}
                     for pid in sorted(missing)]
    _record_chunk(batch.id, run, existing, chunk)
    return {"done": len(chunk.rendered), "skipped": chunk.skipped, "failed": len(chunk.errors)}


@dataclass
class _RenderedChunk:
    """A chunk's letters rendered and stored, before anything of them is written to the database."""

    rendered: list[tuple[Proposal, RenderedLetter]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: int = 0


def _render_chunk(run: SelectionRun, targets: LetterTargets, proposals: list[Proposal],
                  existing: dict[int, Letter]) -> _RenderedChunk:
    """Render and store each proposal's letter, but those already stored; a failure is noted, not raised."""
    ids = [proposal.id for proposal in proposals]
    reports = approved_reports(ids)
    transfer_call = transfer_call_of(run.call)
    storage = get_storage()
    chunk = _RenderedChunk()
    for proposal in proposals:
        letter = existing.get(proposal.id)
        if letter is not None and storage.exists(letter.sha256):
            chunk.skipped += 1
            continue
        try:
            result = render_letter(proposal, run, targets.outcomes[proposal.id], reports.get(proposal.id),
                                   rules=targets.rules, transfer_call=transfer_call)
            storage.put_bytes(result.pdf)
            chunk.rendered.append((proposal, result))
        except Exception as error:  # one letter's failure is reported; the others go on
            current_app.logger.exception("letter for %s failed", proposal.reference)
            chunk.errors.append({"proposal": proposal.reference,
                                 "message": f"{type(error).__name__}: {error}"[:500]})
    return chunk


def _record_chunk(batch_id: int, run: SelectionRun, existing: dict[int, Letter], chunk: _RenderedChunk) -> None:
    """The write phase: count the chunk in its batch, record its letters and queue their e-mails.

    It locks the job's row first (of two deliveries of this chunk, one writes), then the batch row (PostgreSQL
    row lock, SQLite write lock), then reads the batch fresh.
    """
    jobs.begin_commit()
    db.session.execute(
        sa.update(LetterBatch).where(LetterBatch.id == batch_id).values(
            done=LetterBatch.done + len(chunk.rendered), skipped=LetterBatch.skipped + chunk.skipped,
            failed=LetterBatch.failed + len(chunk.errors), updated_at=utcnow())
    )
    batch = db.session.get(LetterBatch, batch_id, populate_existing=True)
    assert batch is not None  # noqa: S101 - locked above
    if chunk.errors:
        batch.errors = [*batch.errors, *chunk.errors]
    new_letters = []
    for proposal, result in chunk.rendered:
        letter = existing.get(proposal.id)
        if letter is None:
            letter = Letter(proposal_id=proposal.id, run_id=run.id)
            db.session.add(letter)
            new_letters.append(letter)
        letter.kind, letter.reference = result.kind, result.reference
        letter.verification_code, letter.sha256 = result.verification_code, result.sha256
        letter.decision_date, letter.batch_id = result.decision_date, batch.id
        letter.size_bytes, letter.page_count = len(result.pdf), result.pages
    db.session.flush()
    queue_notifications(new_letters)
    _finish_if_complete(batch)
    db.session.flush()


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


def publish_letters(run: SelectionRun, *, actor: User | None) -> int:
    """Make the run's letters visible to the applicants; returns how many were newly published.

    Side effects: Letter.published_at/published_by_id, an audit event.
    """
    require_officer(actor, to=N_("handle letters"), unattended=True)
    if run.status is not RunStatus.FINALISED:
        raise InvalidTransition(N_("Only the letters of a finalised run can be published."))
    if active_batch(run) is not None:
        raise InvalidTransition(N_("Wait until the letters are generated before publishing them."))
    letters = [letter for letter in run_letters(run) if letter.published_at is None]
    if not letters and not run_letters(run):
        raise InvalidTransition(N_("There are no letters to publish yet: generate them first."))
    now = utcnow()
    for letter in letters:
        letter.published_at, letter.published_by_id = now, actor.id if actor else None
    record_event(actor, "letters.published", object_type="selection_run", object_id=run.id, count=len(letters))
    db.session.flush()
    return len(letters)
