"""The public verification page (nothing private) and the applicant's "My letters"."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.letter_files import letter_pdf
from app.models import Letter
from app.services import letters as letter_service
from tests.factories import make_letter_scenario


@pytest.fixture
def letters(app, make_user):
    """Generated letters of the scenario; returns the award letter's facts and the owner account."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        data = make_letter_scenario(db.session.merge(owner))
        db.session.commit()
        letter_service.start_letter_batch(data["run"], actor=None)
        db.session.commit()
        award = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == data["proposals"]["selected"].id))
        return {"owner": owner, "run": data["run"].id, "id": award.id, "code": award.verification_code,
                "sha256": award.sha256, "reference": award.reference, "proposal": data["proposals"]["selected"].id,
                "pdf": letter_pdf(award)}


def publish(app, run_id: int) -> None:
    from app.models import SelectionRun

    with app.app_context():
        letter_service.publish_letters(db.session.get(SelectionRun, run_id), actor=None)
        db.session.commit()


def test_verification_page_says_what_the_letter_is_and_nothing_private(client, letters) -> None:
    response = client.get(f"/verify/{letters['code']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for fact in ("SMP-COSME-2021-CLUSTER-01", "EC1SELE", "Selected for funding", "15 March 2022", letters["sha256"],
                 letters["reference"]):
        assert fact in html, fact
    for private in ("Baltic Cluster Alliance", "4.5", "Consensus", "1,010,000", "coordinator1@example.test"):
        assert private not in html, private


def test_a_typed_code_is_normalised_and_an_unknown_one_is_404(client, letters) -> None:
    typed = letters["code"].lower().replace("-", "")
    response = client.get(f"/verify?code={typed}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{letters['code']}")
    missing = client.get("/verify/AAAAA-AAAAA")
    assert missing.status_code == 404
    assert "No letter has this code" in missing.get_data(as_text=True)
    assert client.get("/verify").status_code == 200


def test_the_page_compares_an_uploaded_copy(client, letters) -> None:
    import io

    same = client.post(f"/verify/{letters['code']}", data={"pdf": (io.BytesIO(letters["pdf"]), "letter.pdf")},
                       content_type="multipart/form-data")
    assert "identical to the genuine letter" in same.get_data(as_text=True)
    forged = client.post(f"/verify/{letters['code']}", data={"pdf": (io.BytesIO(letters["pdf"] + b"%"), "x.pdf")},
                         content_type="multipart/form-data")
    assert "differs from the genuine letter" in forged.get_data(as_text=True)


def test_my_letters_shows_published_letters_of_my_organisation_only(app, client_as, login, letters, make_user):
    owner = login(app.test_client(), letters["owner"])
    colleague = client_as(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    stranger = client_as(Role.APPLICANT, organisation="Elsewhere", country="FR")
    assert "No letter yet" in owner.get("/applicant/letters").get_data(as_text=True)
    assert owner.get(f"/applicant/letters/{letters['id']}.pdf").status_code == 404  # not published yet
    publish(app, letters["run"])
    page = owner.get("/applicant/letters").get_data(as_text=True)
    assert page.count("Open PDF") == 5
    assert "Award letter" in page
    assert letters["code"] in page
    assert "Open PDF" in colleague.get("/applicant/letters").get_data(as_text=True)
    download = owner.get(f"/applicant/letters/{letters['id']}.pdf")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == letters["sha256"]
    assert "No letter yet" in stranger.get("/applicant/letters").get_data(as_text=True)
    assert stranger.get(f"/applicant/letters/{letters['id']}.pdf").status_code == 404
    assert owner.get("/applicant/letters/999999.pdf").status_code == 404


def test_my_letters_is_for_applicants(client, client_as) -> None:
    assert client.get("/applicant/letters").status_code == 302
    assert client_as(Role.OFFICER).get("/applicant/letters").status_code == 403
    assert client_as(Role.EVALUATOR).get("/applicant/letters/1.pdf").status_code == 403
