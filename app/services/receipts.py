"""The freeze of a submitted version: its canonical snapshot, SHA-256 and receipt number.

The snapshot's format and the reading of submitted versions and receipts are in app/queries/receipts.py.
"""

from __future__ import annotations

from datetime import datetime

from app.models import Proposal, Submission, User
from app.queries.receipts import canonical_json, proposal_content, sha256_text, time_text

SNAPSHOT_FORMAT = "eurogrants/submission-1"


def build_snapshot(proposal: Proposal, *, version: int, submitted_at: datetime, submitted_by: User) -> str:
    """The canonical JSON text of one submitted version."""
    call = proposal.call
    return canonical_json({
        "format": SNAPSHOT_FORMAT,
        "call": {"code": call.code, "title": call.title, "programme": call.programme,
                 "deadline": time_text(call.deadline), "time_zone": call.time_zone},
        "deadline": time_text(proposal.effective_deadline),
        # Only an extension that gives this proposal more time than the call's deadline is on the receipt.
        "extension": None if not proposal.extension_in_force else {
            "deadline": time_text(proposal.extended_deadline), "reason": proposal.extension_reason},
        "proposal": proposal_content(proposal),
        "version": version,
        "submitted_at": time_text(submitted_at),
        "submitted_by": {"name": submitted_by.full_name, "email": submitted_by.email},
    })


def receipt_number(proposal: Proposal, version: int, sha256: str) -> str:
    """EG-<reference>-v<version>-<first 8 hex digits of the snapshot hash>: unique, and checkable by eye."""
    return f"EG-{proposal.reference}-v{version}-{sha256[:8].upper()}"


def freeze_submission(proposal: Proposal, *, version: int, submitted_at: datetime, submitted_by: User) -> Submission:
    """The submitted version `version` of the proposal as it is now: snapshot, SHA-256, receipt number.

    The one way a Submission row is made (the submission service, the transfer to another call, the demo seed),
    so every version has a snapshot of the same shape. Not added to the session: the caller adds it when its
    checks are done.
    """
    snapshot = build_snapshot(proposal, version=version, submitted_at=submitted_at, submitted_by=submitted_by)
    digest = sha256_text(snapshot)
    return Submission(
        proposal_id=proposal.id, version=version, receipt_number=receipt_number(proposal, version, digest),
        snapshot=snapshot, sha256=digest, submitted_at=submitted_at, submitted_by_id=submitted_by.id,
        edit_version=proposal.edit_version,
    )
