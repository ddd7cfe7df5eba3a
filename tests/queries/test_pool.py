"""The evaluator pool as pages read it: its members, their loads, an evaluator's own place, the account chosen."""

from __future__ import annotations

import pytest

from app.enums import AssignmentState, Role
from app.extensions import db
from app.models import PoolMember
from app.queries.pool import (
    call_pool,
    current_loads,
    evaluator_account,
    evaluator_assignments,
    load_own_membership,
    memberships_of,
)
from app.services.errors import NotFound
from tests.evaluation_support import assignment, call_of, user
from tests.factories import make_evaluation_setup, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def _member(member_id: int) -> PoolMember:
    member = db.session.get(PoolMember, member_id)
    assert member is not None
    return member


def test_the_pool_lists_withdrawn_members_last_then_by_name() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, publish=False)
    _member(s.member_ids[0]).withdrawn_at = call_of(s).deadline
    assert [m.user_id for m in call_pool(call_of(s))] == [s.evaluator_ids[1], s.evaluator_ids[2], s.evaluator_ids[0]]


def test_loads_count_proposed_and_published_assignments_not_withdrawn_ones() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)  # every evaluator has both proposals
    first, second = assignment(s.assignment_id(0, 0)), assignment(s.assignment_id(1, 1))
    first.state, second.state = AssignmentState.PROPOSED, AssignmentState.WITHDRAWN
    assert current_loads(call_of(s)) == {s.evaluator_ids[0]: 2, s.evaluator_ids[1]: 1, s.evaluator_ids[2]: 2}
    assert [a.id for a in evaluator_assignments(call_of(s), _member(s.member_ids[1]))] == [
        s.assignment_id(0, 1), s.assignment_id(1, 1)]  # withdrawn ones too: the officer's history


def test_an_evaluator_finds_only_their_own_current_place_in_a_pool() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=2, publish=False)
    other = make_evaluation_setup(code="OTHER-CALL", proposals=1, evaluators=1, publish=False)
    evaluator = user(s.evaluator_ids[0])
    assert load_own_membership(s.code, evaluator).id == s.member_ids[0]
    assert [m.call_id for m in memberships_of(evaluator)] == [s.call_id]
    with pytest.raises(NotFound):
        load_own_membership(other.code, evaluator)  # not invited to that call
    with pytest.raises(NotFound):
        load_own_membership("NO-SUCH-CALL", evaluator)
    _member(s.member_ids[0]).withdrawn_at = call_of(s).deadline
    with pytest.raises(NotFound):
        load_own_membership(s.code, evaluator)  # left the pool
    assert memberships_of(evaluator) == []


@pytest.mark.parametrize("chosen", ["", None, "abc", "-1", "99999", "2147483648", "9" * 40])
def test_an_evaluator_chosen_by_an_unknown_id_is_not_found(chosen: str | None) -> None:
    make_evaluation_setup(proposals=1, evaluators=1, publish=False)
    with pytest.raises(NotFound, match="There is no such evaluator."):
        evaluator_account(chosen)


def test_an_evaluator_chosen_by_id_is_their_account() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=1, publish=False)
    newcomer = make_staff(Role.EVALUATOR, "new@x.test", organisation="Fraunhofer", country="DE")
    assert evaluator_account(str(newcomer.id)) is newcomer
    assert evaluator_account(s.evaluator_ids[0]).id == s.evaluator_ids[0]
