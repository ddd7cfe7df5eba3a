"""A real browser on the public pages: deadlines converted to the visitor's zone, tables that sort."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_call_page_shows_the_deadline_in_the_visitors_zone(page, live_server_url, seeded) -> None:  # type: ignore[no-untyped-def]
    page.emulate_media(color_scheme="light")
    page.goto(f"{live_server_url}/calls/SMP-COSME-2021-CLUSTER-01")
    assert page.locator(".deadline-big").inner_text() == "07 December 2021, 17:00:00 CET"
    local = page.locator("time.js-local-only").inner_text()
    assert "2021" in local
    assert local != "07 December 2021, 16:00:00 UTC"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "call-page.png"), full_page=True)


def test_call_table_sorts_by_a_click(page, live_server_url, seeded) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server_url}/")
    header = page.locator("table.sortable thead th", has_text="Deadline")
    header.click()
    first = page.locator("table.sortable tbody tr").first.inner_text()
    assert "EUID-2022-SESSIONS" in first
    header.click()  # the latest deadline first: the Korea mission's call for expression of interest (10 June 2022)
    assert "EUROCLUSTERS-2022-MISSION-KR" in page.locator("table.sortable tbody tr").first.inner_text()
