"""Self-registration in tests: register through the form, then follow the confirmation link the e-mail would carry
(tests about the e-mail itself read it from tests/mailbox.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.clock import utcnow
from app.extensions import db
from app.models import User
from app.services.registration import confirmation_link_token


def confirmation_path(app: Flask, email: str) -> str:
    """The path of a confirmation link made now for the account of `email`, as the e-mail carries it."""
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == email.strip().lower())).one()
        return f"/auth/confirm/{confirmation_link_token(user, made_at=int(utcnow().timestamp()))}"


def register_and_confirm(app: Flask, client: FlaskClient, data: dict[str, Any], **options: Any) -> Any:
    """Register with the form's `data`, then confirm with the link and the password: the answer of the confirmation
    (a signed-in redirect, as registration answered before it was confirmed by e-mail)."""
    registered = client.post("/auth/register", data=data)
    assert registered.status_code == 302, registered.get_data(as_text=True)[:500]
    assert registered.headers["Location"] == "/auth/login"
    return client.post(confirmation_path(app, data["email"]), data={"password": data["password"]}, **options)
