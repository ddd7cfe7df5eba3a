"""Officer pages for letters: generate a run's letters (with a progress bar), download them, publish, the outbox."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.downloads import send_letter, send_letters_zip
from app.extensions import db
from app.manage import bp
from app.models import Letter, LetterBatch, SelectionRun
from app.services import letters as letter_service
from app.services import outbox as outbox_service
from app.services.calls import load_call
from app.services.errors import DomainError


def _run_or_404(run_id: int) -> SelectionRun:
    run = db.session.get(SelectionRun, run_id)
    if run is None:
        abort(404)
    return run


def _batch_or_404(batch_id: int) -> LetterBatch:
    batch = db.session.get(LetterBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.get("/calls/<code>/letters")
def call_letters(code: str) -> str:
    """The letters of a call: one section per finalised run, the letters of the chosen run."""
    call = load_call(code)
    runs = letter_service.finalised_runs(call)
    run = next((r for r in runs if str(r.id) == request.args.get("run")), runs[0] if runs else None)
    batches = {}
    if runs:
        latest = sa.select(sa.func.max(LetterBatch.id)).where(LetterBatch.run_id.in_([r.id for r in runs])) \
            .group_by(LetterBatch.run_id)
        batches = {b.run_id: b for b in db.session.scalars(sa.select(LetterBatch).where(LetterBatch.id.in_(latest)))}
    run_letters = letter_service.run_letters(run) if run else []
    expected = len(letter_service.letter_targets(run)) if run else 0
    counts = Counter(letter.kind for letter in run_letters)
    messages = outbox_service.call_messages(call)
    return render_template(
        "manage/letters_call.html", call=call, runs=runs, run=run, batches=batches, letters=run_letters,
        expected=expected, counts=counts, published=sum(1 for letter in run_letters if letter.is_published),
        outbox=outbox_service.outbox_counts(messages), kind_label=letter_service.kind_label,
    )


@bp.post("/runs/<int:run_id>/letters")
def generate_letters(run_id: int) -> Response:
    run = _run_or_404(run_id)
    try:
        batch = letter_service.start_letter_batch(run, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        running = error.details.get("batch")
        if running:
            return redirect(url_for("manage.letter_batch", batch_id=running))
        return redirect(url_for("manage.call_letters", code=run.call.code, run=run.id))
    db.session.commit()
    return redirect(url_for("manage.letter_batch", batch_id=batch.id))


@bp.get("/letter-batches/<int:batch_id>")
def letter_batch(batch_id: int) -> str:
    batch = _batch_or_404(batch_id)
    return render_template("manage/letters_batch.html", batch=batch, run=batch.run, call=batch.run.call,
                           progress=letter_service.batch_progress(batch))


@bp.get("/letter-batches/<int:batch_id>/progress")
def letter_batch_progress(batch_id: int) -> Response:
    response = jsonify(letter_service.batch_progress(_batch_or_404(batch_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/runs/<int:run_id>/letters.zip")
def letters_zip(run_id: int) -> Response:
    run = _run_or_404(run_id)
    letters = letter_service.run_letters(run)
    if not letters:
        flash("There are no letters to download yet: generate them first.", "error")
        return redirect(url_for("manage.call_letters", code=run.call.code, run=run.id))
    return send_letters_zip(run, letters)


@bp.post("/runs/<int:run_id>/letters/publish")
def publish_letters(run_id: int) -> Response:
    run = _run_or_404(run_id)
    try:
        count = letter_service.publish_letters(run, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{count} letter{'s' if count != 1 else ''} published: the applicants see them in their dashboard."
              if count else "Every letter of this run was already published.", "success")
    return redirect(url_for("manage.call_letters", code=run.call.code, run=run.id))


@bp.get("/letters/<int:letter_id>.pdf")
def letter_pdf(letter_id: int) -> Response:
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        abort(404)
    return send_letter(letter)


@bp.get("/calls/<code>/outbox")
def call_outbox(code: str) -> str:
    call = load_call(code)
    messages = outbox_service.call_messages(call)
    return render_template(
        "manage/letters_outbox.html", call=call, messages=messages,
        contradictions=outbox_service.contradictions(call, messages),
        counts=outbox_service.outbox_counts(messages), mail_configured=outbox_service.mail_configured(),
        kind_label=letter_service.kind_label,
    )


@bp.post("/calls/<code>/outbox/send")
def send_outbox(code: str) -> Response:
    call = load_call(code)
    try:
        report = outbox_service.send_outbox(call, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{report.queued} message{'s are' if report.queued != 1 else ' is'} being sent in the background; "
              "this page shows each one as sent (or failed) when its turn comes.", "success")
    return redirect(url_for("manage.call_outbox", code=call.code))


@bp.post("/calls/<code>/outbox/<int:message_id>/cancel")
def cancel_outbox_message(code: str, message_id: int) -> Response:
    call = load_call(code)
    try:
        message = outbox_service.get_message(call, message_id)
        outbox_service.cancel_message(message, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"The message about {message.letter.reference} was cancelled; it will not be sent.", "success")
    return redirect(url_for("manage.call_outbox", code=call.code))

