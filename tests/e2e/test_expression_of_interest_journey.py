"""A real browser opens next year's Korea mission as a copy of the 2022 call for expression of interest (no budget,
no criteria: the officer's assessment gives the places), publishes it; expressions of interest are submitted and
screened; after the deadline the officer assesses each one on the assessment page, runs the selection, finalises it
and generates the letters: the mission letters say who takes part."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.clock import set_clock, utcnow
from app.enums import Decision, Eligibility, LetterKind
from app.extensions import db
from app.letter_files import letter_pdf
from app.models import Call, Letter, Proposal, User
from app.services.proposals import submit_proposal
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_ready_proposal
from tests.letter_worlds import flat, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOURCE, CODE = "EUROCLUSTERS-2022-MISSION-KR", "EUROCLUSTERS-2023-MISSION-KR"
BRUSSELS = ZoneInfo("Europe/Brussels")
# The officer's assessment of each expression of interest: verdict, fit, reasons.
ASSESSMENTS = {"HANBAT": ("suitable", "5", "Battery cluster with signed contacts in Daejeon."),
               "ORBIT": ("suitable", "3", "Space cluster; Korean partners still to be found."),
               "DRIFT": ("not_suitable", "2", "No activity related to the mission's sectors.")}


def test_a_mission_call_is_copied_assessed_selected_and_its_letters_issued(app, page, live_server_url,  # type: ignore[no-untyped-def]
                                                                           people) -> None:
    officer, applicant = people
    now = utcnow().astimezone(BRUSSELS).replace(microsecond=0, tzinfo=None)
    deadline = now + timedelta(days=2)
    browser_log_in(page, live_server_url, app, officer.email)

    # Copy the 2022 mission with one place and one reserve, and publish it: the preview gives the assessment's rules.
    page.goto(f"{live_server_url}/manage/calls/{SOURCE}/configure")
    page.click("a:has-text('Copy this call')")
    page.wait_for_url(f"**/manage/calls/new?copy_of={SOURCE}")
    assert page.locator("select[name=evaluation_mode]").input_value() == "assessment"
    page.fill("input[name=code]", CODE)
    page.fill("input[name=opens_at]", (now - timedelta(days=1)).isoformat())
    page.fill("input[name=deadline]", deadline.isoformat())
    page.fill("input[name=max_awards]", "1")
    page.fill("input[name=reserve_size]", "1")
    page.click("button:has-text('Save the call'), input[value='Save the call']")
    page.wait_for_url(f"**/manage/calls/{CODE}/configure")
    preview = page.locator("#rules-preview").inner_text()
    assert "The first 1 suitable proposals in that order are selected" in preview
    assert "budget of" not in preview
    page.click("button:has-text('Publish the call')")
    page.wait_for_url(f"**/manage/calls/{CODE}/configure")
    assert page.locator("#call-phase").text_content() == "open"

    # Three expressions of interest are submitted (through the service the pages call) and screened eligible.
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        creator = db.session.get(User, applicant.id)
        assert call is not None
        assert creator is not None
        for acronym in ASSESSMENTS:
            proposal = make_ready_proposal(call, creator, acronym=acronym, requested=Decimal("0.00"))
            submit_proposal(proposal, actor=creator)
            proposal.eligibility = Eligibility.ELIGIBLE
        db.session.commit()
        ids = {acronym: pid for acronym, pid in db.session.execute(
            sa.select(Proposal.acronym, Proposal.id).where(Proposal.call_id == call.id))}
    set_clock(lambda: (deadline + timedelta(hours=1)).replace(tzinfo=BRUSSELS))  # the call has closed
    browser_log_in(page, live_server_url, app, officer.email)

    # The process view points to the assessment; each expression of interest is assessed in its row.
    page.goto(f"{live_server_url}/manage/calls/{CODE}")
    page.click("a:has-text('Assess the proposals')")
    page.wait_for_url(f"**/manage/calls/{CODE}/assessment")
    for acronym, (verdict, fit, note) in ASSESSMENTS.items():
        row = page.locator(f"#row-{ids[acronym]}")
        row.locator(f"input[name='p{ids[acronym]}-verdict'][value={verdict}]").check()
        row.locator(f"select[name='p{ids[acronym]}-fit']").select_option(fit)
        row.locator(f"textarea[name='p{ids[acronym]}-note']").fill(note)
        row.locator("button:has-text('Record the assessment'), input[value='Record the assessment']").click()
        page.wait_for_url(f"**/manage/calls/{CODE}/assessment*")
    assert "(3 of 3 assessed)" in page.locator("main").inner_text()

    # The ranking gives the place by fit; the run is recorded and finalised.
    page.click("a:has-text('Run the selection')")
    page.wait_for_url(f"**/manage/calls/{CODE}/ranking")
    assert "HANBAT" in page.locator("#ranking tbody tr").nth(0).inner_text()
    page.click("button:has-text('Run the selection with these options')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")
    page.click("a:has-text('Finalise run 1')")
    page.wait_for_url("**/runs/1/finalise")
    page.click("button:has-text('Confirm and finalise run 1')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")

    # The letters: generated through the letter machinery, a mission letter for each decision.
    page.goto(f"{live_server_url}/manage/calls/{CODE}/letters")
    page.click("button:has-text('Generate letters')")
    page.wait_for_selector(".letter-batch[data-finished=true]", timeout=120_000)
    with app.app_context():
        decided = {p.acronym: p for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids.values())))}
        assert {acronym: p.decision for acronym, p in decided.items()} == {
            "HANBAT": Decision.SELECTED, "ORBIT": Decision.RESERVE, "DRIFT": Decision.REJECTED}
        letter = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == ids["HANBAT"]))
        assert letter is not None
        assert letter.kind is LetterKind.AWARD
        text = flat(pdf_text(letter_pdf(letter)))
    assert "has been selected: your organisation is invited to take part in the mission" in text
    assert "Battery cluster with signed contacts in Daejeon." in text
    assert letter.verification_code in text
