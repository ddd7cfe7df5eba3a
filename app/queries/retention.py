"""When each record's retention rule runs out (app/privacy/map.py), and what the next run of the retention job would
erase: the dry run. The periods are settings (`RETENTION_*`, `REDRESS_DAYS`), read from the configuration given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import selectinload

from app.enums import Decision, ErasureKind, InvitationStatus, ProposalStatus, Role
from app.extensions import db
from app.models import (
    Call,
    EmailChange,
    Erasure,
    Invitation,
    LoginAttempt,
    PersonalDataAccess,
    Proposal,
    Submission,
    User,
    UserRole,
)
from app.privacy.map import DRAFT, EVALUATOR, FUNDED, UNSUCCESSFUL, Rule

STAFF_ROLES = (Role.OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class Expiry:
    """A record's rule and the moment it runs out (None: the event it runs from has not happened yet)."""

    rule: Rule
    until: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.until is not None and self.until <= now


def _years(config: Mapping[str, Any], name: str) -> relativedelta:
    return relativedelta(years=int(config[name]))


def proposal_expiry(proposal: Proposal, config: Mapping[str, Any], *, submitted: bool | None = None) -> Expiry:
    """The rule of a proposal's file and when it runs out:

    - a draft never submitted (withdrawn or not): RETENTION_DRAFT_DAYS after its deadline;
    - funded (selected): RETENTION_GRANT_AUDIT_YEARS after the project ends (the decision plus its duration);
    - not funded (any other decision), or withdrawn after a submission: RETENTION_UNSUCCESSFUL_YEARS after the redress
      period (REDRESS_DAYS from the decision or the withdrawal) ends;
    - submitted and not decided yet: not before its decision (until None).

    `submitted` says whether it has a submitted version, when the caller knows it without loading them.
    """
    was_submitted = bool(proposal.submissions) if submitted is None else submitted
    if not was_submitted:
        return Expiry(DRAFT, proposal.effective_deadline + timedelta(days=int(config["RETENTION_DRAFT_DAYS"])))
    redress = timedelta(days=int(config["REDRESS_DAYS"]))
    if proposal.decision is Decision.SELECTED:
        if proposal.decided_at is None:
            return Expiry(FUNDED, None)
        project_end = proposal.decided_at + relativedelta(months=proposal.duration_months or 0)
        return Expiry(FUNDED, project_end + _years(config, "RETENTION_GRANT_AUDIT_YEARS"))
    decided = proposal.decided_at if proposal.decision is not None else None
    if decided is None and proposal.status is ProposalStatus.WITHDRAWN:
        decided = proposal.withdrawn_at
    if decided is None:
        return Expiry(UNSUCCESSFUL, None)
    return Expiry(UNSUCCESSFUL, decided + redress + _years(config, "RETENTION_UNSUCCESSFUL_YEARS"))


def call_decided_at(call_ids: list[int]) -> dict[int, datetime]:
    """Each call's latest decision (its proposals' decided_at): the evaluators' declarations run from it."""
    if not call_ids:
        return {}
    return {call_id: moment for call_id, moment in db.session.execute(
        sa.select(Proposal.call_id, sa.func.max(Proposal.decided_at))
        .where(Proposal.call_id.in_(call_ids), Proposal.decided_at.is_not(None)).group_by(Proposal.call_id))
        if moment is not None}


def evaluator_expiry(decided_at: datetime | None, config: Mapping[str, Any]) -> Expiry:
    """The evaluators' declarations of a call: RETENTION_EVALUATOR_YEARS after the call's decision."""
    if decided_at is None:
        return Expiry(EVALUATOR, None)
    return Expiry(EVALUATOR, decided_at + _years(config, "RETENTION_EVALUATOR_YEARS"))


def erased(kind: ErasureKind) -> sa.Select[int]:
    """The ids of the subjects of one kind that the erasure register already names."""
    return sa.select(Erasure.subject_id).where(Erasure.kind == kind)


@dataclass
class RetentionPlan:
    """What a run of the retention job at `now` erases: the dry run shows it, the run applies it."""

    now: datetime
    drafts: list[Proposal] = field(default_factory=list)
    proposals: list[tuple[Proposal, Rule]] = field(default_factory=list)
    evaluator_calls: list[Call] = field(default_factory=list)
    accounts: list[User] = field(default_factory=list)
    short_lived: dict[str, int] = field(default_factory=dict)  # table → rows past RETENTION_SHORT_DAYS
    access_log: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.drafts or self.proposals or self.evaluator_calls or self.accounts or self.access_log
                    or any(self.short_lived.values()))

    def lines(self) -> list[str]:
        """What the run erases, one line per item, for the command line and the administrators' page."""
        lines = [f"delete draft {p.reference} ({p.acronym or 'untitled'}): never submitted, rule {DRAFT.key}"
                 for p in self.drafts]
        lines += [f"erase the personal content of {p.reference} ({p.acronym or 'untitled'}): rule {rule.key}"
                  for p, rule in self.proposals]
        lines += [f"erase the evaluators' declarations of {call.code}: rule {EVALUATOR.key}"
                  for call in self.evaluator_calls]
        lines += [f"pseudonymise account {user.id}: no log-in since {(user.last_login_at or user.created_at):%Y-%m-%d}"
                  for user in self.accounts]
        lines += [f"delete {count} {table.replace('_', ' ')} older than the short-lived rule"
                  for table, count in self.short_lived.items() if count]
        if self.access_log:
            lines.append(f"delete {self.access_log} access log entries older than the access log rule")
        return lines


def short_lived_cutoff(now: datetime, config: Mapping[str, Any]) -> datetime:
    return now - timedelta(days=int(config["RETENTION_SHORT_DAYS"]))


def access_log_cutoff(now: datetime, config: Mapping[str, Any]) -> datetime:
    cutoff: datetime = now - _years(config, "RETENTION_ACCESS_LOG_YEARS")
    return cutoff


def inactive_accounts(now: datetime, config: Mapping[str, Any]) -> list[User]:
    """Applicant and evaluator accounts without a log-in (or, never logged in, created) before the inactivity period;
    staff accounts are left to the administrators."""
    cutoff = now - _years(config, "RETENTION_ACCOUNT_INACTIVE_YEARS")
    staff = sa.select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))
    return list(db.session.scalars(
        sa.select(User).where(sa.func.coalesce(User.last_login_at, User.created_at) < cutoff,
                              User.id.not_in(staff), User.id.not_in(erased(ErasureKind.PERSON)))
        .order_by(User.id)))


def retention_plan(now: datetime, config: Mapping[str, Any]) -> RetentionPlan:
    """Everything whose rule has run out at `now` and is not erased yet."""
    plan = RetentionPlan(now=now)
    submitted_ids = set(db.session.scalars(sa.select(Submission.proposal_id).distinct()))
    candidates = db.session.scalars(
        sa.select(Proposal).where(Proposal.id.not_in(erased(ErasureKind.PROPOSAL)),
                                  Proposal.id.not_in(erased(ErasureKind.DRAFT)))
        .options(selectinload(Proposal.call)).order_by(Proposal.id))
    for proposal in candidates:
        expiry = proposal_expiry(proposal, config, submitted=proposal.id in submitted_ids)
        if expiry.expired(now):
            if expiry.rule is DRAFT:
                plan.drafts.append(proposal)
            else:
                plan.proposals.append((proposal, expiry.rule))
    calls = list(db.session.scalars(sa.select(Call).where(Call.id.not_in(erased(ErasureKind.EVALUATORS)))
                                    .order_by(Call.id)))
    decided = call_decided_at([call.id for call in calls])
    plan.evaluator_calls = [call for call in calls if evaluator_expiry(decided.get(call.id), config).expired(now)]
    plan.accounts = inactive_accounts(now, config)
    cutoff = short_lived_cutoff(now, config)
    plan.short_lived = {
        "login_attempts": _count(LoginAttempt, LoginAttempt.at < cutoff),
        "email_changes": _count(EmailChange, EmailChange.requested_at < cutoff),
        "invitation_addresses": _count(Invitation, invitation_ended_before(cutoff)),
    }
    plan.access_log = _count(PersonalDataAccess, PersonalDataAccess.at < access_log_cutoff(now, config))
    return plan


def invitation_ended_before(cutoff: datetime) -> sa.ColumnElement[bool]:
    """Invitations answered, revoked or expired before `cutoff` whose address is still there."""
    ended = sa.case((Invitation.status == InvitationStatus.PENDING, Invitation.expires_at),
                    else_=sa.func.coalesce(Invitation.answered_at, Invitation.expires_at))
    return sa.and_(ended < cutoff, Invitation.email != "")


def _count(model: type[Any], condition: sa.ColumnElement[bool]) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(condition)) or 0)
