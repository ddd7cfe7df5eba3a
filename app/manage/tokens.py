"""An account's API tokens, for administrators: see them and revoke any (a leaked token, a person who left)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.enums import Role
from app.manage import bp
from app.queries.accounts import load_account_for_admin, load_token, tokens_of
from app.services.errors import NotFound
from app.services.tokens import revoke_token
from app.translation import gettext
from app.web.access import current_actor, role_required
from app.web.transaction import command


@bp.get("/users/<int(max=2147483647):user_id>/tokens")
@role_required(Role.ADMIN)
def user_tokens(user_id: int) -> str:
    """The account's API tokens, newest first (administrators only)."""
    account = load_account_for_admin(user_id, current_actor())
    return render_template("manage/user_tokens.html", account=account, tokens=tokens_of(account), now=utcnow(),
                           form=FlaskForm())


@bp.post("/users/<int(max=2147483647):user_id>/tokens/<int(max=2147483647):token_id>/revoke")
@role_required(Role.ADMIN)
def revoke_user_token(user_id: int, token_id: int) -> Response:
    """Revoke one of the account's tokens: it stops working at once (audited)."""
    account = load_account_for_admin(user_id, current_actor())
    api_token = load_token(token_id, current_actor())
    if api_token.user_id != account.id:
        raise NotFound("No such token.")
    if FlaskForm().validate_on_submit():
        with command() as outcome:
            revoked = revoke_token(api_token, actor=current_actor())
        if outcome.ok:
            flash(gettext("The token “%(label)s” of %(email)s is revoked.", label=api_token.label, email=account.email)
                  if revoked else gettext("That token was revoked already."), "success")
    return redirect(url_for("manage.user_tokens", user_id=account.id))
