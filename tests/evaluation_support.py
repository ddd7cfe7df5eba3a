"""Helpers of the evaluation tests of services and queries: accounts, audit events, reports, and small worlds.

Call them inside an app context (`app_ctx`); like tests/factories.py they flush and the caller commits
(`committed_world` excepted: it commits in a context of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask

from app.enums import AssignmentState, DocumentKind, Role
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment, AuditEvent, Call, Document, PoolMember, Proposal, User
from app.services import reviews
from tests.factories import (
    EvaluationWorld,
    make_assignment,
    make_evaluation_setup,
    make_pool_member,
    make_staff,
)

GOOD = "A comment long enough to justify the score given here."
T = TypeVar("T")


def row(model: type[T], row_id: int) -> T:
    """The row of `model` with this id, which the test knows exists."""
    found = db.session.get(model, row_id)
    assert found is not None
    return found


def user(user_id: int) -> User:
    return row(User, user_id)


def proposal(proposal_id: int) -> Proposal:
    return row(Proposal, proposal_id)


def call_of(world: EvaluationWorld) -> Call:
    return row(Call, world.call_id)


def assignment(assignment_id: int) -> Assignment:
    return row(Assignment, assignment_id)


def committed_world(app: Flask, **setup: Any) -> EvaluationWorld:
    """`make_evaluation_setup(**setup)`, committed in a context of its own (for page and API tests)."""
    with app.app_context():
        world = make_evaluation_setup(**setup)
        db.session.commit()
        return world


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def full_scores(value: str = "4", comment: str = GOOD) -> dict[str, ScoreInput]:
    return {key: ScoreInput(value, comment) for key in ("relevance", "quality", "impact")}


def submit_ier(assignment_id: int, value: str = "4") -> None:
    """The assigned evaluator saves and submits a complete report, every score `value`."""
    row = assignment(assignment_id)
    evaluator = user(row.evaluator_id)
    reviews.save_report(row, actor=evaluator, scores=full_scores(value), overall_comment=GOOD)
    reviews.submit_report(row, actor=evaluator)


def all_reports_in(world: EvaluationWorld) -> Proposal:
    """Every evaluator of the world's first proposal has submitted their report: the consensus is open."""
    first = world.proposal_ids[0]
    for evaluator_id in world.evaluator_ids:
        submit_ier(world.assignments[(first, evaluator_id)])
    return proposal(first)


def complete(target: Proposal, uploader: User) -> None:
    """Make the factory proposal pass every automatic check: contact e-mails and a Part B."""
    for partner in target.partners:
        partner.contact_email = f"contact{partner.position}@example.org"
    db.session.add(Document(proposal_id=target.id, kind=DocumentKind.PART_B, sha256="a" * 64,
                            filename="part-b.pdf", size_bytes=1000, page_count=10, uploaded_by_id=uploader.id))
    db.session.flush()
    db.session.expire(target)


def active_assignments_of(call: Call) -> list[Assignment]:
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.call_id == call.id,
                                                               Assignment.state != AssignmentState.WITHDRAWN)))


@dataclass(frozen=True)
class PoolCall:
    """A call with eligible proposals and a pool whose members all take up to the same maximum load."""

    world: EvaluationWorld
    call: Call


def pool_call(n_proposals: int, n_evaluators: int, *, max_load: int = 10, k: int = 3) -> PoolCall:
    """`n_proposals` eligible proposals, `n_evaluators` evaluators in the pool, no assignment yet."""
    world = make_evaluation_setup(proposals=n_proposals, evaluators=n_evaluators, publish=False,
                                  evaluators_per_proposal=k)
    for member_id in world.member_ids:
        row(PoolMember, member_id).max_load = max_load
    return PoolCall(world, call_of(world))


@dataclass(frozen=True)
class ConflictedWorld:
    """One proposal and, besides its three evaluators, two more assigned to it who are conflicted automatically."""

    world: EvaluationWorld
    proposal: Proposal
    same_organisation: User  # works for Partner A, a member of the consortium
    same_country: User  # from Lithuania, the coordinator's country


def conflicted_world() -> ConflictedWorld:
    world = make_evaluation_setup(proposals=1, evaluators=3)
    call = call_of(world)
    target = proposal(world.proposal_ids[0])
    same_org = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A GmbH", country="AT")
    same_country = make_staff(Role.EVALUATOR, "lt@x.test", organisation="Vilnius Tech", country="LT")
    for person in (same_org, same_country):
        make_pool_member(call, person)
        make_assignment(target, person)
    return ConflictedWorld(world, target, same_org, same_country)


def ready_to_rank(call: Call) -> tuple[bool, list[str]]:
    """Whether the call is ready to rank, and why not, as the officer's dashboard and the API say it."""
    from app.queries.evaluation_progress import call_progress

    progress = call_progress(call)
    return progress.ready, progress.reasons
