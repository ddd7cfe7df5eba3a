"""The officers' pages that open, copy, configure and publish a call: errors at the field, the rules previewed in
the scoring core's own words."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call
from app.seeds.calls import seed_reference_calls


@pytest.fixture
def officer(client_as, app):  # type: ignore[no-untyped-def]
    with app.app_context():
        seed_reference_calls()
        db.session.commit()
    return client_as(Role.OFFICER)


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _fields(page: str) -> dict[str, Any]:
    """The values the page's form would send (inputs, the ticked boxes of each list of choices, the selected options
    and the textareas)."""
    values: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        named = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if named is None or value is None:
            continue
        if 'type="checkbox"' in tag and named[1] != "country_conflict":
            if re.search(r"\schecked[\s>]", tag):
                values.setdefault(named[1], []).append(value[1])
            else:
                values.setdefault(named[1], [])
            continue
        values[named[1]] = value[1]
    values.update({m[0]: m[1].strip() for m in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>',
                                                           page)})
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        if chosen:
            values[name] = chosen.group(1) or chosen.group(2) or ""
    values.pop("country_conflict", None)
    return values


def test_a_copy_of_euroclusters_opens_prefilled_and_saves_as_a_draft(officer, app) -> None:  # type: ignore[no-untyped-def]
    page = officer.get("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01")
    assert page.status_code == 200
    values = _fields(_text(page))
    assert (values["criteria-0-key"], values["criteria-1-key"], values["criteria-2-key"]) == (
        "relevance", "quality", "impact")
    values.update({"code": "SMP-COSME-2027-CLUSTER-01", "opens_at": "2031-01-10T00:00:00",
                   "deadline": "2031-03-10T17:00:00", "criteria-0-weight": "2", "country_conflict": "y"})
    saved = officer.post("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01", data=values)
    assert saved.status_code == 302, _text(saved)[:2000]
    configured = _text(officer.get(saved.headers["Location"]))
    assert "relevance: scored 0 to 5 in half points, weight 2, threshold 3" in configured
    assert 'id="call-phase">draft<' in configured
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2027-CLUSTER-01"))
        assert call is not None
        assert call.published_at is None
        assert [(c.key, c.weight) for c in call.criteria][0] == ("relevance", 2)
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "call.created",
                                                             AuditEvent.object_id == call.code)) is not None
    published = officer.post("/manage/calls/SMP-COSME-2027-CLUSTER-01/publish",
                             data={"csrf_token": values.get("csrf_token", "")}, follow_redirects=True)
    assert "is published" in _text(published)


def test_a_rule_broken_on_the_page_is_shown_at_its_field_and_nothing_is_lost(officer) -> None:  # type: ignore[no-untyped-def]
    values = _fields(_text(officer.get("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01")))
    values.update({"code": "SMP-COSME-2027-CLUSTER-01", "opens_at": "2031-01-10T00:00:00",
                   "deadline": "2031-03-10T17:00:00", "criteria-1-weight": "0", "criteria-2-threshold": "7",
                   "tie_break": "relevance, novelty"})
    refused = officer.post("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01", data=values)
    assert refused.status_code == 422
    page = _text(refused)
    weight_cell = page[page.index('name="criteria-1-weight"') - 400:page.index('name="criteria-1-weight"') + 300]
    assert "A weight is positive (above 0)." in weight_cell
    assert "Within the scale, 0 to 5." in page
    assert _fields(page)["criteria-2-threshold"] == "7"  # as typed


def test_a_fixed_setting_is_refused_with_the_reason_on_the_page(officer, app) -> None:  # type: ignore[no-untyped-def]
    values = _fields(_text(officer.get("/manage/calls/SMP-COSME-2021-CLUSTER-01/configure")))
    values.update(page_limit="12", country_conflict="y")
    refused = officer.post("/manage/calls/SMP-COSME-2021-CLUSTER-01/configure", data=values)
    assert refused.status_code == 422
    assert ("The call's eligibility cannot change now that it is closed: proposals were submitted under these rules "
            "and are screened under them.") in html.unescape(_text(refused))
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
        assert call is not None
        assert call.page_limit == 50


def test_organisation_types_and_annexes_are_ticked_on_the_page_and_a_wrong_pair_is_refused_at_its_field(  # type: ignore[no-untyped-def]
        officer, app) -> None:
    page = _text(officer.get("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01"))
    values = _fields(page)
    assert values["organisation_types"] == ["cluster_organisation", "business_support_organisation"]
    assert (values["required_annexes"], values["optional_annexes"]) == (["part_b"], ["support_letter"])
    assert 'id="section-texts"' in page
    assert 'name="redress_wording"' in page
    values.update({"code": "SMP-COSME-2027-CLUSTER-01", "opens_at": "2031-01-10T00:00:00",
                   "deadline": "2031-03-10T17:00:00", "country_conflict": "y", "optional_annexes": ["part_b"]})
    refused = officer.post("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01", data=values)
    assert refused.status_code == 422
    fieldset = _text(refused)[_text(refused).index('id="optional_annexes"'):]
    assert "Required already: part_b. An annex type is either required or optional." in \
        fieldset[:fieldset.index("</fieldset>")]
    values.update({"optional_annexes": [], "organisation_types": ["sme"],
                   "redress_wording": "Ask the Commission for a review within one month."})
    saved = officer.post("/manage/calls/new?copy_of=SMP-COSME-2021-CLUSTER-01", data=values)
    assert saved.status_code == 302, _text(saved)[:2000]
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2027-CLUSTER-01"))
        assert call is not None
        assert (call.organisation_types, call.required_annexes, call.optional_annexes, call.redress_wording) == (
            ["sme"], ["part_b"], [], "Ask the Commission for a review within one month.")
