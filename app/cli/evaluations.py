"""`flask --app wsgi evaluations remind`: remind evaluators of their reports before the evaluation deadline (for
cron, daily: a reminder is sent once per assignment and deadline, so running it again sends nothing new)."""

from __future__ import annotations

import json

import click
from flask import Flask

from app.cli.job_runs import run_to_end
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
        result = run_to_end(start_reminders(days=days).id, what="reminder run")
        click.echo(f"Reminders sent to {result.get('evaluators', 0)} evaluator(s) for "
                   f"{result.get('assignments', 0)} assignment(s); {result.get('failed', 0)} could not be sent.")
        click.echo(json.dumps(result, indent=2, sort_keys=True))
