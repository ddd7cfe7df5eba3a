"""Officers' access to personal data: who viewed which proposal's personal data, or exported whose, and when.

Noted in one place per kind of access — the proposal loaders of app.queries.access (an officer or administrator
opens a proposal, its annexes or receipts) and the export of a person's data — and written when the request ends
(app.web.transaction.run_view): with the request's transaction for a write, in a short transaction of its own for a
read (a GET is never committed, but what an officer saw must be on record). Outside a request (the command line)
the row joins the session, which the command commits. Administrators read the log under *Personal data*.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request

from app.clock import utcnow
from app.extensions import db
from app.models import PersonalDataAccess, Proposal, User

_NOTED = "personal_data_access"


def note_access(user: User, *, action: str, proposal: Proposal | None = None, subject: User | None = None,
                note: str = "") -> None:
    """Remember that `user` saw personal data (`action`: viewed, exported) of a proposal or of a person."""
    record: dict[str, Any] = {
        "user_id": user.id, "action": action, "at": utcnow(),
        "proposal_id": proposal.id if proposal is not None else None,
        "proposal_reference": proposal.reference if proposal is not None else "",
        "subject_id": subject.id if subject is not None else None,
        "path": request.path[:300] if has_request_context() else "", "note": note[:300],
    }
    if not has_request_context():
        db.session.add(PersonalDataAccess(**record))
        return
    noted: list[dict[str, Any]] = g.setdefault(_NOTED, [])
    key = (record["user_id"], record["action"], record["proposal_id"], record["subject_id"])
    if all((r["user_id"], r["action"], r["proposal_id"], r["subject_id"]) != key for r in noted):
        noted.append(record)  # once per request, however many times the loader ran


def write_noted_accesses(*, in_session: bool) -> None:
    """Write what the request noted: into the request's session (a write, committed with it), or in a transaction
    of its own (a read, whose session is never committed)."""
    noted: list[dict[str, Any]] = g.pop(_NOTED, [])
    if not noted:
        return
    if in_session:
        db.session.add_all(PersonalDataAccess(**record) for record in noted)
        return
    with db.engine.begin() as connection:
        connection.execute(sa.insert(db.metadata.tables[PersonalDataAccess.__tablename__]), noted)


def forget_noted_accesses() -> None:
    """A request that failed showed nothing: drop what it noted."""
    g.pop(_NOTED, None)
