"""Access and portability: a person downloads everything held about them (page, API), an officer produces the same
for a request received by post; each export is audited, and never shows another person's data."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, PersonalDataAccess
from tests.privacy.conftest import LETTER_PDF


def _unzip(response: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["personal-data.json"]), files


def _exports() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "personal_data.exported")))


def test_an_applicant_downloads_everything_held_about_them(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    alice = as_person(people.alice)
    page = alice.get("/account/").get_data(as_text=True)
    assert "Alice Applicant" in page
    assert 'action="/account/personal-data.zip"' in page
    document, files = _unzip(alice.post("/account/personal-data.zip"))
    assert document["format"] == "eurogrants/personal-data-1"
    assert document["account"]["email"] == "alice@baltic.example"
    assert document["account"]["organisation"]["name"] == "Baltic Cluster Alliance"
    [proposal] = document["proposals"]
    assert proposal["reference"] == people.reference
    assert "member of its organisation" in proposal["your_part"]
    # The exact submitted text: its SHA-256 is the receipt's.
    [version] = proposal["submitted_versions"]
    assert hashlib.sha256(files[version["snapshot_file"]]).hexdigest() == version["sha256"]
    [annex] = proposal["annexes"]
    assert hashlib.sha256(files[annex["file"]]).hexdigest() == people.annex_sha
    [letter] = proposal["letters"]
    assert files[letter["file"]] == LETTER_PDF
    [email] = document["emails_sent_to_you"]
    assert email["to"] == ["alice@baltic.example"]  # not the colleague's address
    assert [c["kind"] for c in document["consents"]] == ["submission_declaration"]
    assert document["consents"][0]["text"][0].startswith("The consortium agreed")
    assert "README.txt" in files
    with app.app_context():
        [event] = _exports()
        assert event.actor_id == people.alice
        assert event.object_id == str(people.alice)
        assert event.data["counts"]["proposals"] == 1
        assert db.session.scalars(sa.select(PersonalDataAccess)).all() == []  # one's own data: no officer's access


def test_the_export_never_shows_evaluators_or_other_peoples_addresses_to_the_applicant(people, as_person) -> None:  # type: ignore[no-untyped-def]
    _, files = _unzip(as_person(people.alice).post("/account/personal-data.zip"))
    everything = b"".join(files.values())
    for secret in (b"Eve Evaluator", b"eve@experts.example", b"Finn", b"finn@experts.example",
                   b"Finn's secret comment", b"carol@baltic.example", b"bob@baltic.example"):
        assert secret not in everything, secret
    assert b"(another person)" in files["personal-data.json"]  # the colleague Alice invited, in her audit trail


def test_an_evaluator_gets_their_own_report_and_never_another_evaluators(people, as_person) -> None:  # type: ignore[no-untyped-def]
    document, files = _unzip(as_person(people.eve).post("/account/personal-data.zip"))
    [assignment] = document["evaluation"]["assignments"]
    assert assignment["proposal"] == people.reference
    assert assignment["your_report"]["scores"][0]["comment"] == "Eve's careful comment about the consortium's plan."
    assert document["evaluation"]["pools"][0]["organisation"] == "Expert Office"
    everything = b"".join(files.values())
    assert b"Finn" not in everything
    assert b"finn@experts.example" not in everything
    assert document["proposals"] == []  # the proposal evaluated is not hers: no annexes, no snapshots


def test_someone_who_left_the_organisation_gets_only_what_records_them(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    from app.models import User
    from app.services import membership

    with app.app_context():
        membership.leave_organisation(db.session.get(User, people.alice))
        db.session.commit()
    document, files = _unzip(as_person(people.alice).post("/account/personal-data.zip"))
    [proposal] = document["proposals"]
    assert proposal["versions_you_submitted"][0]["version"] == 1
    assert proposal["contacts_with_your_address"] == [{"partner": "Baltic Cluster Alliance",
                                                       "contact_email": "alice@baltic.example"}]
    assert "annexes" not in proposal
    assert not any(name.startswith("proposals/") for name in files)


def test_over_the_api_too(app, people, token_for) -> None:  # type: ignore[no-untyped-def]
    from app.models import User

    with app.app_context():
        alice = db.session.get(User, people.alice)
    response = app.test_client().post("/api/v1/me/personal-data",
                                      headers={"Authorization": f"Bearer {token_for(alice)}"})
    document, _ = _unzip(response)
    assert document["account"]["full_name"] == "Alice Applicant"
    with app.app_context():
        assert len(_exports()) == 1


def test_an_officer_exports_for_a_request_received_by_post(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    officer = as_person(people.officer)
    found = officer.get("/manage/personal-data?email=Alice@Baltic.example").get_data(as_text=True)
    assert "Alice Applicant" in found
    path = f"/manage/personal-data/people/{people.alice}/export"
    refused = officer.post(path, data={"request_reference": ""})
    assert refused.status_code == 422
    assert "Give the reference of the request." in refused.get_data(as_text=True)
    document, _ = _unzip(officer.post(path, data={"request_reference": "Letter of 3 December 2026, ARES(2026)123"}))
    assert document["account"]["email"] == "alice@baltic.example"
    with app.app_context():
        [event] = _exports()
        assert event.actor_id == people.officer
        assert event.data["for_the_person"] is True
        assert event.data["request"] == "Letter of 3 December 2026, ARES(2026)123"
        [access] = db.session.scalars(sa.select(PersonalDataAccess)).all()
        assert (access.action, access.subject_id, access.user_id) == ("exported", people.alice, people.officer)
        assert access.note == "Letter of 3 December 2026, ARES(2026)123"


def test_an_unknown_person_is_said_so_and_applicants_cannot_export_others(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    officer = as_person(people.officer)
    assert "No account has the e-mail address" in officer.get(
        "/manage/personal-data?email=nobody@example.org").get_data(as_text=True)
    assert officer.post("/manage/personal-data/people/999999/export",
                        data={"request_reference": "x"}).status_code == 404
    bob = as_person(people.bob)
    assert bob.post(f"/manage/personal-data/people/{people.alice}/export",
                    data={"request_reference": "x"}).status_code == 403
