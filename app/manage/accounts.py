"""The administrators' account pages: one account with its state, roles and sessions; deactivate, reactivate,
change roles, reset a lost authenticator (each audited by its service)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.enums import Role
from app.manage import bp
from app.queries.account_admin import load_account
from app.queries.sessions import sessions_of
from app.services.account_admin import change_roles, deactivate_account, reactivate_account, reset_two_factor
from app.translation import gettext, ngettext
from app.web.access import current_actor, role_required
from app.web.transaction import command
from forms.security import AccountRolesForm, AccountStateForm


def _page(user_id: int, roles_form: AccountRolesForm | None = None, status: int = 200) -> tuple[str, int]:
    account = load_account(user_id)
    roles_form = roles_form or AccountRolesForm(data={"roles": sorted(r.value for r in account.roles)})
    return render_template("manage/account.html", account=account, sessions=sessions_of(account),
                           roles_form=roles_form, state_form=AccountStateForm()), status


@bp.get("/users/<int(max=2147483647):user_id>")
@role_required(Role.ADMIN)
def account(user_id: int) -> tuple[str, int]:
    """One account: state, roles, last log-in, sessions; the administrator's actions on it."""
    return _page(user_id)


@bp.post("/users/<int(max=2147483647):user_id>/roles")
@role_required(Role.ADMIN)
def account_roles(user_id: int) -> Response | tuple[str, int]:
    user = load_account(user_id)
    form = AccountRolesForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            changed = change_roles(user, actor=current_actor(), roles=[Role(r) for r in form.roles.data or []])
        if outcome.ok:
            flash(gettext("The roles of %(email)s are changed.", email=user.email) if changed
                  else gettext("The roles are unchanged."), "success")
            return redirect(url_for("manage.account", user_id=user_id))
    return _page(user_id, form, 422)


@bp.post("/users/<int(max=2147483647):user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id: int) -> Response:
    user = load_account(user_id)
    if AccountStateForm().validate_on_submit():
        with command() as outcome:
            ended = deactivate_account(user, actor=current_actor())
        if outcome.ok:
            flash(ngettext("%(email)s is deactivated: it cannot log in, %(num)d session ended and its API tokens "
                           "no longer work.",
                           "%(email)s is deactivated: it cannot log in, %(num)d sessions ended and its API tokens "
                           "no longer work.", ended, email=user.email), "success")
    return redirect(url_for("manage.account", user_id=user_id))


@bp.post("/users/<int(max=2147483647):user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id: int) -> Response:
    user = load_account(user_id)
    if AccountStateForm().validate_on_submit():
        with command() as outcome:
            reactivate_account(user, actor=current_actor())
        if outcome.ok:
            flash(gettext("%(email)s is active again: it can log in with its password.", email=user.email), "success")
    return redirect(url_for("manage.account", user_id=user_id))


@bp.post("/users/<int(max=2147483647):user_id>/two-factor/reset")
@role_required(Role.ADMIN)
def reset_authenticator(user_id: int) -> Response:
    """Remove a lost authenticator: the owner logs in with the password alone (staff enrol again at once)."""
    user = load_account(user_id)
    if AccountStateForm().validate_on_submit():
        with command() as outcome:
            ended = reset_two_factor(user, actor=current_actor())
        if outcome.ok:
            # Two counts in one sentence: ngettext follows the sessions' plural in each of the tokens' two forms.
            if ended.tokens == 1:
                message = ngettext(
                    "The authenticator of %(email)s is removed with its recovery codes: %(num)d session ended, "
                    "%(tokens)d API token revoked, and the owner is e-mailed.",
                    "The authenticator of %(email)s is removed with its recovery codes: %(num)d sessions ended, "
                    "%(tokens)d API token revoked, and the owner is e-mailed.",
                    ended.sessions, email=user.email, tokens=ended.tokens)
            else:
                message = ngettext(
                    "The authenticator of %(email)s is removed with its recovery codes: %(num)d session ended, "
                    "%(tokens)d API tokens revoked, and the owner is e-mailed.",
                    "The authenticator of %(email)s is removed with its recovery codes: %(num)d sessions ended, "
                    "%(tokens)d API tokens revoked, and the owner is e-mailed.",
                    ended.sessions, email=user.email, tokens=ended.tokens)
            flash(message, "success")
    return redirect(url_for("manage.account", user_id=user_id))
