"""The privacy statements, generated from the record of processing, and the links to them."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from markupsafe import escape

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call
from app.privacy.summary import summary
from tests.factories import make_open_call


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _open_call(app: Any) -> None:
    with app.app_context():
        make_open_call("OPEN-CALL")
        db.session.commit()


def test_the_statement_lists_every_category_of_the_map_with_the_configured_periods(client, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "RETENTION_UNSUCCESSFUL_YEARS", 7)
    monkeypatch.setitem(app.config, "RETENTION_ACCOUNT_INACTIVE_YEARS", 4)
    page = _text(client.get("/privacy"))
    for row in summary():
        assert str(escape(row.category)) in page, row.category  # as the template escapes it: quotes too
    assert "7 years after the redress period" in page
    assert "4 years after its last log-in" in page
    assert "Art. 5(1)(a) of Regulation (EU) 2018/1725" in page
    assert "Art. 6(1)(e) GDPR" in page
    assert app.config["PRIVACY_CONTROLLER"] in page
    assert "<th></th>" not in page


def test_a_calls_statement_names_the_controller_and_dpo_its_officers_entered(client, client_as, app) -> None:  # type: ignore[no-untyped-def]
    _open_call(app)
    default = _text(client.get("/calls/OPEN-CALL/privacy"))
    assert app.config["PRIVACY_DPO"] in default
    officer = client_as(Role.OFFICER)
    settings = _text(officer.get("/manage/calls/OPEN-CALL/settings"))
    assert 'name="privacy_controller"' in settings
    assert "/calls/OPEN-CALL/privacy" in settings
    form = _settings_form(app)
    response = officer.post("/manage/calls/OPEN-CALL/settings", data={
        **form, "privacy_controller": "HaDEA, Unit A.2, HADEA-SMP@example.eu", "privacy_dpo": "DPO of HaDEA"},
        follow_redirects=True)
    assert "Saved: controller&#39;s contact, data protection officer&#39;s contact." in _text(response)
    page = _text(client.get("/calls/OPEN-CALL/privacy"))
    assert "HaDEA, Unit A.2, HADEA-SMP@example.eu" in page
    assert "DPO of HaDEA" in page
    assert app.config["PRIVACY_DPO"] not in page
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "call.settings_changed"))
        assert event is not None
        assert event.data["changes"]["privacy_dpo"] == {"from": "", "to": "DPO of HaDEA"}


def test_a_contact_too_long_is_refused_at_its_field(client_as, app) -> None:  # type: ignore[no-untyped-def]
    _open_call(app)
    officer = client_as(Role.OFFICER)
    response = officer.post("/manage/calls/OPEN-CALL/settings",
                            data={**_settings_form(app), "privacy_dpo": "x" * 1001})
    assert response.status_code == 422
    assert re.search(r'privacy_dpo.*?Write at most 1000 characters', _text(response), re.S)
    with app.app_context():
        assert db.session.scalar(sa.select(Call.privacy_dpo).where(Call.code == "OPEN-CALL")) == ""


def test_registration_every_call_and_every_page_link_to_the_statement(client, app) -> None:  # type: ignore[no-untyped-def]
    _open_call(app)
    assert 'href="/privacy"' in _text(client.get("/auth/register"))
    call_page = _text(client.get("/calls/OPEN-CALL"))
    assert 'href="/calls/OPEN-CALL/privacy"' in call_page
    assert 'href="/privacy"' in _text(client.get("/"))  # the footer of every page


def test_an_unknown_calls_statement_is_404(client, app) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/calls/NOPE/privacy").status_code == 404


def test_officers_set_the_contacts_over_the_api_too(app, make_user, token_for) -> None:  # type: ignore[no-untyped-def]
    _open_call(app)
    officer = make_user(Role.OFFICER)
    response = app.test_client().patch("/api/v1/calls/OPEN-CALL", json={"privacy_controller": "Unit G.1"},
                                       headers={"Authorization": f"Bearer {token_for(officer)}"})
    assert response.status_code == 200, response.json
    assert response.json["privacy_controller"] == "Unit G.1"
    assert "Unit G.1" in _text(app.test_client().get("/calls/OPEN-CALL/privacy"))


def _settings_form(app: Any) -> dict[str, str]:
    """The settings form as the page fills it, for the open call."""
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        assert call is not None
        zone = call.zone
        return {
            "opens_at": call.opens_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"),
            "deadline": call.deadline.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"),
            "budget": str(call.budget), "max_awards": str(call.max_awards),
            "max_grant_per_proposal": str(call.max_grant_per_proposal), "page_limit": str(call.page_limit),
            "min_partners": str(call.min_partners), "min_countries": str(call.min_countries),
            "eligible_countries": "", "duration_min_months": "", "duration_max_months": "",
        }


def test_hostile_contacts_are_shown_escaped(client, client_as, app) -> None:  # type: ignore[no-untyped-def]
    _open_call(app)
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "OPEN-CALL"))
        call.privacy_dpo = "<script>alert(1)</script>"  # type: ignore[union-attr]
        db.session.commit()
    page = _text(client.get("/calls/OPEN-CALL/privacy"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
