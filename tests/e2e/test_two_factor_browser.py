"""A real browser: an officer is sent to set up two-factor sign-in, reads the secret from the page and confirms it
with the code pyotp computes, saves the recovery codes; logs out, logs in with a code; a recovery code works once."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from app.clock import utcnow
from app.enums import Role
from tests.conftest import ARTIFACTS, PASSWORD
from tests.e2e.signing_in import set_up_two_factor

pytestmark = [pytest.mark.browser]


def _password(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form input[type=submit]")
    page.wait_for_url(f"{base}/auth/two-factor")


def _code(page, base: str, code: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=code]", code)
    page.click("form.form input[type=submit]")
    page.wait_for_load_state()


def _log_out(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button:has-text('Log out')")
    page.wait_for_url(f"{base}/")


def test_an_officer_sets_up_two_factor_then_signs_in_with_a_code_and_a_recovery_code(
        page, live_server_url, make_user) -> None:  # type: ignore[no-untyped-def]
    base = live_server_url
    officer = make_user(Role.OFFICER, email="otto.officer@example.test")
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", officer.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form input[type=submit]")
    page.wait_for_url(f"{base}/account/two-factor")  # no officer page before it is set up
    page.goto(f"{base}/manage/")
    assert page.url == f"{base}/account/two-factor"
    secret = set_up_two_factor(page, base)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "two-factor-recovery-codes.png"), full_page=True)
    recovery_codes = [text.strip() for text in page.locator("#recovery-codes li code").all_text_contents()]
    assert len(recovery_codes) == 10
    page.goto(f"{base}/manage/")
    assert page.url == f"{base}/manage/"
    _log_out(page, base)

    # The next log-in asks for a code; the one that confirmed the set-up is spent, the next time step's works.
    _password(page, base, officer.email)
    _code(page, base, pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30)))
    assert page.url == f"{base}/manage/"
    _log_out(page, base)

    # A recovery code instead of the app's code, once.
    _password(page, base, officer.email)
    _code(page, base, recovery_codes[0])
    assert page.url == f"{base}/manage/"
    _log_out(page, base)
    _password(page, base, officer.email)
    _code(page, base, recovery_codes[0])
    assert page.url == f"{base}/auth/two-factor"
    assert page.locator("p.error").first.is_visible()
    page.goto(f"{base}/manage/")
    assert page.url.startswith(f"{base}/auth/login")
