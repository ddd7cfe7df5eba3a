"""Evaluators' e-mails: a notice when assignments are published, a reminder before the evaluation deadline (once per
assignment and deadline, only for reports not submitted, through the job queue)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.enums import ConflictDeclaration, JobStatus
from app.extensions import db
from app.models import Assignment, AuditEvent, Call, Job
from app.services import assignment as assigning
from app.services.evaluator_mail import send_reminders, start_reminders
from tests.evaluation_support import pool_call, user
from tests.factories import make_evaluation_setup, make_report

pytestmark = pytest.mark.usefixtures("app_ctx")


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_publishing_tells_each_evaluator_their_proposals(mailbox) -> None:
    pool = pool_call(1, 3)
    s, call = pool.world, pool.call
    assigning.fill_gaps(call, actor=user(s.officer_id))
    published = assigning.publish_assignments(call, actor=user(s.officer_id),
                                              evaluation_deadline=call.deadline + timedelta(days=10_000))
    assert mailbox.messages == []  # the job goes once the publishing commits
    db.session.commit()
    evaluators = {a.evaluator.email for a in published}
    assert {recipients[0] for recipients, _, _ in mailbox.messages} == evaluators
    subject, body = mailbox.to(sorted(evaluators)[0])[0]
    assert subject == f"[{call.code}] Proposals to evaluate"
    assert s.references[0] in body
    assert "/review/" in body
    assert len(_events("evaluation.assignments_notice_sent")) == len(evaluators)


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """Two proposals, three evaluators with two published assignments each: evaluator 1 submitted one report,
    evaluator 3 declared a conflict on one."""
    s = make_evaluation_setup(code="REMIND", proposals=2, evaluators=3)
    first, conflicted = (db.session.scalars(sa.select(Assignment).where(Assignment.evaluator_id == e)
                                            .order_by(Assignment.id)).first() for e in (s.evaluator_ids[0],
                                                                                       s.evaluator_ids[2]))
    make_report(first, {"relevance": "4", "quality": "4", "impact": "4"})
    conflicted.conflict = ConflictDeclaration.CONFLICT
    db.session.commit()
    return s


def test_a_reminder_goes_once_per_assignment_and_deadline(world, mailbox, evaluation_clock) -> None:
    call = db.session.get(Call, world.call_id)
    deadline = call.evaluation_deadline
    evaluation_clock[0] = deadline - timedelta(days=5)
    assert send_reminders(days=3)["evaluators"] == 0
    evaluation_clock[0] = deadline - timedelta(days=2)
    result = send_reminders(days=3)
    assert (result["evaluators"], result["assignments"], result["failed"]) == (3, 4, 0)
    one, two, three = (mailbox.to(email) for email in world.evaluator_emails)
    assert (len(one), len(two), len(three)) == (1, 1, 1)
    subject, body = two[0]
    assert subject.startswith("[REMIND] Reminder: evaluations due")
    assert world.references[0] in body
    assert world.references[1] in body
    assert world.references[0] not in one[0][1] or world.references[1] not in one[0][1]  # one report submitted
    db.session.commit()
    assert send_reminders(days=3)["evaluators"] == 0  # once per assignment and deadline
    assert len(mailbox.messages) == 3
    call.evaluation_deadline = deadline + timedelta(days=10)  # a new deadline: reminded again
    evaluation_clock[0] = call.evaluation_deadline - timedelta(days=1)
    db.session.commit()
    assert send_reminders(days=3)["assignments"] == 4
    evaluation_clock[0] = call.evaluation_deadline + timedelta(minutes=1)
    assert send_reminders(days=3)["evaluators"] == 0  # past the deadline: nothing
    assert len(_events("evaluation.reminder_sent")) == 8


def test_submitted_reports_and_conflicts_are_not_reminded(world, mailbox, evaluation_clock) -> None:
    second = world.evaluator_ids[1]
    for assignment in db.session.scalars(sa.select(Assignment).where(Assignment.evaluator_id == second)):
        make_report(assignment, {"relevance": "4", "quality": "4", "impact": "4"})
    db.session.commit()
    evaluation_clock[0] = db.session.get(Call, world.call_id).evaluation_deadline - timedelta(days=1)
    send_reminders(days=3)
    assert mailbox.to(world.evaluator_emails[1]) == []
    reminded = {int(e.object_id) for e in _events("evaluation.reminder_sent")}
    conflicted = db.session.scalars(sa.select(Assignment.id).where(
        Assignment.conflict == ConflictDeclaration.CONFLICT)).all()
    assert not reminded & set(conflicted)


def test_a_reminder_that_could_not_be_sent_is_tried_again(world, evaluation_clock) -> None:
    evaluation_clock[0] = db.session.get(Call, world.call_id).evaluation_deadline - timedelta(days=1)
    result = send_reminders(days=3)  # no SMTP server configured
    assert (result["evaluators"], result["failed"]) == (0, 3)
    assert "No SMTP server" in result["errors"][0]
    assert _events("evaluation.reminder_sent") == []


def test_the_reminder_runs_as_a_job(world, mailbox, evaluation_clock) -> None:
    evaluation_clock[0] = db.session.get(Call, world.call_id).evaluation_deadline - timedelta(days=1)
    job_id = start_reminders(days=3).id
    db.session.commit()  # inline in the tests
    job = db.session.get(Job, job_id)
    assert job.kind == "evaluations.remind"
    assert job.status is JobStatus.SUCCEEDED
    assert job.result["assignments"] == 4
    assert len(mailbox.messages) == 3
