"""The applicant's proposal pages: sections, conflicts, annexes, checklist, submission, receipts, access."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.clock import set_clock, utcnow
from app.enums import ProposalStatus, Role
from app.extensions import db
from app.models import Call, Proposal, Submission, User
from tests.factories import QueryCounter, make_open_call, make_ready_proposal, pdf_bytes


@pytest.fixture
def me(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT", full_name="Lukas")


@pytest.fixture
def client_me(app, me, login):  # type: ignore[no-untyped-def]
    return login(app.test_client(), me)


@pytest.fixture
def open_call(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_open_call("OPEN-CALL", min_partners=3, min_countries=3, page_limit=5,
                       eligible_countries=["BE", "DE", "FR", "LT"])
        db.session.commit()
    return "OPEN-CALL"


def _ready(app: Any, user: User, **kwargs: Any) -> int:
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        proposal = make_ready_proposal(call, db.session.get(User, user.id), **kwargs)  # type: ignore[arg-type]
        db.session.commit()
        return proposal.id


def _proposal(app: Any, proposal_id: int) -> Proposal:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal is not None
        _ = proposal.partners, proposal.documents, proposal.submissions
        db.session.expunge_all()
        return proposal


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _errors(response: Any) -> list[str]:
    return re.findall(r'class="(?:error|flash flash-error)"[^>]*>([^<]*)<', _text(response))


# -- starting and editing ----------------------------------------------------------------------------------------

def test_the_call_page_offers_to_start_a_proposal(app, client_me, open_call) -> None:  # type: ignore[no-untyped-def]
    assert "Start a proposal" in _text(client_me.get("/calls/OPEN-CALL"))
    assert "Register to apply" in _text(app.test_client().get("/calls/OPEN-CALL"))
    response = client_me.post("/applicant/calls/OPEN-CALL/proposals")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/summary")
    page = client_me.get(response.headers["Location"])
    assert page.status_code == 200
    assert "OPEN-CALL-0001" in _text(page)


def test_a_closed_call_takes_no_new_proposal(client_me, app, seeded) -> None:  # type: ignore[no-untyped-def]
    response = client_me.post("/applicant/calls/SMP-COSME-2021-CLUSTER-01/proposals", follow_redirects=True)
    assert "closed on 07 December 2021, 17:00:00 CET" in _text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0


def test_sections_save_and_go_where_the_user_was_going(client_me, app, open_call) -> None:  # type: ignore[no-untyped-def]
    location = client_me.post("/applicant/calls/OPEN-CALL/proposals").headers["Location"]
    base = location.removesuffix("/summary")
    response = client_me.post(location, data={"version": "1", "acronym": "BALTIC", "title": "Green Baltic",
                                              "abstract": "We help SMEs.", "strand": "Tourism",
                                              "duration_months": "30", "next_section": "consortium"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/consortium"
    response = client_me.post(f"{base}/consortium", data={
        "version": "2", "coordinator_contact_email": "lukas@example.org",
        "partners-0-name": "Cluster Nord", "partners-0-country": "DE", "partners-0-organisation_type": "sme",
        "partners-0-contact_email": "nord@example.org",
        "partners-1-name": "", "partners-1-country": "", "partners-1-organisation_type": "",
        "partners-1-contact_email": "",
        "continue_to": "budget"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/budget"
    response = client_me.post(f"{base}/budget", data={"version": "3", "requested_grant": "1,000,000.00",
                                                      "amounts-0": "600 000", "amounts-1": "400000.00"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/budget"
    proposal = _proposal(app, int(base.rsplit("/", 1)[-1]))
    assert (proposal.acronym, proposal.strand, proposal.duration_months, proposal.edit_version) == (
        "BALTIC", "Tourism", 30, 4)
    assert [(p.name, p.country, str(p.requested_amount)) for p in proposal.partners] == [
        ("Baltic Cluster Alliance", "LT", "600000.00"), ("Cluster Nord", "DE", "400000.00")]


def test_an_incomplete_partner_row_is_shown_with_the_input_kept(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    version = _proposal(app, proposal_id).edit_version
    response = client_me.post(f"/applicant/proposals/{proposal_id}/consortium", data={
        "version": str(version), "coordinator_contact_email": "lukas@example.org",
        "partners-0-name": "Half Typed GmbH", "partners-0-country": "", "partners-0-organisation_type": "",
        "partners-0-contact_email": "half@example"})
    assert response.status_code == 422
    assert "Half Typed GmbH" in _text(response)
    assert "half@example" in _text(response)
    assert "Complete the partners marked below" in _text(response)
    assert _proposal(app, proposal_id).edit_version == version


def test_two_tabs_the_second_save_gets_a_conflict_page_with_both_versions(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    location = client_me.post("/applicant/calls/OPEN-CALL/proposals").headers["Location"]
    first_tab = {"version": "1", "acronym": "FIRST", "title": "Title from tab one", "abstract": "", "strand": "",
                 "duration_months": ""}
    second_tab = {**first_tab, "acronym": "SECOND", "title": "Title from tab two"}
    assert client_me.post(location, data=first_tab).status_code == 302
    response = client_me.post(location, data=second_tab)
    assert response.status_code == 409
    page = _text(response)
    assert "Saved elsewhere since you opened it" in page
    assert "Title from tab one" in page
    assert "Title from tab two" in page
    assert 'value="SECOND"' in page  # the user's input kept in the form
    assert re.search(r'name="version" type="hidden" value="2"', page)  # saving again is a deliberate overwrite
    proposal_id = int(location.split("/")[3])
    assert _proposal(app, proposal_id).title == "Title from tab one"
    assert client_me.post(location, data={**second_tab, "version": "2"}).status_code == 302
    assert _proposal(app, proposal_id).title == "Title from tab two"


def test_a_colleague_of_the_same_organisation_edits_too(app, me, make_user, login, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    colleague = login(app.test_client(), make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance",
                                                   country="LT"))
    assert colleague.get(f"/applicant/proposals/{proposal_id}/summary").status_code == 200
    assert "READY" in _text(colleague.get("/applicant/"))


# -- annexes -----------------------------------------------------------------------------------------------------

def _upload(client: Any, proposal_id: int, data: bytes, name: str = "Part B.pdf", kind: str = "part_b") -> Any:
    return client.post(f"/applicant/proposals/{proposal_id}/annexes",
                       data={"kind": kind, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_upload_download_and_remove_an_annex(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    data = pdf_bytes(3)
    response = _upload(client_me, proposal_id, data, name="../../Part B <final>.pdf")
    assert response.status_code == 302
    assert "Part B (technical description) uploaded: Part B _final_.pdf, 3 pages." in _text(
        client_me.get(response.headers["Location"]))
    document = [d for d in _proposal(app, proposal_id).documents if d.removed_at is None][-1]
    download = client_me.get(f"/applicant/proposals/{proposal_id}/annexes/{document.id}", buffered=True)
    assert download.status_code == 200
    assert download.data == data
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    removal = client_me.post(f"/applicant/proposals/{proposal_id}/annexes/{document.id}/remove")
    assert removal.status_code == 302
    assert next(d for d in _proposal(app, proposal_id).documents if d.id == document.id).removed_at is not None


def test_the_upload_offers_only_the_call_s_annex_types_required_first(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        call.required_annexes, call.optional_annexes = ["part_b", "support_letter"], []  # type: ignore[union-attr]
        db.session.commit()
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}/annexes"))
    select = page[page.index('name="kind"'):page.index("</select>", page.index('name="kind"'))]
    assert re.findall(r'<option[^>]*value="([^"]+)"', select) == ["part_b", "support_letter"]
    assert re.search(r'<option selected value="support_letter"|<option value="support_letter" selected', select)
    assert "Required: Part B (technical description), Letter of support." in page
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        call.required_annexes, call.optional_annexes = ["part_b"], []  # type: ignore[union-attr]
        db.session.commit()
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}/annexes"))
    select = page[page.index('name="kind"'):page.index("</select>", page.index('name="kind"'))]
    assert re.findall(r'<option[^>]*value="([^"]+)"', select) == ["part_b"]
    refused = _upload(client_me, proposal_id, pdf_bytes(1), kind="support_letter")
    assert refused.status_code == 422
    assert [d.kind.value for d in _proposal(app, proposal_id).documents] == ["part_b"]


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a not a pdf at all", "This file is not a PDF"),
    (pdf_bytes(1, encrypted=True), "protected with a password"),
    (pdf_bytes(6), "This PDF has 6 pages; the call allows at most 5"),
    (b"", "The file is empty"),
])
def test_unusable_files_are_refused_with_a_readable_message(client_me, app, me, open_call, data, message) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    response = _upload(client_me, proposal_id, data)
    assert response.status_code == 422
    assert message in _text(response)


def test_an_oversize_body_gets_a_readable_413_without_being_read(client_me, app, me, open_call, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = _upload(client_me, proposal_id, pdf_bytes(1, min_size=5000))
    assert response.status_code == 413
    assert "larger than the 1 KB allowed per annex" in _text(response)
    assert "Upload a PDF" in _text(response)  # still the annex page, with its form


def test_a_file_over_the_per_file_limit_but_within_the_body_limit_is_refused(client_me, app, me, open_call,  # type: ignore[no-untyped-def]
                                                                             monkeypatch) -> None:
    proposal_id = _ready(app, me)
    data = pdf_bytes(1, min_size=3000)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", len(data) - 1)
    response = _upload(client_me, proposal_id, data)
    assert response.status_code == 413
    assert "larger than the" in _text(response)


# -- checklist, submission, receipts -----------------------------------------------------------------------------

def test_the_overview_shows_the_checklist_with_what_to_fix(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    location = client_me.post("/applicant/calls/OPEN-CALL/proposals").headers["Location"]
    page = _text(client_me.get(location.removesuffix("/summary")))
    assert "Add 2 more partners (you have 1)." in page
    assert "Upload Part B as a PDF." in page
    ready = _text(client_me.get(f"/applicant/proposals/{_ready(app, me)}"))
    assert "All checks pass: the proposal can be submitted." in ready


def test_submitting_an_incomplete_proposal_lists_the_failures(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    location = client_me.post("/applicant/calls/OPEN-CALL/proposals").headers["Location"]
    base = location.removesuffix("/summary")
    response = client_me.post(f"{base}/submit", data={"version": "1", "confirm": "y"})
    assert response.status_code == 422
    assert "The proposal cannot be submitted yet" in _text(response)
    assert "Add 2 more partners" in _text(response)


def test_submit_then_receipt_page_pdf_and_snapshot_at_once(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    version = _proposal(app, proposal_id).edit_version
    assert client_me.post(f"/applicant/proposals/{proposal_id}/submit",
                          data={"version": str(version)}).status_code == 422  # the declaration is required
    response = client_me.post(f"/applicant/proposals/{proposal_id}/submit",
                              data={"version": str(version), "confirm": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applicant/proposals/{proposal_id}/submissions/1")
    with app.app_context():
        submission = db.session.scalar(sa.select(Submission))
        assert submission is not None
        receipt_number, digest = submission.receipt_number, submission.sha256
    page = _text(client_me.get(response.headers["Location"]))
    assert receipt_number in page
    assert digest in page
    assert "The stored snapshot matches this hash" in page
    assert "can be submitted" not in page  # it is: the checklist says so
    assert "All checks pass, and this version is submitted." in page
    pdf = client_me.get(f"/applicant/proposals/{proposal_id}/submissions/1/receipt.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert receipt_number in text
    assert digest in text
    assert "/StructTreeRoot" in PdfReader(io.BytesIO(pdf.data)).trailer["/Root"]  # tagged for screen readers
    assert client_me.get(f"/applicant/proposals/{proposal_id}/submissions/1/receipt.pdf").data == pdf.data
    snapshot = client_me.get(f"/applicant/proposals/{proposal_id}/submissions/1/snapshot.json")
    assert hashlib.sha256(snapshot.data).hexdigest() == digest
    assert json.loads(snapshot.data)["version"] == 1
    dashboard = _text(client_me.get("/applicant/"))
    assert "Submitted v1" in dashboard
    assert receipt_number in dashboard


def test_changes_after_submitting_are_flagged_until_resubmitted(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    version = _proposal(app, proposal_id).edit_version
    client_me.post(f"/applicant/proposals/{proposal_id}/submit", data={"version": str(version), "confirm": "y"})
    client_me.post(f"/applicant/proposals/{proposal_id}/summary", data={
        "version": str(version), "acronym": "READY2", "title": "Proposal 1", "abstract": "An abstract.",
        "strand": "Open", "duration_months": "24"})
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}"))
    assert "Changed since version 1 was submitted" in page
    assert "Submit again" in page
    client_me.post(f"/applicant/proposals/{proposal_id}/submit", data={"version": str(version + 1), "confirm": "y"})
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}"))
    assert "Changed since" not in page
    assert "v2" in page
    assert "v1" in page


@pytest.fixture
def clock() -> Iterator[Any]:
    yield lambda moment: set_clock(lambda: moment)
    set_clock(None)


def test_after_the_deadline_pages_are_read_only_and_saves_refused(app, me, open_call, clock, login) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    proposal = _proposal(app, proposal_id)
    with app.app_context():
        deadline = db.session.get(Call, proposal.call_id).deadline  # type: ignore[union-attr]
    clock(deadline)
    client_me = login(app.test_client(), me)  # at the deadline: a session of days before would have expired
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}/summary"))
    assert "The deadline has passed." in page
    assert "<fieldset disabled>" in page
    assert ">Save<" not in page
    response = client_me.post(f"/applicant/proposals/{proposal_id}/summary", data={
        "version": str(proposal.edit_version), "acronym": "LATE", "title": "t", "abstract": "a", "strand": "Open",
        "duration_months": "24"})
    assert response.status_code == 409
    assert "has passed" in _text(response)
    response = client_me.post(f"/applicant/proposals/{proposal_id}/submit",
                              data={"version": str(proposal.edit_version), "confirm": "y"})
    assert response.status_code == 409
    assert "has passed" in _text(response)
    assert _upload(client_me, proposal_id, pdf_bytes(1)).status_code == 409
    assert _proposal(app, proposal_id).acronym == "READY"


def test_withdrawal_asks_for_confirmation_and_is_final(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    page = client_me.get(f"/applicant/proposals/{proposal_id}/withdraw")
    assert "Withdrawal is final" in _text(page)
    assert client_me.post(f"/applicant/proposals/{proposal_id}/withdraw", data={}).status_code == 422
    response = client_me.post(f"/applicant/proposals/{proposal_id}/withdraw", data={"confirm": "y", "reason": "x"})
    assert response.status_code == 302
    assert _proposal(app, proposal_id).status is ProposalStatus.WITHDRAWN
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}"))
    assert "Withdrawn" in page
    assert "cannot be submitted again" in page


def test_an_extension_is_shown_to_the_applicant(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.extended_deadline = proposal.call.deadline + timedelta(days=1)  # type: ignore[union-attr]
        proposal.extension_reason = "Server outage on our side."  # type: ignore[union-attr]
        db.session.commit()
    page = _text(client_me.get(f"/applicant/proposals/{proposal_id}"))
    assert "Extension granted." in page
    assert "Server outage on our side." in page
    assert "extended" in _text(client_me.get("/applicant/"))


# -- access ------------------------------------------------------------------------------------------------------

PAGES = ["", "/summary", "/consortium", "/budget", "/annexes", "/withdraw", "/submissions/1",
         "/submissions/1/receipt.pdf", "/submissions/1/snapshot.json"]


@pytest.mark.parametrize("suffix", PAGES)
def test_another_organisations_proposal_is_not_found(app, me, make_user, login, open_call, suffix) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        from app.services.proposals import submit_proposal

        submit_proposal(proposal, actor=db.session.get(User, me.id))  # type: ignore[arg-type]
        db.session.commit()
    stranger = login(app.test_client(), make_user(Role.APPLICANT, organisation="Rival Org", country="FI"))
    assert stranger.get(f"/applicant/proposals/{proposal_id}{suffix}").status_code == 404
    assert stranger.get(f"/applicant/proposals/{proposal_id + 999}{suffix}").status_code == 404


@pytest.mark.parametrize(("method", "suffix"), [
    ("post", "/summary"), ("post", "/consortium"), ("post", "/budget"), ("post", "/annexes"), ("post", "/submit"),
    ("post", "/withdraw"), ("post", "/annexes/1/remove"), ("get", "/annexes/1"),
])
def test_writes_to_another_organisations_proposal_are_not_found(app, me, make_user, login, open_call, method,  # type: ignore[no-untyped-def]
                                                                suffix) -> None:
    proposal_id = _ready(app, me)
    stranger = login(app.test_client(), make_user(Role.APPLICANT, organisation="Rival Org", country="FI"))
    response = getattr(stranger, method)(f"/applicant/proposals/{proposal_id}{suffix}", data={"version": "1"})
    assert response.status_code == 404
    assert _proposal(app, proposal_id).edit_version == 1


@pytest.mark.parametrize("suffix", ["", "/summary", "/annexes/1", "/submissions/1/receipt.pdf"])
def test_anonymous_visitors_are_sent_to_log_in(app, me, open_call, suffix) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    response = app.test_client().get(f"/applicant/proposals/{proposal_id}{suffix}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.OFFICER, Role.ADMIN])
def test_other_roles_get_403_on_applicant_pages(client_as, app, me, open_call, role) -> None:  # type: ignore[no-untyped-def]
    proposal_id = _ready(app, me)
    client = client_as(role)
    assert client.get(f"/applicant/proposals/{proposal_id}").status_code == 403
    assert client.post("/applicant/calls/OPEN-CALL/proposals").status_code == 403


# -- dashboard ---------------------------------------------------------------------------------------------------

def _count_queries(app: Any, client: Any, path: str) -> int:
    with app.app_context(), QueryCounter() as counter:
        assert client.get(path).status_code == 200
    return counter.count


def test_the_dashboard_lists_every_proposal_in_a_fixed_number_of_queries(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    _ready(app, me)
    one = _count_queries(app, client_me, "/applicant/")
    for index in range(4):
        _ready(app, me, acronym=f"MORE{index}")
    assert _count_queries(app, client_me, "/applicant/") == one
    page = _text(client_me.get("/applicant/"))
    assert page.count("badge-status-draft") == 5
    assert "✓ all" in page


def test_the_proposal_page_loads_in_a_fixed_number_of_queries(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    small = _ready(app, me)
    big = _ready(app, me, partners=[(f"Partner {i}", "DE" if i % 2 else "FR") for i in range(12)])
    with app.app_context():
        from app.services.proposals import submit_proposal

        for proposal_id in (small, big):
            submit_proposal(db.session.get(Proposal, proposal_id), actor=db.session.get(User, me.id))  # type: ignore[arg-type]
        db.session.commit()
    assert _count_queries(app, client_me, f"/applicant/proposals/{small}") == _count_queries(
        app, client_me, f"/applicant/proposals/{big}")


def test_the_dashboard_without_proposals_says_what_to_do(client_me, open_call) -> None:  # type: ignore[no-untyped-def]
    page = _text(client_me.get("/applicant/"))
    assert "No proposal yet." in page
    assert "Start a proposal" in page
    assert utcnow()  # the clock is the real one here


def test_a_rule_the_checklist_knows_is_shown_on_its_field_after_a_save(client_me, app, me, open_call) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        assert call is not None
        call.duration_min_months, call.duration_max_months = 12, 36
        db.session.commit()
    proposal_id = _ready(app, me)
    version = _proposal(app, proposal_id).edit_version
    saved = client_me.post(f"/applicant/proposals/{proposal_id}/summary", data={
        "version": str(version), "acronym": "READY", "title": "", "abstract": "An abstract.",
        "strand": "Open", "duration_months": "40"}, follow_redirects=True)
    page = _text(saved)
    duration = re.search(r'<input[^>]*id="duration_months"[^>]*>', page)
    assert duration is not None
    assert 'aria-invalid="true"' in duration.group(0)
    assert "duration_months-error" in duration.group(0)
    assert re.search(r'id="duration_months-error">\s*<p class="error to-fix"[^>]*>40 months is outside the allowed '
                     r'range\.</p>', page)
    assert re.search(r'id="title-error">\s*<p class="error to-fix"[^>]*>Fill in this field before you submit\.</p>',
                     page)
    acronym = re.search(r'<input[^>]*id="acronym"[^>]*>', page)
    assert acronym is not None
    assert "aria-invalid" not in acronym.group(0)


def test_the_budget_takes_european_amounts_echoes_them_normalised_and_keeps_the_rest_when_one_is_ambiguous(  # type: ignore[no-untyped-def]
        client_me, app, me, open_call) -> None:
    proposal_id = _ready(app, me)
    proposal = _proposal(app, proposal_id)
    amounts = {f"amounts-{index}": typed for index, typed in
               enumerate(["1.200.000,00", "1,200,000.00", "1 200 000"][:len(proposal.partners)])}
    response = client_me.post(f"/applicant/proposals/{proposal_id}/budget", data={
        "version": str(proposal.edit_version), "requested_grant": "1.200", **amounts})
    assert response.status_code == 422
    page = _text(response)
    assert "“1.200” can be read two ways" in page
    grant = re.search(r'<input[^>]*id="requested_grant"[^>]*>', page)
    assert grant is not None
    assert 'value="1.200"' in grant.group(0)
    assert 'aria-invalid="true"' in grant.group(0)
    for index in range(len(amounts)):  # the valid amounts are on the page again, read and normalised
        assert re.search(rf'<input[^>]*id="amounts-{index}"[^>]*value="1200000.00"', page)
    saved = client_me.post(f"/applicant/proposals/{proposal_id}/budget", data={
        "version": str(proposal.edit_version), "requested_grant": "3 600 000,00", **amounts}, follow_redirects=True)
    assert saved.status_code == 200
    assert str(_proposal(app, proposal_id).requested_grant) == "3600000.00"
    assert 'value="3600000.00"' in _text(saved)


def test_the_summary_takes_keywords_and_names_too_many_at_their_field(client_me, app, open_call) -> None:  # type: ignore[no-untyped-def]
    location = client_me.post("/applicant/calls/OPEN-CALL/proposals").headers["Location"]
    summary = {"version": "1", "acronym": "BALTIC", "title": "Green Baltic", "abstract": "We help SMEs.",
               "strand": "Tourism", "duration_months": "30"}
    response = client_me.post(location, data=summary | {"keywords": "Coastal tourism, SMEs; coastal  TOURISM"})
    assert response.status_code == 302
    proposal_id = int(location.removesuffix("/summary").rsplit("/", 1)[-1])
    assert _proposal(app, proposal_id).keywords == ["Coastal tourism", "SMEs"]
    assert 'value="Coastal tourism, SMEs"' in _text(client_me.get(location))
    response = client_me.post(location, data=summary | {"version": "2",
                                                        "keywords": ", ".join(f"k{i}" for i in range(11))})
    assert response.status_code == 422
    assert "At most 10 keywords of 40 characters each." in _text(response)
    assert _proposal(app, proposal_id).keywords == ["Coastal tourism", "SMEs"]
