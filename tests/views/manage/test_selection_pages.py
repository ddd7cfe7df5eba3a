"""The officer's ranking and selection pages: access, the ranking, runs, comparison, ties, finalisation in two
steps, promotion, exports and transfer offers — and the ranking page's query count at two sizes."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.enums import CallKind, Decision, OfferStatus, Role, RunStatus
from app.extensions import db
from app.models import Call, Proposal, SelectionRun, TieResolution
from app.models.selection import TransferOffer
from app.queries.outcomes import run_outcomes, sha256_text
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from scoring import canonical_json
from tests.factories import QueryCounter, make_approved_consensus, make_call, make_proposal

CODE = "PAGES"
DEMO_CODE = "SMP-COSME-2021-CLUSTER-01"


def _scored(call, applicant, acronym, scores, requested="1000000.00", strand="Open"):
    proposal = make_proposal(call, applicant, acronym=acronym, strand=strand,
                             requested=None if requested is None else Decimal(requested))
    make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
    return proposal


@pytest.fixture
def applicant(make_user):
    return make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")


@pytest.fixture
def field(app, applicant):
    """Five proposals, 2 awards within 3M, a reserve of 2, a residual tie between TIE-A and TIE-B."""
    with app.app_context():
        creator = db.session.merge(applicant)
        call = make_call(CODE, budget=Decimal("3000000.00"), max_awards=2, reserve_size=2)
        _scored(call, creator, "TOP", ("5", "4.5", "4.5"))
        _scored(call, creator, "TIE-A", ("4", "4", "4"), requested="1500000.00")
        _scored(call, creator, "TIE-B", ("4", "4", "4"), requested="900000.00")
        _scored(call, creator, "FOURTH", ("3.5", "3.5", "3.5"), requested="400000.00")
        _scored(call, creator, "WEAK", ("2.5", "4", "4"))
        db.session.commit()
    return CODE


@pytest.fixture
def officer(client_as):
    return client_as(Role.OFFICER)


def text(response) -> str:
    return response.get_data(as_text=True)


def run_number(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(SelectionRun.number)))


def make_run(officer, code=CODE, **form) -> str:
    data = {"budget_policy": "skip", "reserve_size": "2", **form}
    response = officer.post(f"/manage/calls/{code}/runs", data=data)
    assert response.status_code == 302, text(response)[:2000]
    return response.headers["Location"]


# ---------------------------------------------------------------------------------------------- access

PAGES = ["/ranking", "/runs", "/runs/1", "/runs/1/input.json", "/runs/compare?a=1&b=1", "/runs/1/finalise",
         "/ranking.csv", "/ranking.xlsx"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, field, path) -> None:
    response = client.get(f"/manage/calls/{CODE}{path}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.EVALUATOR])
@pytest.mark.parametrize("path", PAGES)
def test_other_roles_get_403(client_as, field, role, path) -> None:
    assert client_as(role).get(f"/manage/calls/{CODE}{path}").status_code == 403


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.EVALUATOR])
@pytest.mark.parametrize("path", ["/runs", "/ties/1/revoke", "/runs/1/finalise", "/runs/1/promote", "/offers"])
def test_other_roles_cannot_post(client_as, field, role, path) -> None:
    assert client_as(role).post(f"/manage/calls/{CODE}{path}").status_code == 403


@pytest.mark.parametrize("path", ["/ranking", "/runs", "/ranking.csv", "/ranking.xlsx"])
def test_unknown_call_is_404(officer, path) -> None:
    assert officer.get(f"/manage/calls/NOPE{path}").status_code == 404


@pytest.mark.parametrize("path", ["/runs/9", "/runs/9/output.json", "/runs/9/finalise", "/runs/9/promote",
                                  "/runs/compare?a=9&b=9", "/ranking.csv?run=9", "/ranking.xlsx?run=x"])
def test_unknown_run_is_404(officer, field, path) -> None:
    assert officer.get(f"/manage/calls/{CODE}{path}").status_code == 404


def test_another_calls_tie_resolution_is_404(app, officer, field) -> None:
    with app.app_context():
        other = make_call("OTHER")
        resolution = TieResolution(call_id=other.id, ordered_references=["A", "B"], justification="x" * 30,
                                   created_by_id=1)
        db.session.add(resolution)
        db.session.commit()
        resolution_id = resolution.id
    assert officer.post(f"/manage/calls/{CODE}/ties/{resolution_id}/revoke").status_code == 404


# ---------------------------------------------------------------------------------------------- the ranking


def test_call_hub_links_to_the_ranking(officer, field) -> None:
    assert f'href="/manage/calls/{CODE}/ranking"' in text(officer.get(f"/manage/calls/{CODE}"))


def test_ranking_page_shows_merit_order_ties_charts_and_the_run_form(officer, field) -> None:
    page = text(officer.get(f"/manage/calls/{CODE}/ranking"))
    assert "Ranking and selection" in page
    table = page[page.index('id="ranking"'):]
    assert table.index("TOP") < table.index("TIE-A") < table.index("TIE-B") < table.index("FOURTH") < \
        table.index("WEAK")
    assert "1 residual tie to resolve" in page
    assert "decides funding" in page
    assert f"/manage/calls/{CODE}/ties/resolve?refs={CODE}-0002,{CODE}-0003" in page
    assert '<svg class="budget-bar"' in page
    assert '<svg class="histogram"' in page
    assert "€2,500,000.00 of €3,000,000.00 used" in page
    assert "Run the selection with these options" in page
    assert "disabled" not in page.split("run-form")[1][:1500]
    assert "✗ relevance 2.5 &lt; 3" in page
    assert 'src="/static/js/selection.js"' in page


def test_options_preview_changes_the_ranking_without_storing(app, officer, field) -> None:
    page = text(officer.get(f"/manage/calls/{CODE}/ranking?policy=stop&reserve=0"))
    assert "(stop policy, reserve 0, coverage off)" in page
    assert '<input type="hidden" name="reserve_size" value="0">' in page
    assert run_number(app) is None
    page = text(officer.get(f"/manage/calls/{CODE}/ranking?reserve=lots"))
    assert "The reserve size must be a whole number." in page


@pytest.fixture
def covered(app, applicant):
    """A call whose coverage rule (on by default) changes who is funded: on, COVER-C (the only Tourism proposal)
    takes the second award; off, COVER-B (ranked second) does."""
    with app.app_context():
        creator = db.session.merge(applicant)
        call = make_call("COVER", budget=Decimal("3000000.00"), max_awards=2, reserve_size=1,
                         coverage_field="strand")
        _scored(call, creator, "COVER-A", ("5", "4.5", "4.5"), strand="Open")
        _scored(call, creator, "COVER-B", ("4", "4", "4"), strand="Open")
        _scored(call, creator, "COVER-C", ("3.5", "3.5", "3.5"), strand="Tourism")
        db.session.commit()
    return "COVER"


def _status_of(page: str, reference: str) -> str:
    row = page[page.index(f'id="p-{reference}"'):]
    return re.search(r'class="badge status-(\w+)"', row).group(1)


def test_previewing_the_ticked_coverage_box_keeps_the_rule_on(officer, covered) -> None:
    # What the options form sends with the box ticked: its hidden "0", then the checkbox's "1".
    page = text(officer.get("/manage/calls/COVER/ranking?policy=skip&reserve=1&coverage=0&coverage=1"))
    assert "(skip policy, reserve 1, coverage on)" in page
    assert re.search(r'<input type="checkbox" name="coverage" value="1" checked>', page)
    run_form = page[page.index('id="run-form"'):]
    assert '<input type="hidden" name="coverage" value="y">' in run_form[:1500]
    assert _status_of(page, "COVER-0003") == "selected"
    assert _status_of(page, "COVER-0002") == "reserve"
    # Unticked, the form sends the hidden "0" alone: the rule is off and the run form carries no coverage.
    page = text(officer.get("/manage/calls/COVER/ranking?policy=skip&reserve=1&coverage=0"))
    assert "(skip policy, reserve 1, coverage off)" in page
    assert not re.search(r'name="coverage" value="1" checked', page)
    assert 'name="coverage" value="y"' not in page[page.index('id="run-form"'):][:1500]
    assert _status_of(page, "COVER-0002") == "selected"


def test_a_refused_run_shows_the_options_it_was_asked_for(app, officer, covered, applicant) -> None:
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == "COVER"))
        make_proposal(call, db.session.merge(applicant), acronym="PENDING")
        db.session.commit()
    # Coverage off (the box unticked), the stop policy and no reserve list; the call's defaults differ on all three.
    response = officer.post("/manage/calls/COVER/runs", data={"budget_policy": "stop", "reserve_size": "0"})
    assert response.status_code == 422
    page = text(response)
    assert "wait for the eligibility screening" in page
    assert "(stop policy, reserve 0, coverage off)" in page
    run_form = page[page.index('id="run-form"'):][:1500]
    assert '<input type="hidden" name="budget_policy" value="stop">' in run_form
    assert 'name="coverage" value="y"' not in run_form


def test_a_call_that_is_not_ready_says_what_is_missing(app, officer, field, applicant) -> None:
    with app.app_context():
        call = db.session.scalar(sa.select(Call).where(Call.code == CODE))
        pending = make_proposal(call, db.session.merge(applicant), acronym="PENDING")
        reference = pending.reference
        db.session.commit()
    page = text(officer.get(f"/manage/calls/{CODE}/ranking"))
    assert "Not ready for selection" in page
    assert reference in page
    assert "Eligibility screening pending (1)" in page
    response = officer.post(f"/manage/calls/{CODE}/runs", data={"budget_policy": "skip", "reserve_size": "2"})
    assert response.status_code == 422
    assert "wait for the eligibility screening" in text(response)
    assert run_number(app) is None


def test_ranking_page_runs_a_constant_number_of_queries(app, officer, applicant) -> None:
    counts = []
    with app.app_context():
        call = make_call("QCOUNT")
        db.session.commit()
    existing = 0
    for size in (5, 60):
        with app.app_context():
            call = db.session.scalar(sa.select(Call).where(Call.code == "QCOUNT"))
            creator = db.session.merge(applicant)
            for index in range(existing, size):
                _scored(call, creator, f"Q{index}", ("4", "3.5", "4.5"), strand="Digital")
            db.session.commit()
        existing = size
        with app.app_context(), QueryCounter() as queries:
            response = officer.get("/manage/calls/QCOUNT/ranking")
        assert response.status_code == 200
        assert text(response).count('class="row-') == size
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


def test_the_ranking_page_shows_each_step_and_the_budget_left_its_reason_quotes(app, officer) -> None:
    """Issue 11, item 2, on the demo field where coverage picks come first: the budget column is the budget left
    after the proposal's step, the very figure its reason quotes; no rank-order running total any more."""
    with app.app_context():
        seed_reference_calls()
        seed_selection_demo(db.session.scalar(sa.select(Call).where(Call.code == DEMO_CODE)))
        db.session.commit()
    page = text(officer.get(f"/manage/calls/{DEMO_CODE}/ranking"))
    assert "Running budget" not in page
    assert ">Step</th>" in page
    assert "Budget left after it<br>" in page
    assert "The selection decides in the order of the <strong>Step</strong> column" in page
    rows = re.findall(r'<tr class="row-selected" id="p-[^"]+">(.*?)</tr>', page, re.S)
    assert len(rows) == 30
    late = 0
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rank, step, left, reason = int(cells[0]), int(cells[-5]), cells[-3], cells[-1]
        assert reason.endswith(f"; {left} left after it") or reason.endswith(f"fits: {left} left after it"), reason
        late += step != rank
    assert late > 0  # coverage picks come first, so some proposals are decided after their rank
    # The award cap binds (with budget unused): every ranked proposal not selected says so beside its status.
    passed_over = page.count('<tr class="row-reserve"') + page.count('<tr class="row-not_funded"')
    assert passed_over > 10
    assert page.count('<span class="small muted reason-code">award cap</span>') == passed_over


# ---------------------------------------------------------------------------------------------- runs


def test_running_records_a_run_and_shows_it_reproducible(app, officer, field) -> None:
    location = make_run(officer, note="first look")
    assert location.endswith(f"/manage/calls/{CODE}/runs/1")
    page = text(officer.get(location))
    assert "Run 1" in page
    assert "Draft" in page
    assert "first look" in page
    assert "✓ Re-running the stored input gives byte-identical output" in page
    assert f"python -m scoring select {CODE}-run-1-input.json" in page
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun))
        assert run.created_by.email.startswith("officer")
        assert run.options["reserve_size"] == 2
        input_json, sha = run.input_json, run.input_sha256
    download = officer.get(f"/manage/calls/{CODE}/runs/1/input.json")
    assert download.get_data(as_text=True) == input_json
    assert sha in page
    assert "attachment" in download.headers["Content-Disposition"]
    listing = text(officer.get(f"/manage/calls/{CODE}/runs"))
    assert "Run 1" in listing
    assert "skip policy, reserve 2, coverage off" in listing


def test_a_run_stored_before_the_decision_fields_shows_them_from_its_re_run(app, officer, field) -> None:
    make_run(officer)
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun))
        output = json.loads(run.output_json)
        for item in output["proposals"]:
            del item["step"], item["budget_left"], item["reason_code"]
        run.output_json = canonical_json(output)
        run.output_sha256 = sha256_text(run.output_json)
        db.session.commit()
    page = text(officer.get(f"/manage/calls/{CODE}/runs/1"))
    assert "✓ Re-running the stored input gives byte-identical output" in page
    assert 'id="predates-decision-fields"' in page
    top = page[page.index(f'id="p-{CODE}-0001"'):].split("</tr>")[0]
    assert '<td class="num step" data-value="1">1</td>' in top  # its step, from the re-run
    assert "fits: 2,000,000.00 left after it" in top
    assert '<td class="num nowrap" data-value="2000000.00">2,000,000.00</td>' in top


def test_an_invalid_option_is_refused(app, officer, field) -> None:
    response = officer.post(f"/manage/calls/{CODE}/runs", data={"budget_policy": "maybe", "reserve_size": "2"})
    assert response.status_code == 422
    assert run_number(app) is None


def test_compare_two_runs_shows_who_changes_and_why(officer, field) -> None:
    make_run(officer)
    make_run(officer, reserve_size="0")
    page = text(officer.get(f"/manage/calls/{CODE}/runs/compare?a=1&b=2"))
    assert "2 proposals change status" in page
    assert "Reserve list size" in page
    assert "2 → 0" in page
    assert "Not funded" in page
    assert "reserve position 1" in page
    redirect = officer.get(f"/manage/calls/{CODE}/runs/compare")
    assert redirect.status_code == 302
    assert "a=1&b=2" in redirect.headers["Location"]


# ---------------------------------------------------------------------------------------------- ties


def test_resolving_a_tie_is_justified_stored_and_applied_by_the_next_run(app, officer, field) -> None:
    a, b = f"{CODE}-0002", f"{CODE}-0003"
    url = f"/manage/calls/{CODE}/ties/resolve?refs={a},{b}"
    form = text(officer.get(url))
    assert "Resolve a residual tie" in form
    assert f"{a}\n{b}" in form
    refused = officer.post(url, data={"order": f"{b}\n{a}", "justification": "short"})
    assert refused.status_code == 422
    response = officer.post(url, data={"order": f"{b}\n{a}",
                                       "justification": "TIE-B reaches twice as many SMEs per euro."})
    assert response.status_code == 302
    page = text(officer.get(f"/manage/calls/{CODE}/ranking"))
    assert "residual tie to resolve" not in page
    assert "TIE-B reaches twice as many SMEs per euro." in page
    assert "applied" in page
    table = page[page.index('id="ranking"'):]
    assert table.index("TIE-B") < table.index("TIE-A")
    run_page = text(officer.get(make_run(officer)))
    assert "Ties resolved by the officer" in run_page
    assert "in the order set by the programme officer" in run_page
    with app.app_context():
        resolution_id = db.session.scalar(sa.select(TieResolution.id))
    officer.post(f"/manage/calls/{CODE}/ties/{resolution_id}/revoke")
    assert "1 residual tie to resolve" in text(officer.get(f"/manage/calls/{CODE}/ranking"))


def test_a_tie_that_does_not_exist_sends_back_to_the_ranking(officer, field) -> None:
    response = officer.get(f"/manage/calls/{CODE}/ties/resolve?refs={CODE}-0001,{CODE}-0002")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ranking")


# ---------------------------------------------------------------------------------------------- finalisation


def _token(page: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{64})"', page) or \
        re.search(r'id="token" name="token" type="hidden" value="([0-9a-f]{64})"', page)
    assert match, page[:3000]
    return match.group(1)


def test_finalising_is_a_preview_then_a_confirmation(app, officer, field) -> None:
    make_run(officer)
    preview = text(officer.get(f"/manage/calls/{CODE}/runs/1/finalise"))
    assert "Finalise run 1?" in preview
    assert "5 proposals will change" in preview
    assert "€2,500,000.00" in preview
    with app.app_context():
        assert db.session.scalar(sa.select(SelectionRun.status)) is RunStatus.DRAFT
    response = officer.post(f"/manage/calls/{CODE}/runs/1/finalise", data={"token": _token(preview)})
    assert response.status_code == 302
    page = text(officer.get(response.headers["Location"]))
    assert "Final · in force" in page
    assert "Promote from the reserve list" in page
    with app.app_context():
        decisions = dict(db.session.execute(sa.select(Proposal.acronym, Proposal.decision)).all())
    assert decisions == {"TOP": Decision.SELECTED, "TIE-A": Decision.SELECTED, "TIE-B": Decision.RESERVE,
                         "FOURTH": Decision.RESERVE, "WEAK": Decision.REJECTED}
    again = officer.get(f"/manage/calls/{CODE}/runs/1/finalise")
    assert "already final" in text(again)
    assert "Confirm and finalise" not in text(again)


def _ties_section(page: str) -> str:
    return page[page.index('<section class="notice notice-tie" id="ties">'):].split("</section>")[0]


def test_a_finalised_run_no_longer_invites_resolving_its_ties_and_running_again(app, officer) -> None:
    """Issue 11, item 6, on the stakeholder-sessions demo (an event call with a residual tie on purpose)."""
    code = "EUID-2022-SESSIONS"
    with app.app_context():
        seed_reference_calls()
        seed_selection_demo(db.session.scalar(sa.select(Call).where(Call.code == code)), count=30)
        db.session.commit()
    make_run(officer, code=code, reserve_size="5")
    draft = _ties_section(text(officer.get(f"/manage/calls/{code}/runs/1")))
    assert "resolve it on the ranking page and run again" in draft  # a draft may still be replaced
    assert ">Resolve</a>" in draft
    preview = text(officer.get(f"/manage/calls/{code}/runs/1/finalise"))
    officer.post(f"/manage/calls/{code}/runs/1/finalise", data={"token": _token(preview)})

    final = text(officer.get(f"/manage/calls/{code}/runs/1"))
    ties = _ties_section(final)
    assert "run again" not in ties
    assert ">Resolve</a>" not in ties
    assert "This run is final and in force: that order stands, and no new run replaces it." in ties
    # A what-if made afterwards says that it stays one.
    make_run(officer, code=code, reserve_size="0")
    whatif = _ties_section(text(officer.get(f"/manage/calls/{code}/runs/2")))
    assert "Run 1 is final and in force, so this run, like any new run, stays a what-if" in whatif
    assert "run again" not in whatif
    assert ">Resolve</a>" not in whatif
    ranking = text(officer.get(f"/manage/calls/{code}/ranking"))
    assert "an order given now applies only to what-if runs and changes no decision" in ranking


def test_a_stale_preview_is_refused_with_409(app, officer, field) -> None:
    make_run(officer)
    preview = text(officer.get(f"/manage/calls/{CODE}/runs/1/finalise"))
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.acronym == "WEAK"))
        proposal.decision = Decision.REJECTED
        db.session.commit()
    response = officer.post(f"/manage/calls/{CODE}/runs/1/finalise", data={"token": _token(preview)})
    assert response.status_code == 409
    assert "The preview is out of date" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(SelectionRun.status)) is RunStatus.DRAFT


def test_promotion_from_the_reserve_list_is_a_new_run_to_finalise(app, officer, field) -> None:
    make_run(officer)
    preview = text(officer.get(f"/manage/calls/{CODE}/runs/1/finalise"))
    officer.post(f"/manage/calls/{CODE}/runs/1/finalise", data={"token": _token(preview)})
    form = text(officer.get(f"/manage/calls/{CODE}/runs/1/promote"))
    assert "Promote from the reserve list" in form
    assert f"{CODE}-0002 · TIE-A · rank 2" in form
    response = officer.post(f"/manage/calls/{CODE}/runs/1/promote", data={
        "reference": f"{CODE}-0002", "reason": "declined", "note": "Declined by letter of 3 March 2022."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/runs/2")
    page = text(officer.get(response.headers["Location"]))
    assert "promotion after" in page
    assert "Declined" in page
    assert "promoted" in page
    preview = text(officer.get(f"/manage/calls/{CODE}/runs/2/finalise"))
    assert "Finalise run 2?" in preview
    assert "and replaces run 1" in text(officer.get(f"/manage/calls/{CODE}/runs/2"))
    officer.post(f"/manage/calls/{CODE}/runs/2/finalise", data={"token": _token(preview)})
    with app.app_context():
        decisions = dict(db.session.execute(sa.select(Proposal.acronym, Proposal.decision)).all())
        runs = {run.number: run.is_in_force for run in db.session.scalars(sa.select(SelectionRun))}
    assert decisions["TIE-A"] is Decision.DECLINED
    assert decisions["TIE-B"] is Decision.SELECTED
    assert runs == {1: False, 2: True}
    assert officer.get(f"/manage/calls/{CODE}/runs/1/promote").status_code == 302


def test_promotion_form_refuses_a_missing_note(officer, field) -> None:
    make_run(officer)
    preview = text(officer.get(f"/manage/calls/{CODE}/runs/1/finalise"))
    officer.post(f"/manage/calls/{CODE}/runs/1/finalise", data={"token": _token(preview)})
    response = officer.post(f"/manage/calls/{CODE}/runs/1/promote",
                            data={"reference": f"{CODE}-0002", "reason": "declined", "note": ""})
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------------- exports


def test_exports_download_from_the_ui(officer, field) -> None:
    csv_response = officer.get(f"/manage/calls/{CODE}/ranking.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{CODE}-ranking.csv"' in csv_response.headers["Content-Disposition"]
    assert csv_response.data.startswith(b"\xef\xbb\xbfRank,ID,Acronym")
    make_run(officer)
    xlsx = officer.get(f"/manage/calls/{CODE}/ranking.xlsx?run=1")
    assert xlsx.status_code == 200
    assert f'filename="{CODE}-ranking-run-1.xlsx"' in xlsx.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Ranking", "Consensus comments"]
    assert book["Ranking"]["C2"].value == "TOP"


def test_exports_of_a_preview_carry_its_options(officer, covered) -> None:
    page = text(officer.get("/manage/calls/COVER/ranking?policy=skip&reserve=1&coverage=0"))
    link = re.search(r'href="(/manage/calls/COVER/ranking\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "coverage=0" in link
    assert "policy=skip" in link
    assert "reserve=1" in link
    rows = officer.get(link).get_data(as_text=True).splitlines()
    status = {row.split(",")[1]: row for row in rows[1:]}
    assert ",Selected," in status["COVER-0002"]  # coverage off: the second-ranked proposal is funded
    assert ",Reserve," in status["COVER-0003"]
    default = officer.get("/manage/calls/COVER/ranking.csv").get_data(as_text=True)
    assert ",Selected," in {row.split(",")[1]: row for row in default.splitlines()[1:]}["COVER-0003"]
    response = officer.get("/manage/calls/COVER/ranking.csv?reserve=lots")
    assert response.status_code == 400
    assert "The reserve size must be a whole number." in text(response)


# ---------------------------------------------------------------------------------------------- transfer offers


@pytest.fixture
def event_field(app, applicant):
    with app.app_context():
        creator = db.session.merge(applicant)
        local = make_call("EV-LOCAL", kind=CallKind.EVENT, budget=None, max_awards=5, reserve_size=0)
        call = make_call("EV-SESSIONS", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=0,
                         transfer_to_call_id=local.id)
        _scored(call, creator, "SESSION-1", ("5", "5", "5"), requested=None)
        _scored(call, creator, "SESSION-2", ("4", "4", "4"), requested=None)
        db.session.commit()
    return "EV-SESSIONS"


def test_offers_are_sent_after_finalisation_and_answered_by_the_applicant(app, officer, event_field, applicant,
                                                                         login, client_as) -> None:
    make_run(officer, code=event_field, reserve_size="0")
    assert "slots awarded" in text(officer.get(f"/manage/calls/{event_field}/ranking"))
    preview = text(officer.get(f"/manage/calls/{event_field}/runs/1/finalise"))
    officer.post(f"/manage/calls/{event_field}/runs/1/finalise", data={"token": _token(preview)})
    runs_page = text(officer.get(f"/manage/calls/{event_field}/runs"))
    # Issue 15: offers go behind a confirmation page that lists the recipients, with each offer's status after.
    assert "Review the offers to 1 unselected proposal" in runs_page
    review = text(officer.get(f"/manage/calls/{event_field}/offers"))
    assert "To send" in review
    assert "SESSION-2" in review
    assert "SESSION-1" not in review  # selected: no offer
    assert "Send 1 offer" in review
    with app.app_context():
        assert db.session.scalar(sa.select(TransferOffer)) is None  # reviewing sends nothing
    sent = officer.post(f"/manage/calls/{event_field}/offers")
    assert sent.headers["Location"].endswith(f"/manage/calls/{event_field}/offers")
    after = officer.get(sent.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<tr data-offer="EV-SESSIONS-0002">.*?<span class="badge">offered</span>', after, re.S)
    assert "Every unselected proposal has had its offer." in after
    with app.app_context():
        offer = db.session.scalar(sa.select(TransferOffer))
        offer_id = offer.id
    owner = login(app.test_client(), applicant)
    assert "SESSION-2" in text(owner.get("/applicant/offers"))
    assert "Accept: submit a copy to EV-LOCAL" in text(owner.get(f"/applicant/offers/{offer_id}"))
    stranger = client_as(Role.APPLICANT, organisation="Someone Else", country="FI")
    assert stranger.get(f"/applicant/offers/{offer_id}").status_code == 404
    assert stranger.post(f"/applicant/offers/{offer_id}/accept").status_code == 404
    assert officer.get(f"/applicant/offers/{offer_id}").status_code == 403
    response = owner.post(f"/applicant/offers/{offer_id}/accept")
    assert response.status_code == 302
    page = text(owner.get(response.headers["Location"]))
    assert "Accepted" in page
    assert "EV-LOCAL-0001" in page
    assert re.search(r'<tr data-offer="EV-SESSIONS-0002">.*?<span class="badge">accepted</span>',
                     officer.get(f"/manage/calls/{event_field}/offers").get_data(as_text=True), re.S)
    with app.app_context():
        assert db.session.get(TransferOffer, offer_id).status is OfferStatus.ACCEPTED
        copy = db.session.scalar(sa.select(Proposal).where(Proposal.reference == "EV-LOCAL-0001"))
        assert copy.transferred_from_id is not None


def test_offers_page_sends_anonymous_visitors_to_log_in(client) -> None:
    assert client.get("/applicant/offers").status_code == 302


def test_offers_page_is_for_applicants(client_as) -> None:
    # (No `client` here: pytest-flask's `client` keeps its context pushed, which would leak `g` into these.)
    assert client_as(Role.OFFICER).get("/applicant/offers").status_code == 403
    assert "No offer." in text(client_as(Role.APPLICANT).get("/applicant/offers"))


def test_run_summary_survives_in_lists(app, officer, field) -> None:
    make_run(officer)
    with app.app_context():
        run = db.session.scalar(sa.select(SelectionRun))
        assert run_outcomes(run).summary() == run.summary


def test_user_text_in_the_ranking_rows_is_escaped(app, officer, field) -> None:
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.acronym == "TOP"))
        proposal.acronym = "<script>alert(1)</script>"
        proposal.partners[0].name = 'Cluster "&" <b>Co</b>'
        db.session.commit()
    page = text(officer.get(f"/manage/calls/{CODE}/ranking"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Cluster &#34;&amp;&#34; &lt;b&gt;Co&lt;/b&gt;" in page


def test_a_call_without_proposals_has_an_empty_state(app, officer) -> None:
    with app.app_context():
        make_call("EMPTY")
        db.session.commit()
    page = text(officer.get("/manage/calls/EMPTY/ranking"))
    assert "no proposal was submitted" in page
    assert "No proposal to rank." in page
    assert "No run yet." in page


def test_event_call_ranking_counts_slots_not_money(officer, event_field) -> None:
    page = text(officer.get(f"/manage/calls/{event_field}/ranking"))
    assert "1 of 1 slots awarded" in page
    assert "no budget: awards are slots" in page
    assert "Running budget" not in page
    assert "EUR" not in page.split('id="ranking"')[1]


def test_ranking_page_with_tie_resolutions_keeps_its_query_count(app, officer, field) -> None:
    with app.app_context(), QueryCounter() as before:
        officer.get(f"/manage/calls/{CODE}/ranking")
    officer.post(f"/manage/calls/{CODE}/ties/resolve?refs={CODE}-0002,{CODE}-0003",
                 data={"order": f"{CODE}-0003\n{CODE}-0002", "justification": "A justification long enough."})
    with app.app_context(), QueryCounter() as after:
        page = text(officer.get(f"/manage/calls/{CODE}/ranking"))
    assert "A justification long enough." in page
    assert after.count == before.count


def test_a_call_without_a_budget_offers_no_budget_policy_and_speaks_of_no_freed_budget(officer, event_field) -> None:
    """Issue 15: on the stakeholder sessions (no budget) the budget-policy options and "the freed budget" wording
    still appeared."""
    ranking = officer.get(f"/manage/calls/{event_field}/ranking").get_data(as_text=True)
    assert 'name="policy"' not in ranking
    assert "Budget policy" not in ranking
    assert " policy, reserve" not in ranking
    make_run(officer, code=event_field, reserve_size="0")
    preview = text(officer.get(f"/manage/calls/{event_field}/runs/1/finalise"))
    officer.post(f"/manage/calls/{event_field}/runs/1/finalise", data={"token": _token(preview)})
    for page in (f"/manage/calls/{event_field}/runs/1", f"/manage/calls/{event_field}/runs/1/promote",
                 f"/manage/calls/{event_field}/runs", f"/manage/calls/{event_field}"):
        html = officer.get(page).get_data(as_text=True)
        assert "freed budget" not in html, page
        assert "skip policy" not in html, page
        assert "Budget policy" not in html, page
    assert "into the freed slot" in officer.get(f"/manage/calls/{event_field}/runs/1").get_data(as_text=True)


def test_a_call_with_a_budget_keeps_its_budget_policy(officer, field) -> None:
    ranking = officer.get(f"/manage/calls/{CODE}/ranking").get_data(as_text=True)
    assert 'name="policy"' in ranking
    assert "skip policy, reserve" in ranking
