"""Signing in as a person with an authenticator app would: the password, then the code (officers and
administrators without two-factor sign-in set it up first, through its pages, as the app requires)."""

from __future__ import annotations

import re

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.clock import utcnow
from app.extensions import db
from app.models import User
from app.queries.two_factor import needs_enrolment
from app.services.two_factor import STEP_SECONDS

SECRET_ON_PAGE = re.compile(r'id="totp-secret"[^>]*>([A-Z2-7]+)<')


def code_for(app: Flask, email: str) -> str:
    """The code the person's app shows now: for the current time step, or for the next one when the current one was
    used already (the code of the step after that is accepted too; later, a person waits 30 seconds for a fresh
    step, which the test stands in for by forgetting the last accepted one)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
        assert user is not None, email
        assert user.totp_secret is not None, f"{email} has no authenticator secret"
        now = int(utcnow().timestamp()) // STEP_SECONDS
        step = now if user.totp_last_step is None or user.totp_last_step < now else user.totp_last_step + 1
        if step > now + 1:
            user.totp_last_step = now - 1
            db.session.commit()
            step = now
        return pyotp.TOTP(user.totp_secret).generate_otp(step)


def enrol_through_pages(app: Flask, client: FlaskClient, email: str) -> list[str]:
    """Set up two-factor sign-in for the signed-in `client` as its pages ask, with the secret the page shows, at the
    app's clock; returns the recovery codes shown."""
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    match = SECRET_ON_PAGE.search(page)
    assert match, "the enrolment page shows the secret"
    response = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(match.group(1)).at(utcnow())})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))


def sign_in(app: Flask, client: FlaskClient, email: str, password: str) -> TestResponse:
    """Log `client` in through the real pages; returns the answer that completed the log-in (a redirect), or the
    refusal of the password step."""
    response = client.post("/auth/login", data={"email": email, "password": password})
    if response.status_code != 302:
        return response
    if response.headers["Location"].startswith("/auth/two-factor"):
        return client.post("/auth/two-factor", data={"code": code_for(app, email)})
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
        must_enrol = user is not None and needs_enrolment(user)
    if must_enrol:
        enrol_through_pages(app, client, email)
    return response
