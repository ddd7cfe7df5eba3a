"""Submitted versions as their frozen snapshots say, and their receipts.

A submitted version is frozen as canonical JSON (app/services/receipts.py): sorted keys, compact separators,
UTF-8, money as decimal strings with two places, times as ISO 8601 UTC with microseconds and a `Z`, annexes by their
SHA-256. The text is stored as it was hashed, so anyone can recompute `sha256(snapshot)` and each annex's hash from
the files. Receipts are read from the snapshot, never from the live proposal.

When the proposal's retention rule runs out (app/services/erasure.py), the snapshot's text is erased and the hash
stays: the version then verifies as "content erased on <date> under <rule>" (the erasure register says when and why),
never as tampered, and a copy its applicant kept still matches the hash on record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.formatting import format_day
from app.languages import N_
from app.models import Proposal, Submission
from app.queries.eligibility import active_documents
from app.queries.erasure import erasure_rule_name, proposal_erasure
from app.services.errors import ContentErased, NotFound
from app.translation import current_language, gettext

CENT = Decimal("0.01")


def money_text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(CENT))


def time_text(moment: datetime | None) -> str | None:
    """2021-12-07T15:59:59.900000Z: UTC, to the microsecond, one spelling only."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def proposal_content(proposal: Proposal) -> dict[str, Any]:
    """Every field an applicant fills in, and the annexes by hash: what a submission freezes."""
    organisation = proposal.organisation
    return {
        "reference": proposal.reference,
        "organisation": {"name": organisation.name, "country": organisation.country,
                         "type": organisation.type.value},
        "acronym": proposal.acronym,
        "title": proposal.title,
        "abstract": proposal.abstract,
        # Only when given, so that the snapshots of proposals without keywords stay what they were.
        **({"keywords": list(proposal.keywords)} if proposal.keywords else {}),
        "strand": proposal.strand,
        "duration_months": proposal.duration_months,
        "requested_grant": money_text(proposal.requested_grant),
        "partners": [
            {"position": p.position, "coordinator": p.is_coordinator, "name": p.name, "country": p.country,
             "organisation_type": p.organisation_type.value, "contact_email": p.contact_email,
             "requested_amount": money_text(p.requested_amount)}
            for p in sorted(proposal.partners, key=lambda p: p.position)
        ],
        "annexes": [
            {"kind": d.kind.value, "filename": d.filename, "sha256": d.sha256, "size": d.size_bytes,
             "pages": d.page_count}
            for d in sorted(active_documents(proposal), key=lambda d: (d.kind.value, d.uploaded_at, d.id))
        ],
    }


def find_submission(proposal: Proposal, version: int) -> Submission:
    """One submitted version of the proposal; NotFound (404) when there is no such version."""
    for submission in proposal.submissions:
        if submission.version == version:
            return submission
    raise NotFound(N_("There is no submitted version %(version)s."), version=version)


def snapshot_data(submission: Submission) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(submission.snapshot)
    return data


def has_unsubmitted_changes(proposal: Proposal) -> bool:
    """True when the proposal differs from its last submitted version (the applicant should resubmit)."""
    latest = proposal.latest_submission
    if latest is None or not latest.snapshot:
        return False
    return bool(snapshot_data(latest).get("proposal") != json.loads(canonical_json(proposal_content(proposal))))


def verify_submission(submission: Submission) -> bool:
    """The stored hash is the SHA-256 of the stored snapshot text."""
    return sha256_text(submission.snapshot) == submission.sha256


@dataclass(frozen=True)
class Integrity:
    """What checking a submitted version says: `intact` (the text matches its hash), `erased` (its text was erased
    under a rule the erasure register names; the hash stands) or `tampered` (anything else)."""

    state: str
    erased_at: datetime | None = None
    rule: str | None = None  # the rule's name, as people read it

    @property
    def intact(self) -> bool:
        return self.state == "intact"

    @property
    def erased(self) -> bool:
        return self.state == "erased"

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "erased_at": time_text(self.erased_at), "rule": self.rule}


def submission_integrity(submission: Submission) -> Integrity:
    """Whether the stored snapshot still is what was hashed, or was erased under a rule (never "tampered" then)."""
    if verify_submission(submission):
        return Integrity("intact")
    if submission.snapshot == "":
        entry = proposal_erasure(submission.proposal_id)
        if entry is not None:
            return Integrity("erased", entry.erased_at, erasure_rule_name(entry))
    return Integrity("tampered")


def require_content(submission: Submission) -> None:
    """ContentErased (410) when the version's content was erased under its rule: its PDF and text are gone."""
    integrity = submission_integrity(submission)
    if integrity.erased and integrity.erased_at is not None:
        raise ContentErased(
            N_("The content of this version was erased on %(day)s under the rule “%(rule)s”; its receipt number and "
               "hash (%(sha256)s) stay on record."),
            day=format_day(integrity.erased_at.date(), locale=current_language()),
            rule=gettext(integrity.rule) if integrity.rule else "", sha256=submission.sha256)


def snapshot_text(submission: Submission) -> str:
    """The exact text that was hashed; ContentErased (410) once it was erased."""
    require_content(submission)
    return submission.snapshot


def receipt_context(submission: Submission) -> dict[str, Any]:
    """What a receipt shows (its page and its PDF), read from the frozen snapshot (never from the live proposal); of
    an erased version, only what stays (its number, version, server time, hash) and when and why it was erased."""
    integrity = submission_integrity(submission)
    if integrity.erased:
        return {"submission": submission, "integrity": integrity, "data": {"version": submission.version},
                "content": None, "submitted_at": submission.submitted_at, "deadline": None,
                "time_zone": submission.proposal.call.time_zone, "money": None}
    data = snapshot_data(submission)
    return {
        "submission": submission, "integrity": integrity, "data": data, "content": data["proposal"],
        "submitted_at": parse_time(data["submitted_at"]), "deadline": parse_time(data["deadline"]),
        "time_zone": data["call"]["time_zone"],
        "money": lambda text: None if text is None else Decimal(text),
    }


def receipt_filename(submission: Submission) -> str:
    return f"receipt-{submission.receipt_number}.pdf"
