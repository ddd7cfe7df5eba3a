"""The public pages: every call, and each call's page with its deadline, rules and criteria."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.clock import set_clock
from app.extensions import db
from app.queries.calls import get_call


@pytest.fixture
def frozen_clock():  # type: ignore[no-untyped-def]
    def freeze(moment: datetime) -> None:
        set_clock(lambda: moment)

    yield freeze
    set_clock(None)


def test_call_list_shows_the_reference_calls_as_closed(client, seeded) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").get_data(as_text=True)
    for code in ("SMP-COSME-2021-CLUSTER-01", "EUID-2022-SESSIONS", "EUID-2022-LOCAL",
                 "EUROCLUSTERS-2022-MISSION-KR"):
        assert code in page
    assert "No call is open at the moment." in page
    assert page.count("badge-closed") == 4


def test_call_page_shows_the_deadline_in_brussels_time_and_the_rules(client, seeded) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/calls/SMP-COSME-2021-CLUSTER-01").get_data(as_text=True)
    assert "07 December 2021, 17:00:00 CET" in page
    assert 'datetime="2021-12-07T16:00:00+00:00"' in page  # converted to the visitor's zone in the browser
    assert "€42,000,000.00" in page
    assert "up to 30" in page
    assert "€1,400,000.00" in page
    assert "Relevance" in page
    assert "Quality" in page
    assert "Impact" in page
    assert "This call is closed" in page
    assert "Aerospace &amp; Defence" in page
    assert "at least <strong>3</strong> different eligible countries" in page


def test_open_call_shows_time_left(client, seeded, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    frozen_clock(datetime(2021, 12, 7, 14, 30, 0, tzinfo=UTC))
    page = client.get("/calls/SMP-COSME-2021-CLUSTER-01").get_data(as_text=True)
    assert "Time left: <strong>1 h 30 min</strong>" in page
    index = client.get("/").get_data(as_text=True)
    assert "1 h 30 min" in index


def test_call_is_closed_exactly_at_the_deadline(client, seeded, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    frozen_clock(datetime(2021, 12, 7, 15, 59, 59, 999999, tzinfo=UTC))
    assert "Time left" in client.get("/calls/SMP-COSME-2021-CLUSTER-01").get_data(as_text=True)
    frozen_clock(datetime(2021, 12, 7, 16, 0, 0, tzinfo=UTC))
    assert "This call is closed" in client.get("/calls/SMP-COSME-2021-CLUSTER-01").get_data(as_text=True)


def test_event_call_shows_slots_and_no_budget(client, seeded) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/calls/EUID-2022-SESSIONS").get_data(as_text=True)
    assert "28 November 2021, 23:59:59 CET" in page
    assert "Slots" in page
    assert "up to 20" in page
    assert "Budget" not in page
    assert "Youth in industry" in page


def test_unknown_call_is_a_404_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/calls/NOPE")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_static_assets_are_served_locally(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page.split("<body")[0]
    assert "https://" not in page.split("<body")[0]
    for asset in ("/static/css/app.css", "/static/js/app.js"):
        response = client.get(asset)
        assert response.status_code == 200
        response.close()


def test_healthz_checks_the_database_and_the_storage(client, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == body["checks"]["storage"]["status"] == "ok"
    assert body["checks"]["redis"] == {"status": "not configured"}
    # A storage that cannot be written makes the server unhealthy, and the answer says which part.
    monkeypatch.setitem(app.config, "STORAGE_DIR", "/proc/eurogrants-cannot-write-here")
    failing = client.get("/healthz")
    assert failing.status_code == 503
    assert failing.get_json()["checks"]["storage"]["status"] == "failing"
    assert failing.get_json()["checks"]["database"]["status"] == "ok"


def test_every_page_has_an_icon_and_the_root_icon_answers(client, seeded) -> None:  # type: ignore[no-untyped-def]
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    for path in ("/", "/calls/SMP-COSME-2021-CLUSTER-01", "/auth/login", "/privacy"):
        assert '<link rel="icon" href="/favicon.ico"' in client.get(path).get_data(as_text=True), path


def test_the_call_page_names_the_organisation_types_and_annexes_the_call_asks_for(client, seeded, app) -> None:  # type: ignore[no-untyped-def]
    page = " ".join(client.get("/calls/SMP-COSME-2021-CLUSTER-01").get_data(as_text=True).split())
    assert ("Eligible organisation types (every partner, the coordinator included): Cluster organisation, Business "
            "support organisation.") in page
    assert "Part B as one PDF of at most <strong>50</strong> pages." in page
    assert "Required annexes" not in page
    assert "Eligible organisation types" not in client.get("/calls/EUID-2022-LOCAL").get_data(as_text=True)
    with app.app_context():
        call = get_call("EUID-2022-LOCAL")
        assert call is not None
        call.required_annexes, call.optional_annexes = ["part_b", "support_letter"], []
        db.session.commit()
    page = " ".join(client.get("/calls/EUID-2022-LOCAL").get_data(as_text=True).split())
    assert ("Required annexes: Part B (technical description), Letter of support. Each PDF has at most 3 pages."
            in page)
    assert "Part B as one PDF" not in page


def test_a_call_for_expression_of_interest_says_how_it_selects_instead_of_criteria(client, seeded) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/calls/EUROCLUSTERS-2022-MISSION-KR").get_data(as_text=True)
    assert "How expressions of interest are selected" in page
    assert "The 20 places go to the expressions of interest assessed suitable with the best fit" in page
    assert "The next 5 form the reserve list, in the same order." in page
    assert "Award criteria" not in page
    assert "Evaluators per proposal" not in page
    french = client.get("/calls/EUROCLUSTERS-2022-MISSION-KR?lang=fr")
    assert french.status_code == 200
