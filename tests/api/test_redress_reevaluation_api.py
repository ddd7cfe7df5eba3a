"""The officers' evaluation review operations over the API: the call's queue, one request, the committee's outcome
(upheld here; rejected in test_redress_api) and the re-evaluation's new evaluators, with the refusals in the API's
error shape."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import User
from tests.redress_worlds import ASSESSMENT, RedressWorld, make_redress_world


@pytest.fixture
def world(app) -> RedressWorld:
    with app.app_context():
        made = make_redress_world()
        db.session.commit()
        return made


def _bearer(app, token_for, user_id: int) -> dict[str, str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return {"Authorization": f"Bearer {token_for(user)}"}


def test_the_officer_reads_the_queue_upholds_and_assigns_the_new_panel(app, client, world, token_for) -> None:
    base = f"/api/v1/calls/{world.world.code}/redress-requests"
    committee = _bearer(app, token_for, world.outsider_id)
    officer = _bearer(app, token_for, world.world.officer_id)
    queue = client.get(base, headers=officer)
    assert queue.status_code == 200, queue.json
    [row] = queue.json["requests"]
    assert (row["id"], row["status"], row["days_elapsed"]) == (world.request_id, "filed", 0)
    url = f"{base}/{world.request_id}"
    early = client.post(f"{url}/reevaluators", headers=officer)
    assert early.status_code == 409
    assert "Only an upheld request" in early.json["error"]["message"]
    took_part = client.post(f"{url}/decision", json={"outcome": "upheld", "assessment": ASSESSMENT},
                            headers=_bearer(app, token_for, world.participant_id))
    assert took_part.status_code == 403
    short = client.post(f"{url}/decision", json={"outcome": "upheld", "assessment": "Founded."}, headers=committee)
    assert short.status_code == 422
    assert short.json["error"]["details"]["field"] == "assessment"
    upheld = client.post(f"{url}/decision", json={"outcome": "upheld", "assessment": ASSESSMENT}, headers=committee)
    assert upheld.status_code == 200, upheld.json
    assert upheld.json["status"] == "upheld"
    assert upheld.json["reevaluation"] == {"needed": 3, "panel": [], "consensus": None}
    again = client.post(f"{url}/decision", json={"outcome": "rejected", "assessment": ASSESSMENT}, headers=committee)
    assert again.status_code == 409
    assigned = client.post(f"{url}/reevaluators", headers=officer)
    assert assigned.status_code == 201, assigned.json
    panel = assigned.json["reevaluation"]["panel"]
    assert len(panel) == 3
    assert sum(member["rapporteur"] for member in panel) == 1
    names = {member["evaluator"] for member in panel}
    with app.app_context():
        originals = {db.session.get(User, uid).full_name for uid in world.originals | {world.conflicted_id}}
    assert not names & originals
    read = client.get(url, headers=officer)
    assert read.json["reevaluation"]["panel"] == panel
    full = client.post(f"{url}/reevaluators", headers=officer)
    assert full.status_code == 409


def test_applicants_and_evaluators_are_refused(app, client, world, token_for) -> None:
    base = f"/api/v1/calls/{world.world.code}/redress-requests"
    for user_id in (world.world.applicant_id, world.world.evaluator_ids[0]):
        headers = _bearer(app, token_for, user_id)
        assert client.get(base, headers=headers).status_code == 403
        refused = client.post(f"{base}/{world.request_id}/decision",
                              json={"outcome": "upheld", "assessment": ASSESSMENT}, headers=headers)
        assert refused.status_code == 403


def test_the_re_run_waits_for_the_approved_consensus_then_shows_who_moved(app, client, world, token_for) -> None:
    from app.models import Proposal
    from tests.redress_worlds import evaluate

    url = f"/api/v1/calls/{world.world.code}/redress-requests/{world.request_id}"
    officer = _bearer(app, token_for, world.world.officer_id)
    client.post(f"{url}/decision", json={"outcome": "upheld", "assessment": ASSESSMENT},
                headers=_bearer(app, token_for, world.outsider_id))
    client.post(f"{url}/reevaluators", headers=officer)
    early = client.post(f"{url}/rerun", headers=officer)
    assert early.status_code == 409
    assert early.json["error"]["code"] == "not_ready"
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        evaluate(proposal, world.world, value="4", approver=db.session.get(User, world.world.officer_id))
        reference, requested = proposal.reference, f"{proposal.requested_grant:.2f}"
        db.session.commit()
    rerun = client.post(f"{url}/rerun", headers=officer)
    assert rerun.status_code == 201, rerun.json
    assert rerun.json["rerun"] == {"run": 2, "compared_with": 1, "changes": [
        {"proposal": reference, "before": "below_threshold", "after": "selected", "requested": requested}]}


def test_the_officer_reads_the_outcome_confirms_it_and_the_applicant_follows_it(app, client, world,
                                                                                token_for) -> None:
    from app.models import Proposal
    from tests.redress_worlds import evaluate

    url = f"/api/v1/calls/{world.world.code}/redress-requests/{world.request_id}"
    officer = _bearer(app, token_for, world.world.officer_id)
    client.post(f"{url}/decision", json={"outcome": "upheld", "assessment": ASSESSMENT},
                headers=_bearer(app, token_for, world.outsider_id))
    waiting = client.get(f"{url}/outcome", headers=officer)
    assert waiting.status_code == 200
    assert (waiting.json["outcome"], waiting.json["token"]) == (None, None)
    assert "re-run" in waiting.json["waiting"]
    early = client.post(f"{url}/outcome", json={"token": "x"}, headers=officer)
    assert early.status_code == 409
    client.post(f"{url}/reevaluators", headers=officer)
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        evaluate(proposal, world.world, value="4", approver=db.session.get(User, world.world.officer_id))
        proposal_id = proposal.id
        db.session.commit()
    client.post(f"{url}/rerun", headers=officer)
    read = client.get(f"{url}/outcome", headers=officer)
    assert read.status_code == 200, read.json
    assert (read.json["closed"], read.json["in_force"], read.json["rerun"]) == (False, 1, 2)
    assert read.json["outcome"]["outcome"] == "funded"
    assert read.json["outcome"]["code"] == "fits"
    assert read.json["outcome"]["grant"] == "1000000.00"
    stale = client.post(f"{url}/outcome", json={"token": "0" * 64}, headers=officer)
    assert (stale.status_code, stale.json["error"]["code"]) == (409, "stale_preview")
    refused = client.post(f"{url}/outcome", json={"token": read.json["token"]},
                          headers=_bearer(app, token_for, world.world.applicant_id))
    assert refused.status_code == 403
    closed = client.post(f"{url}/outcome", json={"token": read.json["token"]}, headers=officer)
    assert closed.status_code == 200, closed.json
    assert closed.json["outcome"]["outcome"] == "funded"
    assert closed.json["outcome"]["run"] == 3
    assert closed.json["reply_letter"].endswith(f"-R{world.request_id}")
    assert closed.json["closed_at"] is not None
    again = client.get(f"{url}/outcome", headers=officer)
    assert (again.json["closed"], again.json["token"], again.json["outcome"]["run"]) == (True, None, 3)
    assert client.post(f"{url}/outcome", json={"token": read.json["token"]}, headers=officer).status_code == 409
    mine = client.get(f"/api/v1/proposals/{proposal_id}/redress-requests",
                      headers=_bearer(app, token_for, world.world.applicant_id))
    [request] = mine.json["requests"]
    assert request["outcome"]["outcome"] == "funded"
    assert request["outcome"]["grant"] == "1000000.00"
