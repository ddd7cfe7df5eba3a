"""The deadline to the second: the last look at the clock just before COMMIT, and the refusal's words."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.clock import set_clock
from app.enums import ProposalStatus, Role
from app.extensions import db
from app.models import AuditEvent, Proposal, Submission, User
from app.services.deadline import deadline_passed_error
from app.services.errors import DeadlinePassed
from app.services.proposals import grant_extension, submit_proposal
from tests.factories import make_call, make_ready_proposal

DEADLINE = datetime(2021, 12, 7, 16, 0, 0, tzinfo=UTC)  # 17:00:00 Brussels


@pytest.fixture
def clock() -> Iterator[Callable[[datetime], None]]:
    """Stand at a given moment: clock(moment)."""
    yield lambda moment: set_clock(lambda: moment)
    set_clock(None)


@pytest.fixture
def applicant(app_ctx: None, make_user: Callable[..., User]) -> User:
    user = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    return db.session.get(User, user.id)  # type: ignore[return-value]


@pytest.fixture
def proposal(applicant: User, clock: Callable[[datetime], None]) -> Proposal:
    """A proposal ready to submit to the Euroclusters deadline, with the clock an hour before it."""
    clock(DEADLINE - timedelta(hours=1))
    made = make_ready_proposal(make_call("RUSH", deadline=DEADLINE, opens_at=DEADLINE - timedelta(days=60)),
                               applicant)
    db.session.commit()
    return made


def test_the_commit_refuses_a_submission_when_the_deadline_passed_meanwhile(
        applicant: User, clock: Callable[[datetime], None], proposal: Proposal) -> None:
    """The clock is read again just before COMMIT: a slow request that crosses 17:00:00 is not accepted."""
    clock(DEADLINE - timedelta(milliseconds=100))
    submit_proposal(proposal, actor=applicant)
    clock(DEADLINE + timedelta(milliseconds=100))
    with pytest.raises(DeadlinePassed):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0
    assert db.session.get(Proposal, proposal.id).status is ProposalStatus.DRAFT  # type: ignore[union-attr]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proposal.submitted")) is None
    # The guard is forgotten with the transaction: an unrelated commit goes through.
    db.session.add(AuditEvent(action="test.unrelated", object_type="test", object_id="1", data={}))
    db.session.commit()


def test_a_submission_committed_before_the_deadline_stays(applicant: User, clock: Callable[[datetime], None],
                                                          proposal: Proposal) -> None:
    clock(DEADLINE - timedelta(milliseconds=100))
    submit_proposal(proposal, actor=applicant)
    clock(DEADLINE - timedelta(microseconds=1))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 1


def test_the_refusal_names_the_proposals_own_deadline_in_the_calls_zone(
        applicant: User, make_user: Callable[..., User], proposal: Proposal) -> None:
    assert deadline_passed_error(proposal).message == (
        "The deadline (07 December 2021, 17:00:00 CET) has passed: the proposal can no longer be changed or "
        "submitted.")
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    grant_extension(proposal, actor=officer, deadline=DEADLINE + timedelta(hours=2),  # type: ignore[arg-type]
                    reason="Portal outage reported at 16:40 by the coordinator.")
    refusal = deadline_passed_error(proposal)
    assert "07 December 2021, 19:00:00 CET" in refusal.message
    assert refusal.details == {"deadline": (DEADLINE + timedelta(hours=2)).isoformat()}
