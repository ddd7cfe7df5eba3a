"""Who may see and change a proposal: the one place the rules live.

Rules today:
- applicants see and edit the proposals of their own organisation (any member, not only the creator);
- programme officers and administrators see every proposal, read-only;
- everybody else sees nothing, and is told the proposal does not exist (404, never 403).

The evaluation stage extends `can_view_proposal` for assigned, non-conflicted evaluators: every page, API
endpoint and annex download that shows a proposal goes through it (via `load_proposal_for_viewer`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import Role
from app.extensions import db
from app.models import Call, Proposal, Submission, User
from app.queries.calls import get_call
from app.services.errors import NotFound

NOT_FOUND_MESSAGE = "There is no such proposal."


def is_member_of_proposal_organisation(user: User | None, proposal: Proposal) -> bool:
    """An applicant of the organisation that owns the proposal (the people who edit and submit it)."""
    return (
        user is not None
        and user.has_role(Role.APPLICANT)
        and user.organisation_id is not None
        and user.organisation_id == proposal.organisation_id
    )


def can_view_proposal(user: User | None, proposal: Proposal) -> bool:
    """True when `user` may read `proposal` and download its annexes and receipts."""
    if user is None:
        return False
    if is_member_of_proposal_organisation(user, proposal):
        return True
    if user.has_role(Role.OFFICER, Role.ADMIN):
        return True
    if user.has_role(Role.EVALUATOR):
        # The evaluation stage's one rule: published assignment, code of conduct accepted, no conflict of
        # interest (detected or declared), "no conflict" declared (app/queries/evaluation.py).
        from app.queries.evaluation import evaluator_can_view

        return evaluator_can_view(user, proposal)
    return False


def can_edit_proposal(user: User | None, proposal: Proposal) -> bool:
    """True when `user` may save, upload, submit or withdraw (whether the deadline allows it is separate)."""
    return is_member_of_proposal_organisation(user, proposal)


def _proposal_query(proposal_id: int, *, full: bool) -> sa.Select[tuple[Proposal]]:
    query = sa.select(Proposal).where(Proposal.id == proposal_id)
    if full:
        # Everything a proposal page shows, in a fixed number of queries.
        query = query.options(
            selectinload(Proposal.call), selectinload(Proposal.partners), selectinload(Proposal.documents),
            selectinload(Proposal.submissions).defer(Submission.snapshot).selectinload(Submission.submitted_by),
        )
    return query


def _load(proposal_id: int, user: User | None, allowed: Callable[[User | None, Proposal], bool],
          full: bool) -> Proposal:
    proposal = db.session.scalar(_proposal_query(proposal_id, full=full))
    if proposal is None or not allowed(user, proposal):
        raise NotFound(NOT_FOUND_MESSAGE)
    return proposal


def load_proposal_for_viewer(proposal_id: int, user: User | None, *, full: bool = True) -> Proposal:
    """The proposal if `user` may view it; NotFound (404) otherwise, whether or not it exists."""
    return _load(proposal_id, user, can_view_proposal, full)


def load_proposal_for_applicant(proposal_id: int, user: User | None, *, full: bool = True) -> Proposal:
    """The proposal if `user` belongs to the organisation that owns it; NotFound (404) otherwise."""
    return _load(proposal_id, user, can_edit_proposal, full)


def load_call(code: str) -> Call:
    """The call with this code; NotFound (a 404 page or JSON error) when there is none."""
    call = get_call(code)
    if call is None:
        raise NotFound(f"There is no call {code!r}.")
    return call
