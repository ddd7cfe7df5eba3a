"""The applicant's and the officers' lists of proposals, and a proposal's history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call, Proposal, User
from app.queries.proposals import HISTORY_LENGTH, call_proposals, organisation_proposals, proposal_history
from tests.factories import QueryCounter, make_open_call, make_proposal, make_ready_proposal


@dataclass(frozen=True)
class TwoCalls:
    """Two open calls with proposals of Baltic Cluster Alliance (`mine`) and of another consortium (`theirs`)."""

    first: Call
    second: Call
    mine: User
    theirs: User


@pytest.fixture
def two_calls(app_ctx: None, make_user: Callable[..., User]) -> TwoCalls:
    mine = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    theirs = db.session.get(User, make_user(Role.APPLICANT, organisation="Iberian Cluster", country="ES").id)
    world = TwoCalls(make_open_call("FIRST"), make_open_call("SECOND"), mine, theirs)  # type: ignore[arg-type]
    db.session.commit()
    return world


def _made_at(moment: datetime, make: Callable[[], Proposal]) -> Proposal:
    set_clock(lambda: moment)
    try:
        return make()
    finally:
        set_clock(None)


def test_an_organisation_sees_its_proposals_in_every_call_newest_first(two_calls: TwoCalls) -> None:
    start = datetime(2031, 1, 1, tzinfo=UTC)
    older = _made_at(start, lambda: make_proposal(two_calls.second, two_calls.mine, submitted=False))
    _made_at(start, lambda: make_proposal(two_calls.first, two_calls.theirs, submitted=False))
    newer = _made_at(start + timedelta(days=1), lambda: make_proposal(two_calls.first, two_calls.mine))
    same_moment = _made_at(start, lambda: make_proposal(two_calls.first, two_calls.mine, submitted=False))
    db.session.commit()
    assert organisation_proposals(two_calls.mine.organisation_id) == [newer, same_moment, older]  # type: ignore[arg-type]


def test_a_call_lists_every_proposal_by_reference(two_calls: TwoCalls) -> None:
    made = [make_proposal(two_calls.first, user) for user in (two_calls.theirs, two_calls.mine, two_calls.theirs)]
    make_proposal(two_calls.second, two_calls.mine)
    db.session.commit()
    assert [p.reference for p in call_proposals(two_calls.first)] == [p.reference for p in made] == [
        "FIRST-0001", "FIRST-0002", "FIRST-0003"]


def _rows_read(rows: Callable[[], list[Proposal]]) -> int:
    """The statements it takes to list the proposals and read what a row shows."""
    db.session.expunge_all()
    with QueryCounter() as counter:
        for proposal in rows():
            _ = (proposal.call.code, proposal.organisation.name, [p.name for p in proposal.partners],
                 [d.filename for d in proposal.documents], proposal.latest_submission)
    return counter.count


def test_a_list_reads_its_rows_in_a_fixed_number_of_queries(two_calls: TwoCalls) -> None:
    call_id, user_id, organisation_id = two_calls.first.id, two_calls.mine.id, two_calls.mine.organisation_id
    assert organisation_id is not None

    def counts() -> tuple[int, int]:
        return (_rows_read(lambda: organisation_proposals(organisation_id)),
                _rows_read(lambda: call_proposals(db.session.get(Call, call_id))))  # type: ignore[arg-type]

    make_ready_proposal(two_calls.first, two_calls.mine)
    db.session.commit()
    few = counts()
    for index in range(6):
        make_ready_proposal(db.session.get(Call, call_id), db.session.get(User, user_id),  # type: ignore[arg-type]
                            acronym=f"MORE{index}")
    db.session.commit()
    assert counts() == few


def test_a_proposals_history_is_its_own_events_newest_first_within_the_limit(two_calls: TwoCalls) -> None:
    proposal, other = (make_proposal(two_calls.first, two_calls.mine) for _ in range(2))
    start = datetime(2031, 1, 1, tzinfo=UTC)
    for index in range(HISTORY_LENGTH + 5):
        db.session.add(AuditEvent(action=f"test.{index}", object_type="proposal", object_id=str(proposal.id),
                                  at=start + timedelta(minutes=index), data={}))
    db.session.add(AuditEvent(action="test.other", object_type="proposal", object_id=str(other.id), at=start, data={}))
    db.session.add(AuditEvent(action="test.call", object_type="call", object_id=str(proposal.id), at=start, data={}))
    db.session.commit()
    history = proposal_history(proposal)
    assert len(history) == HISTORY_LENGTH
    assert history[0].action == f"test.{HISTORY_LENGTH + 4}"
    assert history[-1].action == "test.5"
