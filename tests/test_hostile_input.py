"""Hostile input in every main text field, body and upload: refused in the error shape or stored and shown safely.

What the intake tests already cover is not repeated here: hostile file names, empty / non-PDF / damaged /
encrypted uploads, the 413 of an oversize body (tests/services/test_documents.py,
tests/views/applicant/test_proposal_pages.py, tests/api/test_proposals_api.py), the spreadsheet `neutralise`
function itself (tests/views/manage/test_exports.py) and hostile text in letters
(tests/services/test_letters_safety.py).

Decision on PDFs that carry JavaScript (an /OpenAction): they are ACCEPTED and stored byte for byte — the
stored bytes are evidence whose SHA-256 the receipt quotes, so rewriting them is not an option — and
NEUTRALISED on the way out: every download is an attachment with `Content-Security-Policy: sandbox` and
`nosniff`, so no browser runs them inline in our origin.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.models import Call, Document, SelectionRun, User
from app.services.letters import start_letter_batch
from app.storage import LocalStorage, get_storage
from tests.conftest import PASSWORD, _empty_all_tables, api_token
from tests.factories import (
    make_evaluation_setup,
    make_letter_scenario,
    make_open_call,
    make_staff,
    pdf_bytes,
)
from tests.registering import confirmation_path
from tests.two_factor import sign_in

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
EVALUATION_CASES = 2 * len(PAYLOADS)  # the evaluation texts and the screening form, one proposal per case


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


# --- the world: built once for the module, each role signed in once ----------------------------------------------

@pytest.fixture(autouse=True)
def _clean_database() -> None:
    """Overrides the suite's per-test emptying: the world is built once for the module (see `world`). Every case
    that changes something works on objects of its own (a new draft, a proposal of its own to evaluate)."""


@dataclass
class World:
    """One account per role, each signed in once: a page client and an API header. Objects that cases change come
    one per case: `new_draft()` starts a draft over the API, `evaluation_case()` hands out a proposal (with its one
    evaluator's assignment) that no other case touched."""

    app: Flask
    applicant: FlaskClient
    applicant_api: dict[str, str]
    officer: FlaskClient
    officer_api: dict[str, str]
    officer_id: int
    evaluator_api: dict[str, str]
    evaluation_code: str
    unused: list[tuple[int, int]]  # (proposal id, assignment id) not yet handed out
    ranked_code: str
    hostile_titles: list[str]
    api: FlaskClient = dataclass_field(init=False)

    def __post_init__(self) -> None:
        self.api = self.app.test_client()  # no session: the API is called with a bearer header

    def new_draft(self) -> Draft:
        response = self.api.post("/api/v1/calls/HOSTILE-CALL/proposals", json={}, headers=self.applicant_api)
        assert response.status_code == 201, response.get_data()[:300]
        return Draft(response.get_json()["id"], self.applicant_api)

    def evaluation_case(self) -> tuple[int, int]:
        return self.unused.pop(0)


@dataclass(frozen=True)
class Draft:
    """A new draft of the applicant's, version 1, and the header its API calls carry."""

    id: int
    auth: dict[str, str]


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = sign_in(app, client, email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    with app.app_context():
        _empty_all_tables()
        make_open_call("HOSTILE-CALL")
        applicant = make_staff(Role.APPLICANT, "lukas@baltic.example", organisation="Baltic Cluster Alliance",
                               country="LT")
        setup = make_evaluation_setup(code="HOSTILE-EVAL", proposals=EVALUATION_CASES, evaluators=1)
        evaluator = setup.evaluator_ids[0]
        unused = [(pid, setup.assignments[(pid, evaluator)]) for pid in setup.proposal_ids]
        # The letters scenario, whose proposals carry formula-like and HTML acronyms and titles.
        hostile = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "<script>alert(1)</script>"]
        ranked = make_letter_scenario(applicant, code="HOSTILE-SEL")
        for proposal, text in zip(ranked["proposals"].values(), hostile, strict=True):
            proposal.acronym, proposal.title = text[:20], text
        db.session.commit()
        ranked_code = ranked["call"].code
        emails = {"applicant": applicant.email, "officer": setup.officer_email}
        ids = {"applicant": applicant.id, "officer": setup.officer_id, "evaluator": evaluator}
    tokens = {name: {"Authorization": f"Bearer {api_token(app, _Ref(user_id))}"} for name, user_id in ids.items()}
    yield World(app=app, applicant=_signed_in(app, emails["applicant"]), applicant_api=tokens["applicant"],
                officer=_signed_in(app, emails["officer"]), officer_api=tokens["officer"],
                officer_id=ids["officer"], evaluator_api=tokens["evaluator"],
                evaluation_code=setup.code, unused=unused,
                ranked_code=ranked_code, hostile_titles=hostile)
    with app.app_context():
        _empty_all_tables()


@dataclass(frozen=True)
class _Ref:
    id: int


@pytest.fixture
def draft(world: World) -> Draft:
    return world.new_draft()


# --- the proposal API ----------------------------------------------------------------------------------------

def _patch_body(field: str, value: str) -> dict[str, Any]:
    if field == "partner_name":
        return {"partners": [{"name": value, "country": "DE", "organisation_type": "cluster_organisation"}]}
    if field == "contact_email":
        return {"coordinator": {"contact_email": value}}
    return {field: value}


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("field", ["acronym", "title", "abstract", "strand", "partner_name", "contact_email"])
def test_proposal_text_fields_over_the_api(world: World, draft: Draft, field: str, payload: str) -> None:
    value = PAYLOADS[payload]
    response = world.api.patch(f"/api/v1/proposals/{draft.id}", headers=draft.auth,
                               json={"version": 1, **_patch_body(field, value)})
    if _accepted_or_refused(response, api=True):
        body = response.get_json()
        stored = body["partners"][1]["name"] if field == "partner_name" else (
            body["partners"][0]["contact_email"] if field == "contact_email" else body[field])
        # Stored as typed (escaping is the pages' job), except NUL, which no PostgreSQL text can hold (dropped).
        assert stored == value.replace("\x00", "")
    pages = [f"/applicant/proposals/{draft.id}", f"/applicant/proposals/{draft.id}/summary",
             f"/applicant/proposals/{draft.id}/consortium"]
    for page in pages:
        _page_is_safe(world.applicant.get(page))
    _page_is_safe(world.officer.get(f"/manage/proposals/{draft.id}"))
    assert world.api.get(f"/api/v1/proposals/{draft.id}/eligibility", headers=draft.auth).status_code == 200


@pytest.mark.parametrize(("raw", "stored"), [
    ('{"version": 1, "title": "\\ud800"}', "\ufffd"),           # a lone surrogate
    ('{"version": 1, "title": "\\udfff\\ud800x\\u0000"}', "\ufffd\ufffdx"),
    ('{"version": 1, "title": "\\ud83d\\ude80"}', "\U0001f680"),  # a proper pair: the rocket, kept
])
def test_unstorable_characters_are_cleaned_at_the_door(world: World, draft: Draft, raw: str, stored: str) -> None:
    """NUL and lone surrogates are never text: NUL is dropped, a lone surrogate becomes U+FFFD (never a 500)."""
    response = world.api.patch(f"/api/v1/proposals/{draft.id}", headers=draft.auth, data=raw,
                               content_type="application/json")
    TRIED.append("json")
    assert response.status_code == 200, response.get_data()[:300]
    assert response.get_json()["title"] == stored
    for path in ("/calls/%00%ED%A0%80", "/api/v1/calls/%00x", "/verify/%00"):
        assert world.api.get(path, headers=draft.auth).status_code == 404


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
def test_malformed_json_is_a_4xx_in_the_error_shape(world: World, draft: Draft, raw: str | bytes) -> None:
    response = world.api.patch(f"/api/v1/proposals/{draft.id}", headers=draft.auth, data=raw,
                               content_type="application/json")
    TRIED.append("json")
    assert response.status_code in (400, 409, 422), (raw, response.status_code, response.get_data()[:300])
    _error_shape(response)


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/api/v1/calls/HOSTILE-CALL/proposals"])
@pytest.mark.parametrize("raw", ['{"email": "\\ud800", "password": "\\udfff"}', '{"email": ["x"], "password": {}}',
                                 "not json", '{"acronym": 5}'])
def test_other_bodies_with_garbage_are_4xx(world: World, path: str, raw: str) -> None:
    response = world.api.post(path, headers=world.applicant_api, data=raw, content_type="application/json")
    TRIED.append("json")
    assert 400 <= response.status_code < 500, (raw, response.status_code, response.get_data()[:300])
    _error_shape(response)


NESTED = {
    "arrays": "[" * 500 + "]" * 500,                         # the probe's body: a RecursionError and a 500 before
    "objects": '{"a": ' * 500 + "1" + "}" * 500,           # well-formed, 500 deep
    "under a key": '{"email": ' + "[" * 33 + "]" * 33 + "}",  # one level over the limit, inside a real body
    "a megabyte": "[" * 1_000_000,                           # deeper than the parser itself can descend
}


@pytest.mark.parametrize("nested", list(NESTED))
@pytest.mark.parametrize(("method", "path", "signed_in"), [
    ("post", "/api/v1/tokens", False),                        # before log-in
    ("post", "/api/v1/calls/HOSTILE-CALL/proposals", False),  # before the 401
    ("post", "/api/v1/calls/HOSTILE-CALL/proposals", True),
    ("patch", "/api/v1/proposals/1", True),
])
def test_deeply_nested_json_is_a_400_in_the_error_shape(world: World, method: str, path: str, signed_in: bool,
                                                         nested: str) -> None:
    headers = world.applicant_api if signed_in else {}
    response = getattr(world.api, method)(path, headers=headers, data=NESTED[nested], content_type="application/json")
    TRIED.append("nested json")
    assert response.status_code == 400, (response.status_code, response.get_data()[:300])
    error = _error_shape(response)
    assert error["code"] == "json_too_deep"
    assert error["details"] == {"max_depth": world.app.config["MAX_JSON_DEPTH"]}


def test_deeply_nested_json_to_a_page_is_a_400_page(world: World) -> None:
    response = world.app.test_client().post("/auth/login", data=NESTED["arrays"], content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels deep" in response.get_data(as_text=True)


def test_json_nested_to_the_limit_is_read_as_usual(world: World) -> None:
    limit = world.app.config["MAX_JSON_DEPTH"]
    body = '{"email": ' + "[" * (limit - 1) + "]" * (limit - 1) + ', "password": "x"}'
    response = world.api.post("/api/v1/tokens", data=body, content_type="application/json")
    assert response.status_code == 422, response.get_data()[:300]  # the email is not a string: webargs says so
    assert "email" in _error_shape(response)["details"]["fields"]


# --- forms -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("field", ["full_name", "organisation_name"])
def test_registration_fields(world: World, field: str, payload: str) -> None:
    client = world.app.test_client()  # the new account is signed in on this client once confirmed
    # A new organisation's name (as it always was in an empty database), unless it is the hostile field.
    form = {"full_name": "Ana Lopes", "email": f"ana.{field}.{payload}@example.test",
            "organisation_name": f"Cluster {field} {payload}", "country": "PT",
            "organisation_type": "cluster_organisation", "password": "violet-harbour-1987-tram",
            "confirm": "violet-harbour-1987-tram", field: PAYLOADS[payload]}
    response = client.post("/auth/register", data=form)
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    if response.status_code == 302:
        link = confirmation_path(world.app, form["email"])
        _page_is_safe(client.get(link))  # shows the name and the organisation given
        confirmed = client.post(link, data={"password": form["password"]})
        assert confirmed.status_code == 302, confirmed.status_code
        _page_is_safe(client.get(confirmed.headers["Location"]))
        _page_is_safe(client.get("/applicant/"))
        _page_is_safe(client.get("/"))


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_summary_form(world: World, draft: Draft, payload: str) -> None:
    value = PAYLOADS[payload]
    response = world.applicant.post(f"/applicant/proposals/{draft.id}/summary",
                                    data={"version": "1", "acronym": value, "title": value, "abstract": value,
                                          "strand": "Open"})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(world.applicant.get(f"/applicant/proposals/{draft.id}"))


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_consortium_form(world: World, draft: Draft, payload: str) -> None:
    value = PAYLOADS[payload]
    response = world.applicant.post(f"/applicant/proposals/{draft.id}/consortium", data={
        "version": "1", "coordinator_contact_email": value, "partners-0-name": value, "partners-0-country": "DE",
        "partners-0-organisation_type": "cluster_organisation", "partners-0-contact_email": value})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(world.applicant.get(f"/applicant/proposals/{draft.id}/consortium"))


# --- evaluation and screening texts --------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_evaluation_texts(world: World, payload: str) -> None:
    value = PAYLOADS[payload]
    pid, ev = world.evaluation_case()
    code = world.evaluation_code
    scores = [{"criterion": key, "score": "4", "comment": value} for key in ("relevance", "quality", "impact")]
    response = world.api.put(f"/api/v1/evaluations/{ev}", headers=world.evaluator_api,
                             json={"overall_comment": value, "scores": scores})
    _accepted_or_refused(response, api=True)
    response = world.api.post(f"/api/v1/evaluations/{ev}/conflict", headers=world.evaluator_api,
                              json={"conflict": False, "note": value})
    _accepted_or_refused(response, api=True)
    response = world.api.patch(f"/api/v1/proposals/{pid}/eligibility", headers=world.officer_api,
                               json={"eligibility": "ineligible", "reason": value})
    _accepted_or_refused(response, api=True)
    response = world.api.post(f"/api/v1/proposals/{pid}/extension", headers=world.officer_api,
                              json={"deadline": "2099-01-01T17:00:00+01:00", "reason": value})
    _accepted_or_refused(response, api=True)
    for page in (f"/manage/calls/{code}/evaluation/{pid}", f"/manage/calls/{code}/screening",
                 f"/manage/calls/{code}/screening/{pid}", f"/manage/proposals/{pid}",
                 f"/manage/calls/{code}/proposals"):
        _page_is_safe(world.officer.get(page))
    _page_is_safe(world.api.get(f"/api/v1/evaluations/{ev}", headers=world.evaluator_api))


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_screening_form_reason(world: World, payload: str) -> None:
    pid, _ = world.evaluation_case()
    path = f"/manage/calls/{world.evaluation_code}/screening/{pid}"
    response = world.officer.post(path, data={"eligibility": "ineligible", "reason": PAYLOADS[payload]})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(world.officer.get(path))


# --- selection: tie justification, spreadsheets ---------------------------------------------------------------------

def _no_formula(cell: str) -> None:
    assert not cell or cell[0] not in "=+-@\t\r", repr(cell)


def test_ranking_exports_neutralise_formulas_end_to_end(world: World) -> None:
    from openpyxl import load_workbook

    code = world.ranked_code
    TRIED.extend(world.hostile_titles)
    for response in (world.officer.get(f"/manage/calls/{code}/ranking.csv"),
                     world.api.get(f"/api/v1/calls/{code}/ranking.csv", headers=world.officer_api)):
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        cells = [c for row in rows[1:] for c in row if not _is_number(c)]
        for cell in cells:
            _no_formula(cell)
        assert any(c.startswith("'=HYPERLINK") for c in cells)
    response = world.officer.get(f"/manage/calls/{code}/ranking.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    texts = [c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts
    for cell in texts:
        _no_formula(cell)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    _page_is_safe(world.officer.get(f"/manage/calls/{code}/ranking"))


def test_the_letters_zip_manifest_neutralises_formulas_end_to_end(world: World) -> None:
    code = world.ranked_code
    with world.app.app_context():
        run = db.session.scalar(sa.select(SelectionRun).join(Call).where(Call.code == code))
        assert run is not None
        start_letter_batch(run, actor=db.session.get(User, world.officer_id))
        db.session.commit()  # the jobs run inline: every letter is stored when this returns
        number = run.number
    TRIED.extend(world.hostile_titles)
    for response in (world.officer.get(f"/manage/calls/{code}/runs/{number}/letters.zip"),
                     world.api.get(f"/api/v1/calls/{code}/runs/{number}/letters.zip", headers=world.officer_api)):
        assert response.status_code == 200, response.get_data()[:300]
        manifest = zipfile.ZipFile(io.BytesIO(response.get_data())).read("manifest.csv").decode()
        rows = list(csv.reader(io.StringIO(manifest)))
        assert len(rows) == 6
        for cell in (c for row in rows for c in row if not _is_number(c)):
            _no_formula(cell)
        acronyms = {row[3] for row in rows[1:]}
        assert {"'=HYPERLINK(\"http://x", "'+1+1", "'-2+3", "'@SUM(A1)"} <= acronyms


def test_every_spreadsheet_the_app_writes_goes_through_the_one_writer() -> None:
    """Only app/spreadsheets.py, which neutralises every cell, may import a CSV or XLSX writer."""
    root = Path(__file__).resolve().parent.parent / "app"
    writers = {"csv", "openpyxl", "xlsxwriter"}
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "spreadsheets.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(root)}: {name}" for name in names if name.split(".")[0] in writers]
    assert offenders == []


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_tie_justification(world: World, payload: str) -> None:
    path = f"/manage/calls/{world.ranked_code}/ties/resolve"
    response = world.officer.post(path, data={"justification": PAYLOADS[payload], "order": "x"})
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(world.officer.get(f"/manage/calls/{world.ranked_code}/ranking"))


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
        world: World, draft: Draft) -> None:
    data = _pdf_with_javascript()
    assert b"/OpenAction" in data
    assert b"/JavaScript" in data
    TRIED.append("pdf-js")
    response = world.api.post(f"/api/v1/proposals/{draft.id}/documents", headers=draft.auth,
                              data={"kind": "part_b", "file": (io.BytesIO(data), "part-b.pdf")},
                              content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data()[:300]
    document = response.get_json()
    assert document["sha256"] == hashlib.sha256(data).hexdigest()
    page = f"/applicant/proposals/{draft.id}/annexes/{document['id']}"
    for path, who, headers in ((document["url"], world.api, draft.auth), (page, world.applicant, {})):
        served = who.get(path, headers=headers)
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
def test_a_100_mb_upload_is_refused_before_its_body_is_read(world: World, draft: Draft, target: str) -> None:
    size = 100 * 1024 * 1024
    stream = CountingStream(size)
    TRIED.append("100MB")
    with world.app.app_context():
        stored_before = db.session.scalar(sa.select(sa.func.count()).select_from(Document))
    if target == "api":
        path, who, headers = f"/api/v1/proposals/{draft.id}/documents", world.api, draft.auth
    else:
        path, who, headers = f"/applicant/proposals/{draft.id}/annexes", world.applicant, {}
    # The environ is set by hand: the test client would seek the stream to measure it.
    response = who.post(path, headers=headers, content_type="multipart/form-data; boundary=xyz",
                        environ_overrides={"wsgi.input": io.BufferedReader(stream), "CONTENT_LENGTH": str(size)})
    assert response.status_code == 413
    assert world.app.config["MAX_CONTENT_LENGTH"] < size
    assert stream.read_bytes < 1024 * 1024, f"the app read {stream.read_bytes} bytes of a body it refuses"
    if target == "api":
        assert _error_shape(response)["code"] == "payload_too_large"
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == stored_before


@pytest.mark.parametrize(("data", "name"), [
    (b"MZ\x90\x00 an executable renamed", "setup.exe.pdf"),
    (b"<html><script>alert(1)</script></html>", "page.pdf"),
    (pdf_bytes(1), "../../etc/passwd.pdf"),
    (pdf_bytes(1), "..\\..\\windows\\win.ini.pdf"),
    (pdf_bytes(1), "<script>alert(1)</script>.pdf"),
])
def test_hostile_uploads_through_the_page(world: World, draft: Draft, data: bytes, name: str) -> None:
    TRIED.append(name)
    response = world.applicant.post(f"/applicant/proposals/{draft.id}/annexes",
                                    data={"kind": "part_b", "file": (io.BytesIO(data), name)},
                                    content_type="multipart/form-data")
    _accepted_or_refused(response, api=False)
    _page_is_safe(response)
    _page_is_safe(world.applicant.get(f"/applicant/proposals/{draft.id}/annexes"))
    with world.app.app_context():
        for document in db.session.scalars(sa.select(Document)):
            for forbidden in ("/", "\\", "..", "<"):
                assert forbidden not in document.filename

            assert get_storage().exists(document.sha256)
            storage = get_storage()
            assert isinstance(storage, LocalStorage)
            assert str(storage.file_path(document.sha256)).startswith(world.app.config["STORAGE_DIR"])


@pytest.fixture(scope="module", autouse=True)
def _report_count() -> Any:
    yield
    print(f"\nhostile input: {len(TRIED)} hostile requests sent")
