"""`flask --app wsgi letters ...`: generate a run's letters with a progress bar, list them, send the outbox."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask

from app import jobs
from app.extensions import db
from app.letter_files import letters_zip
from app.models import Call, LetterBatch, SelectionRun
from app.queries.calls import get_call
from app.queries.letters import run_letters
from app.queries.outbox import call_messages, outbox_counts
from app.services import letters as letter_service
from app.services import outbox as outbox_service
from app.services.errors import DomainError


def _follow(batch_id: int, total: int, skipped: int, *, label: str) -> LetterBatch:
    """Show a batch's progress until it finishes (a bar on a terminal, a line per step in a log); the batch."""
    interactive = sys.stdout.isatty()
    with click.progressbar(length=total, label=label, show_pos=True, show_percent=True) as bar:
        bar.update(skipped)
        seen = skipped
        while True:
            db.session.expire_all()
            current = db.session.get(LetterBatch, batch_id)
            assert current is not None  # noqa: S101 - just created
            if current.processed != seen and not interactive:
                click.echo(f"  {current.processed}/{total} letters")
            bar.update(current.processed - seen)
            seen = current.processed
            if current.is_finished:
                return current
            time.sleep(0.2)


def _load_run(run_id: int) -> SelectionRun:
    run = db.session.get(SelectionRun, run_id)
    if run is None:
        raise click.ClickException(f"There is no selection run {run_id}.")
    return run


def _echo_batch(finished: LetterBatch) -> None:
    """A finished batch's counts, and each letter that failed (on standard error)."""
    click.echo(f"{finished.status.label}: {finished.done} rendered, {finished.skipped} already there, "
               f"{finished.failed} failed, of {finished.total}.")
    for failure in finished.errors:
        click.echo(f"  failed: {failure['proposal']}: {failure['message']}", err=True)


def _echo_sending(call: Call, *, queued: int) -> None:
    """The call's outbox after a sending, and each message that failed (on standard error)."""
    counts = outbox_counts(call_messages(call))
    click.echo(f"{queued} queued for sending: {counts['sent']} sent, {counts['failed']} failed, "
               f"{counts['sending']} still sending, {counts['queued']} not sent.")
    for message in call_messages(call):
        if message.status.value == "failed":
            click.echo(f"  {message.letter.reference}: {message.error}", err=True)


def register_letters_cli(app: Flask) -> None:
    @app.cli.group()
    def letters() -> None:
        """Decision letters of finalised selection runs, and their notification e-mails."""

    @letters.command("generate")
    @click.option("--run", "run_id", type=int, required=True, help="The finalised selection run's id.")
    @click.option("--zip", "zip_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write every letter of the run into this ZIP file.")
    def generate(run_id: int, zip_path: Path | None) -> None:
        """Render every letter of a run on the process pool (both cores), with a progress bar. Safe to re-run."""
        run = _load_run(run_id)
        try:
            batch = letter_service.start_letter_batch(run, actor=None)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        batch_id, total, skipped = batch.id, batch.total, batch.skipped
        db.session.commit()  # dispatches the jobs to the pool
        try:
            finished = _follow(batch_id, total, skipped, label=f"{run.call.code} run {run.number}")
        finally:
            jobs.shutdown()
        _echo_batch(finished)
        if zip_path is not None:
            zip_path.write_bytes(letters_zip(run))
            click.echo(f"ZIP written to {zip_path}")
        if finished.failed:
            raise SystemExit(1)

    @letters.command("list")
    @click.option("--run", "run_id", type=int, required=True)
    def list_letters(run_id: int) -> None:
        """One line per letter: reference, kind, verification code, SHA-256, published or not."""
        run = _load_run(run_id)
        for letter in run_letters(run):
            state = "published" if letter.is_published else "not published"
            click.echo(f"{letter.reference}\t{letter.kind.value}\t{letter.verification_code}\t{letter.sha256}\t{state}")

    @letters.command("send")
    @click.option("--call", "code", required=True, help="The call's code.")
    def send(code: str) -> None:
        """Send the call's queued notification e-mails (after the contradiction check)."""
        call = get_call(code)
        if call is None:
            raise click.ClickException(f"There is no call {code}.")
        try:
            report = outbox_service.send_outbox(call, actor=None)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        db.session.commit()  # dispatches the sending jobs
        try:
            jobs.wait_for(report.job_ids)
        finally:
            jobs.shutdown()
        db.session.expire_all()
        _echo_sending(call, queued=report.queued)
