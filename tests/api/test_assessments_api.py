"""The officer's assessment over the API: the same service, rules and errors as the page."""

from __future__ import annotations

from typing import Any

import pytest

from app.enums import Role
from app.extensions import db
from app.models import User
from tests.assessment_worlds import make_mission_world
from tests.factories import make_call

NOTE = "Clear plan for meeting Korean cluster partners."


@pytest.fixture
def api(app, make_user, token_for) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    officer = {"Authorization": f"Bearer {token_for(make_user(Role.OFFICER))}"}
    applicant = {"Authorization": f"Bearer {token_for(make_user(Role.APPLICANT))}"}
    with app.app_context():
        world = make_mission_world(db.session.get(User, make_user(Role.APPLICANT).id))  # type: ignore[arg-type]
        make_call("EXPERTS-CALL")
        db.session.commit()
        return {"officer": officer, "applicant": applicant, "ids": [p.id for p in world.proposals],
                "ineligible": world.ineligible.id}


def test_lists_the_eligible_proposals_then_records_an_assessment(client, api) -> None:  # type: ignore[no-untyped-def]
    listed = client.get("/api/v1/calls/MISSION-KR/assessments", headers=api["officer"])
    assert listed.status_code == 200
    assert [row["proposal_id"] for row in listed.json] == api["ids"]
    assert all(row["assessment"] is None for row in listed.json)
    pid = api["ids"][0]
    put = client.put(f"/api/v1/calls/MISSION-KR/assessments/{pid}", headers=api["officer"],
                     json={"verdict": "suitable", "fit": 5, "note": NOTE})
    assert put.status_code == 200, put.json
    assert put.json["assessment"]["verdict"] == "suitable"
    assert put.json["assessment"]["fit"] == 5
    again = client.get("/api/v1/calls/MISSION-KR/assessments", headers=api["officer"]).json
    assert again[0]["assessment"]["note"] == NOTE


def test_a_short_note_is_refused_at_its_field(client, api) -> None:  # type: ignore[no-untyped-def]
    response = client.put(f"/api/v1/calls/MISSION-KR/assessments/{api['ids'][0]}", headers=api["officer"],
                          json={"verdict": "suitable", "fit": 3, "note": "short"})
    assert response.status_code == 422
    assert response.json["error"]["details"]["fields"] == {
        "note": "Give the reasons in 10 to 2000 characters: they are the basis of the letter."}


@pytest.mark.parametrize("body", [{"verdict": "maybe", "fit": 3, "note": NOTE},
                                  {"verdict": "suitable", "fit": 9, "note": NOTE},
                                  {"verdict": "suitable", "note": NOTE}])
def test_the_schema_refuses_a_body_outside_the_rules(client, api, body) -> None:  # type: ignore[no-untyped-def]
    response = client.put(f"/api/v1/calls/MISSION-KR/assessments/{api['ids'][0]}", headers=api["officer"], json=body)
    assert response.status_code == 422


def test_an_ineligible_proposal_is_refused_with_the_reason(client, api) -> None:  # type: ignore[no-untyped-def]
    response = client.put(f"/api/v1/calls/MISSION-KR/assessments/{api['ineligible']}", headers=api["officer"],
                          json={"verdict": "suitable", "fit": 3, "note": NOTE})
    assert response.status_code == 409
    assert "Only proposals screened eligible" in response.json["error"]["message"]


def test_a_call_scored_by_experts_answers_409(client, api) -> None:  # type: ignore[no-untyped-def]
    listed = client.get("/api/v1/calls/EXPERTS-CALL/assessments", headers=api["officer"])
    assert listed.status_code == 409
    assert listed.json["error"]["code"] == "invalid_transition"
    put = client.put(f"/api/v1/calls/EXPERTS-CALL/assessments/{api['ids'][0]}", headers=api["officer"],
                     json={"verdict": "suitable", "fit": 3, "note": NOTE})
    assert put.status_code == 409


def test_unknown_call_and_proposal_are_404_and_applicants_403(client, api) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/calls/NOPE/assessments", headers=api["officer"]).status_code == 404
    assert client.put("/api/v1/calls/MISSION-KR/assessments/999999", headers=api["officer"],
                      json={"verdict": "suitable", "fit": 3, "note": NOTE}).status_code == 404
    assert client.get("/api/v1/calls/MISSION-KR/assessments", headers=api["applicant"]).status_code == 403


def test_the_routes_are_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/api/v1/calls/{code}/assessments"]
    assert "put" in paths["/api/v1/calls/{code}/assessments/{proposal_id}"]


def test_a_call_for_expression_of_interest_is_opened_over_the_api(client, make_user, token_for) -> None:  # type: ignore[no-untyped-def]
    from tests.services.test_call_opening import DEADLINE, OPENS

    headers = {"Authorization": f"Bearer {token_for(make_user(Role.OFFICER))}"}
    body = {"code": "EOI-2031-KR", "title": "A mission", "programme": "SMP", "kind": "event",
            "evaluation_mode": "assessment", "opens_at": OPENS.isoformat(), "deadline": DEADLINE.isoformat(),
            "max_awards": 20, "reserve_size": 5}
    created = client.post("/api/v1/calls", headers=headers, json=body)
    assert created.status_code == 201, created.json
    assert (created.json["evaluation_mode"], created.json["criteria"], created.json["budget"]) == (
        "assessment", [], None)
    refused = client.post("/api/v1/calls", headers=headers, json={**body, "code": "EOI-2032-KR", "budget": "1000.00"})
    assert refused.status_code == 422
    assert list(refused.json["error"]["details"]["fields"]) == ["budget"]
