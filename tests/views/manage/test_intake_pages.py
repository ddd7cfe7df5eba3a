"""Officer pages of the intake stage: proposals of a call, a proposal read-only, extensions, call settings."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call, Proposal, User
from app.services.proposals import grant_extension, submit_proposal
from tests.factories import make_open_call, make_ready_proposal

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def setup(app, make_user):  # type: ignore[no-untyped-def]
    """An open call with one submitted proposal; returns its id."""
    applicant = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        call = make_open_call("OPEN-CALL")
        user = db.session.get(User, applicant.id)
        proposal = make_ready_proposal(call, user)  # type: ignore[arg-type]
        submit_proposal(proposal, actor=user)  # type: ignore[arg-type]
        db.session.commit()
        return proposal.id


@pytest.fixture
def officer(client_as):  # type: ignore[no-untyped-def]
    return client_as(Role.OFFICER)


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_the_call_hub_links_to_the_proposals(officer, setup) -> None:  # type: ignore[no-untyped-def]
    page = _text(officer.get("/manage/calls/OPEN-CALL"))
    assert "/manage/calls/OPEN-CALL/proposals" in page
    assert "/manage/calls/OPEN-CALL/settings" in page


def test_the_list_shows_reference_coordinator_status_and_version(officer, setup) -> None:  # type: ignore[no-untyped-def]
    page = _text(officer.get("/manage/calls/OPEN-CALL/proposals"))
    assert "OPEN-CALL-0001" in page
    assert "Baltic Cluster Alliance" in page
    assert "v1" in page
    assert "<strong>1</strong> submitted" in page


def test_a_proposal_read_only_with_annexes_and_receipts(officer, setup, app) -> None:  # type: ignore[no-untyped-def]
    page = _text(officer.get(f"/manage/proposals/{setup}"))
    assert "READY" in page
    assert "proposal.submitted" in page
    assert "Grant an extension" in page
    assert "<form" not in page.split("</header>", 1)[1].split("Deadline extension")[0]  # nothing to edit
    with app.app_context():
        proposal = db.session.get(Proposal, setup)
        document_id, receipt = proposal.documents[0].id, proposal.submissions[0].receipt_number  # type: ignore[union-attr]
    annex = officer.get(f"/manage/proposals/{setup}/annexes/{document_id}", buffered=True)
    assert annex.status_code == 200
    assert annex.data.startswith(b"%PDF-")
    pdf = officer.get(f"/manage/proposals/{setup}/submissions/1/receipt.pdf")
    assert receipt in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert receipt in _text(officer.get(f"/manage/proposals/{setup}/submissions/1"))


def test_granting_an_extension(officer, setup, app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        deadline = db.session.get(Proposal, setup).call.deadline  # type: ignore[union-attr]
    form = officer.get(f"/manage/proposals/{setup}/extension")
    assert form.status_code == 200
    assert "New deadline for this proposal" in _text(form)
    local = (deadline + timedelta(hours=3)).astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M:%S")
    refused = officer.post(f"/manage/proposals/{setup}/extension", data={"deadline": local, "reason": "short"})
    assert refused.status_code == 422
    earlier = (deadline - timedelta(hours=3)).astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M:%S")
    refused = officer.post(f"/manage/proposals/{setup}/extension",
                           data={"deadline": earlier, "reason": "The portal was down for an hour."})
    assert refused.status_code == 422
    assert "later than the call" in _text(refused)
    granted = officer.post(f"/manage/proposals/{setup}/extension",
                           data={"deadline": local, "reason": "The portal was down for an hour."})
    assert granted.status_code == 302
    with app.app_context():
        proposal = db.session.get(Proposal, setup)
        assert proposal.extended_deadline == deadline + timedelta(hours=3)  # type: ignore[union-attr]
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proposal.extension_granted"))
        assert event is not None
        assert event.data["reason"] == "The portal was down for an hour."


def test_changing_the_call_settings_is_audited(officer, setup, app) -> None:  # type: ignore[no-untyped-def]
    page = officer.get("/manage/calls/OPEN-CALL/settings")
    assert page.status_code == 200
    assert "1400000.00" in _text(page)
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        opens = call.opens_at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M:%S")  # type: ignore[union-attr]
        deadline = call.deadline.astimezone(BRUSSELS)  # type: ignore[union-attr]
    new_deadline = (deadline + timedelta(days=1)).replace(hour=17, minute=0, second=0)
    data = {"opens_at": opens, "deadline": new_deadline.strftime("%Y-%m-%dT%H:%M:%S"), "budget": "42,000,000.00",
            "max_awards": "30", "max_grant_per_proposal": "1400000.00", "page_limit": "40", "min_partners": "3",
            "min_countries": "3", "eligible_countries": "be, de fr LT", "duration_min_months": "",
            "duration_max_months": "", "reason": "The portal was down on the last day."}
    response = officer.post("/manage/calls/OPEN-CALL/settings", data=data)
    assert response.status_code == 302
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        assert call.deadline == new_deadline
        assert call.page_limit == 40
        assert call.eligible_countries == ["BE", "DE", "FR", "LT"]  # type: ignore[union-attr]
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "call.settings_changed"))
        assert event is not None
        assert set(event.data["changes"]) >= {"deadline", "page_limit", "min_partners"}
    refused = officer.post("/manage/calls/OPEN-CALL/settings", data={**data, "deadline": opens,
                                                                     "min_countries": "4"})
    assert refused.status_code == 422
    assert "The deadline must be after the opening." in _text(refused)


class _FormValues(HTMLParser):
    """The values a browser would send from a page's form: inputs (but the buttons) and textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") != "submit":
            self.values[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self.values[name] = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data.strip()


def _form_values(page: str) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(page)
    return parser.values


def _settings_events() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "call.settings_changed")))


def test_the_settings_page_says_saved_only_for_what_changed(officer, setup, app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        call.eligible_countries = ["LT", "BE", "DE", "FR"]  # type: ignore[union-attr]  # as seeded: not sorted
        db.session.commit()
    shown = _form_values(_text(officer.get("/manage/calls/OPEN-CALL/settings")))
    assert shown["eligible_countries"] == "LT BE DE FR"
    unchanged = officer.post("/manage/calls/OPEN-CALL/settings", data=shown, follow_redirects=True)
    assert "Nothing changed." in _text(unchanged)
    assert "Saved:" not in _text(unchanged)
    with app.app_context():
        assert _settings_events() == []
    new_deadline = (datetime.fromisoformat(shown["deadline"]) + timedelta(days=1)).isoformat()
    moved = officer.post("/manage/calls/OPEN-CALL/settings", data={**shown, "deadline": new_deadline,
                                                                   "reason": "The portal was down on the last day."},
                         follow_redirects=True)
    assert "Saved: deadline." in _text(moved)
    with app.app_context():
        [event] = _settings_events()
        assert list(event.data["changes"]) == ["deadline"]


def test_a_later_deadline_names_the_extensions_it_overtakes_before_saving(officer, setup, app, make_user) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        proposal = db.session.get(Proposal, setup)
        deadline = proposal.call.deadline  # type: ignore[union-attr]
        grant_extension(proposal, actor=db.session.get(User, make_user(Role.OFFICER).id),  # type: ignore[arg-type]
                        deadline=deadline + timedelta(hours=3), reason="The portal was down for an hour.")
        db.session.commit()
    shown = _form_values(_text(officer.get("/manage/calls/OPEN-CALL/settings")))
    later = (deadline + timedelta(days=1)).astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M:%S")
    asked = officer.post("/manage/calls/OPEN-CALL/settings", data={**shown, "deadline": later,
                                                                   "reason": "The portal was down on the last day."})
    assert asked.status_code == 200
    page = _text(asked)
    assert "Confirm the new deadline." in page
    assert "OPEN-CALL-0001" in page
    assert "READY" in page
    extended_to = (deadline + timedelta(hours=3)).astimezone(BRUSSELS).strftime("%d %B %Y, %H:%M:%S")
    assert f"extended to {extended_to}" in page
    with app.app_context():
        assert db.session.get(Proposal, setup).call.deadline == deadline  # type: ignore[union-attr]  # not saved
        assert _settings_events() == []
    confirmed = officer.post("/manage/calls/OPEN-CALL/settings", data=_form_values(page), follow_redirects=True)
    assert "Saved: deadline." in _text(confirmed)
    with app.app_context():
        proposal = db.session.get(Proposal, setup)
        assert proposal.call.deadline == deadline + timedelta(days=1)  # type: ignore[union-attr]
        assert proposal.effective_deadline == deadline + timedelta(days=1)  # type: ignore[union-attr]
        [event] = _settings_events()
        assert event.data["overtaken_extensions"] == ["OPEN-CALL-0001"]
    officer_page = _text(officer.get(f"/manage/proposals/{setup}"))
    assert "is later now, so it applies to this proposal too" in officer_page
    assert "Extension granted." not in officer_page


@pytest.mark.parametrize("path", ["/manage/calls/OPEN-CALL/proposals", "/manage/proposals/{id}",
                                  "/manage/proposals/{id}/extension", "/manage/calls/OPEN-CALL/settings"])
@pytest.mark.parametrize(("role", "status"), [(Role.APPLICANT, 403), (Role.EVALUATOR, 403), (Role.ADMIN, 200)])
def test_officer_pages_are_for_officers(client_as, setup, path, role, status) -> None:  # type: ignore[no-untyped-def]
    assert client_as(role).get(path.format(id=setup)).status_code == status


def test_unknown_proposals_and_calls_are_404(officer, setup) -> None:  # type: ignore[no-untyped-def]
    assert officer.get(f"/manage/proposals/{setup + 100}").status_code == 404
    assert officer.get("/manage/calls/NOPE/proposals").status_code == 404
    assert officer.get(f"/manage/proposals/{setup}/annexes/999").status_code == 404
    assert officer.get(f"/manage/proposals/{setup}/submissions/7/receipt.pdf").status_code == 404
