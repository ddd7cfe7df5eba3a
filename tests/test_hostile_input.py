"""Hostile input in every main text field, body and upload: refused in the error shape or stored and shown safely.

What the intake tests already cover is not repeated here: hostile file names, empty / non-PDF / damaged /
encrypted uploads, the 413 of an oversize body (tests/services/test_proposals_documents.py,
tests/views/applicant/test_proposal_pages.py, tests/api/test_proposals_api.py), the spreadsheet `neutralise`
function itself (tests/services/test_selection_outputs.py) and hostile text in letters
(tests/services/test_letters_safety.py).

Decision on PDFs that carry JavaScript (an /OpenAction): they are ACCEPTED and stored byte for byte — the
stored bytes are evidence whose SHA-256 the receipt quotes, so rewriting them is not an option — and
NEUTRALISED on the way out: every download is an attachment with `Content-Security-Policy: sandbox` and
`nosniff`, so no browser runs them inline in our origin.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.enums import Role
from app.extensions import db
from app.models import Document, User
from app.storage import LocalStorage, get_storage
from tests.factories import (
    make_evaluation_setup,
    make_letter_scenario,
    make_open_call,
    make_staff,
    pdf_bytes,
)

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "megabyte": "A" * 1_000_000,
    "nul": "before\x00after",
    "rtl": "\u202efdp.exe",
    "emoji": "Cluster 🚀🇪🇺 ünïcödé",
}
RAW_MARKERS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
TRIED: list[str] = []  # one entry per hostile input sent (the count goes into the closing note)


def _error_shape(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert body is not None, response.get_data()[:300]
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]  # type: ignore[no-any-return]


def _page_is_safe(response: Any) -> None:
    assert response.status_code < 500, response.get_data()[:300]
    html = response.get_data(as_text=True)
    for marker in RAW_MARKERS:
        assert marker not in html


def _accepted_or_refused(response: Any, *, api: bool) -> bool:
    """True if stored; asserts a refusal is a 4xx in the error shape (API) and never a 500."""
    TRIED.append(response.request.path)
    assert response.status_code < 500, response.get_data()[:300]
    if response.status_code < 400:
        return True
    assert response.status_code in (400, 409, 413, 422), response.status_code
    if api:
        _error_shape(response)
    return False


# --- the proposal API ----------------------------------------------------------------------------------------

@pytest.fixture
def applicant(make_user: Any) -> User:
    return make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")  # type: ignore[no-any-return]


@pytest.fixture
def draft(app: Flask, applicant: User, token_for: Any, client: Any) -> dict[str, Any]:
    with app.app_context():
        make_open_call("HOSTILE-CALL")
        db.session.commit()
    auth = {"Authorization": f"Bearer {token_for(applicant)}"}
    response = client.post("/api/v1/calls/HOSTILE-CALL/proposals", json={}, headers=auth)
    assert response.status_code == 201
    return {"id": response.get_json()["id"], "auth": auth}


def _patch_body(field: str, value: str) -> dict[str, Any]:
    if field == "partner_name":
        return {"partners": [{"name": value, "country": "DE", "organisation_type": "cluster_organisation"}]}
    if field == "contact_email":
        return {"coordinator": {"contact_email": value}}
    return {field: value}


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("field", ["acronym", "title", "abstract", "strand", "partner_name", "contact_email"])
def test_proposal_text_fields_over_the_api(app: Flask, client: Any, client_as: Any, applicant: User, login: Any,
                                           draft: dict[str, Any], field: str, payload: str) -> None:
    value = PAYLOADS[payload]
    response = client.patch(f"/api/v1/proposals/{draft['id']}", headers=draft["auth"],
                            json={"version": 1, **_patch_body(field, value)})
    if _accepted_or_refused(response, api=True):
        body = response.get_json()
        stored = body["partners"][1]["name"] if field == "partner_name" else (
            body["partners"][0]["contact_email"] if field == "contact_email" else body[field])
        # Stored as typed (escaping is the pages' job), except NUL, which no PostgreSQL text can hold (dropped).
        assert stored == value.replace("\x00", "")
    pages = [f"/applicant/proposals/{draft['id']}", f"/applicant/proposals/{draft['id']}/summary",
             f"/applicant/proposals/{draft['id']}/consortium"]
    own = login(app.test_client(), applicant)
    for page in pages:
        _page_is_safe(own.get(page))
    _page_is_safe(client_as(Role.OFFICER).get(f"/manage/proposals/{draft['id']}"))
    assert client.get(f"/api/v1/proposals/{draft['id']}/eligibility", headers=draft["auth"]).status_code == 200


@pytest.mark.parametrize(("raw", "stored"), [
    ('{"version": 1, "title": "\\ud800"}', "\ufffd"),           # a lone surrogate
    ('{"version": 1, "title": "\\udfff\\ud800x\\u0000"}', "\ufffd\ufffdx"),
    ('{"version": 1, "title": "\\ud83d\\ude80"}', "\U0001f680"),  # a proper pair: the rocket, kept
])
def test_unstorable_characters_are_cleaned_at_the_door(client: Any, draft: dict[str, Any], raw: str,
                                                       stored: str) -> None:
    """NUL and lone surrogates are never text: NUL is dropped, a lone surrogate becomes U+FFFD (never a 500)."""
    response = client.patch(f"/api/v1/proposals/{draft['id']}", headers=draft["auth"], data=raw,
                            content_type="application/json")
    TRIED.append("json")
    assert response.status_code == 200, response.get_data()[:300]
    assert response.get_json()["title"] == stored
    for path in ("/calls/%00%ED%A0%80", "/api/v1/calls/%00x", "/verify/%00"):
        assert client.get(path, headers=draft["auth"]).status_code == 404


@pytest.mark.parametrize("raw", [
    b'{"version": 1, "title": "\xff\xfe"}',               # not UTF-8 at all
    '{"version": 1, "title": ',                           # truncated JSON
    "[]", '"a string"', "null", "12",                     # JSON that is not an object
    '{"version": "one", "title": 5}',                     # wrong types
    '{"version": 1, "partners": "nope"}',
    '{"version": 1, "partners": [1, 2]}',
    '{"version": 1, "duration_months": 1e309}',
    '{"version": 1, "requested_grant": "NaN"}',
    '{"version": 1, "requested_grant": "1e999999"}',
    '{"version": 99999999999999999999999}',
])
def test_malformed_json_is_a_4xx_in_the_error_shape(client: Any, draft: dict[str, Any], raw: str | bytes) -> None:
    response = client.patch(f"/api/v1/proposals/{draft['id']}", headers=draft["auth"], data=raw,
                            content_type="application/json")
    TRIED.append("json")
    assert response.status_code in (400, 409, 422), (raw, response.status_code, response.get_data()[:300])
    _error_shape(response)


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/api/v1/calls/HOSTILE-CALL/proposals"])
@pytest.mark.parametrize("raw", ['{"email": "\\ud800", "password": "\\udfff"}', '{"email": ["x"], "password": {}}',
                                 "not json", '{"acronym": 5}'])
def test_other_bodies_with_garbage_are_4xx(client: Any, draft: dict[str, Any], path: str, raw: str) -> None:
    response = client.post(path, headers=draft["auth"], data=raw, content_type="application/json")
    TRIED.append("json")
    assert 400 <= response.status_code < 500, (raw, response.status_code, response.get_data()[:300])
    _error_shape(response)


# --- forms -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("field", ["full_name", "organisation_name"])
def test_registration_fields(app: Flask, client: Any, field: str, payload: str) -> None:
    form = {"full_name": "Ana Lopes", "email": f"ana.{field}.{payload}@example.test", "organisation_name": "Cluster",
            "country": "PT", "organisation_type": "cluster_organisation", "password": "violet-harbour-1987-tram",
            "confirm": "violet-harbour-1987-tram", field: PAYLOADS[payload]}
    response = client.post("/auth/register", data=form)
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    if response.status_code == 302:
        _page_is_safe(client.get("/applicant/"))
        _page_is_safe(client.get("/"))


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_summary_form(app: Flask, applicant: User, login: Any, draft: dict[str, Any], payload: str) -> None:
    own = login(app.test_client(), applicant)
    value = PAYLOADS[payload]
    response = own.post(f"/applicant/proposals/{draft['id']}/summary",
                        data={"version": "1", "acronym": value, "title": value, "abstract": value, "strand": "Open"})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(own.get(f"/applicant/proposals/{draft['id']}"))


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_consortium_form(app: Flask, applicant: User, login: Any, draft: dict[str, Any], payload: str) -> None:
    own = login(app.test_client(), applicant)
    value = PAYLOADS[payload]
    response = own.post(f"/applicant/proposals/{draft['id']}/consortium", data={
        "version": "1", "coordinator_contact_email": value, "partners-0-name": value, "partners-0-country": "DE",
        "partners-0-organisation_type": "cluster_organisation", "partners-0-contact_email": value})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(own.get(f"/applicant/proposals/{draft['id']}/consortium"))


# --- evaluation and screening texts --------------------------------------------------------------------------------

@pytest.fixture
def evaluation(app: Flask, token_for: Any) -> dict[str, Any]:
    with app.app_context():
        setup = make_evaluation_setup(code="HOSTILE-EVAL", proposals=1, evaluators=1)
        db.session.commit()
        evaluator = db.session.get(User, setup.evaluator_ids[0])
        officer = db.session.get(User, setup.officer_id)
        assignment = setup.assignments[(setup.proposal_ids[0], evaluator.id)]
    return {"assignment": assignment, "proposal": setup.proposal_ids[0], "code": setup.code,
            "evaluator": {"Authorization": f"Bearer {token_for(evaluator)}"},
            "officer": {"Authorization": f"Bearer {token_for(officer)}"}, "officer_user": officer}


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_evaluation_texts(app: Flask, client: Any, login: Any, evaluation: dict[str, Any], payload: str) -> None:
    value = PAYLOADS[payload]
    ev, pid, code = evaluation["assignment"], evaluation["proposal"], evaluation["code"]
    scores = [{"criterion": key, "score": "4", "comment": value} for key in ("relevance", "quality", "impact")]
    response = client.put(f"/api/v1/evaluations/{ev}", headers=evaluation["evaluator"],
                          json={"overall_comment": value, "scores": scores})
    _accepted_or_refused(response, api=True)
    response = client.post(f"/api/v1/evaluations/{ev}/conflict", headers=evaluation["evaluator"],
                           json={"conflict": False, "note": value})
    _accepted_or_refused(response, api=True)
    response = client.patch(f"/api/v1/proposals/{pid}/eligibility", headers=evaluation["officer"],
                            json={"eligibility": "ineligible", "reason": value})
    _accepted_or_refused(response, api=True)
    response = client.post(f"/api/v1/proposals/{pid}/extension", headers=evaluation["officer"],
                           json={"deadline": "2099-01-01T17:00:00+01:00", "reason": value})
    _accepted_or_refused(response, api=True)
    officer = login(app.test_client(), evaluation["officer_user"])
    for page in (f"/manage/calls/{code}/evaluation/{pid}", f"/manage/calls/{code}/screening",
                 f"/manage/calls/{code}/screening/{pid}", f"/manage/proposals/{pid}",
                 f"/manage/calls/{code}/proposals"):
        _page_is_safe(officer.get(page))
    _page_is_safe(client.get(f"/api/v1/evaluations/{ev}", headers=evaluation["evaluator"]))


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_screening_form_reason(app: Flask, login: Any, evaluation: dict[str, Any], payload: str) -> None:
    officer = login(app.test_client(), evaluation["officer_user"])
    path = f"/manage/calls/{evaluation['code']}/screening/{evaluation['proposal']}"
    response = officer.post(path, data={"eligibility": "ineligible", "reason": PAYLOADS[payload]})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(officer.get(path))


# --- selection: tie justification, spreadsheets ---------------------------------------------------------------------

@pytest.fixture
def ranked(app: Flask, make_user: Any) -> dict[str, Any]:
    """The letters scenario, whose proposals carry formula-like and HTML acronyms and titles."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    hostile = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "<script>alert(1)</script>"]
    with app.app_context():
        data = make_letter_scenario(db.session.merge(owner), code="HOSTILE-SEL")
        for proposal, text in zip(data["proposals"].values(), hostile, strict=True):
            proposal.acronym, proposal.title = text[:20], text
        officer = make_staff(Role.OFFICER, "officer@hostile.test", organisation="European Commission", country="BE")
        db.session.commit()
        return {"code": data["call"].code, "officer": db.session.get(User, officer.id), "hostile": hostile}


def _no_formula(cell: str) -> None:
    assert not cell or cell[0] not in "=+-@\t\r", repr(cell)


def test_ranking_exports_neutralise_formulas_end_to_end(app: Flask, login: Any, token_for: Any, client: Any,
                                                         ranked: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    officer = login(app.test_client(), ranked["officer"])
    TRIED.extend(ranked["hostile"])
    for response in (officer.get(f"/manage/calls/{ranked['code']}/ranking.csv"),
                     client.get(f"/api/v1/calls/{ranked['code']}/ranking.csv",
                                headers={"Authorization": f"Bearer {token_for(ranked['officer'])}"})):
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        cells = [c for row in rows[1:] for c in row if not _is_number(c)]
        for cell in cells:
            _no_formula(cell)
        assert any(c.startswith("'=HYPERLINK") for c in cells)
    response = officer.get(f"/manage/calls/{ranked['code']}/ranking.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    texts = [c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts
    for cell in texts:
        _no_formula(cell)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    _page_is_safe(officer.get(f"/manage/calls/{ranked['code']}/ranking"))


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_tie_justification(app: Flask, login: Any, ranked: dict[str, Any], payload: str) -> None:
    officer = login(app.test_client(), ranked["officer"])
    path = f"/manage/calls/{ranked['code']}/ties/resolve"
    response = officer.post(path, data={"justification": PAYLOADS[payload], "order": "x"})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(officer.get(f"/manage/calls/{ranked['code']}/ranking"))


# --- uploads ----------------------------------------------------------------------------------------------------------

def _pdf_with_javascript() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(1))))
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('pwned');")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdf_with_javascript_is_kept_as_evidence_and_only_ever_served_as_a_sandboxed_download(
        app: Flask, client: Any, applicant: User, login: Any, draft: dict[str, Any]) -> None:
    data = _pdf_with_javascript()
    assert b"/OpenAction" in data
    assert b"/JavaScript" in data
    TRIED.append("pdf-js")
    response = client.post(f"/api/v1/proposals/{draft['id']}/documents", headers=draft["auth"],
                           data={"kind": "part_b", "file": (io.BytesIO(data), "part-b.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data()[:300]
    document = response.get_json()
    assert document["sha256"] == hashlib.sha256(data).hexdigest()
    own = login(app.test_client(), applicant)
    for path, who in ((document["url"], client), (f"/applicant/proposals/{draft['id']}/annexes/{document['id']}", own)):
        served = who.get(path, headers=draft["auth"] if who is client else {})
        assert served.status_code == 200
        assert served.get_data() == data
        assert served.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        served.close()


class CountingStream(io.RawIOBase):
    """A request body that claims 100 MB and counts what the app reads of it."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"\0" * n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("target", ["api", "page"])
def test_a_100_mb_upload_is_refused_before_its_body_is_read(app: Flask, client: Any, applicant: User, login: Any,
                                                            draft: dict[str, Any], target: str) -> None:
    size = 100 * 1024 * 1024
    stream = CountingStream(size)
    TRIED.append("100MB")
    if target == "api":
        path, who, headers = f"/api/v1/proposals/{draft['id']}/documents", client, draft["auth"]
    else:
        path, who, headers = f"/applicant/proposals/{draft['id']}/annexes", login(app.test_client(), applicant), {}
    # The environ is set by hand: the test client would seek the stream to measure it.
    response = who.post(path, headers=headers, content_type="multipart/form-data; boundary=xyz",
                        environ_overrides={"wsgi.input": io.BufferedReader(stream), "CONTENT_LENGTH": str(size)})
    assert response.status_code == 413
    assert app.config["MAX_CONTENT_LENGTH"] < size
    assert stream.read_bytes < 1024 * 1024, f"the app read {stream.read_bytes} bytes of a body it refuses"
    if target == "api":
        assert _error_shape(response)["code"] == "payload_too_large"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


@pytest.mark.parametrize(("data", "name"), [
    (b"MZ\x90\x00 an executable renamed", "setup.exe.pdf"),
    (b"<html><script>alert(1)</script></html>", "page.pdf"),
    (pdf_bytes(1), "../../etc/passwd.pdf"),
    (pdf_bytes(1), "..\\..\\windows\\win.ini.pdf"),
    (pdf_bytes(1), "<script>alert(1)</script>.pdf"),
])
def test_hostile_uploads_through_the_page(app: Flask, applicant: User, login: Any, draft: dict[str, Any],
                                          data: bytes, name: str, tmp_path: Any) -> None:
    own = login(app.test_client(), applicant)
    TRIED.append(name)
    response = own.post(f"/applicant/proposals/{draft['id']}/annexes",
                        data={"kind": "part_b", "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(own.get(f"/applicant/proposals/{draft['id']}/annexes"))
    with app.app_context():
        for document in db.session.scalars(sa.select(Document)):
            for forbidden in ("/", "\\", "..", "<"):
                assert forbidden not in document.filename

            assert get_storage().exists(document.sha256)
            storage = get_storage()
            assert isinstance(storage, LocalStorage)
            assert str(storage.file_path(document.sha256)).startswith(app.config["STORAGE_DIR"])


@pytest.fixture(scope="module", autouse=True)
def _report_count() -> Any:
    yield
    print(f"\nhostile input: {len(TRIED)} hostile requests sent")
