"""`flask --app wsgi privacy ...`: the record of processing as a table, and the retention job (for cron)."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app

from app.cli.job_runs import run_to_end
from app.clock import utcnow
from app.privacy.summary import markdown_table
from app.queries.retention import retention_plan
from app.services.retention import start_retention_run


def register_privacy_cli(app: Flask) -> None:
    @app.cli.group()
    def privacy() -> None:
        """Personal data: the record of processing and the retention rules."""

    @privacy.command("map")
    def show_map() -> None:
        """Print the record of processing's summary (Markdown), with the configured retention periods."""
        click.echo(markdown_table(current_app.config))

    @privacy.command("retention")
    @click.option("--dry-run", is_flag=True, help="Print what the run would erase, and erase nothing.")
    def retention(dry_run: bool) -> None:
        """Apply the retention rules: erase what has expired (through the job queue; run it daily from cron)."""
        if dry_run:
            plan = retention_plan(utcnow(), current_app.config)
            lines = plan.lines()
            click.echo(f"Retention at {plan.now:%Y-%m-%d %H:%M} UTC, dry run: "
                       f"{'nothing to erase' if not lines else f'{len(lines)} items would be erased'}.")
            for line in lines:
                click.echo(f"  {line}")
            return
        result = run_to_end(start_retention_run().id, what="retention run")
        click.echo("Retention applied (also in the audit trail as retention.applied):")
        click.echo(json.dumps(result, indent=2, sort_keys=True))
