"""A real browser opens next year's Euroclusters as a copy, changes its criteria and weights, publishes it; an
applicant submits to it through the proposal editor's pages (sections, Part B, receipt); after the deadline the
ranking page applies the new weights, and the stored run's input gives the very same output under
`python -m scoring select`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.clock import set_clock, utcnow
from app.enums import Eligibility, ProposalStatus
from app.extensions import db
from app.models import Call, Proposal, SelectionRun
from tests.e2e.conftest import (
    PartnerRow,
    fill_budget,
    fill_consortium,
    fill_summary,
    start_proposal,
    submit_from_overview,
    upload_annex,
)
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_approved_consensus, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOURCE, CODE = "SMP-COSME-2021-CLUSTER-01", "SMP-COSME-2027-CLUSTER-01"
BRUSSELS = ZoneInfo("Europe/Brussels")
# Under the reference weights (1, 1, 1) ALPHA ranks first (12 to 11.5); with impact weighing 3, BETA does (20.5 to 18).
SCORES = {"ALPHA": {"relevance": 5, "quality": 4, "impact": 3}, "BETA": {"relevance": 3, "quality": 4, "impact": 4.5}}


def test_a_copy_with_new_weights_is_published_submitted_to_and_ranked_by_them(app, page, live_server_url,  # type: ignore[no-untyped-def]
                                                                             people, tmp_path) -> None:
    officer, applicant = people
    now = utcnow().astimezone(BRUSSELS).replace(microsecond=0, tzinfo=None)
    deadline = now + timedelta(days=2)
    browser_log_in(page, live_server_url, app, officer.email)

    # Copy Euroclusters, change the criteria and their weights, save the draft.
    page.goto(f"{live_server_url}/manage/calls/{SOURCE}/configure")
    page.click("a:has-text('Copy this call')")
    page.wait_for_url(f"**/manage/calls/new?copy_of={SOURCE}")
    page.fill("input[name=code]", CODE)
    page.fill("input[name=opens_at]", (now - timedelta(days=1)).isoformat())
    page.fill("input[name=deadline]", deadline.isoformat())
    page.fill("input[name='criteria-1-name']", "Quality of the partnership")
    page.fill("input[name='criteria-2-weight']", "3")
    page.click("button:has-text('Save the call'), input[value='Save the call']")
    page.wait_for_url(f"**/manage/calls/{CODE}/configure")
    preview = page.locator("#rules-preview").inner_text()
    assert "impact: scored 0 to 5 in half points, weight 3, threshold 3" in preview
    assert page.locator("#call-phase").text_content() == "draft"

    # Publish: the call opens (its opening is past).
    page.click("button:has-text('Publish the call')")
    page.wait_for_url(f"**/manage/calls/{CODE}/configure")
    assert page.locator("#call-phase").text_content() == "open"

    # An applicant submits two proposals through the pages: the editor's sections, the required Part B, the receipt.
    browser_log_in(page, live_server_url, app, applicant.email)
    part_b = tmp_path / "Part B.pdf"
    part_b.write_bytes(pdf_bytes(4))
    for number, acronym in enumerate(SCORES, start=1):
        proposal_url = start_proposal(page, live_server_url, CODE)
        fill_summary(page, proposal_url, acronym=acronym, title=f"{acronym}: resilient value chains",
                     abstract="Clusters of three countries help SMEs.", strand="Digital", months=36)
        fill_consortium(page, proposal_url, coordinator_email=applicant.email, partners=[
            PartnerRow("Cluster Rhein-Ruhr", "DE", "cluster_organisation", "office@rhein-ruhr.example.org"),
            PartnerRow("Pôle Mobilité Sud", "FR", "business_support_organisation", "contact@pole-sud.example.org")])
        fill_budget(page, requested="900000", amounts=["300000", "300000", "300000"])
        page.click("text=Save and continue to annexes")
        page.wait_for_url(f"{proposal_url}/annexes")
        # The copy kept Euroclusters' annexes: Part B is the one required, proposed first by the upload.
        assert page.locator("#checklist li.check-bad").all_inner_texts() == [
            page.locator("#checklist li[data-check='part_b']").inner_text()]
        upload_annex(page, proposal_url, part_b)
        page.click("nav.section-tabs >> text=Overview")
        page.wait_for_url(proposal_url)
        assert page.locator("#checklist.is-ok").count() == 1
        receipt = submit_from_overview(page)
        assert receipt.startswith(f"EG-{CODE}-{number:04d}-v1-")
        assert page.locator("text=Download the receipt (PDF)").count() == 1

    # The proposals are screened eligible and scored by consensus (other journeys walk those pages).
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        assert call is not None
        submitted = {p.acronym: p for p in db.session.scalars(sa.select(Proposal).where(Proposal.call_id == call.id))}
        assert {acronym: p.status for acronym, p in submitted.items()} == {
            acronym: ProposalStatus.SUBMITTED for acronym in SCORES}
        for acronym, scores in SCORES.items():
            make_approved_consensus(submitted[acronym], scores)
            submitted[acronym].eligibility = Eligibility.ELIGIBLE
        db.session.commit()
    set_clock(lambda: (deadline + timedelta(hours=1)).replace(tzinfo=BRUSSELS))  # the call has closed
    browser_log_in(page, live_server_url, app, officer.email)  # two days on, the morning's session has expired

    # The ranking page orders by the new weights; a stored run scores the same input as the command line.
    page.goto(f"{live_server_url}/manage/calls/{CODE}/ranking")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 2
    assert "BETA" in rows.nth(0).inner_text()
    ranked = [rows.nth(i).get_attribute("id") for i in range(2)]
    page.click("button:has-text('Run the selection with these options')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun).join(Call).where(Call.code == CODE))
        assert run is not None
        stored_input, stored_output = run.input_json, json.loads(run.output_json)
    weights = {c["key"]: c["weight"] for c in json.loads(stored_input)["rules"]["criteria"]}
    assert weights == {"relevance": "1.00", "quality": "1.00", "impact": "3.00"}
    cli = subprocess.run([sys.executable, "-m", "scoring", "select"], input=stored_input, capture_output=True,
                         text=True, check=True)
    assert json.loads(cli.stdout) == stored_output
    assert [(p["id"].rsplit("-", 1)[0], p["total"]) for p in stored_output["proposals"]] == [
        (CODE, "20.5"), (CODE, "18")]
    assert ranked == [f"p-{p['id']}" for p in stored_output["proposals"]]
