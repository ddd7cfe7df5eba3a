"""Ranking and selection over the API: ranking, runs, finalisation with the preview's token, promotion, exports."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.enums import Decision, Role
from app.extensions import db
from app.models import Proposal
from tests.factories import make_approved_consensus, make_call, make_proposal

CODE = "API-SEL"


@pytest.fixture
def bearer(make_user, token_for):
    def headers(*roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(make_user(*roles))}"}

    return headers


@pytest.fixture
def field(app, make_user):
    applicant = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        creator = db.session.merge(applicant)
        call = make_call(CODE, budget=Decimal("3000000.00"), max_awards=2, reserve_size=1)
        for acronym, scores, requested in [("ONE", ("5", "5", "4"), "1500000.00"),
                                           ("TWO", ("4", "4", "4"), "1000000.00"),
                                           ("THREE", ("4", "3.5", "3.5"), "800000.00"),
                                           ("FOUR", ("3", "3.5", "3.5"), "600000.00")]:
            proposal = make_proposal(call, creator, acronym=acronym, requested=Decimal(requested))
            make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
        db.session.commit()
    return CODE


@pytest.fixture
def officer(bearer):
    return bearer(Role.OFFICER)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    return body["error"]


ENDPOINTS = [("get", f"/api/v1/calls/{CODE}/ranking"), ("get", f"/api/v1/calls/{CODE}/selections"),
             ("post", f"/api/v1/calls/{CODE}/selections"), ("get", "/api/v1/selections/1"),
             ("get", "/api/v1/selections/1/finalise"), ("post", "/api/v1/selections/1/finalise"),
             ("post", "/api/v1/selections/1/promote"), ("get", f"/api/v1/calls/{CODE}/ranking.csv"),
             ("get", f"/api/v1/calls/{CODE}/ranking.xlsx"),
             ("get", f"/api/v1/calls/{CODE}/runs"), ("post", f"/api/v1/calls/{CODE}/runs"),
             ("get", f"/api/v1/calls/{CODE}/runs/1"), ("get", f"/api/v1/calls/{CODE}/runs/1/finalise"),
             ("post", f"/api/v1/calls/{CODE}/runs/1/finalise"), ("post", f"/api/v1/calls/{CODE}/runs/1/promote")]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_token_is_needed(client, field, method, path) -> None:
    error_of(getattr(client, method)(path, json={}), 401, "unauthorized")


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.EVALUATOR])
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_only_officers_may_use_them(client, field, bearer, role, method, path) -> None:
    response = getattr(client, method)(path, headers=bearer(role),
                                       json={"token": "x", "reference": "x", "reason": "declined",
                                             "note": "long enough note"} if method == "post" else None)
    error_of(response, 403, "forbidden")


@pytest.mark.parametrize("path", ["/api/v1/calls/NOPE/ranking", "/api/v1/calls/NOPE/selections",
                                  "/api/v1/selections/99", "/api/v1/selections/99/finalise",
                                  "/api/v1/calls/NOPE/ranking.csv", f"/api/v1/calls/{CODE}/ranking.xlsx?run=7",
                                  "/api/v1/calls/NOPE/runs", f"/api/v1/calls/{CODE}/runs/99",
                                  f"/api/v1/calls/{CODE}/runs/99/finalise"])
def test_unknown_objects_are_404(client, field, officer, path) -> None:
    error_of(client.get(path, headers=officer), 404, "not_found")


def test_ranking_as_json_with_money_as_strings(client, field, officer) -> None:
    body = client.get(f"/api/v1/calls/{CODE}/ranking", headers=officer).get_json()
    assert body["ready"] is True
    assert body["not_ready"] == {}
    assert body["options"] == {"budget_policy": "skip", "reserve_size": 1, "coverage": False}
    assert body["budget"] == "3000000.00"
    assert body["selected_total"] == "2500000.00"
    assert body["remaining_budget"] == "500000.00"
    first = body["proposals"][0]
    assert first == {
        "rank": 1, "id": f"{CODE}-0001", "acronym": "ONE", "coordinator": "Baltic Cluster Alliance",
        "country": "LT", "strand": "Open", "scores": {"relevance": "5.0", "quality": "5.0", "impact": "4.0"},
        "thresholds_passed": True, "failed_thresholds": [], "total": "14",
        "tie_break_keys": {"relevance": "5.0", "impact": "4.0", "quality": "5.0"},
        "requested": "1500000.00", "step": 1, "budget_left": "1500000.00", "reason_code": "fits", "status": "selected",
        "reserve_position": None, "selected_by": "merit", "tie_resolution": None, "reason": first["reason"],
    }
    assert [p["status"] for p in body["proposals"]] == ["selected", "selected", "reserve", "not_funded"]
    whatif = client.get(f"/api/v1/calls/{CODE}/ranking?reserve_size=0&budget_policy=stop", headers=officer)
    assert [p["status"] for p in whatif.get_json()["proposals"]][2:] == ["not_funded", "not_funded"]


def test_invalid_options_are_422_with_the_field(client, field, officer) -> None:
    error = error_of(client.get(f"/api/v1/calls/{CODE}/ranking?reserve_size=-3", headers=officer), 422,
                     "invalid_input")
    assert "reserve_size" in error["details"]["fields"]
    error = error_of(client.post(f"/api/v1/calls/{CODE}/selections", json={"coverage": True}, headers=officer),
                     422, "invalid_input")
    assert error["details"]["field"] == "coverage"


def test_run_read_preview_and_finalise(app, client, field, officer) -> None:
    created = client.post(f"/api/v1/calls/{CODE}/selections", json={"reserve_size": 1, "note": "api"},
                          headers=officer)
    assert created.status_code == 201
    run = created.get_json()
    assert (run["number"], run["status"], run["in_force"], run["reproducible"]) == (1, "draft", False, True)
    assert len(run["input_sha256"]) == 64
    assert run["summary"]["selected"] == 2
    assert [p["id"] for p in run["ranking"]["proposals"]][:2] == [f"{CODE}-0001", f"{CODE}-0002"]
    assert client.get(f"/api/v1/selections/{run['id']}", headers=officer).get_json()["output_sha256"] == \
        run["output_sha256"]
    listed = client.get(f"/api/v1/calls/{CODE}/selections", headers=officer).get_json()
    assert [r["number"] for r in listed] == [1]

    preview = client.get(f"/api/v1/selections/{run['id']}/finalise", headers=officer).get_json()
    assert preview["can_finalise"]
    assert preview["counts"]["selected"] == 2
    assert preview["selected_total"] == "2500000.00"
    assert len(preview["changes"]) == 4
    error_of(client.post(f"/api/v1/selections/{run['id']}/finalise", json={"token": "0" * 64}, headers=officer),
             409, "stale_preview")
    error = error_of(client.post(f"/api/v1/selections/{run['id']}/finalise", json={}, headers=officer), 422,
                     "invalid_input")
    assert "token" in error["details"]["fields"]
    done = client.post(f"/api/v1/selections/{run['id']}/finalise", json={"token": preview["token"]},
                       headers=officer)
    assert done.status_code == 200
    assert done.get_json()["status"] == "finalised"
    assert done.get_json()["in_force"]
    with app.app_context():
        decisions = dict(db.session.execute(sa.select(Proposal.acronym, Proposal.decision)).all())
    assert decisions == {"ONE": Decision.SELECTED, "TWO": Decision.SELECTED, "THREE": Decision.RESERVE,
                         "FOUR": Decision.REJECTED}
    error_of(client.post(f"/api/v1/selections/{run['id']}/finalise", json={"token": preview["token"]},
                         headers=officer), 409, "invalid_transition")

    promoted = client.post(f"/api/v1/selections/{run['id']}/promote", headers=officer, json={
        "reference": f"{CODE}-0002", "reason": "declined", "note": "Declined by e-mail on 3 March 2022."})
    assert promoted.status_code == 201
    child = promoted.get_json()
    assert child["promotion_of"] == 1
    assert child["options"]["promotion"]["promoted"] == f"{CODE}-0003"
    assert child["reproducible"] is True
    statuses = {p["id"]: p["status"] for p in child["ranking"]["proposals"]}
    assert statuses[f"{CODE}-0002"] == "declined"
    assert statuses[f"{CODE}-0003"] == "selected"


def test_not_ready_is_409_with_what_is_missing(app, client, field, officer, make_user) -> None:
    applicant = make_user(Role.APPLICANT, organisation="Late Cluster", country="FI")
    with app.app_context():
        from app.models import Call

        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        late = make_proposal(call, db.session.merge(applicant), acronym="LATE")
        reference = late.reference
        db.session.commit()
    error = error_of(client.post(f"/api/v1/calls/{CODE}/selections", json={}, headers=officer), 409, "not_ready")
    assert error["details"]["pending_screening"] == [reference]
    body = client.get(f"/api/v1/calls/{CODE}/ranking", headers=officer).get_json()
    assert body["ready"] is False
    assert body["not_ready"]["pending_screening"] == [reference]
    assert body["proposals"][-1]["status"] == "not_ready"


def test_exports_over_the_api(client, field, officer) -> None:
    csv_response = client.get(f"/api/v1/calls/{CODE}/ranking.csv", headers=officer)
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv_response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Rank,ID,Acronym,Coordinator,Country,Strand")
    assert len(lines) == 5
    client.post(f"/api/v1/calls/{CODE}/selections", json={}, headers=officer)
    xlsx = client.get(f"/api/v1/calls/{CODE}/ranking.xlsx?run=1", headers=officer)
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book["Ranking"].freeze_panes == "A2"
    assert book["Ranking"]["B2"].value == f"{CODE}-0001"


def test_the_endpoints_are_documented(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ["/api/v1/calls/{code}/ranking", "/api/v1/calls/{code}/selections", "/api/v1/selections/{run_id}",
                 "/api/v1/selections/{run_id}/finalise", "/api/v1/calls/{code}/ranking.csv",
                 "/api/v1/calls/{code}/ranking.xlsx"]:
        assert path in paths, sorted(paths)


def test_a_run_is_reached_by_its_calls_code_and_number(client, field, officer) -> None:
    """/calls/{code}/runs/{number} is a run's one address; the paths of old answer the same, marked deprecated."""
    created = client.post(f"/api/v1/calls/{CODE}/runs", json={"reserve_size": 1}, headers=officer)
    assert created.status_code == 201
    run = created.get_json()
    address = f"/api/v1/calls/{CODE}/runs/{run['number']}"
    assert client.get(address, headers=officer).get_json() == client.get(
        f"/api/v1/selections/{run['id']}", headers=officer).get_json()
    assert [r["number"] for r in client.get(f"/api/v1/calls/{CODE}/runs", headers=officer).get_json()] == [1]
    preview = client.get(f"{address}/finalise", headers=officer).get_json()
    assert preview == client.get(f"/api/v1/selections/{run['id']}/finalise", headers=officer).get_json()
    assert client.post(f"{address}/finalise", json={"token": preview["token"]},
                       headers=officer).get_json()["status"] == "finalised"
    promoted = client.post(f"{address}/promote", headers=officer, json={
        "reference": f"{CODE}-0002", "reason": "declined", "note": "Declined by e-mail on 3 March 2022."})
    assert promoted.status_code == 201
    assert (promoted.get_json()["number"], promoted.get_json()["promotion_of"]) == (2, 1)
    error_of(client.get(f"/api/v1/calls/{CODE}/runs/3", headers=officer), 404, "not_found")

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/calls/{code}/runs", "/api/v1/calls/{code}/runs/{number}",
                 "/api/v1/calls/{code}/runs/{number}/finalise", "/api/v1/calls/{code}/runs/{number}/promote",
                 "/api/v1/calls/{code}/runs/{number}/letters", "/api/v1/calls/{code}/runs/{number}/letters.zip"):
        assert not any(op.get("deprecated") for method, op in paths[path].items() if method != "parameters"), path
    for path in ("/api/v1/calls/{code}/selections", "/api/v1/selections/{run_id}",
                 "/api/v1/selections/{run_id}/finalise", "/api/v1/selections/{run_id}/promote",
                 "/api/v1/selections/{run_id}/letters", "/api/v1/selections/{run_id}/letters.zip"):
        assert all(op.get("deprecated") for method, op in paths[path].items() if method != "parameters"), path
