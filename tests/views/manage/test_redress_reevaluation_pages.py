"""The request page of the outcome "upheld → re-evaluation": the committee upholds, the officer assigns the new
panel from the page, the new evaluators find the proposal on their dashboard; the page's queries stay constant."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from app.enums import RedressStatus
from app.extensions import db
from app.models import Proposal, RedressRequest, User
from tests.factories import QueryCounter
from tests.redress_worlds import ASSESSMENT, RedressWorld, evaluate, make_redress_world


@pytest.fixture
def world(app) -> RedressWorld:
    with app.app_context():
        made = make_redress_world()
        db.session.commit()
        return made


def _who(app, user_id: int) -> SimpleNamespace:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return SimpleNamespace(email=user.email)


def _url(world: RedressWorld) -> str:
    return f"/manage/calls/{world.world.code}/redress/{world.request_id}"


def test_the_committee_upholds_and_the_officer_assigns_the_new_panel(app, world, login) -> None:
    committee = login(app.test_client(), _who(app, world.outsider_id))
    page = committee.get(_url(world)).get_data(as_text=True)
    assert "Uphold: have the proposal re-evaluated by new evaluators" in page
    short = committee.post(_url(world), data={"assessment": "Founded.", "uphold": "1"})
    assert short.status_code == 422
    assert committee.post(_url(world), data={"assessment": ASSESSMENT, "uphold": "1"}).status_code == 302
    page = committee.get(_url(world)).get_data(as_text=True)
    assert "Upheld: the proposal is being re-evaluated" in page
    assert "Assign the new evaluators" in page
    officer = login(app.test_client(), _who(app, world.world.officer_id))
    assigned = officer.post(f"{_url(world)}/reevaluators")
    assert assigned.status_code == 302
    page = officer.get(_url(world)).get_data(as_text=True)
    assert "3 new evaluators assigned" in page
    assert "Rapporteur" in page
    assert "Assign the new evaluators" not in page
    with app.app_context():
        request = db.session.get(RedressRequest, world.request_id)
        assert request is not None
        assert request.status is RedressStatus.UPHELD
        newcomer = _panel(request.proposal_id)[0].evaluator
        reference = request.proposal.reference
    again = officer.post(f"{_url(world)}/reevaluators", follow_redirects=True).get_data(as_text=True)
    assert "already has its 3 evaluators" in again
    dashboard = login(app.test_client(), SimpleNamespace(email=newcomer.email)).get("/review/")
    assert reference in dashboard.get_data(as_text=True)


def _panel(proposal_id: int) -> list:
    from app.queries.evaluation import active_assignments

    return active_assignments(proposal_id)


def test_a_member_who_took_part_may_not_uphold(app, world, login) -> None:
    approver = login(app.test_client(), _who(app, world.participant_id))
    refused = approver.post(_url(world), data={"assessment": ASSESSMENT, "uphold": "1"})
    assert refused.status_code == 403
    with app.app_context():
        request = db.session.get(RedressRequest, world.request_id)
        assert request is not None
        assert request.status is RedressStatus.FILED


def test_the_request_page_of_a_reevaluation_loads_in_a_constant_number_of_queries(app, world, login) -> None:
    """Counted with the new panel's reports and consensus in, before and after the approval and its trail."""
    committee = login(app.test_client(), _who(app, world.outsider_id))
    committee.post(_url(world), data={"assessment": ASSESSMENT, "uphold": "1"})
    officer = login(app.test_client(), _who(app, world.world.officer_id))
    officer.post(f"{_url(world)}/reevaluators")
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        assert proposal is not None
        evaluate(proposal, world.world, value="4", approver=None)
        db.session.commit()
    counts = []
    with app.app_context(), QueryCounter() as counter:
        officer.get(_url(world))
    counts.append(counter.count)
    approved = officer.post(f"/manage/calls/{world.world.code}/evaluation/{world.proposal_id}/approve")
    assert approved.status_code == 302
    with app.app_context(), QueryCounter() as counter:
        page = officer.get(_url(world)).get_data(as_text=True)
    counts.append(counter.count)
    assert "it replaces the old one in the ranking" in page
    assert counts[0] == counts[1]


def test_the_officer_re_runs_and_sees_who_moved(app, world, login) -> None:
    committee = login(app.test_client(), _who(app, world.outsider_id))
    committee.post(_url(world), data={"assessment": ASSESSMENT, "uphold": "1"})
    officer = login(app.test_client(), _who(app, world.world.officer_id))
    officer.post(f"{_url(world)}/reevaluators")
    early = officer.post(f"{_url(world)}/rerun", follow_redirects=True).get_data(as_text=True)
    assert "consensus is not approved yet" in early
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        assert proposal is not None
        evaluate(proposal, world.world, value="4", approver=db.session.get(User, world.world.officer_id))
        reference = proposal.reference
        db.session.commit()
    assert "Re-run the ranking and selection" in officer.get(_url(world)).get_data(as_text=True)
    page = officer.post(f"{_url(world)}/rerun", follow_redirects=True).get_data(as_text=True)
    assert "Run 2 recorded with the re-evaluation" in page
    assert "Run 2 beside finalised run 1" in page
    moved = page[page.index("Proposals whose outcome changes"):]
    assert reference in moved
    assert "Selected" in moved


def test_the_officer_confirms_the_outcome_and_the_request_closes_with_its_letter(app, world, login) -> None:
    committee = login(app.test_client(), _who(app, world.outsider_id))
    committee.post(_url(world), data={"assessment": ASSESSMENT, "uphold": "1"})
    officer = login(app.test_client(), _who(app, world.world.officer_id))
    officer.post(f"{_url(world)}/reevaluators")
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        assert proposal is not None
        evaluate(proposal, world.world, value="4", approver=db.session.get(User, world.world.officer_id))
        db.session.commit()
    assert "Confirm the outcome" not in officer.get(_url(world)).get_data(as_text=True)
    officer.post(f"{_url(world)}/rerun")
    page = officer.get(_url(world)).get_data(as_text=True)
    shown = page[page.index("The outcome the re-evaluation leads to"):]
    assert "Funded from the budget left" in shown
    assert "€1,000,000.00" in shown
    assert "puts it among the funded" in shown
    stale = officer.post(f"{_url(world)}/outcome", data={"token": "0" * 64}, follow_redirects=True)
    assert "out of date" in stale.get_data(as_text=True)
    [token] = re.findall(r'<input[^>]*name="token"[^>]*value="([0-9a-f]{64})"', shown)
    page = officer.post(f"{_url(world)}/outcome", data={"token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Outcome confirmed" in page
    closed = page[page.index('id="outcome"'):]
    assert "Funded from the budget left" in closed
    assert "applied by" in closed
    assert "Confirm the outcome" not in page
    with app.app_context():
        request = db.session.get(RedressRequest, world.request_id)
        assert request is not None
        assert request.is_closed
        assert request.reply_letter is not None
    run_page = officer.get(f"/manage/calls/{world.world.code}/runs/3")
    assert run_page.status_code == 200
    text = run_page.get_data(as_text=True)
    assert "python -m scoring review" in text
    assert "evaluation review outcome" in text
    runs = officer.get(f"/manage/calls/{world.world.code}/runs").get_data(as_text=True)
    assert "outcome of the evaluation review" in runs or "Run 3" in runs
