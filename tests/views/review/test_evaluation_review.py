"""The evaluator's pages: code of conduct, declaration, the IER (blind), annexes, consensus — and the 404 rule."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import AssignmentState, ConflictDeclaration, DocumentKind, ReportStatus, Role
from app.extensions import db
from app.models import Assignment, ConsensusReport, Document, IndividualReport, PoolMember, Proposal
from app.storage import get_storage
from tests.factories import (
    EvaluationWorld,
    QueryCounter,
    make_assignment,
    make_evaluation_setup,
    make_pool_member,
    make_report,
    make_staff,
    pdf_bytes,
)

LONG = "This comment is long enough to justify the score given."


@dataclass(frozen=True)
class ReviewWorld(EvaluationWorld):
    """The evaluation world, and the stored Part B of its first proposal."""

    document_id: int = 0


@pytest.fixture
def world(app) -> ReviewWorld:  # type: ignore[no-untyped-def]
    """Two eligible proposals, three evaluators with published assignments (undeclared), a stored Part B."""
    with app.app_context():
        s = make_evaluation_setup(proposals=2, evaluators=3, declared=False)
        proposal = db.session.get(Proposal, s.proposal_ids[0])
        data = pdf_bytes(1)
        document = Document(proposal_id=proposal.id, kind=DocumentKind.PART_B, sha256=get_storage().put_bytes(data),
                            filename="part-b.pdf", size_bytes=len(data), page_count=1,
                            uploaded_by_id=s.applicant_id)
        db.session.add(document)
        proposal.abstract = "A SECRET ABSTRACT only evaluators with full access may read."
        db.session.commit()
        return ReviewWorld(**vars(s), document_id=document.id)


def _client(app, login, email: str):  # type: ignore[no-untyped-def]
    return login(app.test_client(), SimpleNamespace(email=email))


@pytest.fixture
def as_user(app, login):  # type: ignore[no-untyped-def]
    return lambda email: _client(app, login, email)


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _declare_all(app, world) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for assignment in db.session.scalars(sa.select(Assignment)):
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
        db.session.commit()


def _form(score: str = "4", comment: str = LONG, overall: str = LONG, **extra: str) -> dict[str, str]:
    data = {"overall_comment": overall}
    for key in ("relevance", "quality", "impact"):
        data[f"score_{key}"] = score
        data[f"comment_{key}"] = comment
    data.update(extra)
    return data


# --- the dashboard and the code of conduct -------------------------------------------------------------------------

def test_dashboard_lists_published_assignments_with_deadline(world, as_user) -> None:  # type: ignore[no-untyped-def]
    page = _text(as_user(world.evaluator_emails[0]).get("/review/"))
    assert world.references[0] in page
    assert "ACR1" in page
    assert "Declare conflicts" in page
    assert "rapporteur" in page
    assert "overdue" in page  # the 2022 evaluation deadline has passed
    assert "06 January 2022, 17:00:00 CET" in page


def test_proposed_assignments_are_invisible(app, world, as_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for assignment in db.session.scalars(sa.select(Assignment)):
            assignment.state = AssignmentState.PROPOSED
        db.session.commit()
    client = as_user(world.evaluator_emails[0])
    page = _text(client.get("/review/"))
    assert world.references[0] not in page
    assert "You have no evaluation assignments" in page
    assert client.get(f"/review/evaluations/{world.assignment_id()}").status_code == 404


def test_nothing_is_shown_before_the_code_of_conduct(app, world, as_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.get(PoolMember, world.member_ids[0]).code_of_conduct_accepted_at = None
        db.session.commit()
    client = as_user(world.evaluator_emails[0])
    page = _text(client.get("/review/"))
    assert "Read and accept the code of conduct" in page
    assert world.references[0] not in page
    assert client.get(f"/review/evaluations/{world.assignment_id()}").status_code == 404
    coc = _text(client.get(f"/review/calls/{world.code}/code-of-conduct"))
    assert "impartially" in coc
    assert client.post(f"/review/calls/{world.code}/code-of-conduct", data={}).status_code == 200  # not ticked
    response = client.post(f"/review/calls/{world.code}/code-of-conduct", data={"accept": "y"})
    assert response.status_code == 302
    assert world.references[0] in _text(client.get("/review/"))
    assert client.get(f"/review/evaluations/{world.assignment_id()}").status_code == 200


def test_code_of_conduct_of_a_call_one_is_not_invited_to_is_404(world, as_user) -> None:  # type: ignore[no-untyped-def]
    assert as_user(world.evaluator_emails[0]).get("/review/calls/NOPE/code-of-conduct").status_code == 404
    outsider = as_user(world.applicant_email)
    assert outsider.get(f"/review/calls/{world.code}/code-of-conduct").status_code == 403


def test_declining_an_invitation(app, world, as_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.get(PoolMember, world.member_ids[2]).code_of_conduct_accepted_at = None
        db.session.commit()
    client = as_user(world.evaluator_emails[2])
    assert client.post(f"/review/calls/{world.code}/decline", data={"reason": "Travelling"}).status_code == 302
    with app.app_context():
        member = db.session.get(PoolMember, world.member_ids[2])
        assert member.withdrawn_at is not None
    assert "Read and accept" not in _text(client.get("/review/"))


# --- the declaration --------------------------------------------------------------------------------------------------

def test_before_the_declaration_only_acronym_title_and_consortium(world, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.evaluator_emails[0])
    page = _text(client.get(f"/review/evaluations/{world.assignment_id()}"))
    assert "ACR1" in page
    assert "Proposal 1" in page
    assert "Partner A" in page
    assert "Baltic Cluster Alliance" in page
    assert "SECRET ABSTRACT" not in page
    assert "part-b.pdf" not in page
    assert "Do you have a conflict of interest" in page
    assert client.get(f"/review/evaluations/{world.assignment_id()}/annexes/{world.document_id}").status_code == 404
    assert client.post(f"/review/evaluations/{world.assignment_id()}", data=_form()).status_code == 404


def test_declaring_no_conflict_opens_the_proposal(world, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.evaluator_emails[0])
    response = client.post(f"/review/evaluations/{world.assignment_id()}/declaration",
                           data={"declaration": "no_conflict"})
    assert response.status_code == 302
    page = _text(client.get(f"/review/evaluations/{world.assignment_id()}"))
    assert "SECRET ABSTRACT" in page
    assert "part-b.pdf" in page
    assert "Submit and lock my report" in page
    annex = client.get(f"/review/evaluations/{world.assignment_id()}/annexes/{world.document_id}")
    assert annex.status_code == 200
    assert annex.mimetype == "application/pdf"
    assert annex.data.startswith(b"%PDF")
    annex.close()


def test_a_declared_conflict_needs_a_note_then_hides_the_proposal(world, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.evaluator_emails[0])
    url = f"/review/evaluations/{world.assignment_id()}"
    response = client.post(f"{url}/declaration", data={"declaration": "conflict", "note": "hm"})
    assert response.status_code == 422
    assert "Say what the conflict is" in _text(response)
    response = client.post(f"{url}/declaration",
                           data={"declaration": "conflict", "note": "I worked for the coordinator last year."})
    assert response.status_code == 302
    assert client.get(url).status_code == 404
    page = _text(client.get("/review/"))
    assert "taken off your list because of a conflict of interest" in page
    assert world.references[0] not in page


# --- the individual report --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("score", "message"), [("5.5", "between 0 and 5"), ("3.25", "steps of 0.5"),
                                                ("-1", "between 0 and 5"), ("abc", "must be a number")])
def test_invalid_scores_are_refused_next_to_the_field(world, as_user, app, score, message) -> None:  # type: ignore[no-untyped-def]
    _declare_all(app, world)
    client = as_user(world.evaluator_emails[0])
    response = client.post(f"/review/evaluations/{world.assignment_id()}",
                           data=_form(**{"score_relevance": score, "save": "Save draft"}))
    assert response.status_code == 422
    assert message in _text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IndividualReport.id))) == 0


def test_draft_saves_then_submit_requires_comments_then_locks(world, as_user, app) -> None:  # type: ignore[no-untyped-def]
    _declare_all(app, world)
    client = as_user(world.evaluator_emails[0])
    url = f"/review/evaluations/{world.assignment_id()}"
    response = client.post(url, data=_form(score="3.5", comment="short", save="Save draft"))
    assert response.status_code == 302
    page = _text(client.get(url))
    assert '<option selected value="3.5">' in page
    assert "short</textarea>" in page
    response = client.post(url, data=_form(score="3.5", comment="short", submit="Submit"))
    assert response.status_code == 422
    assert "justify the score in at least 30 characters" in _text(response)
    response = client.post(url, data=_form(score="3.5", submit="Submit"))
    assert response.status_code == 302
    page = _text(client.get(url))
    assert "Submit and lock my report" not in page
    assert "Submitted" in page
    assert client.post(url, data=_form(score="5", save="Save draft")).status_code == 409
    with app.app_context():
        report = db.session.scalar(sa.select(IndividualReport))
        assert report.status is ReportStatus.SUBMITTED
        assert {str(s.score) for s in report.scores} == {"3.5"}


def test_blind_until_the_own_report_is_submitted(world, as_user, app) -> None:  # type: ignore[no-untyped-def]
    _declare_all(app, world)
    with app.app_context():
        other = db.session.get(Assignment, world.assignment_id(0, 1))
        make_report(other, {"relevance": "1.5", "quality": "2", "impact": "2"},
                    comment="PEER COMMENT that the others must not see early.")
        db.session.commit()
    client = as_user(world.evaluator_emails[0])
    url = f"/review/evaluations/{world.assignment_id()}"
    page = _text(client.get(url))
    assert "PEER COMMENT" not in page
    assert "Hidden until you submit your own report" in page
    client.post(url, data=_form(save="Save draft"))
    assert "PEER COMMENT" not in _text(client.get(url))
    assert client.get(f"{url}/consensus").status_code == 302  # not before the own report
    client.post(url, data=_form(submit="Submit"))
    page = _text(client.get(url))
    assert "PEER COMMENT" in page
    assert "differ by" in page  # 4 vs 1.5 on relevance


# --- consensus --------------------------------------------------------------------------------------------------------

def _all_reports_in(app, world, proposal: int = 0) -> None:  # type: ignore[no-untyped-def]
    _declare_all(app, world)
    with app.app_context():
        for i, values in enumerate([("4", "4", "3"), ("5", "3.5", "3"), ("2.5", "4", "3.5")]):
            assignment = db.session.get(Assignment, world.assignment_id(proposal, i))
            make_report(assignment, dict(zip(("relevance", "quality", "impact"), values, strict=True)))
        db.session.commit()


def test_the_rapporteur_drafts_and_submits_the_consensus(world, as_user, app) -> None:  # type: ignore[no-untyped-def]
    _all_reports_in(app, world)
    client = as_user(world.evaluator_emails[0])
    url = f"/review/evaluations/{world.assignment_id()}/consensus"
    page = _text(client.get(url))
    assert "Spread of the individual scores" in page
    assert "mean 3.83" in page
    assert "differ by 2.5" in page
    response = client.post(url, data=_form(score="4", comment="short", submit="Submit"))
    assert response.status_code == 422
    response = client.post(url, data=_form(score="4", submit="Submit"))
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(sa.select(ConsensusReport))
        assert report.status is ReportStatus.SUBMITTED
        assert report.rapporteur_id == world.evaluator_ids[0]
    page = _text(client.get(url))
    assert "Submitted for approval" in page
    assert client.post(url, data=_form(score="5", save="Save draft")).status_code == 409


def test_other_evaluators_read_the_consensus_but_cannot_draft_it(world, as_user, app) -> None:  # type: ignore[no-untyped-def]
    _all_reports_in(app, world)
    client = as_user(world.evaluator_emails[1])
    url = f"/review/evaluations/{world.assignment_id(0, 1)}/consensus"
    page = _text(client.get(url))
    assert "has not started the consensus report yet" in page
    assert "Submit to the programme officer" not in page
    assert client.post(url, data=_form(save="Save draft")).status_code == 403


def test_consensus_waits_for_every_report(world, as_user, app) -> None:  # type: ignore[no-untyped-def]
    _declare_all(app, world)
    with app.app_context():
        make_report(db.session.get(Assignment, world.assignment_id(0, 0)), {"relevance": "4", "quality": "4",
                                                                           "impact": "4"})
        db.session.commit()
    client = as_user(world.evaluator_emails[0])
    url = f"/review/evaluations/{world.assignment_id()}/consensus"
    assert "1 of 3 individual reports are submitted" in _text(client.get(url))
    response = client.post(url, data=_form(save="Save draft"))
    assert response.status_code == 409


# --- the conflict rule through every route ----------------------------------------------------------------------------

def _routes(world: ReviewWorld, assignment_id: int) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/review/evaluations/{assignment_id}"
    return [("get", base, {}), ("post", f"{base}/declaration", {"declaration": "no_conflict"}),
            ("post", base, _form(save="Save draft")), ("get", f"{base}/annexes/{world.document_id}", {}),
            ("get", f"{base}/consensus", {}), ("post", f"{base}/consensus", _form(save="Save draft"))]


def _make_blocked(app, world, case: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """An evaluator and an assignment to proposal 1 that must not open it, for each reason."""
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_ids[0])
        call = proposal.call
        if case in ("organisation", "country"):
            org, country = ("Partner B", "IE") if case == "organisation" else ("Kaunas Tech", "LT")
            person = make_staff(Role.EVALUATOR, f"{case}@x.test", organisation=org, country=country)
            make_pool_member(call, person)
            assignment = make_assignment(proposal, person)  # no conflict declared: detection alone must block
            email = person.email
        else:
            assignment = db.session.get(Assignment, world.assignment_id(0, 0))
            email = world.evaluator_emails[0]
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
            if case == "declared":
                assignment.conflict = ConflictDeclaration.CONFLICT
                assignment.conflict_note = "Former colleague of the coordinator."
            elif case == "unpublished":
                assignment.state = AssignmentState.PROPOSED
            elif case == "withdrawn":
                assignment.state = AssignmentState.WITHDRAWN
            elif case == "no_code_of_conduct":
                db.session.get(PoolMember, world.member_ids[0]).code_of_conduct_accepted_at = None
            elif case == "left_the_pool":
                db.session.get(PoolMember, world.member_ids[0]).withdrawn_at = call.deadline
            elif case == "ineligible":
                from app.enums import Eligibility

                proposal.eligibility = Eligibility.INELIGIBLE
            elif case == "someone_else":
                email = world.evaluator_emails[1]
                # evaluator 2 is assigned to both proposals, but this is evaluator 1's assignment id
        db.session.commit()
        return email, assignment.id


BLOCKED = ["organisation", "country", "declared", "unpublished", "withdrawn", "no_code_of_conduct", "left_the_pool",
           "ineligible", "someone_else"]


@pytest.mark.parametrize("case", BLOCKED)
def test_every_review_route_answers_404_when_the_evaluator_may_not_see(world, as_user, app, case) -> None:  # type: ignore[no-untyped-def]
    _all_reports_in(app, world)
    email, assignment_id = _make_blocked(app, world, case)
    client = as_user(email)
    for method, url, data in _routes(world, assignment_id):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 404, (case, method, url, response.status_code)
        assert "SECRET ABSTRACT" not in _text(response)
    page = _text(client.get("/review/"))
    assert "SECRET ABSTRACT" not in page
    if case not in ("someone_else",):
        assert f"/review/evaluations/{assignment_id}\"" not in page


def test_a_waived_conflict_opens_the_proposal_again(world, as_user, app) -> None:  # type: ignore[no-untyped-def]
    email, assignment_id = _make_blocked(app, world, "declared")
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        assignment.conflict_waived_reason = "Not material: the collaboration ended in 2015."
        assignment.conflict_waived_by_id = world.officer_id
        db.session.commit()
    assert as_user(email).get(f"/review/evaluations/{assignment_id}").status_code == 200


@pytest.mark.parametrize("path", ["/review/", "/review/evaluations/1", "/review/calls/EVAL-CALL/code-of-conduct"])
def test_review_pages_need_an_evaluator(client, client_as, path) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 302
    assert client_as(Role.APPLICANT).get(path).status_code == 403
    assert client_as(Role.OFFICER).get(path).status_code == 403


def test_unknown_evaluation_is_404(world, as_user) -> None:  # type: ignore[no-untyped-def]
    assert as_user(world.evaluator_emails[0]).get("/review/evaluations/999999").status_code == 404


def test_dashboard_queries_do_not_grow_with_assignments(app, as_user) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for code, proposals in (("Q-SMALL", 2), ("Q-LARGE", 12)):
        with app.app_context():
            s = make_evaluation_setup(code=code, proposals=proposals, evaluators=3)
            db.session.commit()
        client = as_user(s.evaluator_emails[0])
        with app.app_context(), QueryCounter() as counter:
            response = client.get("/review/")
        counts.append(counter.count)
        assert response.status_code == 200
    assert counts[0] == counts[1]
