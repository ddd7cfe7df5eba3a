"""Evaluation review (redress) over the API: the coordinator files and reads; the refusals in the API's error shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import LetterKind, Role
from app.extensions import db
from app.models import Letter, RedressRequest
from tests.factories import make_call
from tests.redress_worlds import published_letters

GROUNDS = ("The eligibility check counted two partners from Lithuania as one country although the call's rule "
           "counts partners, not countries: the proposal meets the rule.")


@pytest.fixture
def world(app, make_user, token_for) -> dict[str, Any]:
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        ids = published_letters(db.session.merge(owner))
        db.session.commit()
    return {"owner": {"Authorization": f"Bearer {token_for(owner)}"}, **ids,
            "officer": {"Authorization": f"Bearer {token_for(make_user(Role.OFFICER))}"},
            "other": {"Authorization": f"Bearer {token_for(make_user(Role.APPLICANT, organisation='Iberian'))}"}}


def body(**changes: Any) -> dict[str, Any]:
    return {"stage": "ineligible", "ground": "eligibility_check", "grounds": GROUNDS, **changes}


def test_the_coordinator_files_and_everyone_concerned_reads_it(client, world) -> None:
    url = f"/api/v1/proposals/{world['ineligible']}/redress-requests"
    filed = client.post(url, json=body(), headers=world["owner"])
    assert filed.status_code == 201, filed.json
    assert filed.json["status"] == "filed"
    assert filed.json["stage"] == "ineligible"
    assert filed.json["window_closes_at"]
    for who in ("owner", "officer"):
        listed = client.get(url, headers=world[who])
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json["requests"]] == [filed.json["id"]]
    assert client.get(url, headers=world["other"]).status_code == 404


@pytest.mark.parametrize(("who", "changes", "status", "code"), [
    ("other", {}, 404, "not_found"),
    ("officer", {}, 403, "forbidden"),
    ("owner", {"stage": "rejection"}, 409, "invalid_transition"),
    ("owner", {"ground": "incoherence"}, 422, "invalid_input"),
    ("owner", {"grounds": "Wrong."}, 422, "invalid_input"),
])
def test_refusals_answer_in_the_error_shape(client, world, who, changes, status, code) -> None:
    response = client.post(f"/api/v1/proposals/{world['ineligible']}/redress-requests", json=body(**changes),
                           headers=world[who])
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code


def test_a_second_and_a_late_request_are_refused(app, client, world) -> None:
    url = f"/api/v1/proposals/{world['ineligible']}/redress-requests"
    assert client.post(url, json=body(), headers=world["owner"]).status_code == 201
    second = client.post(url, json=body(), headers=world["owner"])
    assert (second.status_code, second.json["error"]["code"]) == (409, "already_exists")
    with app.app_context():  # the award letter becomes a rejection sent 41 days ago, never opened
        db.session.execute(sa.update(Letter).where(Letter.proposal_id == world["selected"]).values(
            kind=LetterKind.REJECTION, published_at=utcnow() - timedelta(days=41)))
        db.session.commit()
    late = client.post(f"/api/v1/proposals/{world['selected']}/redress-requests",
                       json=body(stage="rejection", ground="evaluation_procedure"), headers=world["owner"])
    assert (late.status_code, late.json["error"]["code"]) == (409, "deadline_passed")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RedressRequest)) == 1


def test_an_award_is_not_reviewed(client, world) -> None:
    response = client.post(f"/api/v1/proposals/{world['selected']}/redress-requests",
                           json=body(stage="rejection", ground="evaluation_procedure"), headers=world["owner"])
    assert response.status_code == 409
    assert "only ineligibility, rejection and reserve list decisions" in response.json["error"]["message"]


def test_the_call_s_redress_periods_are_its_settings(app, client, world) -> None:
    with app.app_context():
        make_call("REDRESS-SETTINGS")  # not decided yet: its texts may change
        db.session.commit()
    url = "/api/v1/calls/REDRESS-SETTINGS"
    changed = client.patch(url, json={"redress_days": 45, "redress_unopened_days": 7}, headers=world["officer"])
    assert changed.status_code == 200, changed.json
    assert (changed.json["redress_days"], changed.json["redress_unopened_days"]) == (45, 7)
    refused = client.patch(url, json={"redress_days": 0}, headers=world["officer"])
    assert refused.status_code == 422
