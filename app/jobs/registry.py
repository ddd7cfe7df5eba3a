"""The registry of job kinds: what background work exists, the function that does it, and who is told when it
fails for good."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.models import Job


@dataclass(frozen=True)
class JobKind:
    """One kind of background work: `run(payload)` returns a JSON-able dict; `on_give_up(job)` is told when a
    job failed for good (an exception, a crashed process, or too many deliveries) so that what it was doing
    can be reported as failed."""

    name: str
    run: Callable[[dict[str, Any]], dict[str, Any]]
    on_give_up: Callable[[Job], None] | None = None
    # Deliveries before a job that keeps dying (its worker killed each time) is given up.
    max_attempts: int = 5


@cache
def job_kinds() -> dict[str, JobKind]:
    """The registry of job kinds. Imported lazily: the services that own the work enqueue through `app.jobs`."""
    from app.services import (
        account_admin,
        accounts,
        evaluator_mail,
        letters,
        outbox,
        passwords,
        personal_data,
        registration,
        retention,
    )

    kinds = (
        JobKind("accounts.confirmation_link", registration.send_confirmation_link_job),
        JobKind("accounts.failed_logins_notice", accounts.send_failed_logins_notice_job),
        JobKind("accounts.password_reset_link", passwords.send_password_reset_link_job),
        JobKind("accounts.registration_notice", registration.send_registration_notice_job),
        JobKind("accounts.two_factor_reset_notice", account_admin.send_two_factor_reset_notice_job),
        JobKind(evaluator_mail.NOTICE_JOB, evaluator_mail.send_assignment_notices_job),
        # Reminders are idempotent (once per assignment and deadline, planned at the clock): redone by the next run.
        JobKind(evaluator_mail.REMIND_JOB, evaluator_mail.send_reminders_job),
        JobKind("letters.render", letters.render_letters_job, on_give_up=letters.letters_job_crashed),
        # A sending job that fails for good needs no clean-up: messages it never claimed stay queued.
        JobKind("outbox.send", outbox.send_messages_job),
        JobKind("personal_data.email_confirmation", personal_data.send_email_confirmation_job,
                on_give_up=personal_data.email_confirmation_job_gave_up),
        # Retention is idempotent (it plans from the database at the clock): a run given up is redone by the next.
        JobKind("personal_data.retention", retention.retention_job),
    )
    return {kind.name: kind for kind in kinds}


JOB_KIND_NAMES = ("accounts.confirmation_link", "accounts.failed_logins_notice", "accounts.password_reset_link",
                  "accounts.registration_notice", "accounts.two_factor_reset_notice", "evaluations.assignments_notice",
                  "evaluations.remind", "letters.render", "outbox.send",
                  "personal_data.email_confirmation", "personal_data.retention")
