"""Issue 15, item 1: the core journeys by the keyboard alone (tests/e2e/keyboard.py): the skip link is the first
thing a Tab reaches and it works, every focused element shows its focus, and Tab, Enter and typing are enough."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Call, SelectionRun
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from tests.e2e.keyboard import skip_to_content, tab_to
from tests.e2e.signing_in import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = "SMP-COSME-2021-CLUSTER-01"


@pytest.fixture
def demo(app, make_user):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER, email="kim.keyboard@example.test", organisation="DG GROW", country="BE")
    with app.app_context():
        seed_reference_calls()
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        assert seed_selection_demo(call, count=64) == 64
        db.session.commit()
    return officer


def test_an_officer_runs_and_finalises_a_selection_by_keyboard(app, page, live_server_url, demo) -> None:  # type: ignore[no-untyped-def]
    browser_log_in(page, live_server_url, app, demo.email)
    page.goto(f"{live_server_url}/manage/calls/{CODE}")
    skip_to_content(page)
    tab_to(page, "a", "Ranking & selection")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/manage/calls/{CODE}/ranking")

    # The table's filter and pager work by keyboard: type a reference, send with Enter.
    skip_to_content(page)
    tab_to(page, "input#ranking-q")
    page.keyboard.type(f"{CODE}-0007")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ranking?*q=*")
    assert page.locator("#ranking caption").inner_text() == "Rows 1–1 of 1 (of 64 in the ranking)"

    # The answer opens at the table (#ranking): the run form is above it, back with Shift+Tab.
    tab_to(page, "input#note", backwards=True)
    page.keyboard.type("run by keyboard")
    tab_to(page, "button#run-button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")

    skip_to_content(page)
    tab_to(page, "a", "Finalise run 1")
    page.keyboard.press("Enter")
    page.wait_for_url("**/runs/1/finalise")
    skip_to_content(page)
    tab_to(page, "button", "Confirm and finalise run 1")
    page.keyboard.press("Enter")
    # The skip link's #main stays on the address through the form's redirect.
    page.wait_for_url(re.compile(rf".*/manage/calls/{CODE}/runs/1(#main)?$"))
    page.locator("h1:has-text('Final · in force')").wait_for()
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun).join(Call).where(Call.code == CODE))
        assert run.note == "run by keyboard"
        assert run.finalised_at is not None
