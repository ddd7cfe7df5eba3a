"""Writing the audit trail."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User


def record_event(
    actor: User | None, action: str, *, object_type: str, object_id: object, **data: Any
) -> AuditEvent:
    """Append one audit event (side effect: adds it to the session; the caller commits)."""
    audit_event = AuditEvent(
        actor=actor, action=action, object_type=object_type, object_id=str(object_id), data=data
    )
    db.session.add(audit_event)
    return audit_event
