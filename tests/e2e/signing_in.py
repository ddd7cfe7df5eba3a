"""Logging a browser in as a person would: the password, then the code from their authenticator (computed with
pyotp from the secret); an officer or administrator without two-factor sign-in sets it up first, reading the secret
from the page, as the app requires."""

from __future__ import annotations

from typing import Any

import pyotp
from flask import Flask

from app.clock import utcnow
from tests.conftest import PASSWORD
from tests.two_factor import code_for


def set_up_two_factor(page: Any, base: str) -> str:
    """On the enrolment page: start, read the secret shown, confirm with its code; returns the secret."""
    page.click("button:has-text('Set up two-factor sign-in'), input[value='Set up two-factor sign-in']")
    page.wait_for_selector("#totp-secret")
    secret = "".join(page.text_content("#totp-secret").split())
    page.fill("input[name=code]", pyotp.TOTP(secret).at(utcnow()))
    page.click("input[value='Turn on two-factor sign-in']")
    page.wait_for_selector("#recovery-codes")
    return secret


def browser_log_in(page: Any, base: str, app: Flask, email: str, password: str = PASSWORD) -> None:
    """Log the browser in (a fresh session) and wait for the first page after it."""
    page.context.clear_cookies()
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form.form input[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/auth/two-factor"):
        page.fill("input[name=code]", code_for(app, email))
        page.click("form.form input[type=submit]")
        page.wait_for_load_state()
    elif page.url.endswith("/account/two-factor"):
        set_up_two_factor(page, base)
