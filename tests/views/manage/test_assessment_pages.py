"""The officer's assessment page of a call for expression of interest: every eligible proposal in one table with
its own form, refusals at the field of the row, and a call scored by experts refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Assessment, User
from tests.assessment_worlds import make_mission_world
from tests.factories import QueryCounter, make_call


@pytest.fixture
def page(app, make_user, client_as) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    officer = client_as(Role.OFFICER)
    with app.app_context():
        world = make_mission_world(db.session.get(User, make_user(Role.APPLICANT).id))  # type: ignore[arg-type]
        make_call("EXPERTS-CALL")
        db.session.commit()
        ids = [p.id for p in world.proposals]
        references = [p.reference for p in world.proposals]
        ineligible = world.ineligible.reference
    return {"client": officer, "ids": ids, "references": references, "ineligible": ineligible}


def test_lists_the_eligible_proposals_each_with_its_form(page) -> None:  # type: ignore[no-untyped-def]
    response = page["client"].get("/manage/calls/MISSION-KR/assessment")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(reference in text for reference in page["references"])
    assert page["ineligible"] not in text
    assert "(0 of 4 assessed)" in text
    assert f'action="/manage/calls/MISSION-KR/assessment/{page["ids"][0]}"' in text
    assert text.count("Record the assessment") == 4


def test_records_an_assessment_and_shows_it(page, app) -> None:  # type: ignore[no-untyped-def]
    pid = page["ids"][1]
    response = page["client"].post(f"/manage/calls/MISSION-KR/assessment/{pid}", data={
        f"p{pid}-verdict": "suitable", f"p{pid}-fit": "4", f"p{pid}-note": "Clear plan for the Korean partners."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/calls/MISSION-KR/assessment#row-{pid}")
    text = page["client"].get("/manage/calls/MISSION-KR/assessment").get_data(as_text=True)
    assert "(1 of 4 assessed)" in text
    with app.app_context():
        assessment = db.session.scalar(sa.select(Assessment).where(Assessment.proposal_id == pid))
        assert (assessment.verdict.value, assessment.fit) == ("suitable", 4)


def test_a_refusal_is_shown_at_the_field_of_its_row(page, app) -> None:  # type: ignore[no-untyped-def]
    pid = page["ids"][0]
    response = page["client"].post(f"/manage/calls/MISSION-KR/assessment/{pid}", data={
        f"p{pid}-verdict": "suitable", f"p{pid}-fit": "4", f"p{pid}-note": "Short"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="p{pid}-note-error"' in text
    assert "Write 10 to 2000 characters." in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 0


def test_the_page_loads_in_a_constant_number_of_queries(page, app) -> None:  # type: ignore[no-untyped-def]
    client = page["client"]
    for pid in page["ids"][:2]:
        client.post(f"/manage/calls/MISSION-KR/assessment/{pid}", data={
            f"p{pid}-verdict": "suitable", f"p{pid}-fit": "3", f"p{pid}-note": "A reasoned note of the officer."})
    with app.app_context(), QueryCounter() as two:
        client.get("/manage/calls/MISSION-KR/assessment")
    for pid in page["ids"][2:]:
        client.post(f"/manage/calls/MISSION-KR/assessment/{pid}", data={
            f"p{pid}-verdict": "not_suitable", f"p{pid}-fit": "1", f"p{pid}-note": "A reasoned note of the officer."})
    with app.app_context(), QueryCounter() as four:
        client.get("/manage/calls/MISSION-KR/assessment")
    assert four.count == two.count


def test_a_call_scored_by_experts_has_no_assessment_page(page) -> None:  # type: ignore[no-untyped-def]
    response = page["client"].get("/manage/calls/EXPERTS-CALL/assessment")
    assert response.status_code == 409
    assert "evaluated by experts" in response.get_data(as_text=True)


def test_the_evaluation_tabs_of_a_mission_call_show_the_assessment(page) -> None:  # type: ignore[no-untyped-def]
    text = page["client"].get("/manage/calls/MISSION-KR/screening").get_data(as_text=True)
    assert 'href="/manage/calls/MISSION-KR/assessment"' in text
    assert 'href="/manage/calls/MISSION-KR/evaluators"' not in text


def test_the_ranking_and_run_pages_of_a_mission_speak_of_places_not_budget(page, app) -> None:  # type: ignore[no-untyped-def]
    import re

    client = page["client"]
    for pid, fit in zip(page["ids"], [4, 5, 3, 2], strict=True):
        client.post(f"/manage/calls/MISSION-KR/assessment/{pid}", data={
            f"p{pid}-verdict": "suitable", f"p{pid}-fit": str(fit), f"p{pid}-note": "A reasoned note of the officer."})
    ranking = client.get("/manage/calls/MISSION-KR/ranking")
    assert ranking.status_code == 200
    text = ranking.get_data(as_text=True)
    assert 'id="assessment-rules"' in text
    assert "rank 1; suitable, fit 5: place 1 of 2" in text
    run = client.post("/manage/calls/MISSION-KR/runs", data={"budget_policy": "skip", "reserve_size": "1", "note": ""})
    assert run.status_code == 302, run.get_data(as_text=True)[:500]
    run_page = client.get(run.headers["Location"])
    assert run_page.status_code == 200
    for html in (text, run_page.get_data(as_text=True)):
        visible = re.sub(r"<[^>]+>", " ", html)
        assert not re.search(r"\bbudget\b", visible, re.I), re.findall(r".{60}budget.{30}", visible, re.I)
