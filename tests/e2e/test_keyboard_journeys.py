"""Issue 15, item 1: the core journeys by the keyboard alone (tests/e2e/keyboard.py): the skip link is the first
thing a Tab reaches and it works, every focused element shows its focus, and Tab, Enter and typing are enough."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Assignment, Call, IndividualReport, Proposal, SelectionRun, User
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from tests.e2e.keyboard import skip_to_content, tab_to, wait_for_fragment_focus
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_evaluation_setup, make_open_call, make_ready_proposal

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


@pytest.fixture
def ready_draft(app, make_user) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    applicant = make_user(Role.APPLICANT, organisation="Baltic Keyboard Cluster", country="LT")
    with app.app_context():
        call = make_open_call("KEYBOARD-OPEN", days_left=3)
        proposal = make_ready_proposal(call, db.session.get(User, applicant.id), acronym="KEYS")
        db.session.commit()
        return applicant.email, proposal.id


def test_an_applicant_edits_and_submits_a_proposal_by_keyboard(app, page, live_server_url, ready_draft) -> None:  # type: ignore[no-untyped-def]
    email, proposal_id = ready_draft
    browser_log_in(page, live_server_url, app, email)
    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}")
    skip_to_content(page)
    tab_to(page, "nav.section-tabs a", "Summary")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/applicant/proposals/{proposal_id}/summary")

    skip_to_content(page)
    tab_to(page, "input#title")
    page.keyboard.press("Control+A")
    page.keyboard.type("Keyboard-only value chains")
    tab_to(page, "button, input[type=submit]", "Save")
    page.keyboard.press("Enter")
    page.locator(".flash-success:has-text('Summary saved.')").wait_for()

    # The answer opens at #main (the skip link's target stays on the address): on from there.
    wait_for_fragment_focus(page)
    tab_to(page, "nav.section-tabs a", "Overview")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/applicant/proposals/{proposal_id}$"))
    skip_to_content(page)
    tab_to(page, "input[type=checkbox][name=confirm]")
    page.keyboard.press("Space")
    tab_to(page, "button", "Submit the proposal")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/applicant/proposals/{proposal_id}/submissions/1(#main)?$"))
    page.locator("h2:has-text('Submission receipt')").wait_for()
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.title == "Keyboard-only value chains"
        assert proposal.latest_submission is not None


def test_an_evaluator_scores_a_proposal_by_keyboard(app, page, live_server_url) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        setup = make_evaluation_setup(code="KEYBOARD-EVAL", proposals=1, evaluators=3, declared=True)
        db.session.commit()
    dialogs: list[str] = []

    def answer(dialog) -> None:  # type: ignore[no-untyped-def]  # "Submit and lock your report?": Enter on OK
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    browser_log_in(page, live_server_url, app, setup.evaluator_emails[0])
    page.goto(f"{live_server_url}/review/")
    skip_to_content(page)
    tab_to(page, "#evaluations a", "Open")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/evaluations/*")
    skip_to_content(page)
    for key, score in (("relevance", "4"), ("quality", "3"), ("impact", "5")):
        tab_to(page, f"select[name=score_{key}]")
        page.keyboard.type(score)  # a closed select takes the option its label starts with
        tab_to(page, f"textarea[name=comment_{key}]")
        page.keyboard.type(f"{key.capitalize()}: a clear plan that the partnership can deliver, scored by keyboard.")
    tab_to(page, "textarea[name=overall_comment]")
    page.keyboard.type("Overall: a credible proposal, read and scored without a mouse.")
    tab_to(page, "input[type=submit]", "Submit and lock my report")
    page.keyboard.press("Enter")
    page.locator("text=Your report is submitted and locked").wait_for()
    assert dialogs == ["Submit and lock your report? You cannot change it afterwards."]
    with app.app_context():
        report = db.session.scalar(sa.select(IndividualReport).join(Assignment).where(
            Assignment.evaluator_id == setup.evaluator_ids[0]))
        assert {score.criterion.key: score.score for score in report.scores} == {
            "relevance": Decimal(4), "quality": Decimal(3), "impact": Decimal(5)}
