"""Officer pages for letters: generate a run's letters (with a progress bar), download them, publish, the outbox."""

from __future__ import annotations

from collections import Counter

from flask import flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.enums import RunStatus, letter_kind_label
from app.manage import bp
from app.models import Call, SelectionRun
from app.queries import letters as letter_queries
from app.queries import outbox as outbox_queries
from app.queries.access import (
    load_call,
    load_letter,
    load_letter_batch,
    load_outbox_message,
    load_run,
    load_run_by_id,
)
from app.queries.runs import finalised_runs
from app.services import letters as letter_service
from app.services import outbox as outbox_service
from app.services.errors import NotFound
from app.translation import gettext, ngettext
from app.web.access import current_actor
from app.web.downloads import send_letter, send_letters_zip
from app.web.transaction import command


def _run(code: str, number: int) -> SelectionRun:
    return load_run(load_call(code), number, current_actor())


def _letters_page(call: Call, run: SelectionRun | None) -> str:
    runs = finalised_runs(call)
    run_letters = letter_queries.run_letters(run) if run else []
    expected = len(letter_queries.letter_targets(run).outcomes) if run else 0
    counts = Counter(letter.kind for letter in run_letters)
    messages = outbox_queries.call_messages(call)
    return render_template(
        "manage/letters_call.html", call=call, runs=runs, run=run, batches=letter_queries.latest_batches(runs),
        letters=run_letters, expected=expected, counts=counts,
        published=sum(1 for letter in run_letters if letter.is_published),
        outbox=outbox_queries.outbox_counts(messages), kind_label=letter_kind_label,
    )


@bp.get("/calls/<code>/letters")
def call_letters(code: str) -> str | Response:
    """The letters of a call: one section per finalised run, the letters of the latest one."""
    call = load_call(code)
    if request.args.get("run", "").isdigit():  # the old link named the run by its id
        run = load_run_by_id(int(request.args["run"]), current_actor())
        if run.call_id != call.id:
            raise NotFound(f"There is no selection run {run.id} in {call.code}.")
        return redirect(url_for("manage.run_letters", code=code, number=run.number), 308)
    runs = finalised_runs(call)
    return _letters_page(call, runs[0] if runs else None)


@bp.get("/calls/<code>/runs/<int:number>/letters")
def run_letters(code: str, number: int) -> str:
    """The letters of one finalised run, with the call's other finalised runs beside them."""
    run = _run(code, number)
    if run.status is not RunStatus.FINALISED:
        raise NotFound(f"Run {run.number} of {code} is not finalised: it has no letters.")
    return _letters_page(run.call, run)


@bp.post("/calls/<code>/runs/<int:number>/letters")
def generate_letters(code: str, number: int) -> Response:
    run = _run(code, number)
    with command() as outcome:
        batch = letter_service.start_letter_batch(run, actor=current_actor())
    if outcome.error is not None:
        running = outcome.error.details.get("batch")
        if running:
            return redirect(url_for("manage.letter_batch", batch_id=running))
        return redirect(url_for("manage.call_letters", code=code))
    return redirect(url_for("manage.letter_batch", batch_id=batch.id))


@bp.get("/letter-batches/<int:batch_id>")
def letter_batch(batch_id: int) -> str:
    batch = load_letter_batch(batch_id, current_actor())
    return render_template("manage/letters_batch.html", batch=batch, run=batch.run, call=batch.run.call,
                           progress=letter_queries.batch_progress(batch))


@bp.get("/letter-batches/<int:batch_id>/progress")
def letter_batch_progress(batch_id: int) -> Response:
    progress = letter_queries.batch_progress(load_letter_batch(batch_id, current_actor()))
    # The page's badge shows the label: in the officer's language (the API's stays English, like its codes).
    response = jsonify({**progress, "label": gettext(str(progress["label"]))})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/calls/<code>/runs/<int:number>/letters.zip")
def letters_zip(code: str, number: int) -> Response:
    run = _run(code, number)
    letters = letter_queries.run_letters(run)
    if not letters:
        flash(gettext("There are no letters to download yet: generate them first."), "error")
        return redirect(url_for("manage.call_letters", code=code))
    return send_letters_zip(run, letters)


@bp.post("/calls/<code>/runs/<int:number>/letters/publish")
def publish_letters(code: str, number: int) -> Response:
    run = _run(code, number)
    with command() as outcome:
        count = letter_service.publish_letters(run, actor=current_actor())
    if not outcome.ok:
        return redirect(url_for("manage.call_letters", code=code))
    flash(ngettext("%(num)d letter published: the applicants see them in their dashboard.",
                   "%(num)d letters published: the applicants see them in their dashboard.", count)
          if count else gettext("Every letter of this run was already published."), "success")
    return redirect(url_for("manage.run_letters", code=code, number=number))


# The URLs of old named a run by its id: they send the same request (308 keeps the method and the form) to the
# run's one address, /calls/<code>/runs/<number>/…

def _at_run_address(run_id: int, endpoint: str) -> Response:
    run = load_run_by_id(run_id, current_actor())
    return redirect(url_for(endpoint, code=run.call.code, number=run.number), 308)


@bp.post("/runs/<int:run_id>/letters")
def old_generate_letters(run_id: int) -> Response:
    return _at_run_address(run_id, "manage.generate_letters")


@bp.get("/runs/<int:run_id>/letters.zip")
def old_letters_zip(run_id: int) -> Response:
    return _at_run_address(run_id, "manage.letters_zip")


@bp.post("/runs/<int:run_id>/letters/publish")
def old_publish_letters(run_id: int) -> Response:
    return _at_run_address(run_id, "manage.publish_letters")


@bp.get("/letters/<int:letter_id>.pdf")
def letter_pdf(letter_id: int) -> Response:
    return send_letter(load_letter(letter_id, current_actor()))


@bp.get("/calls/<code>/outbox")
def call_outbox(code: str) -> str:
    call = load_call(code)
    messages = outbox_queries.call_messages(call)
    return render_template(
        "manage/letters_outbox.html", call=call, messages=messages,
        contradictions=outbox_queries.contradictions(call, messages),
        counts=outbox_queries.outbox_counts(messages), mail_configured=outbox_queries.mail_configured(),
        kind_label=letter_kind_label,
    )


@bp.post("/calls/<code>/outbox/send")
def send_outbox(code: str) -> Response:
    call = load_call(code)
    with command() as outcome:
        report = outbox_service.send_outbox(call, actor=current_actor())
    if outcome.ok:
        flash(ngettext("%(num)d message is being sent in the background; this page shows each one as sent (or "
                       "failed) when its turn comes.",
                       "%(num)d messages are being sent in the background; this page shows each one as sent (or "
                       "failed) when its turn comes.", report.queued), "success")
    return redirect(url_for("manage.call_outbox", code=call.code))


@bp.post("/calls/<code>/outbox/<int:message_id>/cancel")
def cancel_outbox_message(code: str, message_id: int) -> Response:
    call = load_call(code)
    message = load_outbox_message(call, message_id, current_actor())
    with command() as outcome:
        outbox_service.cancel_message(message, actor=current_actor())
    if outcome.ok:
        flash(gettext("The message about %(reference)s was cancelled; it will not be sent.",
                      reference=message.letter.reference), "success")
    return redirect(url_for("manage.call_outbox", code=call.code))

