"""The freeze of a submitted version: one canonical snapshot, its SHA-256, and a receipt number checkable by eye."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from app.clock import utcnow
from app.enums import Role
from app.extensions import db
from app.models import Proposal, Submission, User
from app.queries.receipts import canonical_json, sha256_text, verify_submission
from app.services.proposals import grant_extension, submit_proposal
from app.services.receipts import SNAPSHOT_FORMAT, freeze_submission
from tests.factories import make_open_call, make_ready_proposal


@pytest.fixture
def applicant(app_ctx: None, make_user: Callable[..., User]) -> User:
    user = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT", full_name="Lukas")
    return db.session.get(User, user.id)  # type: ignore[return-value]


@pytest.fixture
def proposal(applicant: User) -> Proposal:
    made = make_ready_proposal(make_open_call(), applicant)
    db.session.commit()
    return made


def test_a_version_is_frozen_as_canonical_json_with_its_hash_and_receipt(applicant: User, proposal: Proposal) -> None:
    moment = utcnow()
    submission = freeze_submission(proposal, version=3, submitted_at=moment, submitted_by=applicant)
    data = json.loads(submission.snapshot)
    assert canonical_json(data) == submission.snapshot
    assert submission.sha256 == sha256_text(submission.snapshot)
    assert submission.receipt_number == f"EG-{proposal.reference}-v3-{submission.sha256[:8].upper()}"
    assert (submission.version, submission.submitted_at, submission.edit_version) == (3, moment,
                                                                                      proposal.edit_version)
    assert data["format"] == SNAPSHOT_FORMAT
    assert data["call"]["code"] == proposal.call.code
    assert data["submitted_by"] == {"name": "Lukas", "email": applicant.email}
    assert data["proposal"]["reference"] == proposal.reference
    assert data["extension"] is None
    assert submission not in db.session  # the caller adds it once its checks are done


def test_the_snapshot_names_an_extension_only_while_it_gives_more_time(applicant: User, proposal: Proposal,
                                                                         make_user: Callable[..., User]) -> None:
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    later = proposal.call.deadline + timedelta(hours=2)
    grant_extension(proposal, actor=officer, deadline=later,  # type: ignore[arg-type]
                    reason="Portal outage reported at 16:40 by the coordinator.")
    data = json.loads(freeze_submission(proposal, version=1, submitted_at=utcnow(), submitted_by=applicant).snapshot)
    assert data["extension"]["reason"].startswith("Portal outage")
    assert data["deadline"] == later.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    proposal.call.deadline = later + timedelta(hours=1)  # the call's own deadline is later now
    data = json.loads(freeze_submission(proposal, version=1, submitted_at=utcnow(), submitted_by=applicant).snapshot)
    assert data["extension"] is None


def test_a_submitted_version_cannot_be_changed(applicant: User, proposal: Proposal) -> None:
    from app.models.proposal import SubmissionIsImmutable

    submission = submit_proposal(proposal, actor=applicant)
    db.session.commit()
    submission.snapshot = submission.snapshot.replace("READY", "FORGED")
    with pytest.raises(SubmissionIsImmutable):
        db.session.commit()
    db.session.rollback()
    assert verify_submission(db.session.get(Submission, submission.id))  # type: ignore[arg-type]
