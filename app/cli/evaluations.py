"""`flask --app wsgi evaluations remind`: remind evaluators of their reports before the evaluation deadline (for
cron, daily: a reminder is sent once per assignment and deadline, so running it again sends nothing new)."""

from __future__ import annotations

import json

import click
from flask import Flask

from app import jobs
from app.enums import JobStatus
from app.extensions import db
from app.models import Job
from app.services.evaluator_mail import DEFAULT_REMINDER_DAYS, start_reminders


def register_evaluations_cli(app: Flask) -> None:
    @app.cli.group()
    def evaluations() -> None:
        """Evaluation: the evaluators' reminders."""

    @evaluations.command("remind")
    @click.option("--days", type=click.IntRange(1, 60), default=DEFAULT_REMINDER_DAYS, show_default=True,
                  help="Remind when the evaluation deadline is at most this many days away.")
    def remind(days: int) -> None:
        """E-mail evaluators whose reports are not submitted as the evaluation deadline nears (through the job
        queue; run it daily from cron)."""
        job_id = start_reminders(days=days).id
        db.session.commit()  # dispatches the job (to the local pool, or to a Celery worker)
        try:
            jobs.wait_for([job_id])
        finally:
            jobs.shutdown()
        job = db.session.get(Job, job_id)
        assert job is not None  # noqa: S101 - just created
        if job.status is JobStatus.FAILED:
            raise click.ClickException(f"The reminder run failed: {job.error}")
        result = {key: value for key, value in (job.result or {}).items() if key not in ("pid", "worker")}
        click.echo(f"Reminders sent to {result.get('evaluators', 0)} evaluator(s) for "
                   f"{result.get('assignments', 0)} assignment(s); {result.get('failed', 0)} could not be sent.")
        click.echo(json.dumps(result, indent=2, sort_keys=True))
