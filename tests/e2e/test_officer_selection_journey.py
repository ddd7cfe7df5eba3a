"""A real browser walks the officer's selection journey on the Euroclusters call with 64 demo proposals:
open the ranking, resolve a residual tie, run the selection, run a what-if, compare both runs, finalise the first
(preview, then confirm) and download the XLSX. Screenshots of the ranking page are kept as test artifacts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.enums import Decision, Role
from app.extensions import db
from app.models import Call, Proposal, SelectionRun
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from tests.conftest import ARTIFACTS
from tests.e2e.signing_in import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = "SMP-COSME-2021-CLUSTER-01"


@pytest.fixture
def demo(app, make_user):
    officer = make_user(Role.OFFICER, email="olivia.officer@example.test", organisation="DG GROW", country="BE")
    with app.app_context():
        seed_reference_calls()
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        assert seed_selection_demo(call, count=64) == 64
        db.session.commit()
    return officer




def test_officer_ranks_runs_compares_finalises_and_downloads(app, page, live_server_url, demo) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser_log_in(page, live_server_url, app, demo.email)

    # The call hub links to the ranking.
    page.goto(f"{live_server_url}/manage/calls/{CODE}")
    page.click("a.stage:has-text('Ranking & selection')")
    page.wait_for_url(f"**/manage/calls/{CODE}/ranking")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 64
    assert page.locator("#ties").is_visible()
    assert page.locator("svg.budget-bar").is_visible()
    assert page.locator("svg.histogram rect.bin").count() > 3
    assert page.locator("svg.histogram .marker-cutoff").count() == 2  # the line and its label
    page.screenshot(path=str(ARTIFACTS / "selection-ranking.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "selection-ranking-full.png"), full_page=True)

    # The table is filtered on the server, over the whole ranking, and says which rows it shows.
    page.select_option("#ranking-strand", "Tourism")
    page.locator("form[aria-label='Filter the ranking'] button[type=submit]").click()
    page.wait_for_url("**/ranking?*strand=Tourism*")
    shown = page.locator("#ranking tbody tr").count()
    assert 0 < shown < 64
    assert page.locator("#ranking caption").inner_text() == f"Rows 1–{shown} of {shown} (of 64 in the ranking)"
    assert page.locator("#cut-off").is_visible()
    page.goto(f"{live_server_url}/manage/calls/{CODE}/ranking")

    # Resolve the first residual tie with the buttons: move the second proposal up.
    ties_before = page.locator("#ties ul.ties > li").count()
    page.locator("#ties a.button:has-text('Resolve')").first.click()
    page.wait_for_url("**/ties/resolve?refs=*")
    original = page.locator("textarea#order").input_value().split("\n")
    page.locator("ol.tie-order li").nth(1).locator("button.move-up").click()
    assert page.locator("textarea#order").input_value().split("\n")[:2] == [original[1], original[0]]
    page.fill("textarea#justification", "The panel minutes rank this consortium's SME outreach higher.")
    page.click("input[type=submit], button[type=submit]:has-text('Record')")
    page.wait_for_url(f"**/manage/calls/{CODE}/ranking")
    assert "Order recorded" in page.locator(".flash-success").inner_text()
    remaining = page.locator("#ties ul.ties > li").count() if page.locator("#ties").count() else 0
    assert remaining == ties_before - 1

    # Run 1 with the reference rules (skip policy, reserve 10, coverage on).
    page.click("button:has-text('Run the selection with these options')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")
    assert "Run 1 recorded: 30 selected, 10 on the reserve list." in page.locator(".flash-success").inner_text()
    assert page.locator("#verified").inner_text().startswith("✓")

    # Run 2: a what-if with the stop policy and a reserve list of 3, coverage off.
    page.goto(f"{live_server_url}/manage/calls/{CODE}/ranking")
    page.select_option("#policy", "stop")
    page.fill("#reserve", "3")
    page.uncheck("input[name=coverage][type=checkbox]")
    page.click("button:has-text('Preview with these options')")
    page.wait_for_url("**/ranking?*")
    assert "(stop policy, reserve 3, coverage off)" in page.locator("main").inner_text()
    page.fill("#note", "what-if: stop policy, no coverage")
    page.click("button:has-text('Run the selection with these options')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/2")

    # Compare run 1 and run 2.
    page.goto(f"{live_server_url}/manage/calls/{CODE}/runs")
    page.select_option("#a", "1")
    page.select_option("#b", "2")
    page.click("button:has-text('Compare')")
    page.wait_for_url("**/runs/compare?a=1&b=2")
    heading = page.locator("h2:has-text('change status')").inner_text()
    assert int(heading.split()[0]) > 0
    why = page.locator("section:has(h2:has-text('Why they differ'))").inner_text()
    assert "Reserve list size: 10 → 3" in why
    assert "Coverage rule: on → off" in why
    page.screenshot(path=str(ARTIFACTS / "selection-compare.png"), full_page=True)

    # Finalise run 1: preview, then confirm.
    page.goto(f"{live_server_url}/manage/calls/{CODE}/runs/1")
    page.click("a:has-text('Finalise run 1')")
    page.wait_for_url("**/runs/1/finalise")
    assert page.locator("#count-selected").inner_text() == "30"
    page.screenshot(path=str(ARTIFACTS / "selection-finalise-preview.png"), full_page=True)
    page.click("button:has-text('Confirm and finalise run 1')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")
    assert "Final · in force" in page.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "selection-run-final.png"), full_page=False)

    # Download the XLSX of the finalised run.
    with page.expect_download() as download_info:
        page.click("a:has-text('XLSX')")
    download = download_info.value
    assert download.suggested_filename == f"{CODE}-ranking-run-1.xlsx"
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert book.sheetnames == ["Ranking", "Consensus comments"]
    ranking = book["Ranking"]
    assert ranking.freeze_panes == "A2"
    assert ranking.max_row == 65
    header = [cell.value for cell in ranking[1]]
    status = header.index("Status") + 1
    assert [ranking.cell(row=r, column=status).value for r in range(2, 32)] == ["Selected"] * 30

    with app.app_context():
        decisions = db.session.scalars(sa.select(Proposal.decision).join(Call).where(Call.code == CODE)).all()
        assert decisions.count(Decision.SELECTED) == 30
        assert decisions.count(Decision.RESERVE) == 10
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRun)) == 2


def shown_options(page) -> tuple[str, str, bool]:
    """The options as the officer sees them in the form: policy, reserve list size, coverage box."""
    return (page.locator("#policy").input_value(), page.locator("#reserve").input_value(),
            page.locator("input[name=coverage][type=checkbox]").is_checked())


def shown_statuses(page) -> dict[str, str]:
    """Each ranking row's proposal and status, as the table shows them."""
    rows = page.eval_on_selector_all("#ranking tbody tr", "rows => rows.map(row => [row.id, row.className])")
    return dict(rows)


def test_previewing_unchanged_options_changes_nothing_and_the_run_uses_them(app, page, live_server_url, demo):
    browser_log_in(page, live_server_url, app, demo.email)
    page.goto(f"{live_server_url}/manage/calls/{CODE}/ranking")
    options = shown_options(page)
    assert options == ("skip", "10", True)  # the call's settings
    statuses = shown_statuses(page)
    assert list(statuses.values()).count("row-selected") == 30

    # Changing an option without previewing it holds the run back; changing it back releases it.
    run_button = page.locator("#run-button")
    page.uncheck("input[name=coverage][type=checkbox]")
    assert run_button.is_disabled()
    assert page.locator("#run-options-changed").is_visible()
    page.check("input[name=coverage][type=checkbox]")
    assert run_button.is_enabled()
    assert not page.locator("#run-options-changed").is_visible()

    # Preview without touching anything: the same options shown, carried and applied.
    page.click("button:has-text('Preview with these options')")
    page.wait_for_url("**/ranking?*")
    assert shown_options(page) == options
    assert "(skip policy, reserve 10, coverage on)" in page.locator("main").inner_text()
    assert "skip policy, reserve 10, coverage on" in page.locator("#run-options").inner_text()
    assert shown_statuses(page) == statuses

    # Each row says at which step it was decided and the budget left after that step, the figure its reason quotes.
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1920, "height": 1080})  # wide enough for every column of the table
    page.eval_on_selector("#decision-order", "element => element.scrollIntoView()")
    # Scrolled to the table's right end, as an officer would: step, budget left, status and reason side by side.
    page.eval_on_selector(".table-scroll", "element => { element.scrollLeft = element.scrollWidth; }")
    page.screenshot(path=str(ARTIFACTS / "ranking-step-column.png"), full_page=False)
    row = page.locator("#ranking tbody tr.row-selected").nth(4)
    cells = row.locator("td")
    count = cells.count()
    left, reason = cells.nth(count - 3).inner_text(), cells.nth(count - 1).inner_text()
    assert reason.endswith(f"{left} left after it")
    assert int(cells.nth(count - 5).inner_text()) > int(cells.nth(0).inner_text())  # decided after the coverage picks

    # The run after it uses the very same options and decides the same.
    page.click("button:has-text('Run the selection with these options')")
    page.wait_for_url(f"**/manage/calls/{CODE}/runs/1")
    assert "skip policy, reserve 10, coverage on" in page.locator("header.page-head").inner_text()
    assert shown_statuses(page) == statuses
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun))
        assert (run.options["budget_policy"], run.options["reserve_size"], run.options["coverage"]) == (
            "skip", 10, True)
