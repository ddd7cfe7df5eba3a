"""The evaluator pool of a call as pages and the API read it: its members, their loads, the accounts to invite.

Invitations, the code of conduct, load changes and withdrawals are made in app.services.pool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import AssignmentState, Gender, Role
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, PoolMember, User, UserRole
from app.queries.accounts import normalise_email
from app.services.errors import InvalidInput, NotFound

MAX_ID = 2_147_483_647  # ids are 32-bit integers: a larger number names nothing (and PostgreSQL would refuse it)


def call_pool(call: Call) -> list[PoolMember]:
    """The call's pool (withdrawn members last), with their accounts, in one query."""
    return list(db.session.scalars(
        sa.select(PoolMember).where(PoolMember.call_id == call.id)
        .options(selectinload(PoolMember.user))
        .join(User, User.id == PoolMember.user_id)
        .order_by(PoolMember.withdrawn_at.is_not(None), User.full_name, User.id)
    ))


def active_pool(call: Call) -> list[PoolMember]:
    """The members who have not withdrawn, with their accounts, by user id (the order the assignment reads them)."""
    return list(db.session.scalars(
        sa.select(PoolMember).where(PoolMember.call_id == call.id, PoolMember.withdrawn_at.is_(None))
        .options(selectinload(PoolMember.user)).order_by(PoolMember.user_id)))


@dataclass(frozen=True)
class PanelBalance:
    """Who the call's active pool is: nationalities, genders and how its expertise covers the proposals."""

    size: int
    nationalities: list[tuple[str, int]]  # ISO code ("" not given yet), evaluators; most first
    genders: list[tuple[str, int]]  # label ("No answer" for none), evaluators; in the order of the answers
    strands: list[tuple[str, int, int]]  # strand, evaluators expert in it, eligible proposals in it
    profiled: int  # evaluators who wrote expertise keywords or a statement (proposals are matched on them)

    def share(self, count: int) -> int:
        """A count as a whole percentage of the pool."""
        return round(100 * count / self.size) if self.size else 0

    def thin(self, k: int) -> list[str]:
        """The strands with proposals but fewer experts than the `k` evaluators each proposal needs."""
        return [strand for strand, experts, proposals in self.strands if proposals and experts < k]


def panel_balance(call: Call, proposal_strands: Iterable[str | None]) -> PanelBalance:
    """The balance of the call's active pool, in one query; `proposal_strands` are the eligible proposals'."""
    rows = list(db.session.execute(
        sa.select(PoolMember.nationality, PoolMember.gender, PoolMember.expertise, PoolMember.expertise_keywords,
                  PoolMember.expertise_statement)
        .where(PoolMember.call_id == call.id, PoolMember.withdrawn_at.is_(None))))
    nationalities = Counter(row.nationality or "" for row in rows)
    genders = Counter(row.gender for row in rows)
    experts = Counter(strand for row in rows for strand in set(row.expertise or []))
    proposals = Counter(strand for strand in proposal_strands if strand)
    strands = list(dict.fromkeys([*call.strands, *sorted(proposals)]))
    return PanelBalance(
        size=len(rows),
        nationalities=sorted(nationalities.items(), key=lambda item: (-item[1], item[0] == "", item[0])),
        genders=[(g.label, genders[g]) for g in Gender if genders[g]]
        + ([("No answer", genders[None])] if genders[None] else []),
        strands=[(strand, experts[strand], proposals[strand]) for strand in strands],
        profiled=sum(1 for row in rows if row.expertise_keywords or (row.expertise_statement or "").strip()),
    )


def current_loads(call: Call) -> dict[int, int]:
    """Evaluator user id → number of active (proposed or published) assignments in the call."""
    rows = db.session.execute(
        sa.select(Assignment.evaluator_id, sa.func.count(Assignment.id))
        .where(Assignment.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN)
        .group_by(Assignment.evaluator_id)
    )
    return {evaluator_id: count for evaluator_id, count in rows}


def evaluator_accounts() -> list[User]:
    """Every active evaluator account, to choose from when inviting."""
    return list(db.session.scalars(
        sa.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.EVALUATOR, User.is_active_account.is_(True)).order_by(User.full_name)
    ))


def find_evaluator(email: str) -> User:
    """The evaluator account with this e-mail address (officers invite existing evaluator accounts)."""
    user: User | None = db.session.scalar(sa.select(User).where(User.email == normalise_email(email or "")))
    if user is None or not user.has_role(Role.EVALUATOR):
        raise InvalidInput(N_("There is no evaluator account with this e-mail address; an administrator creates "
                              "evaluator accounts under Accounts."), details={"field": "email"})
    return user


def memberships_of(user: User) -> list[PoolMember]:
    """The calls whose pool `user` is in (not withdrawn), latest invitation first, with their calls."""
    return list(db.session.scalars(
        sa.select(PoolMember).where(PoolMember.user_id == user.id, PoolMember.withdrawn_at.is_(None))
        .options(selectinload(PoolMember.call)).order_by(PoolMember.invited_at.desc())))


def load_own_membership(code: str, user: User) -> PoolMember:
    """The user's own place in the pool of call `code`; NotFound when they are not (or no longer) in it."""
    member: PoolMember | None = db.session.scalar(
        sa.select(PoolMember).join(Call, Call.id == PoolMember.call_id)
        .where(Call.code == code, PoolMember.user_id == user.id, PoolMember.withdrawn_at.is_(None)))
    if member is None:
        raise NotFound(N_("You are not in the pool of this call."))
    return member


def evaluator_assignments(call: Call, member: PoolMember) -> list[Assignment]:
    """Every assignment of the pool member in the call (withdrawn ones too), with proposals and reports."""
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.call_id == call.id, Assignment.evaluator_id == member.user_id)
        .options(selectinload(Assignment.proposal), selectinload(Assignment.report)).order_by(Assignment.id)))


def evaluator_account(user_id: str | int | None) -> User:
    """The account an officer chose by its id (as a form sends it); NotFound when there is none."""
    text = str(user_id or "")
    user = db.session.get(User, int(text)) if text.isdigit() and int(text) <= MAX_ID else None
    if user is None:
        raise NotFound(N_("There is no such evaluator."))
    return user
