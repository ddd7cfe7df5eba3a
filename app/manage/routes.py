"""The officers' home, a call's hub, and the administrators' accounts page."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import OrganisationType, Role
from app.manage import bp
from app.queries.access import load_call
from app.queries.account_admin import session_counts
from app.queries.accounts import accounts_by_email
from app.queries.calls import calls_by_deadline
from app.queries.process import call_process
from app.services.accounts import create_user
from app.translation import gettext
from app.web.access import current_actor, role_required
from app.web.transaction import command
from forms.auth import UserCreateForm


@bp.get("/")
def dashboard() -> str:
    return render_template("manage/dashboard.html", calls=calls_by_deadline(drafts=True), now=utcnow())


@bp.get("/calls/<code>")
def call_overview(code: str) -> str:
    """The hub of one call: where its process stands, stage by stage, with the next action; its settings."""
    call = load_call(code)
    now = utcnow()
    return render_template("manage/call.html", call=call, now=now, stages=call_process(call, now))


@bp.route("/users", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def users() -> str | Response:
    """Every account, and a new evaluator, officer or administrator account (administrators only)."""
    form = UserCreateForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            user = create_user(
                current_actor(), email=form.email.data or "", password=form.password.data or "",
                full_name=form.full_name.data or "", roles=[Role(r) for r in form.roles.data or []],
                organisation_name=form.organisation_name.data or None, country=form.country.data or None,
                organisation_type=OrganisationType(form.organisation_type.data),
            )
        if outcome.ok:
            flash(gettext("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("manage.users"))
    return render_template("manage/users.html", form=form, accounts=accounts_by_email(), sessions=session_counts())
