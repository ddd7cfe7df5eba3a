"""The evaluation API: officers' pool, assignment, publication, screening and approval; evaluators' reports."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import AssignmentState, ConflictDeclaration, ReportStatus, Role, RuleStrength
from app.extensions import db
from app.models import Assignment, Call, ConsensusReport, PoolMember, Proposal, User
from tests.evaluation_support import committed_world
from tests.factories import (
    EvaluationWorld,
    make_assignment,
    make_evaluation_setup,
    make_pool_member,
    make_report,
    make_staff,
)

LONG = "This comment is long enough to justify the score given."


@pytest.fixture
def world(app) -> EvaluationWorld:  # type: ignore[no-untyped-def]
    return committed_world(app, proposals=2, evaluators=4, declared=False)


@pytest.fixture
def bearer(app, token_for):  # type: ignore[no-untyped-def]
    def headers(email: str) -> dict[str, str]:
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
        return {"Authorization": f"Bearer {token_for(user)}"}

    return headers


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


def _scores(value: Any = "4", comment: str = LONG) -> list[dict[str, Any]]:
    return [{"criterion": key, "score": value, "comment": comment} for key in ("relevance", "quality", "impact")]


# --- officers -------------------------------------------------------------------------------------------------------

def test_invite_an_evaluator(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_staff(Role.EVALUATOR, "new@x.test", organisation="Fraunhofer", country="DE")
        db.session.commit()
    officer = bearer(world.officer_email)
    url = f"/api/v1/calls/{world.code}/evaluators"
    response = client.post(url, json={"email": "new@x.test", "expertise": ["Health"], "max_load": 5},
                           headers=officer)
    assert response.status_code == 201
    body = response.get_json()
    assert body["organisation"] == "Fraunhofer"
    assert body["country"] == "DE"
    assert body["expertise"] == ["Health"]
    assert body["code_of_conduct_accepted_at"] is None
    assert (body["nationality"], body["gender"], body["expertise_keywords"], body["expertise_statement"]) == (
        "", None, [], "")
    _error(client.post(url, json={"email": "new@x.test"}, headers=officer), 409, "already_exists")
    error = _error(client.post(url, json={"email": world.applicant_email}, headers=officer), 422, "invalid_input")
    assert error["details"]["field"] == "email"
    error = _error(client.post(url, json={"email": world.evaluator_emails[0], "expertise": ["Space"]},
                               headers=officer), 422, "invalid_input")
    assert error["details"]["field"] == "expertise"
    _error(client.post(url, json={"max_load": 3}, headers=officer), 422, "invalid_input")
    assert len(client.get(url, headers=officer).get_json()) == 5


def test_officer_endpoints_refuse_other_roles(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    code = world.code
    pid = world.proposal_ids[0]
    calls = [("post", f"/api/v1/calls/{code}/evaluators", {"email": "x@x.test"}),
             ("get", f"/api/v1/calls/{code}/evaluators", None),
             ("post", f"/api/v1/calls/{code}/assignments/auto", {}),
             ("get", f"/api/v1/calls/{code}/assignments", None),
             ("post", f"/api/v1/calls/{code}/assignments/publish", {}),
             ("get", f"/api/v1/calls/{code}/evaluation", None),
             ("patch", f"/api/v1/proposals/{pid}/eligibility", {"eligibility": "eligible", "reason": "Fine, fine."}),
             ("post", f"/api/v1/proposals/{pid}/consensus/approve", None)]
    for email in (world.evaluator_emails[0], world.applicant_email):
        for method, url, body in calls:
            response = getattr(client, method)(url, json=body, headers=bearer(email))
            assert response.status_code == 403, (email, method, url)
    for method, url, body in calls:
        assert getattr(client, method)(url, json=body).status_code == 401


def test_auto_assignment_returns_the_proposed_assignment(app, client, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        s = make_evaluation_setup(code="AUTO", proposals=3, evaluators=5, publish=False)
        db.session.commit()
    officer = bearer(s.officer_email)
    response = client.post("/api/v1/calls/AUTO/assignments/auto", json={}, headers=officer)
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["created"]) == 9
    assert {a["state"] for a in body["assignments"]} == {"proposed"}
    per_proposal: dict[str, int] = {}
    for a in body["assignments"]:
        per_proposal[a["proposal"]["reference"]] = per_proposal.get(a["proposal"]["reference"], 0) + 1
    assert per_proposal == {ref: 3 for ref in s.references}
    again = client.post("/api/v1/calls/AUTO/assignments/auto", json={}, headers=officer).get_json()
    assert again["created"] == []
    response = client.post("/api/v1/calls/AUTO/assignments/publish", json={"evaluation_deadline": None},
                           headers=officer)
    assert response.status_code == 200  # the setup's call already has an evaluation deadline
    assert response.get_json()["published"] == 9
    _error(client.post("/api/v1/calls/AUTO/assignments/publish", json={}, headers=officer), 409,
           "invalid_transition")


def test_publish_needs_an_evaluation_deadline(app, client, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        s = make_evaluation_setup(code="PUB", proposals=1, evaluators=3, publish=False)
        db.session.get(Call, s.call_id).evaluation_deadline = None
        db.session.commit()
    officer = bearer(s.officer_email)
    client.post("/api/v1/calls/PUB/assignments/auto", json={}, headers=officer)
    error = _error(client.post("/api/v1/calls/PUB/assignments/publish", json={}, headers=officer), 422,
                   "invalid_input")
    assert error["details"]["field"] == "evaluation_deadline"
    response = client.post("/api/v1/calls/PUB/assignments/publish",
                           json={"evaluation_deadline": "2099-01-31T16:00:00+00:00"}, headers=officer)
    assert response.get_json() == {"published": 3, "evaluation_deadline": "2099-01-31T16:00:00+00:00"}


def test_an_infeasible_assignment_lists_the_proposals(app, client, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        s = make_evaluation_setup(code="INF", proposals=2, evaluators=3, publish=False)
        proposal = db.session.get(Proposal, s.proposal_ids[1])
        proposal.partners[1].name = "Expert Office 3"  # evaluator 3's organisation joins this consortium
        db.session.commit()
    error = _error(client.post("/api/v1/calls/INF/assignments/auto", json={}, headers=bearer(s.officer_email)),
                   409, "infeasible")
    assert "cannot be covered" in error["message"]
    (only,) = error["details"]["proposals"]
    assert only["reference"] == s.references[1]
    assert (only["needed"], only["available"], only["conflicted"]) == (3, 2, 1)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_screening_over_the_api(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    officer = bearer(world.officer_email)
    url = f"/api/v1/proposals/{world.proposal_ids[0]}/eligibility"
    error = _error(client.patch(url, json={"eligibility": "ineligible", "reason": "no"}, headers=officer), 422,
                   "invalid_input")
    assert error["details"]["field"] == "reason"
    _error(client.patch(url, json={"eligibility": "maybe", "reason": "Because I say so."}, headers=officer), 422,
           "invalid_input")
    response = client.patch(url, json={"eligibility": "ineligible", "reason": "Only one eligible country."},
                            headers=officer)
    assert response.status_code == 200
    body = response.get_json()
    assert body["eligibility"] == "ineligible"
    assert any(c["key"] == "part_b" and not c["ok"] for c in body["automatic_checks"])
    _error(client.patch("/api/v1/proposals/999999/eligibility",
                        json={"eligibility": "eligible", "reason": "Because it is fine."}, headers=officer),
           404, "not_found")


# --- evaluators -----------------------------------------------------------------------------------------------------

def test_my_evaluations_list_only_what_i_may_see(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.get(Assignment, world.assignment_id(1, 1)).state = AssignmentState.PROPOSED
        db.session.commit()
    body = client.get("/api/v1/evaluations", headers=bearer(world.evaluator_emails[1])).get_json()
    assert [e["proposal"]["reference"] for e in body] == [world.references[0]]
    item = body[0]
    assert item["access"] == "declaration_needed"
    assert item["proposal"]["consortium"][0]["name"] == "Baltic Cluster Alliance"
    assert "abstract" not in item["proposal"]
    assert client.get("/api/v1/evaluations", headers=bearer(world.applicant_email)).status_code == 403


def test_declare_score_submit_over_the_api(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    me = bearer(world.evaluator_emails[0])
    url = f"/api/v1/evaluations/{world.assignment_id(0, 0)}"
    summary = client.get(url, headers=me).get_json()
    assert "abstract" not in summary["proposal"]
    assert "report" not in summary
    _error(client.put(url, json={"scores": _scores()}, headers=me), 404, "not_found")  # not declared yet
    response = client.post(f"{url}/conflict", json={"conflict": False}, headers=me)
    assert response.status_code == 200
    assert response.get_json()["proposal"]["abstract"] == "An abstract."
    error = _error(client.put(url, json={"scores": [{"criterion": "relevance", "score": "4.25"}]}, headers=me), 422,
                   "invalid_input")
    assert error["details"]["field"] == "scores.relevance.score"
    error = _error(client.put(url, json={"scores": [{"criterion": "relevance", "score": 6}]}, headers=me), 422,
                   "invalid_input")
    assert "between 0 and 5" in error["message"]
    body = client.put(url, json={"scores": [{"criterion": "relevance", "score": 4.5, "comment": "short"}]},
                      headers=me).get_json()
    assert body["report"]["status"] == "draft"
    assert body["report"]["scores"][0] == {"criterion": "relevance", "score": "4.5", "comment": "short"}
    error = _error(client.post(f"{url}/submit", headers=me), 422, "invalid_input")
    assert set(error["details"]["fields"]) >= {"scores.relevance.comment", "scores.quality.score",
                                               "overall_comment"}
    client.put(url, json={"scores": _scores("3.5"), "overall_comment": LONG}, headers=me)
    body = client.post(f"{url}/submit", headers=me).get_json()
    assert body["report"]["status"] == "submitted"
    _error(client.put(url, json={"scores": _scores("5")}, headers=me), 409, "invalid_transition")


def test_blind_until_my_report_is_submitted(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for assignment in db.session.scalars(sa.select(Assignment)):
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
        make_report(db.session.get(Assignment, world.assignment_id(0, 1)),
                    {"relevance": "2", "quality": "2", "impact": "2"},
                    comment="PEER COMMENT not to be seen before submitting.")
        db.session.commit()
    me = bearer(world.evaluator_emails[0])
    url = f"/api/v1/evaluations/{world.assignment_id(0, 0)}"
    body = client.get(url, headers=me).get_json()
    assert body["others"] is None
    assert "PEER COMMENT" not in str(body)
    _error(client.get(f"/api/v1/proposals/{world.proposal_ids[0]}/consensus", headers=me), 404, "not_found")
    client.put(url, json={"scores": _scores(), "overall_comment": LONG}, headers=me)
    body = client.post(f"{url}/submit", headers=me).get_json()
    assert len(body["others"]) == 1
    assert "PEER COMMENT" in str(body["others"])
    relevance = next(s for s in body["spread"] if s["criterion"] == "relevance")
    assert relevance == {"criterion": "relevance", "scores": ["2.0", "4.0"], "min": "2.0", "max": "4.0",
                         "mean": "3.00", "divergent": True}


def test_declaring_a_conflict_makes_the_evaluation_disappear(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    me = bearer(world.evaluator_emails[0])
    url = f"/api/v1/evaluations/{world.assignment_id(0, 0)}"
    _error(client.post(f"{url}/conflict", json={"conflict": True}, headers=me), 422, "invalid_input")
    response = client.post(f"{url}/conflict", json={"conflict": True, "note": "My brother runs Partner A."},
                           headers=me)
    assert response.status_code == 200
    _error(client.get(url, headers=me), 404, "not_found")
    assert world.references[0] not in str(client.get("/api/v1/evaluations", headers=me).get_json())


def _all_in(app, world) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for assignment in db.session.scalars(sa.select(Assignment)):
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
        for i, values in enumerate([("4", "4", "3"), ("5", "3.5", "3"), ("2.5", "4", "3.5")]):
            make_report(db.session.get(Assignment, world.assignment_id(0, i)),
                        dict(zip(("relevance", "quality", "impact"), values, strict=True)))
        db.session.commit()


def test_consensus_by_the_rapporteur_then_approval(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    _all_in(app, world)
    pid = world.proposal_ids[0]
    url = f"/api/v1/proposals/{pid}/consensus"
    rapporteur, other, officer = (bearer(world.evaluator_emails[0]), bearer(world.evaluator_emails[1]),
                                  bearer(world.officer_email))
    view = client.get(url, headers=other).get_json()
    assert view["ready"] is True
    assert view["report"] is None
    _error(client.put(url, json={"scores": _scores()}, headers=other), 403, "forbidden")
    _error(client.put(url, json={"scores": _scores()}, headers=officer), 403, "forbidden")
    _error(client.put(url, json={"scores": _scores()}, headers=bearer(world.evaluator_emails[3])), 404, "not_found")
    _error(client.post(f"{url}/approve", headers=officer), 409, "invalid_transition")
    body = client.put(url, json={"scores": _scores("4"), "overall_comment": LONG, "submit": True},
                      headers=rapporteur).get_json()
    assert body["report"]["status"] == "submitted"
    approved = client.post(f"{url}/approve", headers=officer)
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"
    with app.app_context():
        report = db.session.scalar(sa.select(ConsensusReport))
        assert report.status is ReportStatus.APPROVED
        assert report.approved_by_id == world.officer_id
    progress = client.get(f"/api/v1/calls/{world.code}/evaluation", headers=officer).get_json()
    assert progress["counts"]["consensus_approved"] == 1
    assert progress["ready_to_rank"] is False  # the second proposal is not done
    reopened = client.post(f"{url}/reopen", json={"reason": "Inconsistent with the panel."}, headers=officer)
    assert reopened.get_json()["status"] == "draft"


def test_consensus_requires_all_reports(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for assignment in db.session.scalars(sa.select(Assignment)):
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
        make_report(db.session.get(Assignment, world.assignment_id(0, 0)),
                    {"relevance": "4", "quality": "4", "impact": "4"})
        db.session.commit()
    error = _error(client.put(f"/api/v1/proposals/{world.proposal_ids[0]}/consensus", json={"scores": _scores()},
                              headers=bearer(world.evaluator_emails[0])), 409, "invalid_transition")
    assert "1 of 3 individual reports" in error["message"]


# --- the conflict rule through every evaluator endpoint ---------------------------------------------------------------

@pytest.mark.parametrize("case", ["organisation", "country", "declared", "unpublished", "no_code_of_conduct",
                                  "withdrawn"])
def test_every_evaluator_endpoint_answers_404_when_blocked(app, client, world, bearer, case) -> None:  # type: ignore[no-untyped-def]
    _all_in(app, world)
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_ids[0])
        if case in ("organisation", "country"):
            org, country = ("Partner B", "IE") if case == "organisation" else ("Kaunas Tech", "LT")
            person = make_staff(Role.EVALUATOR, f"{case}@x.test", organisation=org, country=country)
            make_pool_member(proposal.call, person)
            assignment = make_assignment(proposal, person)
            make_report(assignment, {"relevance": "4", "quality": "4", "impact": "4"})
            email = person.email
        else:
            assignment = db.session.get(Assignment, world.assignment_id(0, 0))
            email = world.evaluator_emails[0]
            if case == "declared":
                assignment.conflict = ConflictDeclaration.CONFLICT
            elif case == "unpublished":
                assignment.state = AssignmentState.PROPOSED
            elif case == "withdrawn":
                assignment.state = AssignmentState.WITHDRAWN
            else:
                db.session.scalar(sa.select(PoolMember).where(
                    PoolMember.user_id == world.evaluator_ids[0])).code_of_conduct_accepted_at = None
        db.session.commit()
        assignment_id = assignment.id
    headers = bearer(email)
    pid = world.proposal_ids[0]
    requests = [("get", f"/api/v1/evaluations/{assignment_id}", None),
                ("put", f"/api/v1/evaluations/{assignment_id}", {"scores": _scores()}),
                ("post", f"/api/v1/evaluations/{assignment_id}/submit", None),
                ("post", f"/api/v1/evaluations/{assignment_id}/conflict", {"conflict": False}),
                ("get", f"/api/v1/proposals/{pid}/consensus", None),
                ("put", f"/api/v1/proposals/{pid}/consensus", {"scores": _scores()}),
                ("get", f"/api/v1/proposals/{pid}", None)]
    for method, url, body in requests:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 404, (case, method, url, response.get_data(as_text=True)[:300])
        assert "An abstract." not in response.get_data(as_text=True)
    listed = client.get("/api/v1/evaluations", headers=headers).get_json()
    assert world.references[0] not in str(listed)


def test_an_evaluator_with_full_access_reads_the_proposal_through_the_shared_rule(app, client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    _all_in(app, world)
    response = client.get(f"/api/v1/proposals/{world.proposal_ids[0]}", headers=bearer(world.evaluator_emails[0]))
    assert response.status_code == 200
    # evaluator 4 is not assigned to proposal 1
    response = client.get(f"/api/v1/proposals/{world.proposal_ids[0]}", headers=bearer(world.evaluator_emails[3]))
    assert response.status_code == 404


def test_the_api_says_why_each_evaluator_and_names_a_panel_rule_that_cannot_be_met(app, client, bearer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        s = make_evaluation_setup(code="WHY", proposals=1, evaluators=3, publish=False, evaluators_per_proposal=1)
        proposal = db.session.get(Proposal, s.proposal_ids[0])
        proposal.title, proposal.abstract = "Battery recycling", "Recovering lithium and cobalt from used cells."
        member = db.session.get(PoolMember, s.member_ids[2])
        member.expertise_keywords, member.expertise_statement = ["lithium"], "Cobalt recovery from cells."
        db.session.commit()
    officer = bearer(s.officer_email)
    body = client.post("/api/v1/calls/WHY/assignments/auto", json={}, headers=officer).get_json()
    [assignment] = body["assignments"]
    assert assignment["evaluator"]["id"] == s.evaluator_ids[2]
    assert sorted(assignment["shared_terms"]) == ["cells", "cobalt", "lithium"]
    assert 0 < assignment["affinity"] <= 1
    with app.app_context():
        s2 = make_evaluation_setup(code="RULE", proposals=1, evaluators=3, publish=False, evaluators_per_proposal=2)
        db.session.get(Call, s2.call_id).nationality_rule = RuleStrength.HARD
        for member_id in s2.member_ids:
            db.session.get(PoolMember, member_id).nationality = "PT"
        db.session.commit()
    error = _error(client.post("/api/v1/calls/RULE/assignments/auto", json={}, headers=bearer(s2.officer_email)),
                   409, "infeasible")
    assert error["details"]["rule"] == "at most one evaluator of each nationality per proposal"
    assert error["details"]["proposals"][0]["rule"] == error["details"]["rule"]
