"""Concurrent requests on PostgreSQL: the deadline decided inside the transaction, nothing half-written.

Each thread has its own app context (its own session and connection) and its own clock, so two requests can
stand at 16:59:59.9 and 17:00:00.1 at the same time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import set_clock
from app.enums import ProposalStatus, Role
from app.extensions import db
from app.inputs import ProposalChanges
from app.models import AuditEvent, Proposal, Submission, User
from app.services.errors import DeadlinePassed, EditConflict
from app.services.proposals import create_proposal, save_proposal, submit_proposal
from tests.factories import make_call, make_ready_proposal

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                       reason="concurrency is tested on PostgreSQL (SQLite serialises writers anyway)"),
]

DEADLINE = datetime(2021, 12, 7, 16, 0, 0, tzinfo=UTC)
typed = ProposalChanges.parse  # the changes as a form or the API gives them
_local = threading.local()


@pytest.fixture
def thread_clock() -> Iterator[None]:
    """Every thread reads its own `_local.now` (the main thread: an hour before the deadline)."""
    set_clock(lambda: getattr(_local, "now", DEADLINE - timedelta(hours=1)))
    yield
    set_clock(None)


@dataclass(frozen=True)
class Rush:
    """A call closing at 17:00:00 Brussels and an applicant, by id (each thread loads them in its own session)."""

    call_id: int
    user_id: int


@pytest.fixture
def setup(app: Any, make_user: Callable[..., User], thread_clock: None) -> Rush:
    user = make_user(Role.APPLICANT, organisation="Rush Org", country="LT")
    with app.app_context():
        call = make_call("RUSH", deadline=DEADLINE, opens_at=DEADLINE - timedelta(days=30))
        db.session.commit()
        return Rush(call.id, user.id)


def _run(app: Any, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run each job in its own thread and app context, all released at once; returns results or exceptions."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[Any] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait()
                results[index] = job()
            except Exception as error:  # noqa: BLE001 - the test inspects what each request got
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _submit_at(proposal_id: int, user_id: int, moment: datetime) -> Callable[[], Any]:
    def job() -> Any:
        _local.now = moment
        proposal = db.session.get(Proposal, proposal_id)
        submission = submit_proposal(proposal, actor=db.session.get(User, user_id))  # type: ignore[arg-type]
        db.session.commit()
        return submission.version

    return job


def _ready(app: Any, call_id: int, user_id: int, count: int) -> list[int]:
    with app.app_context():
        from app.models import Call

        call, user = db.session.get(Call, call_id), db.session.get(User, user_id)
        ids = [make_ready_proposal(call, user, acronym=f"P{i}").id for i in range(count)]  # type: ignore[arg-type]
        db.session.commit()
        return ids


def test_two_requests_either_side_of_17h_get_different_answers(app: Any, setup: Rush) -> None:
    call_id, user_id = setup.call_id, setup.user_id
    [proposal_id] = _ready(app, call_id, user_id, 1)
    early, late = _run(app, [
        _submit_at(proposal_id, user_id, DEADLINE - timedelta(milliseconds=100)),
        _submit_at(proposal_id, user_id, DEADLINE + timedelta(milliseconds=100)),
    ])
    assert early == 1
    assert isinstance(late, DeadlinePassed)
    with app.app_context():
        assert db.session.scalars(sa.select(Submission.version)).all() == [1]
        assert db.session.get(Proposal, proposal_id).status is ProposalStatus.SUBMITTED
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "proposal.submitted")) == 1


def test_a_burst_around_the_deadline_accepts_exactly_the_early_ones(app: Any, setup: Rush) -> None:
    call_id, user_id = setup.call_id, setup.user_id
    offsets_ms = [-300, -200, -100, -1, 0, 1, 100, 200]
    ids = _ready(app, call_id, user_id, len(offsets_ms))
    results = _run(app, [_submit_at(pid, user_id, DEADLINE + timedelta(milliseconds=ms))
                         for pid, ms in zip(ids, offsets_ms, strict=True)])
    accepted = {pid for pid, result in zip(ids, results, strict=True) if result == 1}
    refused = {pid for pid, result in zip(ids, results, strict=True) if isinstance(result, DeadlinePassed)}
    assert accepted == set(ids[:4])
    assert refused == set(ids[4:])
    with app.app_context():
        stored = dict(db.session.execute(sa.select(Submission.proposal_id, Submission.submitted_at)).all())
        assert set(stored) == accepted
        assert all(moment < DEADLINE for moment in stored.values())
        statuses = dict(db.session.execute(sa.select(Proposal.id, Proposal.status)).all())
        assert {pid for pid, status in statuses.items() if status is ProposalStatus.SUBMITTED} == accepted


def test_concurrent_resubmissions_get_consecutive_versions(app: Any, setup: Rush) -> None:
    call_id, user_id = setup.call_id, setup.user_id
    [proposal_id] = _ready(app, call_id, user_id, 1)
    results = _run(app, [_submit_at(proposal_id, user_id, DEADLINE - timedelta(seconds=10 - i)) for i in range(6)])
    assert sorted(results) == [1, 2, 3, 4, 5, 6]
    with app.app_context():
        receipts = db.session.scalars(sa.select(Submission.receipt_number)).all()
        assert len(set(receipts)) == 6


def test_two_saves_on_the_same_version_one_wins_one_is_told(app: Any, setup: Rush) -> None:
    call_id, user_id = setup.call_id, setup.user_id
    [proposal_id] = _ready(app, call_id, user_id, 1)
    with app.app_context():
        base = db.session.get(Proposal, proposal_id).edit_version  # type: ignore[union-attr]

    def save(title: str) -> Callable[[], Any]:
        def job() -> Any:
            proposal = db.session.get(Proposal, proposal_id)
            save_proposal(proposal, actor=db.session.get(User, user_id), base_version=base,  # type: ignore[arg-type]
                          changes=typed({"title": title}))
            db.session.commit()
            return title

        return job

    results = _run(app, [save("Tab one"), save("Tab two")])
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1
    assert sum(isinstance(r, EditConflict) for r in results) == 1
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert (proposal.title, proposal.edit_version) == (winners[0], base + 1)  # type: ignore[union-attr]


def test_concurrent_drafts_get_distinct_numbers(app: Any, setup: Rush) -> None:
    call_id, user_id = setup.call_id, setup.user_id

    def create() -> Any:
        from app.models import Call

        proposal = create_proposal(db.session.get(Call, call_id), actor=db.session.get(User, user_id))  # type: ignore[arg-type]
        db.session.commit()
        return proposal.number

    results = _run(app, [create for _ in range(6)])
    assert sorted(results) == [1, 2, 3, 4, 5, 6]


def test_a_snapshot_never_mixes_a_concurrent_save(app: Any, setup: Rush) -> None:
    """Saves and submissions race on one proposal: each frozen version is exactly one saved state."""
    import json

    call_id, user_id = setup.call_id, setup.user_id
    [proposal_id] = _ready(app, call_id, user_id, 1)

    def saver() -> Any:
        _local.now = DEADLINE - timedelta(minutes=1)
        for _ in range(8):
            proposal = db.session.get(Proposal, proposal_id)
            db.session.refresh(proposal)  # type: ignore[arg-type]
            version = proposal.edit_version  # type: ignore[union-attr]
            partners = [p for p in proposal.partners if not p.is_coordinator]  # type: ignore[union-attr]
            from app.inputs import PartnerInput

            save_proposal(proposal, actor=db.session.get(User, user_id), base_version=version,  # type: ignore[arg-type]
                          changes=typed({"title": f"state {version + 1}", "partners": [
                              PartnerInput(f"{p.name.split(' @')[0]} @{version + 1}", p.country, p.organisation_type,
                                           p.contact_email, p.requested_amount) for p in partners]}))
            db.session.commit()
        return "saved"

    def submitter() -> Any:
        _local.now = DEADLINE - timedelta(minutes=1)
        for _ in range(8):
            submit_proposal(db.session.get(Proposal, proposal_id), actor=db.session.get(User, user_id))  # type: ignore[arg-type]
            db.session.commit()
        return "submitted"

    assert _run(app, [saver, submitter]) == ["saved", "submitted"]
    with app.app_context():
        submissions = db.session.scalars(sa.select(Submission).order_by(Submission.version)).all()
        assert [s.version for s in submissions] == list(range(1, 9))
        for submission in submissions:
            content = json.loads(submission.snapshot)["proposal"]
            if content["title"].startswith("state "):
                state = content["title"].removeprefix("state ")
                assert state == str(submission.edit_version)
                assert all(p["name"].endswith(f"@{state}") for p in content["partners"] if not p["coordinator"])
