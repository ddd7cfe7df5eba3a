"""A real browser opens next year's Euroclusters as a copy, changes its criteria and weights, publishes it; an
applicant submits to it; after the deadline the ranking page applies the new weights, and the stored run's input
gives the very same output under `python -m scoring select`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.clock import set_clock, utcnow
from app.enums import Eligibility, Role
from app.extensions import db
from app.models import Call, SelectionRun, User
from app.seeds.calls import seed_reference_calls
from app.services.proposals import submit_proposal
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_approved_consensus, make_ready_proposal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOURCE, CODE = "SMP-COSME-2021-CLUSTER-01", "SMP-COSME-2027-CLUSTER-01"
BRUSSELS = ZoneInfo("Europe/Brussels")
# Under the reference weights (1, 1, 1) ALPHA ranks first (12 to 11.5); with impact weighing 3, BETA does (20.5 to 18).
SCORES = {"ALPHA": {"relevance": 5, "quality": 4, "impact": 3}, "BETA": {"relevance": 3, "quality": 4, "impact": 4.5}}


@pytest.fixture
def people(app, make_user):  # type: ignore[no-untyped-def]
    with app.app_context():
        seed_reference_calls()
        db.session.commit()
    yield make_user(Role.OFFICER, email="olivia.officer@example.test"), make_user(Role.APPLICANT)
    set_clock(None)


def test_a_copy_with_new_weights_is_published_submitted_to_and_ranked_by_them(app, page, live_server_url,  # type: ignore[no-untyped-def]
                                                                             people) -> None:
    officer, applicant = people
    now = utcnow().astimezone(BRUSSELS).replace(microsecond=0, tzinfo=None)
    deadline = now + timedelta(days=2)
    browser_log_in(page, live_server_url, app, officer.email)

    # Copy Euroclusters, change the criteria and their weights, save the draft.
    page.goto(f"{live_server_url}/manage/calls/{SOURCE}/configure")
    page.click("a:has-text('Copy this call')")
    page.wait_for_url(f"**/manage/calls/new?copy_of={SOURCE}")
    page.fill("input[name=code]", CODE)
    page.fill("input[name=opens_at]", (now - timedelta(days=1)).isoformat())
    page.fill("input[name=deadline]", deadline.isoformat())
    page.fill("input[name='criteria-1-name']", "Quality of the partnership")
    page.fill("input[name='criteria-2-weight']", "3")
    page.click("button:has-text('Save the call'), input[value='Save the call']")
    page.wait_for_url(f"**/manage/calls/{CODE}/configure")
    preview = page.locator("#rules-preview").inner_text()
    assert "impact: scored 0 to 5 in half points, weight 3, threshold 3" in preview
    assert page.locator("#call-phase").text_content() == "draft"

    # Publish: the call opens (its opening is past).
    page.click("button:has-text('Publish the call')")
    page.wait_for_url(f"**/manage/calls/{CODE}/configure")
    assert page.locator("#call-phase").text_content() == "open"

    # An applicant submits two proposals (through the service the pages call), which are screened and scored.
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        creator = db.session.get(User, applicant.id)
        assert call is not None
        assert creator is not None
        for acronym, scores in SCORES.items():
            proposal = make_ready_proposal(call, creator, acronym=acronym)
            submit_proposal(proposal, actor=creator)
            make_approved_consensus(proposal, scores)
            proposal.eligibility = Eligibility.ELIGIBLE
        db.session.commit()
    set_clock(lambda: (deadline + timedelta(hours=1)).replace(tzinfo=BRUSSELS))  # the call has closed
    browser_log_in(page, live_server_url, app, officer.email)  # two days on, the morning's session has expired

    # The ranking page orders by the new weights; a stored run scores the same input as the command line.
    page.goto(f"{live_server_url}/manage/calls/{CODE}/ranking")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 2
    assert "BETA" in rows.nth(0).inner_text()
    ranked = [rows.nth(i).get_attribute("id") for i in range(2)]
    page.click("button:has-text('Run the selection with these options')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun).join(Call).where(Call.code == CODE))
        assert run is not None
        stored_input, stored_output = run.input_json, json.loads(run.output_json)
    weights = {c["key"]: c["weight"] for c in json.loads(stored_input)["rules"]["criteria"]}
    assert weights == {"relevance": "1.00", "quality": "1.00", "impact": "3.00"}
    cli = subprocess.run([sys.executable, "-m", "scoring", "select"], input=stored_input, capture_output=True,
                         text=True, check=True)
    assert json.loads(cli.stdout) == stored_output
    assert [(p["id"].rsplit("-", 1)[0], p["total"]) for p in stored_output["proposals"]] == [
        (CODE, "20.5"), (CODE, "18")]
    assert ranked == [f"p-{p['id']}" for p in stored_output["proposals"]]
