"""Evaluators' e-mails: a notice when their assignments are published, and a reminder before the evaluation deadline.

Both go out in background jobs (`app.jobs`), each e-mail at once through the outbox's `send_now` (as the password
reset link does: nobody reviews them). Publishing the assignments queues `evaluations.assignments_notice`; cron runs
`flask --app wsgi evaluations remind`, which queues `evaluations.remind`. A reminder is sent once per assignment
and evaluation deadline (an `evaluation.reminder_sent` audit event each, committed with the job): moving the deadline
reminds again, and a reminder that could not be sent is tried by the next run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app import jobs
from app.clock import utcnow
from app.enums import AssignmentState
from app.extensions import db
from app.formatting import format_local
from app.languages import DEFAULT_LANGUAGE, N_, supported_language
from app.models import Assignment, Call, Job
from app.queries.reminders import REMINDER_SENT, due_reminders
from app.services.audit import record_event
from app.services.mail import public_base_url, send_to_person

NOTICE_JOB = "evaluations.assignments_notice"
REMIND_JOB = "evaluations.remind"
# How long before the evaluation deadline the reminder goes (`flask evaluations remind --days`).
DEFAULT_REMINDER_DAYS = 3


def queue_assignment_notices(call: Call, assignments: list[Assignment]) -> Job | None:
    """Queue the e-mails that tell evaluators their assignments are published (dispatched when the caller
    commits). Side effect: a job row."""
    if not assignments:
        return None
    return jobs.enqueue(NOTICE_JOB, {"call_id": call.id, "assignment_ids": [a.id for a in assignments]})


def start_reminders(*, days: int = DEFAULT_REMINDER_DAYS) -> Job:
    """Queue a reminder run for the evaluation deadlines within `days` (dispatched when the caller commits)."""
    return jobs.enqueue(REMIND_JOB, {"requested_at": utcnow().isoformat(), "days": days})


def _by_evaluator(assignments: list[Assignment]) -> dict[tuple[int, int], list[Assignment]]:
    groups: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        groups[(assignment.call_id, assignment.evaluator_id)].append(assignment)
    return groups


def send_assignment_notices_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: one e-mail per evaluator listing their newly published assignments."""
    call = db.session.get(Call, int(payload["call_id"]))
    if call is None:
        return {"sent": 0, "failed": 0, "reason": "no such call"}
    assignments = list(db.session.scalars(
        sa.select(Assignment).options(joinedload(Assignment.evaluator), joinedload(Assignment.proposal))
        .where(Assignment.id.in_([int(i) for i in payload["assignment_ids"]]),
               Assignment.state == AssignmentState.PUBLISHED).order_by(Assignment.evaluator_id, Assignment.id)))
    sent, errors = 0, []
    for (_, evaluator_id), group in _by_evaluator(assignments).items():
        evaluator = group[0].evaluator
        error = send_to_person(evaluator, N_("[%(code)s] Proposals to evaluate"), "email/assignments_published.txt",
                               message_id=f"assignments-{call.id}-{evaluator_id}-{group[0].id}",
                               subject_values={"code": call.code}, call=call, assignments=group,
                               base_url=public_base_url())
        if error:
            errors.append(error)
            continue
        sent += 1
        record_event(None, "evaluation.assignments_notice_sent", object_type="user", object_id=evaluator_id,
                     call=call.code, assignments=[a.id for a in group])
    return {"sent": sent, "failed": len(errors), "errors": errors[:5]}


def send_reminders(*, days: int = DEFAULT_REMINDER_DAYS) -> dict[str, Any]:
    """Remind every evaluator with reports not submitted whose evaluation deadline is within `days`, once per
    assignment and deadline. Side effects: e-mails, an `evaluation.reminder_sent` event per assignment; flushes."""
    now = utcnow()
    due = due_reminders(now, timedelta(days=days))
    sent, reminded, errors = 0, 0, []
    for (call_id, evaluator_id), group in _by_evaluator(due).items():
        call = db.session.get(Call, call_id)
        if call is None or call.evaluation_deadline is None:  # the query's filter: never
            continue
        evaluator = group[0].evaluator
        # The subject names the deadline as the evaluator's language writes it, in the call's time zone.
        deadline = format_local(call.evaluation_deadline, call.time_zone,
                                locale=supported_language(evaluator.language) or DEFAULT_LANGUAGE)
        error = send_to_person(evaluator, N_("[%(code)s] Reminder: evaluations due %(deadline)s"),
                               "email/evaluation_reminder.txt",
                               message_id=f"reminder-{call.id}-{evaluator_id}-"
                                          f"{int(call.evaluation_deadline.timestamp())}",
                               subject_values={"code": call.code, "deadline": deadline}, call=call,
                               assignments=group, base_url=public_base_url())
        if error:
            errors.append(error)
            continue
        sent, reminded = sent + 1, reminded + len(group)
        for assignment in group:
            record_event(None, REMINDER_SENT, object_type="assignment", object_id=assignment.id, call=call.code,
                         evaluator=evaluator_id, deadline=call.evaluation_deadline.isoformat())
    db.session.flush()
    return {"evaluators": sent, "assignments": reminded, "failed": len(errors), "errors": errors[:5]}


def send_reminders_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: `send_reminders` with the run's window (idempotent: a run given up is redone by the next)."""
    return send_reminders(days=int(payload.get("days", DEFAULT_REMINDER_DAYS)))
