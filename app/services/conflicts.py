"""Conflict-of-interest declarations: the evaluator's on each assigned proposal, and the officer's waiver.

Declared by the evaluator on each assigned proposal, before its content opens (they see only the acronym, the
title and the consortium). A declared conflict hides the proposal from them until an officer records it as not
material, with a reason; an automatic one (app.queries.conflicts) cannot be waived.
"""

from __future__ import annotations

from app.clock import utcnow
from app.enums import AssignmentState, ConflictDeclaration
from app.extensions import db
from app.languages import N_
from app.models import Assignment, User
from app.models.limits import MIN_NOTE_LENGTH
from app.queries.access import require_officer
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed


def declare_conflict(assignment: Assignment, *, actor: User, conflict: bool, note: str = "") -> Assignment:
    """The evaluator's declaration on one assigned proposal.

    "No conflict" opens the proposal's content; "conflict" (with a note saying what it is) hides the proposal
    from them for good unless an officer records it as not material. A "no conflict" may later become a
    conflict (something came to light); a declared conflict cannot be taken back by the evaluator.
    Side effects: the assignment's declaration, an audit event.
    """
    if assignment.evaluator_id != actor.id:
        raise NotAllowed(N_("Only the assigned evaluator declares their conflicts of interest."))
    if assignment.state is not AssignmentState.PUBLISHED:
        raise InvalidTransition(N_("This assignment is not active."))
    note = (note or "").strip()
    if assignment.conflict is ConflictDeclaration.CONFLICT:
        raise InvalidTransition(N_("You already declared a conflict of interest on this proposal."))
    if not conflict:
        if assignment.conflict is ConflictDeclaration.NO_CONFLICT:
            return assignment
        assignment.conflict = ConflictDeclaration.NO_CONFLICT
    else:
        if len(note) < MIN_NOTE_LENGTH:
            raise InvalidInput(N_("Say what the conflict is (at least %(count)d characters)."),
                               details={"field": "note"}, count=MIN_NOTE_LENGTH)
        assignment.conflict = ConflictDeclaration.CONFLICT
    assignment.conflict_note = note or None
    assignment.declared_at = utcnow()
    db.session.flush()
    record_event(actor, "assignment.conflict_declared", object_type="assignment", object_id=assignment.id,
                 proposal_id=assignment.proposal_id, conflict=assignment.conflict.value, note=note)
    return assignment


def waive_conflict(assignment: Assignment, *, actor: User, reason: str) -> Assignment:
    """An officer records a declared conflict as not material: the evaluator may evaluate the proposal.

    Side effects: the waiver (reason, who), an audit event.
    """
    require_officer(actor, to=N_("judge conflicts of interest"))
    if assignment.state is AssignmentState.WITHDRAWN:
        raise InvalidTransition(N_("This assignment was withdrawn; assign the evaluator again instead."))
    if assignment.conflict is not ConflictDeclaration.CONFLICT:
        raise InvalidTransition(N_("The evaluator declared no conflict on this proposal."))
    if assignment.conflict_waived_reason:
        raise InvalidTransition(N_("This conflict was already recorded as not material."))
    reason = (reason or "").strip()
    if len(reason) < MIN_NOTE_LENGTH:
        raise InvalidInput(N_("Give the reason the conflict is not material (at least %(count)d characters)."),
                           count=MIN_NOTE_LENGTH, details={"field": "reason"})
    assignment.conflict_waived_reason = reason
    assignment.conflict_waived_by_id = actor.id
    db.session.flush()
    record_event(actor, "assignment.conflict_waived", object_type="assignment", object_id=assignment.id,
                 proposal_id=assignment.proposal_id, evaluator_id=assignment.evaluator_id, reason=reason)
    return assignment
