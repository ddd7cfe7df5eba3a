"""The evaluator's code of conduct and the applicant's declaration are stored with the version of the text accepted."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import ConsentKind, Role
from app.extensions import db
from app.models import AuditEvent, Consent, PoolMember, Proposal, Submission, User
from app.privacy import texts
from app.privacy.texts import AcceptedText, current_text, find_text
from tests.factories import make_evaluation_setup, make_open_call, make_ready_proposal


def _consents() -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).order_by(Consent.id)))


@pytest.fixture
def pool(app: Any) -> Any:
    with app.app_context():
        setup = make_evaluation_setup(code="COC-CALL", proposals=1, evaluators=1, accepted=False)
        db.session.commit()
        return setup


def _evaluator_client(app: Any, login: Any, pool: Any) -> Any:
    with app.app_context():
        user = db.session.get(User, pool.evaluator_ids[0])
    return login(app.test_client(), user)


def test_accepting_the_code_of_conduct_stores_the_version_shown(app, login, pool) -> None:  # type: ignore[no-untyped-def]
    client = _evaluator_client(app, login, pool)
    page = client.get("/review/calls/COC-CALL/code-of-conduct").get_data(as_text=True)
    version = current_text(ConsentKind.CODE_OF_CONDUCT).version
    assert f'name="text_version" type="hidden" value="{version}"' in page
    assert f"version {version}" in page
    response = client.post("/review/calls/COC-CALL/code-of-conduct", data={"accept": "y", "text_version": version})
    assert response.status_code == 302
    with app.app_context():
        [consent] = _consents()
        assert consent.kind is ConsentKind.CODE_OF_CONDUCT
        assert consent.user_id == pool.evaluator_ids[0]
        assert consent.call_id == pool.call_id
        assert consent.text_version == version
        assert consent.text_sha256 == current_text(ConsentKind.CODE_OF_CONDUCT).sha256
        member = db.session.get(PoolMember, pool.member_ids[0])
        assert consent.given_at == member.code_of_conduct_accepted_at
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "pool.code_of_conduct_accepted"))
        assert event.data["text_version"] == version


def test_a_text_changed_while_the_page_was_open_must_be_read_again(app, login, pool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = _evaluator_client(app, login, pool)
    shown = current_text(ConsentKind.CODE_OF_CONDUCT).version
    newer = AcceptedText(ConsentKind.CODE_OF_CONDUCT, "2099-01-01", ("A stricter rule.",))
    monkeypatch.setitem(texts.VERSIONS, ConsentKind.CODE_OF_CONDUCT,
                        (*texts.VERSIONS[ConsentKind.CODE_OF_CONDUCT], newer))
    response = client.post("/review/calls/COC-CALL/code-of-conduct", data={"accept": "y", "text_version": shown},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "changed since your page was opened" in page
    assert "A stricter rule." in page  # the page shows the new text to read
    with app.app_context():
        assert _consents() == []
        assert db.session.get(PoolMember, pool.member_ids[0]).code_of_conduct_accepted_at is None
    assert find_text(ConsentKind.CODE_OF_CONDUCT, shown) is not None  # earlier versions stay readable


@pytest.fixture
def draft(app: Any, make_user: Any) -> tuple[int, Any]:
    applicant = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        call = make_open_call("OPEN-CALL")
        proposal = make_ready_proposal(call, db.session.get(User, applicant.id))  # type: ignore[arg-type]
        db.session.commit()
        return proposal.id, applicant


def test_the_declaration_at_submission_is_stored_with_its_version(app, login, draft) -> None:  # type: ignore[no-untyped-def]
    proposal_id, applicant = draft
    client = login(app.test_client(), applicant)
    page = client.get(f"/applicant/proposals/{proposal_id}").get_data(as_text=True)
    declaration = current_text(ConsentKind.SUBMISSION_DECLARATION)
    assert declaration.lines[1].replace("'", "&#39;") in page
    assert f'value="{declaration.version}"' in page
    response = client.post(f"/applicant/proposals/{proposal_id}/submit",
                           data={"version": "1", "confirm": "y", "declaration_version": declaration.version})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    with app.app_context():
        [consent] = _consents()
        submission = db.session.scalar(sa.select(Submission).where(Submission.proposal_id == proposal_id))
        assert consent.kind is ConsentKind.SUBMISSION_DECLARATION
        assert consent.submission_id == submission.id
        assert consent.user_id == applicant.id
        assert consent.text_version == declaration.version
        assert consent.given_at == submission.submitted_at


def test_an_outdated_declaration_submits_nothing_over_the_api(app, draft, token_for) -> None:  # type: ignore[no-untyped-def]
    proposal_id, applicant = draft
    headers = {"Authorization": f"Bearer {token_for(applicant)}"}
    client = app.test_client()
    text = client.get("/api/v1/texts/submission_declaration", headers=headers).json
    assert text["version"] == current_text(ConsentKind.SUBMISSION_DECLARATION).version
    assert text["lines"] == list(current_text(ConsentKind.SUBMISSION_DECLARATION).lines)
    refused = client.post(f"/api/v1/proposals/{proposal_id}/submit", json={"declaration_version": "2001-01-01"},
                          headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "invalid_input"
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).submissions == []
        assert _consents() == []
    accepted = client.post(f"/api/v1/proposals/{proposal_id}/submit", json={"declaration_version": text["version"]},
                           headers=headers)
    assert accepted.status_code == 201, accepted.json
    with app.app_context():
        [consent] = _consents()
        assert consent.text_version == text["version"]


def test_an_unknown_text_is_404(app, draft, token_for) -> None:  # type: ignore[no-untyped-def]
    _, applicant = draft
    response = app.test_client().get("/api/v1/texts/newsletter",
                                     headers={"Authorization": f"Bearer {token_for(applicant)}"})
    assert response.status_code == 404
