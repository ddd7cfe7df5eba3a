"""Officers' access to personal data is logged, in one place (the proposal loaders), and shown to administrators."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import PersonalDataAccess, Proposal, User
from app.services.proposals import submit_proposal
from tests.factories import make_evaluation_setup, make_open_call, make_ready_proposal


def _log() -> list[PersonalDataAccess]:
    return list(db.session.scalars(sa.select(PersonalDataAccess).order_by(PersonalDataAccess.id)))


@pytest.fixture
def submitted(app: Any, make_user: Any) -> dict[str, Any]:
    applicant = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        call = make_open_call("OPEN-CALL")
        user = db.session.get(User, applicant.id)
        proposal = make_ready_proposal(call, user)  # type: ignore[arg-type]
        submit_proposal(proposal, actor=user)  # type: ignore[arg-type]
        db.session.commit()
        return {"id": proposal.id, "reference": proposal.reference, "document": proposal.documents[0].id,
                "applicant": applicant}


def test_an_officer_opening_a_proposal_its_annex_and_receipt_is_on_record(app, client_as, submitted) -> None:  # type: ignore[no-untyped-def]
    officer = client_as(Role.OFFICER, email="olivia@commission.test", full_name="Olivia Officer")
    pid = submitted["id"]
    assert officer.get(f"/manage/proposals/{pid}").status_code == 200
    annex = officer.get(f"/manage/proposals/{pid}/annexes/{submitted['document']}")
    assert annex.status_code == 200
    annex.close()  # a file response holds its file open until closed
    assert officer.get(f"/manage/proposals/{pid}/submissions/1").status_code == 200
    with app.app_context():
        rows = _log()
        assert [row.path for row in rows] == [f"/manage/proposals/{pid}",
                                              f"/manage/proposals/{pid}/annexes/{submitted['document']}",
                                              f"/manage/proposals/{pid}/submissions/1"]
        assert {row.action for row in rows} == {"viewed"}
        assert {row.proposal_reference for row in rows} == {submitted["reference"]}
        assert {db.session.get(User, row.user_id).email for row in rows} == {"olivia@commission.test"}


def test_over_the_api_too_and_once_per_request(app, make_user, token_for, submitted) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    response = app.test_client().get(f"/api/v1/proposals/{submitted['id']}",
                                     headers={"Authorization": f"Bearer {token_for(officer)}"})
    assert response.status_code == 200
    with app.app_context():
        [row] = _log()
        assert row.path == f"/api/v1/proposals/{submitted['id']}"
        assert row.user_id == officer.id


def test_the_organisations_members_and_a_missing_proposal_leave_no_entry(app, login, client_as, submitted) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), submitted["applicant"])
    assert member.get(f"/applicant/proposals/{submitted['id']}").status_code == 200
    officer = client_as(Role.OFFICER)
    assert officer.get("/manage/proposals/999999").status_code == 404
    with app.app_context():
        assert _log() == []


def test_the_evaluation_pages_of_a_proposal_are_on_record(app, login) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        setup = make_evaluation_setup(code="LOG-EVAL", proposals=1, evaluators=1)
        db.session.commit()
        officer = db.session.get(User, setup.officer_id)
        db.session.expunge_all()
    client = login(app.test_client(), officer)
    pid = setup.proposal_ids[0]
    assert client.get(f"/manage/calls/LOG-EVAL/screening/{pid}").status_code == 200
    with app.app_context():
        [row] = _log()
        assert row.proposal_id == pid
        assert row.path.endswith(f"/screening/{pid}")


def test_administrators_read_the_log_and_officers_may_not(app, client_as, submitted) -> None:  # type: ignore[no-untyped-def]
    officer = client_as(Role.OFFICER, email="olivia@commission.test", full_name="Olivia Officer")
    officer.get(f"/manage/proposals/{submitted['id']}")
    assert officer.get("/manage/personal-data/access-log").status_code == 403
    admin = client_as(Role.ADMIN)
    page = admin.get("/manage/personal-data/access-log").get_data(as_text=True)
    assert "Olivia Officer" in page
    assert submitted["reference"] in page
    assert f"/manage/proposals/{submitted['id']}" in page
    filtered = admin.get("/manage/personal-data/access-log?reference=OTHER-0001").get_data(as_text=True)
    assert "Olivia Officer" not in filtered
    assert "Nothing recorded" in filtered
    by_officer = admin.get("/manage/personal-data/access-log?officer=Olivia@Commission.test").get_data(as_text=True)
    assert submitted["reference"] in by_officer
    with app.app_context():
        assert db.session.get(Proposal, submitted["id"]) is not None
