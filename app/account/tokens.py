"""My API tokens: when each expires and was last used, and revoking one (they are issued by POST /api/v1/tokens)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.account import bp
from app.clock import utcnow
from app.queries.accounts import load_own_token, tokens_of
from app.services.tokens import revoke_token
from app.translation import gettext
from app.web.access import current_actor
from app.web.transaction import command


@bp.get("/tokens")
def tokens() -> str:
    """My API tokens, newest first."""
    return render_template("account/tokens.html", tokens=tokens_of(current_actor()), now=utcnow(),
                           form=FlaskForm())


@bp.post("/tokens/<int(max=2147483647):token_id>/revoke")
def revoke(token_id: int) -> Response:
    """Revoke one of my tokens: it stops working at once."""
    api_token = load_own_token(token_id, current_actor())
    if FlaskForm().validate_on_submit():
        with command() as outcome:
            revoked = revoke_token(api_token, actor=current_actor())
        if outcome.ok:
            flash(gettext("The token “%(label)s” is revoked.", label=api_token.label) if revoked
                  else gettext("That token was revoked already."), "success")
    return redirect(url_for("account.tokens"))
