"""The outbox, read: a call's messages, who they go to, how many are in each state, and the proposals that would
be told two contradictory decisions (which block sending)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.enums import OutboxStatus, Role
from app.extensions import db
from app.models import Call, Letter, OutboxMessage, Proposal, SelectionRun, User, UserRole

PENDING = (OutboxStatus.QUEUED, OutboxStatus.FAILED)


def recipients_for(proposal: Proposal, applicant_emails: Sequence[str]) -> list[str]:
    """The organisation's applicant accounts and the coordinator's contact address, each once, sorted."""
    addresses = {email.strip().lower() for email in applicant_emails if email.strip()}
    coordinator = proposal.coordinator
    if coordinator is not None and coordinator.contact_email.strip():
        addresses.add(coordinator.contact_email.strip().lower())
    return sorted(addresses)


def organisation_recipients(organisation_ids: Iterable[int]) -> dict[int, list[str]]:
    """Organisation id → e-mail addresses of its active applicant accounts."""
    rows = db.session.execute(
        sa.select(User.organisation_id, User.email).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id.in_(list(organisation_ids)), UserRole.role == Role.APPLICANT,
               User.is_active_account.is_(True))
        .order_by(User.email)
    ).all()
    result: dict[int, list[str]] = {}
    for organisation_id, email in rows:
        if organisation_id is not None:  # the query asked for organisations' members only
            result.setdefault(organisation_id, []).append(email)
    return result


def call_messages(call: Call) -> list[OutboxMessage]:
    """The call's messages with their letters and proposals, in proposal order."""
    return list(db.session.scalars(
        sa.select(OutboxMessage).join(Letter, OutboxMessage.letter_id == Letter.id)
        .join(Proposal, Letter.proposal_id == Proposal.id)
        .where(OutboxMessage.call_id == call.id)
        .options(selectinload(OutboxMessage.letter).selectinload(Letter.proposal))
        .order_by(Proposal.number, Letter.run_id, OutboxMessage.id)
    ))


@dataclass(frozen=True)
class Contradiction:
    """A proposal that would be told two different decisions for the same call."""

    proposal: str
    acronym: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def decisions(self) -> list[str]:
        return sorted({m["kind"] for m in self.messages})


def contradictions(call: Call, messages: Sequence[OutboxMessage] | None = None) -> list[Contradiction]:
    """Proposals whose pending messages disagree, or disagree with a message already sent.

    A later run that follows an earlier one (a promotion from the reserve list names its parent run) may change
    the decision that was sent: the reserve letter was true when sent, the award letter supersedes it.
    """
    messages = call_messages(call) if messages is None else messages
    parents = dict(db.session.execute(
        sa.select(SelectionRun.id, SelectionRun.parent_run_id).where(SelectionRun.call_id == call.id)
    ).all())

    def descends(run_id: int | None, ancestor: int | None) -> bool:
        seen = set()
        while run_id is not None and run_id not in seen:
            seen.add(run_id)
            run_id = parents.get(run_id)
            if run_id == ancestor:
                return True
        return False

    by_proposal: dict[int, list[OutboxMessage]] = {}
    for message in messages:
        if message.status is not OutboxStatus.CANCELLED:
            by_proposal.setdefault(message.letter.proposal_id, []).append(message)
    found = []
    for group in by_proposal.values():
        pending = [m for m in group if m.status in PENDING]
        sent = [m for m in group if m.status is OutboxStatus.SENT]
        clash = len({m.letter.kind for m in pending}) > 1 or any(
            p.letter.kind is not s.letter.kind and not descends(p.letter.run_id, s.letter.run_id)
            for p in pending for s in sent
        )
        if clash:
            proposal = group[0].letter.proposal
            found.append(Contradiction(proposal=proposal.reference, acronym=proposal.acronym, messages=[
                {"id": m.id, "letter": m.letter.reference, "kind": m.letter.kind.value, "status": m.status.value}
                for m in group
            ]))
    return found


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def outbox_counts(messages: Sequence[OutboxMessage]) -> dict[str, int]:
    """Messages per status (`queued`, `sending`, `sent`, `failed`, `cancelled`)."""
    counts = {status.value: 0 for status in OutboxStatus}
    for message in messages:
        counts[message.status.value] += 1
    return counts
