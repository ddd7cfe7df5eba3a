"""The refusals an applicant meets in the proposal editor, in their language: an annex that is not a PDF (the
upload service's refusal, translated for its reader by the web layer) and a section saved with mistakes (the form's
own messages and the flash)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.models import User
from tests.factories import make_open_call, make_proposal
from tests.i18n_support import english_left

REFUSALS = {
    "fr": ["Ce fichier n’est pas un PDF.", "Complétez les partenaires signalés ci-dessous"],
    "de": ["Diese Datei ist keine PDF-Datei.", "Ergänzen Sie die unten markierten Partner"],
}
USER_CONTENT = ["Zeta Vega Orbis", "ZVDRAFT", "Proposal 1", "Test Organisation", "Partner A", "Partner B",
                "An abstract.", "Test User", "Eurogrants", "Open", "notes.txt", "Zeta"]


@pytest.fixture
def draft(app: Flask, make_user: Callable[..., User]) -> tuple[User, int, int]:
    owner = make_user(Role.APPLICANT)
    with app.app_context():
        call = make_open_call("ZV-OPEN-3", title="Zeta Vega Orbis", programme="Zeta")
        proposal = make_proposal(call, db.session.merge(owner), acronym="ZVDRAFT", submitted=False)
        db.session.commit()
        return owner, proposal.id, proposal.edit_version


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_editors_refusals_are_in_the_readers_language(app: Flask, draft: tuple[User, int, int],
                                                          login: Callable[..., FlaskClient], language: str) -> None:
    owner, proposal_id, version = draft
    client = app.test_client()
    login(client, owner)
    client.set_cookie("language", language)
    upload = client.post(f"/applicant/proposals/{proposal_id}/annexes", content_type="multipart/form-data",
                         data={"kind": "part_b", "file": (io.BytesIO(b"plain text, not a PDF"), "notes.txt")})
    assert upload.status_code == 422
    upload_html = upload.get_data(as_text=True)
    assert REFUSALS[language][0] in upload_html.replace("'", "’")
    assert english_left(upload_html, language, user_content=USER_CONTENT) == []

    # A partner row with a name but no country nor type: the form refuses it before any service is called.
    saved = client.post(f"/applicant/proposals/{proposal_id}/consortium", data={
        "version": str(version), "coordinator_contact_email": "", "partners-0-name": "Partner C",
        "partners-0-country": "", "partners-0-organisation_type": "", "partners-0-contact_email": ""})
    assert saved.status_code == 422
    saved_html = saved.get_data(as_text=True)
    assert REFUSALS[language][1] in saved_html
    assert english_left(saved_html, language, user_content=[*USER_CONTENT, "Partner C"]) == []
