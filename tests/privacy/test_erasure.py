"""Erasure that keeps the evaluation honest: a request is assessed against the record of processing, what may go goes
now, what must wait is shown with the date its rule ends, and the person is pseudonymised everywhere, so that counts
and the audit trail still tell the whole story."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from app.enums import ErasureKind, Role
from app.extensions import db
from app.formatting import format_local
from app.models import (
    ApiToken,
    AuditEvent,
    Erasure,
    IndividualReport,
    OutboxMessage,
    Proposal,
    Submission,
    User,
)
from app.privacy.register import read_register
from app.queries.erasure import person_pseudonym
from app.queries.receipts import submission_integrity
from app.storage import get_storage
from tests.conftest import PASSWORD, api_token


def _story(app: Any) -> list[tuple[int, int | None, str, str, str]]:
    """The audit trail as (id, actor, action, object type, object id), in order."""
    with app.app_context():
        return [(e.id, e.actor_id, e.action, e.object_type, e.object_id)
                for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def _trail_text(app: Any) -> str:
    with app.app_context():
        return json.dumps([e.data for e in db.session.scalars(sa.select(AuditEvent))])


def test_the_request_shows_what_goes_now_and_what_waits_until_when(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    page = as_person(people.alice).get("/account/erasure").get_data(as_text=True)
    with app.app_context():
        pseudonym = person_pseudonym(people.alice)
        decided = db.session.get(Proposal, people.proposal_id).decided_at
    assert f"replaced everywhere by “{pseudonym}”" in page
    # The submitted proposal must wait: 5 years after the 30-day redress period that follows its decision.
    until = decided + timedelta(days=30) + relativedelta(years=5)
    assert f"GREENMOVE ({people.reference})" in page
    assert f"until {format_local(until)}" in page
    assert "Proposal not funded" in page
    assert "The audit trail of what you did: kept, naming the pseudonym" in page
    evaluator_page = as_person(people.eve).get("/account/erasure").get_data(as_text=True)
    assert "as an evaluator of DATA-CALL" in evaluator_page
    assert f"Your evaluation of {people.reference}" in evaluator_page


def test_an_applicant_erases_their_account_end_to_end(app, people, as_person, token_for) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        alice_user = db.session.get(User, people.alice)
        db.session.expunge(alice_user)
    token = api_token(app, alice_user)
    alice = as_person(people.alice)
    before = _story(app)
    refused = alice.post("/account/erasure", data={"password": "wrong-password!", "confirm": "y"})
    assert refused.status_code == 422
    assert "The password is not right." in refused.get_data(as_text=True)
    done = alice.post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
    page = done.get_data(as_text=True)
    with app.app_context():
        pseudonym = person_pseudonym(people.alice)
    assert done.status_code == 200
    assert "Your account is erased" in page
    assert pseudonym in page
    # The person is logged out and can never log in again, nor use a token.
    assert alice.get("/account/").status_code == 302
    login = app.test_client().post("/auth/login", data={"email": "alice@baltic.example", "password": PASSWORD})
    assert login.status_code == 200
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with app.app_context():
        user = db.session.get(User, people.alice)
        assert user.full_name == pseudonym
        assert user.email == f"{pseudonym.lower().replace(' ', '-')}@erased.invalid"
        assert (user.password_hash, user.organisation_id, user.is_active_account) == ("", None, False)
        assert db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == people.alice)).all() == []
        message = db.session.scalars(sa.select(OutboxMessage)).one()
        assert message.recipients == [user.email, "bob@baltic.example"]
        # What must wait stays: her submitted version, intact, still names her until its rule runs out.
        submission = db.session.scalar(sa.select(Submission).where(Submission.proposal_id == people.proposal_id))
        assert '"name":"Alice Applicant"' in submission.snapshot
        assert submission_integrity(submission).intact
        # The register (table and file) and the audit event: no name, the pseudonym, the rule.
        entry = db.session.scalars(sa.select(Erasure).where(Erasure.kind == ErasureKind.PERSON)).one()
        assert (entry.subject_id, entry.label, entry.rule, entry.erased_by_id) == (
            people.alice, pseudonym, "request", people.alice)
        assert any(item["what"].startswith("GREENMOVE") for item in entry.summary["waiting"])
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "personal_data.person_erased")).one()
        assert event.data["pseudonym"] == pseudonym
    assert read_register(app_path(app)) == [entry_line(app, ErasureKind.PERSON, people.alice)]
    after = _story(app)
    assert after[:len(before)] == before  # every event stays, in its order, with its actor
    trail = _trail_text(app)
    assert "alice@baltic.example" not in trail
    assert pseudonym.lower().replace(" ", "-") in trail


def app_path(app: Any) -> Any:
    from pathlib import Path

    return Path(app.config["ERASURE_REGISTER"])


def entry_line(app: Any, kind: ErasureKind, subject_id: int) -> dict[str, Any]:
    with app.app_context():
        return db.session.scalars(sa.select(Erasure).where(Erasure.kind == kind,
                                                           Erasure.subject_id == subject_id)).one().register_entry()


def test_the_pseudonymised_audit_trail_still_tells_a_complete_story(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    """Erasing two people: every event stays, each actor stays one stable pseudonym, nobody's address is left."""
    as_person(people.bob).post("/account/name", data={"name-full_name": "Robert Colleague"})
    before = _story(app)
    with app.app_context():
        actions_by = {uid: [a for _, actor, a, _, _ in before if actor == uid] for uid in (people.alice, people.bob)}
    for person in (people.alice, people.bob):
        response = as_person(person).post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
        assert response.status_code == 200
    after = _story(app)
    assert after[:len(before)] == before
    with app.app_context():
        names = {uid: db.session.get(User, uid).full_name for uid in (people.alice, people.bob)}
        assert names == {people.alice: person_pseudonym(people.alice), people.bob: person_pseudonym(people.bob)}
        assert len(set(names.values())) == 2  # two people, two pseudonyms: the counts per actor still hold
        for uid, actions in actions_by.items():
            assert [a for _, actor, a, _, _ in after[:len(before)] if actor == uid] == actions
        # Who invited whom, who submitted what: each event still names its actor, now by pseudonym.
        submitted = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "proposal.submitted")).one()
        assert submitted.actor.full_name == person_pseudonym(people.alice)
        erased_events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "personal_data.person_erased").order_by(AuditEvent.id)).all()
        assert [e.object_id for e in erased_events] == [str(people.alice), str(people.bob)]
    trail = _trail_text(app)
    for gone in ("alice@baltic.example", "bob@baltic.example", "Robert Colleague", "Bob Colleague"):
        assert gone not in trail
    assert "carol@baltic.example" in trail  # someone invited, not erased, stays as recorded


def test_evaluation_records_keep_their_counts_under_the_pseudonym(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    erased = as_person(people.eve).post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
    assert erased.status_code == 200
    with app.app_context():
        reports = db.session.scalars(sa.select(IndividualReport)).all()
        assert len(reports) == 2  # both reports still count
        eve_report = next(r for r in reports if r.assignment.evaluator_id == people.eve)
        assert eve_report.scores[0].comment == "Eve's careful comment about the consortium's plan."  # waits
        assert eve_report.assignment.evaluator.full_name == person_pseudonym(people.eve)
    officer_page = as_person(people.officer).get(f"/manage/calls/DATA-CALL/evaluation/{people.proposal_id}")
    assert officer_page.status_code == 200
    text = officer_page.get_data(as_text=True)
    assert person_pseudonym_text(app, people.eve) in text
    assert "Eve Evaluator" not in text
    assert "Finn Otherexpert" in text


def person_pseudonym_text(app: Any, user_id: int) -> str:
    with app.app_context():
        return person_pseudonym(user_id)


def test_the_only_member_s_drafts_go_now_with_their_files(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    dora = as_person(people.dora)
    page = dora.get("/account/erasure").get_data(as_text=True)
    assert f"SOLODRAFT ({people.draft_reference})" in page
    with app.app_context():
        assert get_storage().exists(people.draft_annex_sha)
    assert dora.post("/account/erasure", data={"password": PASSWORD, "confirm": "y"}).status_code == 200
    with app.app_context():
        assert db.session.get(Proposal, people.draft_id) is None
        assert not get_storage().exists(people.draft_annex_sha)
        assert get_storage().exists(people.annex_sha)  # another proposal's annex stays
        kinds = {(e.kind, e.subject_id) for e in db.session.scalars(sa.select(Erasure))}
        assert kinds == {(ErasureKind.DRAFT, people.draft_id), (ErasureKind.PERSON, people.dora)}
        assert db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "personal_data.draft_deleted")).one().object_id == str(people.draft_id)


def test_an_erasure_rolled_back_leaves_every_file_its_records_point_to(app, people) -> None:  # type: ignore[no-untyped-def]
    """Files go only when the erasure commits: a transaction that erased and then rolled back (a refusal later in the
    request, a job that lost its write phase) keeps the draft and its annex, readable."""
    from app.services.personal_data import erase_account

    with app.app_context():
        dora = db.session.get(User, people.dora)
        erase_account(dora, actor=dora, password=PASSWORD)
        assert get_storage().exists(people.draft_annex_sha)  # not before the commit
        db.session.rollback()
        assert db.session.get(Proposal, people.draft_id) is not None
        assert get_storage().exists(people.draft_annex_sha)
        dora = db.session.get(User, people.dora)
        erase_account(dora, actor=dora, password=PASSWORD)
        db.session.commit()
        assert not get_storage().exists(people.draft_annex_sha)


def test_an_administrator_erases_for_a_request_received_by_post(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    admin = as_person(people.admin)
    page = admin.get("/manage/personal-data?email=dora@solo.example").get_data(as_text=True)
    assert "Erase on their behalf" in page
    assert "SOLODRAFT" in page
    path = f"/manage/personal-data/people/{people.dora}/erasure"
    assert as_person(people.officer).post(path, data={"request_reference": "x", "confirm": "y"}).status_code == 403
    missing = admin.post(path, data={"request_reference": "", "confirm": "y"})
    assert missing.status_code == 422
    done = admin.post(path, data={"request_reference": "Letter of 2 Dec 2026, ARES(2026)77", "confirm": "y"},
                      follow_redirects=True)
    assert "Erased: the account is now “Person " in done.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(sa.select(Erasure).where(Erasure.kind == ErasureKind.PERSON)).one()
        assert (entry.erased_by_id, entry.request_reference) == (people.admin, "Letter of 2 Dec 2026, ARES(2026)77")
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "personal_data.person_erased")).one()
        assert event.actor_id == people.admin
        assert event.data["request"] == "Letter of 2 Dec 2026, ARES(2026)77"
    again = admin.get(f"/manage/personal-data?email={person_pseudonym_text(app, people.dora).lower().replace(' ', '-')}"
                      "@erased.invalid").get_data(as_text=True)
    assert "This account was erased on" in again


def test_the_only_administrator_cannot_erase_their_account(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    response = as_person(people.admin).post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 409
    assert "only administrator" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, people.admin).has_role(Role.ADMIN)
        assert db.session.scalars(sa.select(Erasure)).all() == []


def test_pseudonyms_are_stable_and_need_the_key(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        assert person_pseudonym(7) == person_pseudonym(7)
        assert person_pseudonym(7) != person_pseudonym(8)
        assert person_pseudonym(7).startswith("Person ")
        app.config["PSEUDONYM_KEY"] = "another key"
        try:
            assert person_pseudonym(7) != person_pseudonym_with(app, "")
        finally:
            app.config["PSEUDONYM_KEY"] = ""


def person_pseudonym_with(app: Any, key: str) -> str:
    previous = app.config["PSEUDONYM_KEY"]
    app.config["PSEUDONYM_KEY"] = key
    try:
        return person_pseudonym(7)
    finally:
        app.config["PSEUDONYM_KEY"] = previous
