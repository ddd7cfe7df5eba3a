"""Residual ties and transfer offers over the API: the same services as the officer pages, the API's error shape on
a refusal, 403 for other roles and 404 for unknown calls and resolutions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.enums import CallKind, OfferStatus, Role
from app.extensions import db
from app.models import AuditEvent, TieResolution
from app.models.selection import TransferOffer
from app.queries.runs import finalise_preview
from app.services.selection import finalise_run, run_selection
from tests.factories import make_call
from tests.selection_worlds import add, make_people, make_selection_field

JUSTIFICATION = "GAMMA has the stronger SME outreach plan."


@dataclass
class Tie:
    code: str
    beta: str
    gamma: str


@pytest.fixture
def tie(app, make_user) -> Tie:
    with app.app_context():
        field = make_selection_field(make_people(make_user))
        db.session.commit()
        return Tie(field.call.code, field.ref("BETA"), field.ref("GAMMA"))


@pytest.fixture
def sessions(app, make_user) -> str:
    """A finalised stakeholder-sessions selection (one slot) whose call transfers to a local-events call."""
    with app.app_context():
        people = make_people(make_user)
        local = make_call("LOCAL", kind=CallKind.EVENT, budget=None, max_awards=10, reserve_size=0,
                          strands=["Resilience"])
        call = make_call("SESSIONS", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=1,
                         strands=["Resilience"], transfer_to_call_id=local.id)
        for acronym, scores in [("WINNER", ("5", "5", "5")), ("KEPT", ("4", "4", "4")), ("LOST", ("3", "3.5", "4"))]:
            add(call, people.applicant, acronym, scores, requested=None, strand="Resilience")
        run = run_selection(call, actor=people.officer)
        finalise_run(run, actor=people.officer, token=finalise_preview(run).token)
        db.session.commit()
        return call.code


@pytest.fixture
def bearer(make_user, token_for):
    def headers(*roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(make_user(*roles))}"}

    return headers


@pytest.fixture
def officer(bearer):
    return bearer(Role.OFFICER)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


# ---------------------------------------------------------------------------------------------- ties


def test_an_officer_reads_the_ties_resolves_one_and_revokes_it(app, client, tie, officer) -> None:
    body = client.get(f"/api/v1/calls/{tie.code}/ties", headers=officer).get_json()
    assert body == {"ties": [[tie.beta, tie.gamma]], "resolutions": []}
    response = client.post(f"/api/v1/calls/{tie.code}/ties", headers=officer,
                           json={"order": [tie.gamma, tie.beta], "justification": JUSTIFICATION})
    assert response.status_code == 201, response.get_data(as_text=True)
    resolution = response.get_json()
    assert resolution["order"] == [tie.gamma, tie.beta]
    assert resolution["active"] is True
    assert resolution["justification"] == JUSTIFICATION
    listed = client.get(f"/api/v1/calls/{tie.code}/ties", headers=officer).get_json()
    assert [r["id"] for r in listed["resolutions"]] == [resolution["id"]]
    revoked = client.post(f"/api/v1/calls/{tie.code}/ties/{resolution['id']}/revoke", headers=officer)
    assert revoked.status_code == 200
    assert revoked.get_json()["active"] is False
    with app.app_context():  # committed by the operation, with the service's audit events
        assert db.session.get(TieResolution, resolution["id"]).revoked_at is not None
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "tie_resolution"))
        assert sorted(actions) == ["selection.tie_resolution_revoked", "selection.tie_resolved"]


def test_revoking_twice_is_refused_in_the_error_shape(client, tie, officer) -> None:
    created = client.post(f"/api/v1/calls/{tie.code}/ties", headers=officer,
                          json={"order": [tie.beta, tie.gamma], "justification": JUSTIFICATION}).get_json()
    path = f"/api/v1/calls/{tie.code}/ties/{created['id']}/revoke"
    assert client.post(path, headers=officer).status_code == 200
    assert "already revoked" in error_of(client.post(path, headers=officer), 409, "invalid_transition")["message"]


@pytest.mark.parametrize(("order", "justification", "message"), [
    (["BETA", "DELTA"], JUSTIFICATION, "not one residual tie"),
    (["BETA", "BETA"], JUSTIFICATION, "each tied proposal once"),
    (["GAMMA", "BETA"], "Too short.", "at least"),
])
def test_the_service_refuses_what_is_not_one_justified_tie(client, tie, officer, order, justification,
                                                           message) -> None:
    references = {"BETA": tie.beta, "GAMMA": tie.gamma, "DELTA": tie.beta.replace("0002", "0004")}
    response = client.post(f"/api/v1/calls/{tie.code}/ties", headers=officer,
                           json={"order": [references[name] for name in order], "justification": justification})
    assert message in error_of(response, 422, "invalid_input")["message"]


# ---------------------------------------------------------------------------------------------- transfer offers


def test_an_officer_reviews_and_sends_the_offers_once(app, client, sessions, officer) -> None:
    review = client.get(f"/api/v1/calls/{sessions}/offers", headers=officer).get_json()
    assert review["target_call"] == "LOCAL"
    assert len(review["candidates"]) == 2
    assert review["offers"] == []
    response = client.post(f"/api/v1/calls/{sessions}/offers", headers=officer)
    assert response.status_code == 201, response.get_data(as_text=True)
    offers = response.get_json()
    assert sorted(o["proposal"] for o in offers) == sorted(review["candidates"])
    assert {o["status"] for o in offers} == {"offered"}
    assert {o["target_call"] for o in offers} == {"LOCAL"}
    assert client.post(f"/api/v1/calls/{sessions}/offers", headers=officer).get_json() == []
    after = client.get(f"/api/v1/calls/{sessions}/offers", headers=officer).get_json()
    assert (after["candidates"], len(after["offers"])) == ([], 2)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TransferOffer).where(
            TransferOffer.status == OfferStatus.OFFERED)) == 2


def test_offers_are_refused_without_a_target_call(app, client, officer) -> None:
    with app.app_context():
        make_call("NO-TARGET", kind=CallKind.EVENT, budget=None)
        db.session.commit()
    response = client.post("/api/v1/calls/NO-TARGET/offers", headers=officer)
    assert "names no other call" in error_of(response, 409, "invalid_transition")["message"]
    assert client.get("/api/v1/calls/NO-TARGET/offers", headers=officer).get_json() == {
        "target_call": None, "candidates": [], "offers": []}


# ---------------------------------------------------------------------------------------------- access


def _endpoints(code: str) -> list[tuple[str, str]]:
    return [("get", f"/api/v1/calls/{code}/ties"), ("post", f"/api/v1/calls/{code}/ties"),
            ("post", f"/api/v1/calls/{code}/ties/1/revoke"), ("get", f"/api/v1/calls/{code}/offers"),
            ("post", f"/api/v1/calls/{code}/offers")]


@pytest.mark.parametrize("index", range(5))
def test_a_token_is_needed_and_only_officers_may_use_them(client, tie, bearer, index) -> None:
    method, path = _endpoints(tie.code)[index]
    body = {"order": [tie.gamma, tie.beta], "justification": JUSTIFICATION}
    error_of(getattr(client, method)(path, json=body), 401, "unauthorized")
    for role in (Role.APPLICANT, Role.EVALUATOR):
        error_of(getattr(client, method)(path, headers=bearer(role), json=body), 403, "forbidden")


@pytest.mark.parametrize("index", range(5))
def test_unknown_calls_are_404(client, officer, index) -> None:
    method, path = _endpoints("NOPE")[index]
    response = getattr(client, method)(path, headers=officer,
                                       json={"order": ["A", "B"], "justification": JUSTIFICATION})
    error_of(response, 404, "not_found")


def test_an_unknown_or_foreign_resolution_is_404(app, client, tie, sessions, officer) -> None:
    created = client.post(f"/api/v1/calls/{tie.code}/ties", headers=officer,
                          json={"order": [tie.gamma, tie.beta], "justification": JUSTIFICATION}).get_json()
    error_of(client.post(f"/api/v1/calls/{tie.code}/ties/999/revoke", headers=officer), 404, "not_found")
    error_of(client.post(f"/api/v1/calls/{sessions}/ties/{created['id']}/revoke", headers=officer), 404,
             "not_found")
