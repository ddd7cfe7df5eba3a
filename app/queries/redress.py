"""Evaluation review (redress): the window a decision letter opens, and the requests filed in it.

The window (the EU's practice, shared/domain/eu-evaluation.md): the coordinator may request a review within
`redress_days` (30) of receiving the letter; a letter not opened within `redress_unopened_days` (10) of its sending
counts as received on that day. A letter is sent when it is published to the applicants, and opened when an
applicant of the proposal's organisation first downloads it (`Letter.opened_at`, app.services.redress). Both periods
are the call's settings, or the instance's REDRESS_DAYS and REDRESS_UNOPENED_DAYS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.enums import REDRESS_GROUNDS, LetterKind
from app.extensions import db
from app.models import Call, Letter, Proposal, RedressRequest


@dataclass(frozen=True)
class RedressWindow:
    """When a letter counts as received and until when a review may be requested."""

    sent_at: datetime
    received_at: datetime
    opened: bool  # received by opening it, rather than counted as received on the last day to open it
    closes_at: datetime
    days: int
    unopened_days: int

    def is_open(self, now: datetime) -> bool:
        """Open up to and including the instant it closes."""
        return now <= self.closes_at

    def days_left(self, now: datetime) -> int:
        """Whole days left before it closes (0 on its last day and after)."""
        return max(0, (self.closes_at - now).days)


def redress_periods(call: Call, config: Mapping[str, Any] | None = None) -> tuple[int, int]:
    """(days to request a review, days until an unopened letter counts as received) of the call."""
    config = config if config is not None else current_app.config
    return (call.redress_days or int(config.get("REDRESS_DAYS", 30)),
            call.redress_unopened_days or int(config.get("REDRESS_UNOPENED_DAYS", 10)))


def redress_window(letter: Letter, call: Call, config: Mapping[str, Any] | None = None) -> RedressWindow | None:
    """The window the letter opens; None for a letter that opens none (an award, or one not published yet)."""
    if letter.kind not in REDRESS_GROUNDS or letter.published_at is None:
        return None
    days, unopened_days = redress_periods(call, config)
    deemed = letter.published_at + timedelta(days=unopened_days)
    opened = letter.opened_at is not None and letter.opened_at < deemed
    received = letter.opened_at if opened and letter.opened_at is not None else deemed
    return RedressWindow(sent_at=letter.published_at, received_at=received, opened=opened,
                         closes_at=received + timedelta(days=days), days=days, unopened_days=unopened_days)


def redressable_letter(proposal: Proposal) -> Letter | None:
    """The proposal's decision in force as its applicants know it: its latest published letter."""
    return db.session.scalar(
        sa.select(Letter).where(Letter.proposal_id == proposal.id, Letter.published_at.is_not(None))
        .order_by(Letter.decision_date.desc(), Letter.id.desc()).limit(1))


def proposal_requests(proposal: Proposal) -> list[RedressRequest]:
    """The proposal's requests, oldest first."""
    return list(db.session.scalars(
        sa.select(RedressRequest).where(RedressRequest.proposal_id == proposal.id)
        .order_by(RedressRequest.filed_at, RedressRequest.id)))


def request_for(proposal: Proposal, stage: LetterKind) -> RedressRequest | None:
    """The proposal's request about this stage, if one was filed (there is at most one)."""
    return db.session.scalar(sa.select(RedressRequest).where(RedressRequest.proposal_id == proposal.id,
                                                             RedressRequest.stage == stage))


def organisation_requests(organisation_id: int) -> list[RedressRequest]:
    """Every request about the organisation's proposals, newest first, with their proposals and calls."""
    return list(db.session.scalars(
        sa.select(RedressRequest).join(Proposal, RedressRequest.proposal_id == Proposal.id)
        .where(Proposal.organisation_id == organisation_id)
        .options(selectinload(RedressRequest.proposal).selectinload(Proposal.call))
        .order_by(RedressRequest.filed_at.desc(), RedressRequest.id.desc())))


def requests_by_letter(letters: Iterable[Letter]) -> dict[int, RedressRequest]:
    """For each letter, the request filed about its proposal's stage, if any (one query)."""
    letters = list(letters)
    if not letters:
        return {}
    requests = db.session.scalars(sa.select(RedressRequest).where(
        RedressRequest.proposal_id.in_({letter.proposal_id for letter in letters})))
    by_stage = {(request.proposal_id, request.stage): request for request in requests}
    return {letter.id: by_stage[(letter.proposal_id, letter.kind)]
            for letter in letters if (letter.proposal_id, letter.kind) in by_stage}
