"""Calls as the pages and the API list them. Calls are public: everyone may know that one exists."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import CallPhase, CallState, ProposalStatus, RunStatus
from app.extensions import db
from app.formatting import format_money
from app.models import Assessment, Assignment, Call, Proposal, SelectionRun, Submission
from app.translation import current_language, ngettext


def get_call(code: str) -> Call | None:
    """The call with this code, or None."""
    return db.session.scalar(sa.select(Call).where(Call.code == code))


def calls_by_deadline(*, drafts: bool = False) -> list[Call]:
    """Every published call (and the drafts too when `drafts`: officers only), latest deadline first."""
    statement = sa.select(Call).order_by(Call.deadline.desc())
    if not drafts:
        statement = statement.where(Call.published_at.is_not(None))
    return list(db.session.scalars(statement))


def open_calls(now: datetime) -> list[Call]:
    """The published calls open at `now`, the nearest deadline first."""
    return list(db.session.scalars(
        sa.select(Call).where(Call.published_at.is_not(None), Call.opens_at <= now, Call.deadline > now)
        .order_by(Call.deadline)))


@dataclass(frozen=True)
class CallFacts:
    """What a call's phase depends on beyond its own columns."""

    has_submission: bool
    has_assignment: bool
    has_final_run: bool


def call_facts(call: Call) -> CallFacts:
    """Whether the call has a submitted proposal, an evaluator assigned (or, in a call selected by assessment, a
    proposal assessed: its evaluation has started), a finalised run: one query."""
    submitted = sa.exists().where(Submission.proposal_id == Proposal.id, Proposal.call_id == call.id)
    assigned = (sa.exists().where(Assessment.proposal_id == Proposal.id, Proposal.call_id == call.id)
                if call.is_assessed else sa.exists().where(Assignment.call_id == call.id))
    final = sa.exists().where(SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED)
    row = db.session.execute(sa.select(submitted.label("s"), assigned.label("a"), final.label("f"))).one()
    return CallFacts(bool(row.s), bool(row.a), bool(row.f))


def call_phase(call: Call, *, now: datetime | None = None, facts: CallFacts | None = None) -> CallPhase:
    """The call's phase in its life cycle: the stored decisions first (archived, draft), then what the runs, the
    assignments and the clock say."""
    if call.archived_at is not None:
        return CallPhase.ARCHIVED
    if call.published_at is None:
        return CallPhase.DRAFT
    facts = facts or call_facts(call)
    if facts.has_final_run:
        return CallPhase.DECIDED
    state = call.state(now or utcnow())
    if state is CallState.UPCOMING:
        return CallPhase.PUBLISHED
    if state is CallState.OPEN:
        return CallPhase.OPEN
    return CallPhase.IN_EVALUATION if facts.has_assignment else CallPhase.CLOSED


def calls_open_and_other(now: datetime) -> tuple[list[Call], list[Call]]:
    """Every call in one query, as the public list shows them: the calls open at `now` (nearest deadline first),
    then the others (upcoming and closed, latest deadline first)."""
    calls = calls_by_deadline()
    open_now = sorted((c for c in calls if c.state(now) is CallState.OPEN), key=lambda c: c.deadline)
    return open_now, [c for c in calls if c.state(now) is not CallState.OPEN]


def money_warnings(*, budget: Decimal | None, max_awards: int | None, max_grant: Decimal | None) -> list[str]:
    """What an officer should know about the money before publishing (not refused: a call may fund fewer)."""
    if budget is None or max_awards is None or max_grant is None or max_grant == 0:
        return []
    if max_awards * max_grant <= budget:
        return []
    fundable = int(budget // max_grant)
    language = current_language()
    return [ngettext("The budget (%(budget)s) cannot fund the award cap (%(cap)d) at the maximum grant "
                     "(%(grant)s): at most %(num)d proposal at the maximum.",
                     "The budget (%(budget)s) cannot fund the award cap (%(cap)d) at the maximum grant "
                     "(%(grant)s): at most %(num)d proposals at the maximum.", fundable,
                     budget=format_money(budget, locale=language), cap=max_awards,
                     grant=format_money(max_grant, locale=language))]


def extensions_overtaken(call: Call, deadline: datetime) -> list[Proposal]:
    """The proposals whose extension gives them more time today but would not with the call's deadline at `deadline`.

    Their extension then ends at or before the call's deadline, so they get the call's deadline like every other
    proposal (`Proposal.effective_deadline`); nobody loses time, but the officer should know before saving.
    """
    if deadline <= call.deadline:
        return []
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.WITHDRAWN,
                                  Proposal.extended_deadline > call.deadline, Proposal.extended_deadline <= deadline)
        .order_by(Proposal.number)))


def overtaken_token(proposals: list[Proposal]) -> str:
    """What confirms exactly these overtaken extensions: another extension or another deadline needs a new look."""
    text = ";".join(f"{p.id}@{p.extended_deadline.isoformat() if p.extended_deadline else ''}" for p in proposals)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
