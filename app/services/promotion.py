"""Promotion from the reserve list, as a state change: a new run that follows the run in force.

The rule itself is the scoring core's (`scoring.promotion`): this records that a selected consortium declined or
was found ineligible, and stores the promotion as a run (input, output, both hashes) that re-runs like a selection.
"""

from __future__ import annotations

import json

from app.clock import utcnow
from app.enums import RunStatus
from app.extensions import db
from app.languages import N_
from app.models import SelectionRun, User
from app.queries.access import require_officer
from app.queries.outcomes import documents_outcomes, run_outcomes, sha256_text
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition
from app.services.selection import DECIDE, next_run_number
from scoring import (
    RELEASE_REASONS,
    PromotionError,
    Release,
    ReleaseReason,
    assessment_view,
    canonical_json,
    input_to_dict,
    is_assessment_document,
    parse_assessment,
    promote_document,
    promotion_document,
    selection_to_dict,
)

MIN_NOTE = 10


def promote_from_reserve(run: SelectionRun, *, actor: User | None, reference: str, reason: str,
                         note: str) -> SelectionRun:
    """Record that a selected proposal of the run in force declined or was found ineligible, and promote the
    first reserve proposal that fits the freed budget, as a new (draft) run whose parent is `run`.

    Side effects: a SelectionRun, an audit event; flushes. Finalising the new run makes it the one in force.
    """
    require_officer(actor, to=DECIDE)
    if not run.is_in_force:
        raise InvalidTransition(N_("Run %(number)d is not the finalised run in force; promote from that one."),
                                number=run.number)
    if reason not in RELEASE_REASONS:
        raise InvalidInput(N_("The reason is declined or ineligible."), details={"field": "reason"})
    note = " ".join(note.split())
    if len(note) < MIN_NOTE:
        raise InvalidInput(N_("Say what happened in a short note (at least %(count)d characters)."),
                           details={"field": "note"}, count=MIN_NOTE)
    parent_input, parent_output = json.loads(run.input_json), json.loads(run.output_json)
    if is_assessment_document(parent_input):
        # A call selected by assessment promotes like any other, from the same call as its output reads it: one
        # criterion (the fit score), no budget, so the first on the reserve list takes the freed place.
        parent_input = input_to_dict(*assessment_view(*parse_assessment(parent_input)))
    before = run_outcomes(run)
    released = before.by_reference().get(reference)
    if released is None or released.status != "selected":
        raise InvalidInput(N_("%(reference)s is not selected in run %(number)d."), details={"field": "reference"},
                           reference=reference, number=run.number)
    ids = {item.get("reference", item["id"]): item["id"] for item in parent_input["proposals"]}
    document = promotion_document(parent_input, parent_output, previous_run=run.number,
                                  previous_output_sha256=run.output_sha256,
                                  release=Release(ids[reference], _release_reason(reason)))
    try:
        output = selection_to_dict(promote_document(document))
    except PromotionError as error:
        raise InvalidInput(str(error)) from error
    input_json, output_json = canonical_json(document), canonical_json(output)
    after = documents_outcomes(document, output)
    selected_before = {outcome.reference for outcome in before.selected}
    promoted = next((o.reference for o in after.selected
                     if o.selected_by == "reserve" and o.reference not in selected_before), None)
    child = SelectionRun(
        call_id=run.call_id, number=next_run_number(run.call), status=RunStatus.DRAFT,
        options={**{k: v for k, v in run.options.items() if k != "promotion"},
                 "promotion": {"released": reference, "reason": reason, "promoted": promoted}},
        input_json=input_json, output_json=output_json, input_sha256=sha256_text(input_json),
        output_sha256=sha256_text(output_json), note=note, parent_run_id=run.id, summary=after.summary(),
        created_by_id=actor.id if actor else None, created_at=utcnow(),
    )
    db.session.add(child)
    db.session.flush()
    record_event(actor, "selection.promotion", object_type="selection_run", object_id=child.id,
                 call=run.call.code, number=child.number, parent=run.number, released=reference, reason=reason,
                 promoted=promoted, note=note)
    return child


def _release_reason(reason: str) -> ReleaseReason:
    return "declined" if reason == "declined" else "ineligible"
