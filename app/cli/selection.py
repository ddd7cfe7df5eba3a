"""Command-line commands of ranking and selection: `flask --app wsgi selection ...`."""

from __future__ import annotations

import json

import click
from flask import Flask

from app.extensions import db
from app.models import Call
from app.queries.access import load_run
from app.queries.calls import get_call
from app.queries.outcomes import verify_run
from app.queries.runs import list_runs
from app.queries.selection import SelectionOptions, build_selection_input
from app.seeds.selection_demo import seed_selection_demo
from app.services.errors import InvalidInput, NotFound
from scoring import canonical_json


def _call(code: str) -> Call:
    call = get_call(code)
    if call is None:
        raise click.ClickException(f"There is no call {code}.")
    return call


def register_selection_cli(app: Flask) -> None:
    @app.cli.group()
    def selection() -> None:
        """Ranking and selection: demo data, the scoring input, run verification."""

    @selection.command("demo")
    @click.argument("code", default="SMP-COSME-2021-CLUSTER-01")
    @click.option("--count", default=64, show_default=True, help="How many demo proposals the call should have.")
    def selection_demo(code: str, count: int) -> None:
        """Give a call demo proposals with approved consensus scores (idempotent)."""
        created = seed_selection_demo(_call(code), count=count)
        db.session.commit()
        click.echo(f"{code}: {created} demo proposal(s) created with approved consensus scores.")

    @selection.command("input")
    @click.argument("code")
    @click.option("--policy", type=click.Choice(["skip", "stop"]), default=None, help="Default: the call's.")
    @click.option("--reserve", type=int, default=None, help="Reserve list size. Default: the call's.")
    @click.option("--coverage/--no-coverage", default=None, help="Default: on when the call has a coverage field.")
    def selection_input(code: str, policy: str | None, reserve: int | None, coverage: bool | None) -> None:
        """Print the selection input of a call as JSON (pipe it into `python -m scoring select`)."""
        call = _call(code)
        try:
            options = SelectionOptions.from_values(call, budget_policy=policy, reserve_size=reserve,
                                                   coverage=coverage)
        except InvalidInput as error:
            raise click.ClickException(error.message) from error
        click.echo(canonical_json(build_selection_input(call, options=options)))

    @selection.command("verify")
    @click.argument("code")
    @click.argument("number", required=False, type=int)
    def selection_verify(code: str, number: int | None) -> None:
        """Re-run stored runs from their stored input and compare the output byte for byte (all runs by default)."""
        call = _call(code)
        try:
            runs = [load_run(call, number, None)] if number is not None else list(reversed(list_runs(call)))
        except NotFound as error:
            raise click.ClickException(error.message) from error
        failed = 0
        for run in runs:
            run = load_run(call, run.number, None)  # with its input and output
            ok = verify_run(run)
            failed += not ok
            summary = json.dumps(run.summary.get("selected"))
            click.echo(f"run {run.number}: {'reproduced' if ok else 'DIFFERS'} (output {run.output_sha256[:16]}…, "
                       f"{summary} selected, {run.status.value})")
        if not runs:
            click.echo(f"{code} has no selection run.")
        if failed:
            raise click.ClickException(f"{failed} run(s) could not be reproduced from their stored input.")
