"""Conflict declarations: the evaluator declares, the officer may record a declared conflict as not material."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.enums import ConflictDeclaration
from app.extensions import db
from app.models import Assignment, AuditEvent, Proposal
from app.queries.evaluation import Access, evaluator_access
from app.services import conflicts
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed
from tests.evaluation_support import user
from tests.factories import make_evaluation_setup

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_a_declared_conflict_hides_the_proposal_until_waived() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    evaluator = user(s.evaluator_ids[1])
    assignment = db.session.get(Assignment, s.assignments[(proposal.id, evaluator.id)])
    with pytest.raises(InvalidInput):
        conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="yes")
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="I advised the coordinator in 2020.")
    assert evaluator_access(evaluator, proposal) is Access.NONE
    with pytest.raises(InvalidTransition):
        conflicts.declare_conflict(assignment, actor=evaluator, conflict=False)
    with pytest.raises(NotAllowed):
        conflicts.waive_conflict(assignment, actor=evaluator, reason="It is not material at all.")
    conflicts.waive_conflict(assignment, actor=user(s.officer_id), reason="Advice was unpaid and ended in 2020.")
    assert evaluator_access(evaluator, proposal) is Access.FULL
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "assignment").order_by(AuditEvent.id))] == [
        "assignment.conflict_declared", "assignment.conflict_waived"]


def test_only_the_assigned_evaluator_declares() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], s.evaluator_ids[0])])
    with pytest.raises(NotAllowed):
        conflicts.declare_conflict(assignment, actor=user(s.evaluator_ids[1]), conflict=False)


def test_no_conflict_can_become_a_conflict_later() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    evaluator = user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(s.proposal_ids[0], evaluator.id)])
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=True, note="I just learned my sister works there.")
    assert assignment.conflict is ConflictDeclaration.CONFLICT
