"""Evaluators' reminders, read: the published assignments whose report is not submitted while the call's evaluation
deadline comes within a window, leaving out those already reminded for that deadline (the audit trail's
`evaluation.reminder_sent` events, one per assignment and deadline)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.enums import AssignmentState, ConflictDeclaration, ReportStatus
from app.extensions import db
from app.models import Assignment, AuditEvent, Call, IndividualReport

REMINDER_SENT = "evaluation.reminder_sent"


def reminded(assignment_ids: list[int]) -> set[tuple[str, str]]:
    """(assignment id, deadline in ISO 8601) of the reminders already sent among these assignments."""
    if not assignment_ids:
        return set()
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == REMINDER_SENT, AuditEvent.object_type == "assignment",
        AuditEvent.object_id.in_([str(i) for i in assignment_ids])))
    return {(event.object_id, str((event.data or {}).get("deadline"))) for event in events}


def due_reminders(now: datetime, within: timedelta) -> list[Assignment]:
    """The assignments to remind at `now`: published, not declared in conflict, the report not submitted, the
    call's evaluation deadline after `now` and at most `within` away, not yet reminded for that deadline."""
    submitted = sa.select(IndividualReport.assignment_id).where(IndividualReport.status != ReportStatus.DRAFT)
    candidates = list(db.session.scalars(
        sa.select(Assignment).join(Call, Call.id == Assignment.call_id)
        .options(joinedload(Assignment.evaluator), joinedload(Assignment.proposal))
        .where(Assignment.state == AssignmentState.PUBLISHED, Assignment.withdrawn_at.is_(None),
               Assignment.conflict != ConflictDeclaration.CONFLICT, Assignment.id.not_in(submitted),
               Call.evaluation_deadline.is_not(None), Call.evaluation_deadline > now,
               Call.evaluation_deadline <= now + within)
        .order_by(Assignment.call_id, Assignment.evaluator_id, Assignment.id)
    ))
    done = reminded([a.id for a in candidates])
    deadlines = evaluation_deadlines({a.call_id for a in candidates})
    return [a for a in candidates if (str(a.id), deadlines[a.call_id]) not in done]


def evaluation_deadlines(call_ids: set[int]) -> dict[int, str]:
    """Call id → its evaluation deadline in ISO 8601 ("" without one)."""
    rows = db.session.execute(sa.select(Call.id, Call.evaluation_deadline).where(Call.id.in_(call_ids)))
    return {call_id: deadline.isoformat() if deadline else "" for call_id, deadline in rows}
