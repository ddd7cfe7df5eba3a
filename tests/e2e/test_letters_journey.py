"""A real browser: the officer finalises a run, watches the letters' progress bar finish, downloads the ZIP.

One page of each kind of letter is turned into PNG (pdftoppm) and kept in test-artifacts/letters/.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest

from app import jobs
from app.enums import Eligibility, Role
from app.extensions import db
from tests.conftest import ARTIFACTS
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_approved_consensus, make_call, make_proposal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = "LETTERS-E2E"


@pytest.fixture
def draft_run(app, make_user):
    """A closed call whose draft run (by the selection service) decides every kind of letter."""
    from app.services.selection import run_selection

    officer = make_user(Role.OFFICER, email="officer-e2e@example.test")
    with app.app_context():
        applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
        call = make_call(CODE, budget=Decimal("2500000.00"), reserve_size=2, title="Euroclusters for Europe's recovery")
        plan = [("TOURISM-X", ("5", "4.5", "4.5")), ("DIGI-AXIS", ("4.5", "4.5", "4")), ("HEALTHNET", ("4", "4", "4")),
                ("AGRIFOOD+", ("4", "3.5", "3.5")), ("TEXTILE-R", ("3.5", "3.5", "3.5")),
                ("RETAIL-7", ("3", "3", "3.5")), ("MOBILITY-EU", ("4", "3.5", "3")), ("BUILD-GREEN", ("3", "2.5", "3"))]
        for acronym, scores in plan:
            proposal = make_proposal(call, applicant, acronym=acronym)
            make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
        late = make_proposal(call, applicant, acronym="LATEPART", eligibility=Eligibility.INELIGIBLE)
        late.eligibility_reason = "Only 2 partners from 2 eligible countries (3 required)."
        db.session.commit()
        db.session.expire_all()  # scores as the database gives them back (Decimal("5.0"), not Decimal("5"))
        run = run_selection(call, actor=db.session.merge(officer))
        db.session.commit()
        return {"officer": officer, "number": run.number}




def test_officer_finalises_generates_watches_and_downloads(app, page, live_server_url, draft_run, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)  # the real process pool, as in production
    out = ARTIFACTS / "letters"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        browser_log_in(page, live_server_url, app, draft_run["officer"].email)
        page.goto(f"{live_server_url}/manage/calls/{CODE}/runs/{draft_run['number']}/finalise")
        page.click("button:has-text('Confirm and finalise')")
        page.wait_for_load_state()
        assert "is final" in page.content()

        page.goto(f"{live_server_url}/manage/calls/{CODE}")
        page.click("nav.stages a:has-text('Letters')")
        page.click("button:has-text('Generate letters')")
        page.wait_for_selector(".letter-batch")
        bar = page.locator("progress.batch-progress")
        total = int(bar.get_attribute("max"))
        assert total == 9
        first_value = int(bar.get_attribute("value"))
        page.screenshot(path=str(out / "batch-progress.png"))
        # The bar moves without reloading the page (letters.js polls the JSON endpoint) until the batch is done.
        page.wait_for_selector(".letter-batch[data-finished=true]", timeout=120_000)
        assert int(bar.get_attribute("value")) == total
        assert first_value < total, "the page showed the batch before it finished"
        assert page.locator("[data-field=failed]").inner_text() == "0"
        assert page.locator(".batch-status").inner_text() == "Finished"
        page.screenshot(path=str(out / "batch-finished.png"))

        with page.expect_download() as download_info:
            page.click("[data-testid=batch-zip]")
        data = download_info.value.path().read_bytes()
    finally:
        jobs.shutdown()

    archive = zipfile.ZipFile(io.BytesIO(data))
    pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert len(pdfs) == 9
    kinds = {}
    for name in sorted(pdfs):
        kinds.setdefault(name.rsplit("_", 1)[1].removesuffix(".pdf"), name)
    assert set(kinds) == {"award", "reserve", "rejection", "ineligible"}
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: run scripts/setup.sh --test")
    for kind, name in kinds.items():
        pdf = out / f"letter-{kind}.pdf"
        pdf.write_bytes(archive.read(name))
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(out / f"letter-{kind}")], check=True, timeout=60)
        assert (out / f"letter-{kind}.png").stat().st_size > 10_000

    page.goto(f"{live_server_url}/manage/calls/{CODE}/letters")
    page.click("button:has-text('Publish to applicants')")
    page.wait_for_selector("text=9 letters published")
    page.screenshot(path=str(out / "letters-page.png"), full_page=True)
