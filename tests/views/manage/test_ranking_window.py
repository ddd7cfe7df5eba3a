"""Issue 15, item 5: the ranking page at any size shows its table a window at a time — filtered, searched and
sorted on the server over the whole ranking — with the funding cut-off of the whole ranking on every page, a
caption saying which rows, a pager a keyboard and a screen reader can use, complete exports, and a query count that
does not grow with the call. The ranking itself is still decided by `scoring` over every proposal."""

from __future__ import annotations

import csv
import io
import random
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

import app.queries.ranking_window as ranking_window
from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import ConsensusReport, ConsensusScore, Partner, Proposal, Submission
from app.services.accounts import find_or_create_organisation
from bench.selection import _bench_call, _bench_rows
from tests.factories import QueryCounter, make_approved_consensus, make_call, make_proposal

CODE = "WIN"
# Seven proposals with distinct totals: 3 awards within 3M (1M each), a reserve of 2, one not funded, one below
# its threshold. Three rows a page: the last funded closes page 1, the first reserve opens page 2.
FIELD = [("GOLD", ("5", "5", "5"), "Open"), ("SILVER", ("5", "5", "4.5"), "Digital"),
         ("BRONZE", ("5", "4.5", "4.5"), "Open"), ("RES-ONE", ("4.5", "4.5", "4.5"), "Digital"),
         ("RES-TWO", ("4.5", "4.5", "4"), "Open"), ("NOPE", ("4.5", "4", "4"), "Tourism"),
         ("WEAK", ("2.5", "4", "4"), "Open")]


def ref(number: int) -> str:
    return f"{CODE}-{number:04d}"


@pytest.fixture
def field(app, make_user, monkeypatch):
    monkeypatch.setattr(ranking_window, "RANKING_PAGE_SIZE", 3)
    applicant = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        creator = db.session.merge(applicant)
        call = make_call(CODE, budget=Decimal("3000000.00"), max_awards=3, reserve_size=2)
        for acronym, scores, strand in FIELD:
            proposal = make_proposal(call, creator, acronym=acronym, strand=strand)
            make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
        db.session.commit()
    return CODE


@pytest.fixture
def officer(client_as):
    return client_as(Role.OFFICER)


def page_of(officer, query: str = "") -> str:
    response = officer.get(f"/manage/calls/{CODE}/ranking{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows(page: str) -> list[str]:
    return re.findall(r'<tr class="row-[a-z_]+" id="p-([^"]+)">', page)


def caption(page: str) -> str:
    return re.search(r"<caption>(.*?)</caption>", page).group(1)


def cut_off(page: str) -> str:
    return page[page.index('id="cut-off"'):page.index("</section>", page.index('id="cut-off"'))]


def link_to(section: str, reference: str) -> dict[str, list[str]]:
    href = re.search(rf'href="([^"]*#p-{reference})"', section).group(1).replace("&amp;", "&")
    return parse_qs(urlsplit(href).query)


def test_the_window_shows_the_first_the_boundary_and_the_last_rows(field, officer) -> None:
    first = page_of(officer)
    assert rows(first) == [ref(1), ref(2), ref(3)]
    assert caption(first) == "Rows 1–3 of 7"
    assert 'aria-label="Pages of the ranking"' in first
    assert re.search(r'<a aria-current="page" href="[^"]*"><span class="visually-hidden">Page </span>1</a>', first)
    second = page_of(officer, "?page=2")
    assert rows(second) == [ref(4), ref(5), ref(6)]  # the first reserve opens the page after the last funded
    assert caption(second) == "Rows 4–6 of 7"
    last = page_of(officer, "?page=3")
    assert rows(last) == [ref(7)]
    assert caption(last) == "Rows 7–7 of 7"
    assert 'rel="next"' not in last
    assert rows(page_of(officer, "?page=99")) == [ref(7)]  # beyond the end: the last page
    assert rows(page_of(officer, "?page=x")) == [ref(1), ref(2), ref(3)]


def test_the_cut_off_of_the_whole_ranking_is_on_every_page(field, officer) -> None:
    for query in ("", "?page=2", "?page=3", "?outcome=below_threshold", "?q=nothing-like-this"):
        section = cut_off(page_of(officer, query))
        assert "Last funded" in section
        assert f"#3 <strong>BRONZE</strong> <code class=\"ref\">{ref(3)}</code>" in section
        assert "First reserve" in section
        assert f"#4 <strong>RES-ONE</strong> <code class=\"ref\">{ref(4)}</code>" in section
        assert "€3,000,000.00 for 3 proposals" in section
        assert "Budget left</dt><dd>€0.00" in section
    # Its links open the page that shows the row: in rank order, page 1 for the last funded, 2 for the first reserve.
    section = cut_off(page_of(officer, "?page=3"))
    assert "page" not in link_to(section, ref(3))
    assert link_to(section, ref(4))["page"] == ["2"]
    # In a filtered view that holds the row, the link stays in that view; otherwise it goes back to rank order.
    reserve_only = cut_off(page_of(officer, "?outcome=reserve"))
    assert link_to(reserve_only, ref(4))["outcome"] == ["reserve"]
    assert "outcome" not in link_to(reserve_only, ref(3))


def test_the_table_is_filtered_searched_and_sorted_on_the_server(field, officer) -> None:
    assert rows(page_of(officer, "?outcome=reserve")) == [ref(4), ref(5)]
    assert caption(page_of(officer, "?outcome=reserve")) == "Rows 1–2 of 2 (of 7 in the ranking)"
    assert rows(page_of(officer, "?strand=Digital")) == [ref(2), ref(4)]
    assert rows(page_of(officer, "?q=res-")) == [ref(4), ref(5)]  # acronym, any case
    assert rows(page_of(officer, f"?q={ref(6)}")) == [ref(6)]  # reference
    assert rows(page_of(officer, "?sort=acronym")) == [ref(3), ref(1), ref(6)]  # BRONZE, GOLD, NOPE
    assert rows(page_of(officer, "?sort=total&dir=desc&page=3")) == [ref(7)]
    assert rows(page_of(officer, "?dir=desc")) == [ref(7), ref(6), ref(5)]
    nothing = page_of(officer, "?q=nothing-like-this")
    assert rows(nothing) == []
    assert "No proposal matches." in nothing
    # Unknown values show everything in rank order rather than an error.
    assert rows(page_of(officer, "?outcome=won&sort=price")) == [ref(1), ref(2), ref(3)]


def test_the_pager_keeps_the_filter_and_the_preview_options(field, officer) -> None:
    page = page_of(officer, "?policy=stop&reserve=2&outcome=not_funded&dir=desc&sort=total")
    assert rows(page) == [ref(6)]
    wide = page_of(officer, "?policy=stop&reserve=2&sort=acronym")
    href = re.search(r'<a rel="next" href="([^"]+)"', wide).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"page": ["2"], "sort": ["acronym"], "policy": ["stop"],
                                              "reserve": ["2"], "coverage": ["0"]}
    form = wide[wide.index('aria-label="Filter the ranking"'):]
    form = form[:form.index("</form>")]
    assert '<input type="hidden" name="policy" value="stop">' in form


def test_the_exports_hold_every_row_whatever_page_is_shown(field, officer) -> None:
    assert len(rows(page_of(officer))) == 3
    exported = officer.get(f"/manage/calls/{CODE}/ranking.csv").get_data(as_text=True)
    references = {line[1] for line in csv.reader(io.StringIO(exported)) if line and line[1].startswith(CODE)}
    assert references == {ref(n) for n in range(1, 8)}


def test_a_proposal_named_in_a_tie_or_a_missing_report_is_linked_by_reference(app, field, officer, make_user) -> None:
    with app.app_context():
        call = db.session.scalar(sa.select(Proposal).where(Proposal.reference == ref(1))).call
        creator = db.session.merge(make_user(Role.APPLICANT, organisation="Late Cluster", country="FI"))
        make_proposal(call, creator, acronym="LATE")  # no consensus yet: not ready
        db.session.commit()
    page = page_of(officer)
    assert f'q={ref(8)}#p-{ref(8)}"' in page  # the row is on the last page, not on this one


def _bulk_call(app, code: str, size: int) -> None:
    """A call of `size` scored proposals written in bulk, as the bench writes them."""
    with app.app_context():
        organisation = find_or_create_organisation("Bulk Cluster", "LT", OrganisationType.CLUSTER)
        creator = db.session.scalar(sa.select(Proposal.created_by_id).where(Proposal.reference == ref(1)))
        call = _bench_call(code)
        db.session.add(call)
        db.session.flush()
        first_id = (db.session.scalar(sa.select(sa.func.max(Proposal.id))) or 0) + 1
        values = _bench_rows(call, size, first_id, random.Random(size), organisation_id=organisation.id,
                             applicant_id=creator)
        for model, rows_of_model in zip((Proposal, Partner, Submission, ConsensusReport, ConsensusScore), values,
                                        strict=True):
            db.session.execute(sa.insert(model), rows_of_model)
        db.session.commit()


def test_the_ranking_page_runs_the_same_queries_at_50_and_500_proposals(app, field, officer) -> None:
    _bulk_call(app, "WIN-SMALL", 50)
    _bulk_call(app, "WIN-LARGE", 500)
    officer.get("/manage/calls/WIN-SMALL/ranking")
    counts = []
    for code in ("WIN-SMALL", "WIN-LARGE"):
        with app.app_context(), QueryCounter() as counter:
            page = page_of_call(officer, code)
        assert len(rows(page)) == 3  # one window (the fixture's 3 rows a page), whatever the size
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def page_of_call(officer, code: str) -> str:
    response = officer.get(f"/manage/calls/{code}/ranking")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_runs_page_shows_its_ranking_a_window_at_a_time_with_its_cut_off(field, officer) -> None:
    response = officer.post(f"/manage/calls/{CODE}/runs", data={"budget_policy": "skip", "reserve_size": "2"})
    assert response.status_code == 302
    second = officer.get(f"/manage/calls/{CODE}/runs/1?page=2").get_data(as_text=True)
    assert rows(second) == [ref(4), ref(5), ref(6)]
    assert caption(second) == "Rows 4–6 of 7"
    assert f"#3 <strong>BRONZE</strong> <code class=\"ref\">{ref(3)}</code>" in cut_off(second)
    assert link_to(cut_off(second), ref(4)) == {"page": ["2"]}
    assert rows(officer.get(f"/manage/calls/{CODE}/runs/1?outcome=selected").get_data(as_text=True)) == [
        ref(1), ref(2), ref(3)]
    assert 'href="/manage/calls/WIN/runs/1?page=3"' in second
