"""A real browser through the account's security: a password reset from the e-mail caught by a test SMTP server,
and a session ended from another browser (two browser contexts), which is then sent to log in."""

from __future__ import annotations

from typing import Any

import pytest

from app.enums import Role
from tests.conftest import ARTIFACTS, PASSWORD
from tests.mailbox import mailbox_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PASSWORD = "a-fresh-browser-secret-8"


def _log_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")


def test_a_forgotten_password_is_reset_from_the_e_mailed_link(app, page, live_server_url, make_user,  # type: ignore[no-untyped-def]
                                                              monkeypatch) -> None:
    person = make_user(Role.EVALUATOR, full_name="Eva Luator")
    with mailbox_for(app, monkeypatch) as mailbox:
        page.goto(f"{live_server_url}/auth/login")
        page.click("text=Forgotten your password?")
        page.fill("input[name=email]", person.email)
        page.click("input[type=submit]")
        # The answer comes on the next page: wait for it rather than read the page while it is being replaced.
        page.wait_for_selector("text=If an account uses this address, we have e-mailed it a link")
        [(recipients, subject, _)] = mailbox.messages
    assert recipients == [person.email]
    assert subject == "Choose a new password for Eurogrants"
    page.goto(f"{live_server_url}{mailbox.link()}")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Your password is changed")
    _log_in(page, live_server_url, person.email, NEW_PASSWORD)
    page.wait_for_url(f"{live_server_url}/review/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "password-reset-done.png"), full_page=True)


def test_ending_another_session_sends_that_browser_to_log_in(app, browser, live_server_url, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.APPLICANT)
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page in (first, second):
            page.set_default_timeout(15_000)
            _log_in(page, live_server_url, person.email, PASSWORD)
            page.wait_for_url(f"{live_server_url}/applicant/")
        first.goto(f"{live_server_url}/account/sessions")
        rows = first.locator("#sessions tbody tr")
        assert rows.count() == 2
        assert first.locator("#sessions tbody tr", has_text="This session").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        first.screenshot(path=str(ARTIFACTS / "sessions.png"), full_page=True)
        first.locator("#sessions tbody tr", has_text="End").get_by_role("button", name="End").click()
        first.wait_for_selector("text=That session is ended")
        assert first.locator("#sessions tbody tr").count() == 1
        second.goto(f"{live_server_url}/applicant/")
        assert second.url.startswith(f"{live_server_url}/auth/login")
        assert "Please log in to see this page." in second.content()
    finally:
        for context in contexts:
            context.close()
