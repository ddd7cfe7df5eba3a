"""Officers open, copy, change, publish and archive calls over the API, refused with the service's own messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import Role
from app.extensions import db
from app.models import Call, User
from app.seeds.calls import seed_reference_calls
from tests.factories import make_proposal
from tests.services.test_call_opening import CRITERIA, DEADLINE, OPENS, REFUSED


@pytest.fixture
def headers_for(make_user, token_for):  # type: ignore[no-untyped-def]
    def headers(*roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(make_user(*roles))}"}

    return headers


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


def _new(**changes: Any) -> dict[str, Any]:
    return {"code": "NEW-2031-01", "title": "A new call", "programme": "SMP", "kind": "grant",
            "opens_at": OPENS.isoformat(), "deadline": DEADLINE.isoformat(),
            "criteria": CRITERIA, "budget": "1000000.00", "max_awards": 5, "max_grant_per_proposal": "200000.00",
            "tie_break": ["impact"], "overall_threshold": "6", **changes}


def test_an_officer_opens_a_draft_that_only_officers_see_until_it_is_published(client, headers_for) -> None:  # type: ignore[no-untyped-def]
    officer, applicant = headers_for(Role.OFFICER), headers_for(Role.APPLICANT)
    created = client.post("/api/v1/calls", headers=officer, json=_new())
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["phase"], body["published_at"]) == ("draft", None)
    assert body["rules"][2].endswith("impact: scored 0 to 5 in half points, weight 1.5, threshold 3.")
    _error(client.get("/api/v1/calls/NEW-2031-01", headers=applicant), 404, "not_found")
    assert "NEW-2031-01" not in {c["code"] for c in client.get("/api/v1/calls", headers=applicant).get_json()}
    assert "NEW-2031-01" in {c["code"] for c in client.get("/api/v1/calls", headers=officer).get_json()}
    assert client.get("/calls/NEW-2031-01").status_code == 404
    published = client.post("/api/v1/calls/NEW-2031-01/publish", headers=officer)
    assert published.get_json()["phase"] == "published"
    assert client.get("/api/v1/calls/NEW-2031-01", headers=applicant).status_code == 200
    assert client.get("/calls/NEW-2031-01").status_code == 200
    _error(client.post("/api/v1/calls/NEW-2031-01/publish", headers=officer), 409, "invalid_transition")
    _error(client.post("/api/v1/calls/NEW-2031-01/archive", headers=officer), 409, "invalid_transition")


@pytest.mark.parametrize(("change", "field", "message"), REFUSED, ids=[r[1] for r in REFUSED])
def test_the_api_refuses_with_the_service_s_message_at_the_field(client, headers_for, change, field, message) -> None:  # type: ignore[no-untyped-def]
    change = {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in change.items()}
    error = _error(client.post("/api/v1/calls", headers=headers_for(Role.OFFICER), json=_new(**change)),
                   422, "invalid_input")
    assert error["details"]["fields"] == {field: message}


def test_a_copy_of_euroclusters_takes_new_weights_until_the_first_submission(client, app, headers_for,  # type: ignore[no-untyped-def]
                                                                              make_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        seed_reference_calls()
        db.session.commit()
    officer = headers_for(Role.OFFICER)
    opens = utcnow() - timedelta(days=1)
    copied = client.post("/api/v1/calls", headers=officer, json={
        "copy_of": "SMP-COSME-2021-CLUSTER-01", "code": "SMP-COSME-2027-CLUSTER-01",
        "opens_at": opens.isoformat(), "deadline": (opens + timedelta(days=30)).isoformat()})
    assert copied.status_code == 201, copied.get_data(as_text=True)
    assert [c["key"] for c in copied.get_json()["criteria"]] == ["relevance", "quality", "impact"]
    weights = [{"key": "relevance", "name": "Relevance", "weight": "2", "threshold": "3"},
               {"key": "impact", "name": "Impact", "weight": "1", "threshold": None}]
    patched = client.patch("/api/v1/calls/SMP-COSME-2027-CLUSTER-01", headers=officer,
                           json={"criteria": weights, "tie_break": ["impact", "relevance"], "overall_threshold": "6"})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert [(c["key"], c["weight"]) for c in patched.get_json()["criteria"]] == [("relevance", "2.00"),
                                                                                 ("impact", "1.00")]
    client.post("/api/v1/calls/SMP-COSME-2027-CLUSTER-01/publish", headers=officer)
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2027-CLUSTER-01"))
        make_proposal(call, db.session.get(User, make_user(Role.APPLICANT).id))  # type: ignore[arg-type]
        db.session.commit()
    refused = _error(client.patch("/api/v1/calls/SMP-COSME-2027-CLUSTER-01", headers=officer,
                                  json={"overall_threshold": "7"}), 409, "invalid_transition")
    assert refused["message"] == ("The call's scoring cannot change now that it is open: criteria, weights and "
                                  "thresholds are fixed once the first proposal is submitted.")
    _error(client.patch("/api/v1/calls/SMP-COSME-2027-CLUSTER-01", headers=officer,
                        json={"deadline": (opens + timedelta(days=31)).isoformat()}), 422, "invalid_input")
    moved = client.patch("/api/v1/calls/SMP-COSME-2027-CLUSTER-01", headers=officer, json={
        "deadline": (opens + timedelta(days=31)).isoformat(), "reason": "The portal was down on the last day."})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    _error(client.patch("/api/v1/calls/SMP-COSME-2027-CLUSTER-01", headers=officer, json={"code": "OTHER-1"}),
           422, "invalid_input")


def test_the_country_rule_s_scope_and_strength_are_settings_of_the_call(client, app, headers_for) -> None:  # type: ignore[no-untyped-def]
    officer = headers_for(Role.OFFICER)
    created = client.post("/api/v1/calls", headers=officer, json=_new())
    body = created.get_json()
    assert (body["country_conflict"], body["country_conflict_scope"], body["country_conflict_strength"]) == (
        True, "coordinator", "hard")
    patched = client.patch("/api/v1/calls/NEW-2031-01", headers=officer,
                           json={"country_conflict_scope": "consortium", "country_conflict_strength": "soft"})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert (patched.get_json()["country_conflict_scope"], patched.get_json()["country_conflict_strength"]) == (
        "consortium", "soft")
    refused = client.patch("/api/v1/calls/NEW-2031-01", headers=officer, json={"country_conflict_strength": "off"})
    assert refused.status_code == 422
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "NEW-2031-01"))
        assert (call.country_conflict_scope.value, call.country_conflict_strength.value) == ("consortium", "soft")


def test_organisation_types_annexes_and_redress_wording_are_settings_refused_at_their_field(client, app,  # type: ignore[no-untyped-def]
                                                                                           headers_for) -> None:
    officer = headers_for(Role.OFFICER)
    body = client.post("/api/v1/calls", headers=officer, json=_new()).get_json()
    assert (body["organisation_types"], body["required_annexes"], body["optional_annexes"],
            body["redress_wording"]) == ([], ["part_b"], ["support_letter"], "")
    patched = client.patch("/api/v1/calls/NEW-2031-01", headers=officer, json={
        "organisation_types": ["sme", "cluster_organisation"], "required_annexes": ["part_b", "support_letter"],
        "optional_annexes": [], "redress_wording": "Ask the Commission for a review (Regulation 58/2003)."})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert (patched.get_json()["organisation_types"], patched.get_json()["required_annexes"]) == (
        ["cluster_organisation", "sme"], ["part_b", "support_letter"])
    unknown = _error(client.patch("/api/v1/calls/NEW-2031-01", headers=officer,
                                  json={"organisation_types": ["startup"]}), 422, "invalid_input")
    assert unknown["details"]["fields"] == {"organisation_types": {"0": [
        "Must be one of: cluster_organisation, sme, large_company, university_or_research, public_authority, "
        "business_support_organisation, other."]}}
    both = _error(client.patch("/api/v1/calls/NEW-2031-01", headers=officer,
                               json={"optional_annexes": ["support_letter"]}), 422, "invalid_input")
    assert both["details"]["fields"] == {
        "optional_annexes": "Required already: support_letter. An annex type is either required or optional."}
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "NEW-2031-01"))
        assert (call.organisation_types, call.optional_annexes) == (["cluster_organisation", "sme"], [])
