"""My account's security: the sessions signed in to it (ending one, or all the others) and a change of password."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.account import bp
from app.queries.sessions import load_session_of, sessions_of
from app.services.passwords import change_password
from app.services.sessions import end_all_sessions, end_session
from app.translation import gettext, ngettext
from app.web.access import current_actor
from app.web.sessions import current_session_id
from app.web.transaction import command
from forms.security import EndSessionForm, PasswordChangeForm


@bp.get("/sessions")
def sessions() -> str:
    """The sessions signed in to my account: where, since when, last seen; end any other one."""
    return render_template("account/sessions.html", sessions=sessions_of(current_actor()),
                           current=current_session_id(), form=EndSessionForm())


@bp.post("/sessions/<int(max=2147483647):session_id>/end")
def end_one_session(session_id: int) -> Response:
    person = current_actor()
    row = load_session_of(session_id, person)
    if row.id == current_session_id():
        flash(gettext("This is the session you are using: log out to end it."), "error")
        return redirect(url_for("account.sessions"))
    if EndSessionForm().validate_on_submit():
        with command() as outcome:
            end_session(row, actor=person)
        if outcome.ok:
            flash(gettext("That session is ended: its browser must log in again."), "success")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/end-others")
def end_other_sessions() -> Response:
    if EndSessionForm().validate_on_submit():
        with command() as outcome:
            ended = end_all_sessions(current_actor(), actor=current_actor(), except_current=current_session_id(),
                                     reason="ended by the user")
        if outcome.ok:
            flash(ngettext("%(num)d other session ended.", "%(num)d other sessions ended.", ended) if ended
                  else gettext("There was no other session."), "success")
    return redirect(url_for("account.sessions"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> Response | tuple[str, int]:
    """Change my password (the current one asked again); my other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            ended = change_password(current_actor(), current_password=form.current_password.data or "",
                                    new_password=form.password.data or "", current_session=current_session_id())
        if outcome.ok:
            flash(ngettext("Your password is changed. %(num)d other session ended.",
                           "Your password is changed. %(num)d other sessions ended.", ended) if ended
                  else gettext("Your password is changed."), "success")
            return redirect(url_for("account.sessions"))
    return render_template("account/password.html", form=form), 422 if form.errors else 200
