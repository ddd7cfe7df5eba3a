"""Officer pages that open a call (from scratch or as a copy), configure it section by section with a preview of the
rules the ranking will apply, and publish or archive it (`app.services.call_settings`, `call_lifecycle`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.call_inputs import SECTIONS, changed_names
from app.clock import utcnow
from app.manage import bp
from app.manage.call_rules import rules_in_words
from app.models import Call
from app.queries.access import load_call
from app.queries.calls import call_facts, call_phase, money_warnings
from app.services.call_lifecycle import CHANGES, GROUP_OF, Change, archive_call, can_archive, publish_call
from app.services.call_settings import DEFAULTS, create_call, current_settings, update_call_settings
from app.services.errors import DomainError
from app.translation import current_language, gettext
from app.web.access import current_actor
from app.web.errors import reader_message
from app.web.transaction import command
from forms.call import CallActionForm, CallConfigurationForm


def _page(form: CallConfigurationForm, call: Call | None, source: Call | None, status: int) -> tuple[str, int]:
    """The page of sections; for a saved call, its phase, what the phase fixes and the rules in the core's words."""
    context: dict[str, object] = {"form": form, "call": call, "source": source, "sections": SECTIONS,
                                  "action_form": CallActionForm(), "now": utcnow()}
    if call is not None:
        facts = call_facts(call)
        phase = call_phase(call, facts=facts)
        try:
            rules, rules_error = rules_in_words(call, current_language()), None
        except DomainError as error:
            rules, rules_error = [], reader_message(error)
        context.update(phase=phase, rules=rules, rules_error=rules_error, can_archive=can_archive(phase, facts),
                       fixed={name for name, group in GROUP_OF.items() if CHANGES[phase][group] is Change.FIXED},
                       warnings=money_warnings(budget=call.budget, max_awards=call.max_awards,
                                               max_grant=call.max_grant_per_proposal))
    return render_template("manage/call_configure.html", **context), status


@bp.route("/calls/new", methods=["GET", "POST"])
def new_call() -> str | Response | tuple[str, int]:
    """Open a call: a blank page of sections, or a copy of `?copy_of=<code>` (its criteria and rules)."""
    source = load_call(request.args["copy_of"]) if request.args.get("copy_of") else None
    form = CallConfigurationForm()
    status = 200
    if request.method == "GET":
        values = dict(DEFAULTS) if source is None else {
            **current_settings(source), "code": "", "opens_at": None, "deadline": None, "evaluation_deadline": None,
            "title": source.title}
        form.show(values, blank_rows=0 if source is not None else 3)
    elif form.validate():
        with command(form, locate=form.field_named) as outcome:
            call = create_call(form.settings(with_code=True), actor=current_actor(), copy_of=source)
        if outcome.ok:
            flash(gettext("Call %(code)s opened as a draft: only officers see it until you publish it.",
                          code=call.code), "success")
            return redirect(url_for("manage.configure_call", code=call.code))
        status = outcome.status
    return _page(form, None, source, 422 if form.errors else status)


@bp.route("/calls/<code>/configure", methods=["GET", "POST"])
def configure_call(code: str) -> str | Response | tuple[str, int]:
    """Every setting of the call by section; what its phase fixes is refused with the reason."""
    call = load_call(code)
    form = CallConfigurationForm()
    status = 200
    if request.method == "GET":
        form.show(current_settings(call))
    elif form.validate():
        with command(form, locate=form.field_named) as outcome:
            changed = update_call_settings(call, actor=current_actor(), settings=form.settings(with_code=False),
                                           reason=form.reason.data or "")
        if outcome.ok:
            flash(gettext("Saved: %(names)s.", names=changed_names(changed)) if changed
                  else gettext("Nothing changed."), "success")
            return redirect(url_for("manage.configure_call", code=code))
        status = outcome.status
    return _page(form, call, None, 422 if form.errors else status)


@bp.post("/calls/<code>/publish")
def publish(code: str) -> Response:
    """Publish a draft: its public page appears and it opens at its opening."""
    call = load_call(code)
    if CallActionForm().validate_on_submit():
        with command() as outcome:
            publish_call(call, actor=current_actor())
        if outcome.ok:
            flash(gettext("%(code)s is published.", code=call.code), "success")
    return redirect(url_for("manage.configure_call", code=code))


@bp.post("/calls/<code>/archive")
def archive(code: str) -> Response:
    """Archive a decided call: read-only from now on."""
    call = load_call(code)
    if CallActionForm().validate_on_submit():
        with command() as outcome:
            archive_call(call, actor=current_actor())
        if outcome.ok:
            flash(gettext("%(code)s is archived.", code=call.code), "success")
    return redirect(url_for("manage.configure_call", code=code))
