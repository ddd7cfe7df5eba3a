"""Issue 15, item 5: the officers' proposals list stays fast at any size: a page of rows at a time, filtered,
searched and sorted on the server, with pagination a keyboard and a screen reader can use, and a query count
that does not grow with the call."""

from __future__ import annotations

import re

from app.enums import Role
from app.extensions import db
from app.queries.proposals import PAGE_SIZE
from tests.factories import QueryCounter, make_call, make_proposal, make_staff


def _field(app, code: str, count: int, drafts: int = 0) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        call = make_call(code)
        applicant = make_staff(Role.APPLICANT, f"applicant@{code.lower()}.test", organisation="Alliance",
                               country="LT", name="Lukas")
        for index in range(count):
            make_proposal(call, applicant, acronym=f"ACR{index + 1:03d}", submitted=index >= drafts)
        db.session.commit()


def _references(html: str) -> list[str]:
    return re.findall(r'<code class="nowrap">([A-Z0-9-]+)</code>', html)


def test_a_big_call_lists_its_proposals_a_page_at_a_time(app, client_as) -> None:  # type: ignore[no-untyped-def]
    _field(app, "LIST-BIG", PAGE_SIZE + 10, drafts=3)
    officer = client_as(Role.OFFICER)
    first = officer.get("/manage/calls/LIST-BIG/proposals").get_data(as_text=True)
    assert len(_references(first)) == PAGE_SIZE
    assert "<strong>57</strong> submitted, 3 drafts" in first  # the counts are the whole call's
    assert 'aria-label="Pages of proposals"' in first
    assert 'aria-current="page"' in first
    assert 'rel="next" href="/manage/calls/LIST-BIG/proposals?page=2"' in first
    second = officer.get("/manage/calls/LIST-BIG/proposals?page=2").get_data(as_text=True)
    assert _references(second) == [f"LIST-BIG-{n:04d}" for n in range(PAGE_SIZE + 1, PAGE_SIZE + 11)]
    assert "page 2 of 2" in second
    beyond = officer.get("/manage/calls/LIST-BIG/proposals?page=99").get_data(as_text=True)
    assert "page 2 of 2" in beyond


def test_the_proposals_list_filters_searches_and_sorts_on_the_server(app, client_as) -> None:  # type: ignore[no-untyped-def]
    _field(app, "LIST-FIND", PAGE_SIZE + 10, drafts=3)
    officer = client_as(Role.OFFICER)
    found = officer.get("/manage/calls/LIST-FIND/proposals?q=acr059").get_data(as_text=True)
    assert _references(found) == ["LIST-FIND-0059"]
    drafts = officer.get("/manage/calls/LIST-FIND/proposals?status=draft").get_data(as_text=True)
    assert _references(drafts) == ["LIST-FIND-0001", "LIST-FIND-0002", "LIST-FIND-0003"]
    last = officer.get("/manage/calls/LIST-FIND/proposals?sort=acronym&dir=desc").get_data(as_text=True)
    assert _references(last)[:2] == ["LIST-FIND-0060", "LIST-FIND-0059"]
    assert 'href="/manage/calls/LIST-FIND/proposals?page=2&amp;sort=acronym&amp;dir=desc"' in last
    nothing = officer.get("/manage/calls/LIST-FIND/proposals?q=nothing-like-this").get_data(as_text=True)
    assert "No proposal matches." in nothing


def test_the_proposals_list_loads_in_a_constant_number_of_queries(app, client_as) -> None:  # type: ignore[no-untyped-def]
    _field(app, "LIST-SMALL", 3)
    _field(app, "LIST-LARGE", PAGE_SIZE * 2 + 5)
    officer = client_as(Role.OFFICER)
    officer.get("/manage/calls/LIST-SMALL/proposals")
    counts = []
    for code in ("LIST-SMALL", "LIST-LARGE"):
        with app.app_context(), QueryCounter() as counter:
            assert officer.get(f"/manage/calls/{code}/proposals").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
