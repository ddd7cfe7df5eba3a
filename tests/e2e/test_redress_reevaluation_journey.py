"""A real browser: a review committee member upholds an evaluation review request, the officer assigns the new
panel from the request page, and a new evaluator (never one of the originals, never the conflicted one) finds the
proposal on their dashboard; once the new consensus is approved, the officer re-runs the ranking and selection and
sees who moved, then confirms the outcome scoring decides (funded from the budget left) and the coordinator finds it
on the dashboard with the closing letter. Every page is scanned with axe and checked for reflow (tests/e2e/audit.py)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Proposal, User
from app.queries.evaluation import active_assignments
from tests.e2e.signing_in import browser_log_in
from tests.redress_worlds import ASSESSMENT, RedressWorld, evaluate, make_redress_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(app) -> RedressWorld:
    with app.app_context():
        made = make_redress_world("REDRESS-E2E")
        db.session.commit()
        return made


def _email(app, user_id: int) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.email


def test_upheld_the_proposal_is_re_evaluated_by_new_evaluators(app, page, auditor, live_server_url, world) -> None:
    url = f"{live_server_url}/manage/calls/{world.world.code}/redress/{world.request_id}"
    browser_log_in(page, live_server_url, app, _email(app, world.outsider_id))
    page.goto(url)
    page.fill("#assessment", ASSESSMENT)
    page.click("input[value^='Uphold']")
    page.wait_for_load_state()
    assert "Upheld: the proposal is being re-evaluated" in page.content()

    browser_log_in(page, live_server_url, app, _email(app, world.world.officer_id))
    page.goto(url)
    page.click("input[value='Assign the new evaluators']")
    page.wait_for_load_state()
    assert "3 new evaluators assigned" in page.content()
    auditor.check(page, state="re-evaluation panel")
    with app.app_context():
        panel = active_assignments(world.proposal_id)
        chosen = {a.evaluator_id for a in panel}
        newcomer, reference = panel[0].evaluator.email, panel[0].proposal.reference
    assert len(chosen) == 3
    assert not chosen & (world.originals | {world.conflicted_id})

    browser_log_in(page, live_server_url, app, newcomer)
    page.goto(f"{live_server_url}/review/")
    assert reference in page.content()

    # The new panel reports and its consensus is approved (through the services); the officer re-runs.
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        evaluate(proposal, world.world, value="4", approver=db.session.get(User, world.world.officer_id))
        db.session.commit()
    browser_log_in(page, live_server_url, app, _email(app, world.world.officer_id))
    page.goto(url)
    page.click("input[value='Re-run the ranking and selection']")
    page.wait_for_load_state()
    auditor.check(page, state="re-run difference")
    moved = page.locator("table:has(caption:text('Proposals whose outcome changes')) tbody tr")
    assert moved.count() == 1
    assert reference in moved.first.inner_text()
    assert "Selected" in moved.first.inner_text()

    shown = page.locator("#outcome ~ dl").first.inner_text()
    assert "Funded from the budget left" in shown
    assert "€1,000,000.00" in shown
    page.click("input[value='Confirm the outcome and issue the reply letter']")
    page.wait_for_load_state()
    assert "Outcome confirmed" in page.content()
    auditor.check(page, state="outcome confirmed")
    closed = page.locator("#outcome ~ dl").first.inner_text()
    assert "applied by" in closed

    # The coordinator follows it on the dashboard, and the reply letter is verifiable like every letter.
    browser_log_in(page, live_server_url, app, _email(app, world.world.applicant_id))
    page.goto(f"{live_server_url}/applicant/")
    row = page.locator("tr", has_text=reference).last.inner_text()
    assert "Upheld: funded from the budget left" in row
    assert "€1,000,000.00" in row
    with app.app_context():
        from app.models import RedressRequest

        request = db.session.get(RedressRequest, world.request_id)
        assert request is not None
        assert request.reply_letter is not None
        code = request.reply_letter.verification_code
    page.goto(f"{live_server_url}/verify/{code}")
    assert code in page.content()
