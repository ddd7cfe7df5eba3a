"""Submitted versions as their snapshots say: receipts, the check of their hash, and changes since submitting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.inputs import ProposalChanges
from app.models import Proposal, Submission, User
from app.queries.receipts import (
    find_submission,
    has_unsubmitted_changes,
    money_text,
    parse_time,
    receipt_context,
    receipt_filename,
    time_text,
    verify_submission,
)
from app.services.errors import NotFound
from app.services.proposals import save_proposal, submit_proposal
from tests.factories import make_open_call, make_ready_proposal


@pytest.fixture
def submitted(app_ctx: None, make_user: Callable[..., User]) -> Proposal:
    """A proposal submitted once (version 1)."""
    user = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    proposal = make_ready_proposal(make_open_call(), user)  # type: ignore[arg-type]
    submit_proposal(proposal, actor=user)  # type: ignore[arg-type]
    db.session.commit()
    return proposal


def _save_title(proposal: Proposal, title: str) -> None:
    save_proposal(proposal, actor=proposal.created_by, base_version=proposal.edit_version,
                  changes=ProposalChanges(title=title))


def test_changes_since_the_last_submission_are_noticed_until_resubmitted(submitted: Proposal) -> None:
    assert not has_unsubmitted_changes(submitted)
    title = submitted.title
    _save_title(submitted, "A better title")
    assert has_unsubmitted_changes(submitted)
    _save_title(submitted, title)
    assert not has_unsubmitted_changes(submitted)  # back to what was submitted: nothing to resubmit
    _save_title(submitted, "A better title")
    submit_proposal(submitted, actor=submitted.created_by)
    assert not has_unsubmitted_changes(submitted)


def test_a_draft_never_submitted_has_nothing_to_resubmit(app_ctx: None, make_user: Callable[..., User]) -> None:
    user = db.session.get(User, make_user(Role.APPLICANT).id)
    assert not has_unsubmitted_changes(make_ready_proposal(make_open_call(), user))  # type: ignore[arg-type]


def test_a_receipt_shows_the_snapshot_never_the_live_proposal(submitted: Proposal) -> None:
    submission, title = find_submission(submitted, 1), submitted.title
    _save_title(submitted, "Changed after submitting")
    context = receipt_context(submission)
    assert context["content"]["title"] == title
    assert context["submitted_at"] == submission.submitted_at
    assert context["deadline"] == submitted.call.deadline
    assert context["money"]("900000.00") == Decimal("900000.00")
    assert context["money"](None) is None
    assert receipt_filename(submission) == f"receipt-{submission.receipt_number}.pdf"
    with pytest.raises(NotFound, match="no submitted version 2"):
        find_submission(submitted, 2)


def test_a_snapshot_whose_text_no_longer_matches_its_hash_is_not_verified(submitted: Proposal) -> None:
    submission = find_submission(submitted, 1)
    assert verify_submission(submission)
    # Behind the application's back (the ORM refuses to change a submitted version).
    db.session.execute(sa.update(Submission).where(Submission.id == submission.id)
                       .values(snapshot=submission.snapshot.replace(submitted.title, "A forged title")))
    db.session.expire_all()
    assert not verify_submission(db.session.get(Submission, submission.id))  # type: ignore[arg-type]


def test_times_and_money_have_one_spelling_each() -> None:
    moment = datetime(2021, 12, 7, 16, 59, 59, 900_000, tzinfo=timezone(timedelta(hours=1)))
    assert time_text(moment) == "2021-12-07T15:59:59.900000Z"
    assert parse_time("2021-12-07T15:59:59.900000Z") == moment.astimezone(UTC)
    assert time_text(None) is None
    assert money_text(Decimal("1400000")) == "1400000.00"
    assert money_text(None) is None
