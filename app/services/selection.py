"""Ranking and selection runs: the state changes. The scoring core decides; these record what it decided.

- `run_selection` stores a run with its exact input (app.queries.selection), `scoring`'s output and both hashes;
- `resolve_tie` / `revoke_tie_resolution` record or withdraw an officer's order for a residual tie;
- `finalise_run` moves the proposals to selected / reserve / rejected, confirming a preview (app.queries.runs);
- promotion from the reserve list is `app.services.promotion`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import RunStatus
from app.extensions import db
from app.languages import N_
from app.models import Call, Proposal, SelectionRun, TieResolution, User
from app.models.limits import MIN_JUSTIFICATION
from app.queries.access import require_officer
from app.queries.outcomes import score_document, sha256_text
from app.queries.runs import FinalisePreview, finalise_preview
from app.queries.selection import CallData, SelectionOptions, load_call_data, prepare_input, residual_ties
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotReady, StalePreview
from scoring import InvalidInput as ScoringInvalidInput

DECIDE = N_("rank and select proposals")


def lock_call(call_id: int) -> None:
    """Serialise the selection writes of one call (run numbers, finalisation): a row lock on PostgreSQL that still
    lets other rows reference the call; SQLite has one writer at a time anyway."""
    db.session.execute(sa.select(Call.id).where(Call.id == call_id).with_for_update(key_share=True))


def next_run_number(call: Call) -> int:
    """The number the call's next run gets (the call is locked first, so two runs never share one)."""
    lock_call(call.id)
    latest = db.session.scalar(sa.select(sa.func.max(SelectionRun.number)).where(SelectionRun.call_id == call.id))
    return (latest or 0) + 1


def run_selection(call: Call, *, actor: User | None, options: SelectionOptions | None = None,
                  note: str = "") -> SelectionRun:
    """Rank and select the call's proposals and record the run (input, output, both hashes).

    Refuses (NotReady, 409) while the call is open or any proposal lacks screening or an approved consensus.
    Side effects: a SelectionRun, an audit event; flushes.
    """
    require_officer(actor, to=DECIDE)
    options = options or SelectionOptions.defaults(call)
    prepared = prepare_input(load_call_data(call), options)
    if not prepared.readiness.is_ready:
        raise NotReady(prepared.readiness.message(), details=prepared.readiness.details())
    input_json, output_json, outcomes = score_document(prepared.document)
    run = SelectionRun(
        call_id=call.id, number=next_run_number(call), status=RunStatus.DRAFT,
        options={**options.to_dict(), "tie_resolutions": [r.id for r in prepared.applied]},
        input_json=input_json, output_json=output_json, input_sha256=sha256_text(input_json),
        output_sha256=sha256_text(output_json), note=note.strip(), summary=outcomes.summary(),
        created_by_id=actor.id if actor else None, created_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    record_event(actor, "selection.run", object_type="selection_run", object_id=run.id, call=call.code,
                 number=run.number, options=run.options, input_sha256=run.input_sha256,
                 output_sha256=run.output_sha256, selected=run.summary["selected"])
    return run


# ---------------------------------------------------------------------------------------------- ties


def resolve_tie(call: Call, *, actor: User | None, ordered_references: Sequence[str],
                justification: str) -> TieResolution:
    """Record the officer's explicit order for one current residual tie, with a written justification.

    The order must name exactly the proposals of one residual tie of the current ranking. A previous resolution
    of the same proposals is revoked. Takes effect in the next run. Side effects: rows, audit events; flushes.
    """
    require_officer(actor, to=DECIDE)
    order = [reference.strip() for reference in ordered_references if reference.strip()]
    justification = " ".join(justification.split())
    if len(justification) < MIN_JUSTIFICATION:
        raise InvalidInput(N_("Write a justification of at least %(count)d characters."),
                           details={"field": "justification"}, count=MIN_JUSTIFICATION)
    if len(set(order)) != len(order) or len(order) < 2:
        raise InvalidInput(N_("Give each tied proposal once, in the order you decide."), details={"field": "order"})
    data = load_call_data(call)
    # The ties of the plain input (no resolution applied), by reference.
    plain = prepare_input(CallData(call, data.rows, []), SelectionOptions.defaults(call)).document
    try:
        groups = [frozenset(group) for group in residual_ties(plain)]
    except ScoringInvalidInput as error:
        raise InvalidInput(N_("The selection input is invalid: %(problem)s"), problem=str(error)) from error
    if frozenset(order) not in groups:
        raise InvalidInput(N_("These proposals are not one residual tie of the current ranking."),
                           details={"field": "order", "ties": [sorted(group) for group in groups]})
    previous = db.session.scalars(sa.select(TieResolution).where(
        TieResolution.call_id == call.id, TieResolution.revoked_at.is_(None))).all()
    for old in previous:
        if frozenset(old.ordered_references) == frozenset(order):
            _revoke(old, actor)
    resolution = TieResolution(call_id=call.id, ordered_references=order, justification=justification,
                               created_by_id=actor.id if actor else 0, created_at=utcnow())
    db.session.add(resolution)
    db.session.flush()
    record_event(actor, "selection.tie_resolved", object_type="tie_resolution", object_id=resolution.id,
                 call=call.code, order=order, justification=justification)
    return resolution


def _revoke(resolution: TieResolution, actor: User | None) -> None:
    resolution.revoked_at = utcnow()
    resolution.revoked_by_id = actor.id if actor else None
    record_event(actor, "selection.tie_resolution_revoked", object_type="tie_resolution",
                 object_id=resolution.id, order=list(resolution.ordered_references))


def revoke_tie_resolution(resolution: TieResolution, *, actor: User | None) -> None:
    """Withdraw a resolution (runs already made keep it in their input). Side effects: audit; flushes."""
    require_officer(actor, to=DECIDE)
    if resolution.revoked_at is not None:
        raise InvalidTransition(N_("This tie resolution was already revoked."))
    _revoke(resolution, actor)
    db.session.flush()


# ---------------------------------------------------------------------------------------------- finalisation


def finalise_run(run: SelectionRun, *, actor: User | None, token: str) -> FinalisePreview:
    """Make the run final: each proposal gets its decision (selected, reserve with position, rejected, ineligible,
    declined), the run is locked, and a promotion run supersedes its parent.

    `token` must be the one of a fresh preview (StalePreview, 409, otherwise). Side effects: proposals' decision
    columns, the run, one audit event per proposal and one for the run; flushes.
    """
    require_officer(actor, to=DECIDE)
    lock_call(run.call_id)
    db.session.refresh(run)
    preview = finalise_preview(run)
    if preview.blockers:
        raise InvalidTransition(preview.blockers[0], details={"blockers": preview.blockers})
    if token != preview.token:
        raise StalePreview(N_("The preview is out of date (the proposals or runs changed since it was shown); "
                              "open the preview again and confirm it."))
    now = utcnow()
    outcomes = preview.outcomes.by_reference()
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.call_id == run.call_id,
                                                             Proposal.reference.in_(list(outcomes)))).all()
    for proposal in proposals:
        outcome = outcomes[proposal.reference]
        proposal.decision = outcome.decision
        proposal.reserve_position = outcome.reserve_position
        proposal.decided_at = now
        record_event(actor, "proposal.decided", object_type="proposal", object_id=proposal.reference,
                     run=run.number, decision=outcome.decision.value, reserve_position=outcome.reserve_position,
                     reason=outcome.reason)
    run.status = RunStatus.FINALISED
    run.finalised_at = now
    run.finalised_by_id = actor.id if actor else None
    if run.parent_run is not None:
        run.parent_run.superseded_at = now
    record_event(actor, "selection.finalised", object_type="selection_run", object_id=run.id,
                 call=run.call.code, number=run.number, output_sha256=run.output_sha256,
                 counts=preview.counts, selected_total=f"{preview.selected_total:.2f}",
                 supersedes=run.parent_run.number if run.parent_run is not None else None)
    db.session.flush()
    return preview
