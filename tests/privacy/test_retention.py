"""Retention that runs by itself: the job applies the map's rules to what has expired (the clock is moved, never
slept on), writes what it did to the audit trail, and a dry run shows what the next run would erase."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from app.enums import Decision, ErasureKind, JobStatus, ProposalStatus
from app.extensions import db
from app.models import (
    AuditEvent,
    Document,
    EmailChange,
    Erasure,
    IndividualScore,
    Job,
    LoginAttempt,
    OutboxMessage,
    Partner,
    PoolMember,
    Proposal,
    Submission,
    User,
)
from app.privacy.register import read_register
from app.queries.receipts import submission_integrity
from app.queries.retention import proposal_expiry, retention_plan
from app.storage import get_storage
from tests.conftest import PASSWORD


def _decided_at(app: Any, people: SimpleNamespace) -> Any:
    with app.app_context():
        return db.session.get(Proposal, people.proposal_id).decided_at


def _plan_references(app: Any, at: Any) -> tuple[list[str], list[str]]:
    with app.app_context():
        plan = retention_plan(at, app.config)
        return [p.reference for p, _ in plan.proposals], [p.reference for p in plan.drafts]


def test_a_proposal_not_funded_expires_exactly_when_its_redress_period_plus_five_years_ends(app, people) -> None:  # type: ignore[no-untyped-def]
    until = _decided_at(app, people) + timedelta(days=30) + relativedelta(years=5)
    assert _plan_references(app, until - timedelta(seconds=1))[0] == []
    assert _plan_references(app, until)[0] == [people.reference]


def test_a_draft_expires_ninety_days_after_its_deadline(app, people) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        deadline = db.session.get(Proposal, people.draft_id).effective_deadline
    assert _plan_references(app, deadline + timedelta(days=90) - timedelta(seconds=1))[1] == []
    assert _plan_references(app, deadline + timedelta(days=90))[1] == [people.draft_reference]


def test_the_periods_are_settings(app, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "RETENTION_UNSUCCESSFUL_YEARS", 10)
    until = _decided_at(app, people) + timedelta(days=30) + relativedelta(years=5)
    assert _plan_references(app, until)[0] == []


@pytest.mark.parametrize(("decision", "duration", "rule", "years_after_decision"), [
    (Decision.SELECTED, 36, "funded", relativedelta(months=36, years=5)),
    (Decision.RESERVE, 36, "unsuccessful", relativedelta(days=30, years=5)),
    (Decision.INELIGIBLE, 36, "unsuccessful", relativedelta(days=30, years=5)),
    (None, 36, "unsuccessful", None),
])
def test_each_outcome_has_its_rule(app, people, decision, duration, rule, years_after_decision) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        proposal = db.session.get(Proposal, people.proposal_id)
        proposal.decision, proposal.duration_months = decision, duration
        expiry = proposal_expiry(proposal, app.config)
        assert expiry.rule.key == rule
        expected = None if years_after_decision is None else proposal.decided_at + years_after_decision
        assert expiry.until == expected
        db.session.rollback()


def test_a_withdrawn_proposal_runs_from_its_withdrawal(app, people) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        proposal = db.session.get(Proposal, people.proposal_id)
        proposal.decision, proposal.status = None, ProposalStatus.WITHDRAWN
        proposal.withdrawn_at = proposal.call.deadline - timedelta(hours=1)
        expiry = proposal_expiry(proposal, app.config)
        assert expiry.until == proposal.withdrawn_at + timedelta(days=30) + relativedelta(years=5)
        db.session.rollback()


def _snapshot(app: Any, people: SimpleNamespace) -> Submission:
    with app.app_context():
        submission = db.session.scalar(sa.select(Submission).where(Submission.proposal_id == people.proposal_id))
        db.session.expunge(submission)
        return submission


def test_the_retention_job_erases_a_call_whose_periods_expired(app, people, as_person, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    officer = as_person(people.officer)  # logs in now: the officer's account is not inactive anyway (staff)
    as_person(people.alice).get("/account/")
    until = _decided_at(app, people) + timedelta(days=30) + relativedelta(years=5)
    frozen_clock.move(seconds=(until - frozen_clock.now()).total_seconds() + 1)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"erase the personal content of {people.reference} (GREENMOVE): rule unsuccessful" in dry.output
    assert f"delete draft {people.draft_reference} (SOLODRAFT)" in dry.output
    assert "erase the evaluators' declarations of DATA-CALL" in dry.output
    assert f"pseudonymise account {people.alice}" in dry.output
    assert "login attempts older than the short-lived rule" in dry.output
    assert _snapshot(app, people).snapshot != ""  # a dry run changes nothing
    with app.app_context():
        assert db.session.scalars(sa.select(Erasure)).all() == []

    run = runner.invoke(args=["privacy", "retention"])
    assert run.exit_code == 0, run.output
    assert "Retention applied" in run.output
    with app.app_context():
        job = db.session.scalars(sa.select(Job).where(Job.kind == "personal_data.retention")).one()
        assert job.status is JobStatus.SUCCEEDED
        proposal = db.session.get(Proposal, people.proposal_id)
        # What stays: the record, its reference, title, decision, scores, hashes and receipt number.
        assert (proposal.reference, proposal.title, proposal.decision) == (people.reference, "Proposal 2",
                                                                         Decision.REJECTED)
        assert proposal.abstract == ""
        assert [p.contact_email for p in db.session.scalars(sa.select(Partner).where(
            Partner.proposal_id == proposal.id))] == ["", "", ""]
        assert db.session.scalars(sa.select(Document).where(Document.proposal_id == proposal.id)).all() == []
        assert not get_storage().exists(people.annex_sha)
        assert not get_storage().exists(people.letter_sha)
        assert {s.comment for s in db.session.scalars(sa.select(IndividualScore))} == {""}
        assert {s.score is not None for s in db.session.scalars(sa.select(IndividualScore))} == {True}
        message = db.session.scalars(sa.select(OutboxMessage)).one()
        assert (message.recipients, message.body) == ([], "")
        assert {m.organisation_name for m in db.session.scalars(sa.select(PoolMember))} == {""}
        assert db.session.get(Proposal, people.draft_id) is None
        assert db.session.get(User, people.alice).full_name.startswith("Person ")
        assert db.session.scalars(sa.select(LoginAttempt)).all() == []
        entries = {(e.kind, e.label, e.rule) for e in db.session.scalars(sa.select(Erasure))}
        assert (ErasureKind.PROPOSAL, people.reference, "unsuccessful") in entries
        assert (ErasureKind.DRAFT, people.draft_reference, "draft") in entries
        assert (ErasureKind.EVALUATORS, "DATA-CALL", "evaluator") in entries
        applied = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "retention.applied")).one()
        assert applied.actor_id is None
        assert applied.data["proposals_erased"] == [people.reference]
        assert applied.data["drafts_deleted"] == [people.draft_reference]
        submission = db.session.scalar(sa.select(Submission).where(Submission.proposal_id == people.proposal_id))
        integrity = submission_integrity(submission)
        assert (integrity.state, integrity.rule, integrity.erased_at) == ("erased", "Proposal not funded",
                                                                          frozen_clock.now())
        assert submission.sha256
        assert submission.receipt_number
    assert {(e["kind"], e["subject_id"]) for e in read_register(_register(app))} >= {
        ("proposal", people.proposal_id), ("draft", people.draft_id)}

    # The receipt verifies as erased, not as tampered; its PDF, snapshot and the letter are gone (410).
    officer = as_person(people.officer)  # the session started years ago has expired: log in again
    receipt = officer.get(f"/manage/proposals/{people.proposal_id}/submissions/1").get_data(as_text=True)
    assert "Content erased on" in receipt
    assert "under the rule “Proposal not funded”" in receipt
    assert "does not match" not in receipt
    assert submission.sha256 in receipt
    assert officer.get(f"/manage/proposals/{people.proposal_id}/submissions/1/receipt.pdf").status_code == 410
    assert officer.get(f"/manage/proposals/{people.proposal_id}/submissions/1/snapshot.json").status_code == 410
    with app.app_context():
        token = _token(app, people.officer)
    api = app.test_client().get(f"/api/v1/proposals/{people.proposal_id}/submissions/1",
                                headers={"Authorization": f"Bearer {token}"})
    assert api.json["integrity"] == {"state": "erased", "rule": "Proposal not funded",
                                     "erased_at": api.json["integrity"]["erased_at"]}
    letter = app.test_client().get(f"/api/v1/proposals/{people.proposal_id}/letter.pdf",
                                   headers={"Authorization": f"Bearer {token}"})
    assert letter.status_code == 410
    assert letter.json["error"]["code"] == "content_erased"
    verify = app.test_client().get(f"/verify/{people.verification_code}").get_data(as_text=True)
    assert "The letter's content was erased on" in verify

    again = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert "nothing to erase" in again.output


def _register(app: Any) -> Any:
    from pathlib import Path

    return Path(app.config["ERASURE_REGISTER"])


def _token(app: Any, user_id: int) -> str:
    from app.services.accounts import issue_token

    token = issue_token(db.session.get(User, user_id), label="test")  # type: ignore[arg-type]
    db.session.commit()
    return token


def test_a_snapshot_changed_without_an_erasure_is_still_tampered(app, people) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.execute(sa.update(Submission.__table__).where(Submission.__table__.c.proposal_id
                                                                 == people.proposal_id).values(snapshot=""))
        submission = db.session.scalar(sa.select(Submission).where(Submission.proposal_id == people.proposal_id))
        assert submission_integrity(submission).state == "tampered"


def test_the_pseudonymised_trail_still_tells_the_whole_story_after_a_run(app, people, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    def story() -> list[tuple[int, int | None, str]]:
        with app.app_context():
            events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
            return [(e.id, e.actor_id, e.action) for e in events]

    before = story()
    frozen_clock.move(days=365 * 6)
    assert app.test_cli_runner().invoke(args=["privacy", "retention"]).exit_code == 0
    after = story()
    with app.app_context():
        assert after[:len(before)] == before
        trail = json.dumps([e.data for e in db.session.scalars(sa.select(AuditEvent))])
        for gone in ("alice@baltic.example", "bob@baltic.example", "dora@solo.example", "eve@experts.example"):
            assert gone not in trail
        accounts = {u.id: u.full_name for u in db.session.scalars(sa.select(User))}
        assert accounts[people.officer] == "Olivia Officer"  # staff accounts are the administrators' to manage
        assert all(accounts[uid].startswith("Person ") for uid in (people.alice, people.bob, people.eve, people.dora))


def test_short_lived_rows_go_after_thirty_days_and_recent_ones_stay(app, people, as_person, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    as_person(people.alice)  # a log-in attempt now
    with app.app_context():
        db.session.add(EmailChange(user_id=people.bob, new_email="bob.new@baltic.example",
                                   requested_at=frozen_clock.now(), expires_at=frozen_clock.now() + timedelta(days=1)))
        db.session.commit()
    frozen_clock.move(days=30, seconds=1)
    as_person(people.bob)  # another, recent
    assert app.test_cli_runner().invoke(args=["privacy", "retention"]).exit_code == 0
    with app.app_context():
        attempts = db.session.scalars(sa.select(LoginAttempt)).all()
        assert len(attempts) == 1
        assert db.session.scalars(sa.select(EmailChange)).all() == []


def test_logging_in_keeps_an_account(app, people, as_person, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    frozen_clock.move(days=365 * 3 - 1)
    app.test_client().post("/auth/login", data={"email": "finn@experts.example", "password": PASSWORD})
    frozen_clock.move(days=2)
    with app.app_context():
        accounts = retention_plan(frozen_clock.now(), app.config).accounts
        assert people.finn not in [u.id for u in accounts]
        assert people.eve in [u.id for u in accounts]
