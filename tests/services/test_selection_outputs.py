"""What selection shows and hands out: the ranking rows, the CSV and XLSX exports, the charts, the demo data,
and the event calls' transfer offers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.enums import CallKind, Decision, DocumentKind, Eligibility, OfferStatus, ProposalStatus, Role
from app.extensions import db
from app.manage.charts import budget_bar, totals_histogram
from app.manage.exports import neutralise, ranking_csv, ranking_xlsx
from app.models import AuditEvent, Call, Document, Proposal
from app.models.selection import TransferOffer
from app.queries.access import load_offer
from app.queries.ranking import live_ranking, run_ranking
from app.queries.receipts import verify_submission
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from app.services import selection as service
from app.services import transfer
from app.services.errors import InvalidTransition, NotAllowed, NotFound
from tests.factories import QueryCounter, make_approved_consensus, make_call, make_proposal


@pytest.fixture
def people(app, app_ctx, make_user):
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    officer = db.session.merge(make_user(Role.OFFICER, organisation=None))
    return applicant, officer


def scored(call, applicant, acronym, scores, requested="1000000.00", strand="Open") -> Proposal:
    proposal = make_proposal(call, applicant, acronym=acronym, strand=strand,
                             requested=None if requested is None else Decimal(requested))
    make_approved_consensus(proposal, dict(zip([c.key for c in call.criteria], scores, strict=True)))
    return proposal


@pytest.fixture
def call_with_field(people):
    applicant, officer = people
    call = make_call("OUT", budget=Decimal("2500000.00"), max_awards=3, reserve_size=1)
    scored(call, applicant, "=HYPERLINK(\"x\")", ("5", "5", "4"), requested="1200000.00")
    scored(call, applicant, "SECOND", ("4.5", "4", "4"), requested="1000000.00")
    scored(call, applicant, "THIRD", ("4", "4", "4"), requested="900000.00")
    scored(call, applicant, "FOURTH", ("3.5", "3.5", "3.5"), requested="200000.00")
    scored(call, applicant, "WEAK", ("2", "4", "4"))
    db.session.commit()
    return call, officer


# ---------------------------------------------------------------------------------------------- ranking rows


def test_ranking_rows_carry_everything_the_page_and_exports_show(call_with_field) -> None:
    call, _ = call_with_field
    ranking = live_ranking(call)
    first, second, third, fourth, weak = ranking.entries
    assert (first.rank, first.total, first.status, first.thresholds_passed) == (1, Decimal(14), "selected", True)
    assert first.coordinator == "Baltic Cluster Alliance"
    assert first.country == "LT"
    assert first.strand == "Open"
    assert first.tie_keys == [("relevance", Decimal(5)), ("impact", Decimal(4)), ("quality", Decimal(5))]
    # The budget left after each step of the decisions (no coverage rule here: the steps follow the ranks).
    assert [(e.step, e.budget_left, e.reason_code) for e in ranking.entries[:4]] == [
        (1, Decimal("1300000.00"), "fits"), (2, Decimal("300000.00"), "fits"), (3, Decimal("300000.00"), "budget"),
        (4, Decimal("100000.00"), "fits")]
    assert (third.status, third.reserve_position) == ("reserve", 1)  # 0.9M does not fit the 0.3M left
    assert third.reason_label == "budget"
    assert fourth.status == "selected"  # skip policy: 0.2M fits
    assert (weak.status, weak.thresholds_passed, weak.failed) == ("below_threshold", False, ["relevance 2 < 3"])
    assert (weak.step, weak.budget_left, weak.reason_code) == (None, None, "threshold")
    assert weak.total is None
    assert ranking.selected_total == Decimal("2400000.00")
    assert ranking.remaining == Decimal("100000.00")
    assert ranking.cut_off == Decimal("10.5")


def test_a_run_ranking_reads_the_stored_snapshot_not_todays_scores(call_with_field) -> None:
    call, officer = call_with_field
    run = service.run_selection(call, actor=officer)
    db.session.commit()
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.acronym == "SECOND"))
    proposal.requested_grant = Decimal("5.00")
    ranking = run_ranking(run)
    assert ranking.by_reference[proposal.reference].requested == Decimal("1000000.00")
    assert ranking.run is run
    assert ranking.readiness is None


def test_unready_proposals_are_listed_after_the_ranking(call_with_field, people) -> None:
    call, _ = call_with_field
    applicant, _ = people
    pending = make_proposal(call, applicant, acronym="PENDING")
    ranking = live_ranking(call)
    last = ranking.entries[-1]
    assert (last.reference, last.status, last.rank) == (pending.reference, "not_ready", None)
    assert last.reason == "not ranked: eligibility screening pending"
    assert not ranking.readiness.is_ready


def test_the_live_ranking_loads_in_a_constant_number_of_queries(people) -> None:
    applicant, _ = people
    call = make_call("SPEED")
    counts, existing = [], 0
    for size in (4, 40):
        for index in range(existing, size):
            scored(call, applicant, f"P{index}", ("4", "3.5", "4.5"), strand="Digital")
        existing = size
        db.session.commit()
        db.session.expire_all()
        with QueryCounter() as queries:
            ranking = live_ranking(db.session.get(Call, call.id))
            budget_bar(ranking), totals_histogram(ranking)
        assert len(ranking.entries) == size
        counts.append(queries.count)
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------------------------- exports


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+32 2 299", "'+32 2 299"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("ALPHA", "ALPHA"), ("", ""),
])
def test_formula_like_text_is_neutralised(text, expected) -> None:
    assert neutralise(text) == expected


def test_csv_has_a_bom_a_header_and_one_row_per_proposal(call_with_field) -> None:
    call, _ = call_with_field
    body = ranking_csv(live_ranking(call))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Rank", "ID", "Acronym", "Coordinator", "Country", "Strand", "Relevance (score)",
                       "Quality (score)", "Impact (score)", "Thresholds passed", "Weighted total", "Tie-break keys",
                       "Requested grant (EUR)", "Step", "Budget left after it (EUR)", "Status", "Reason code",
                       "Reason"]
    assert len(rows) == 6
    assert rows[1][:3] == ["1", "OUT-0001", "'=HYPERLINK(\"x\")"]
    assert rows[1][6:] == ["5.0", "5.0", "4.0", "yes", "14", "relevance 5; impact 4; quality 5", "1200000.00",
                           "1", "1300000.00", "Selected", "fits", "rank 1; fits: 1,300,000.00 left after it"]
    assert rows[3][13:18] == ["3", "300000.00", "Reserve", "budget",
                              "rank 3; reserve position 1; requested 900,000.00 exceeds the 300,000.00 left "
                              "(skip policy)"]
    assert rows[5][9] == "no: relevance 2 < 3"
    assert rows[5][0] == ""
    assert rows[5][13:17] == ["", "", "Below threshold", "threshold"]


def test_xlsx_has_two_sheets_frozen_headers_filters_and_number_formats(call_with_field) -> None:
    call, _ = call_with_field
    ranking = live_ranking(call, data=service.load_call_data(call, with_comments=True))
    book = load_workbook(io.BytesIO(ranking_xlsx(ranking)))
    assert book.sheetnames == ["Ranking", "Consensus comments"]
    sheet = book["Ranking"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R6"
    assert sheet["B2"].value == "OUT-0001"
    assert sheet["C2"].value == "'=HYPERLINK(\"x\")"
    assert sheet["C2"].data_type == "s"
    assert sheet["G2"].value == 5
    assert sheet["G2"].number_format == "0.0"
    assert sheet["K2"].value == 14
    assert sheet["K2"].number_format == "0.00"
    assert sheet["M2"].value == 1200000
    assert sheet["M2"].number_format == '#,##0.00 "EUR"'
    assert (sheet["N1"].value, sheet["N2"].value) == ("Step", 1)
    assert (sheet["O1"].value, sheet["O2"].value) == ("Budget left after it (EUR)", 1300000)
    assert sheet["O2"].number_format == '#,##0.00 "EUR"'
    assert sheet["P2"].value == "Selected"
    assert (sheet["Q1"].value, sheet["Q2"].value) == ("Reason code", "fits")
    comments = book["Consensus comments"]
    assert comments.freeze_panes == "A2"
    assert comments.auto_filter.ref == "A1:J6"
    assert [c.value for c in comments[1]] == ["Rank", "ID", "Acronym", "Relevance (score)",
                                             "Relevance: consensus comment", "Quality (score)",
                                             "Quality: consensus comment", "Impact (score)",
                                             "Impact: consensus comment", "Overall comment"]
    assert [c.value for c in comments[2]] == [1, "OUT-0001", "'=HYPERLINK(\"x\")", 5, "Consensus on relevance.", 5,
                                             "Consensus on quality.", 4, "Consensus on impact.", "Consensus reached."]
    assert comments["D2"].number_format == "0.0"


# ---------------------------------------------------------------------------------------------- charts


def test_budget_bar_and_histogram_mark_threshold_and_cut_off(call_with_field) -> None:
    call, _ = call_with_field
    ranking = live_ranking(call)
    bar = budget_bar(ranking)
    assert (bar.unit, bar.used, bar.available) == ("money", Decimal("2400000.00"), Decimal("2500000.00"))
    assert bar.label == "EUR 2,400,000.00 of EUR 2,500,000.00 used (96.0 %)"
    chart = totals_histogram(ranking)
    assert {m.kind: m.label for m in chart.markers} == {"threshold": "threshold 10", "cutoff": "cut-off 10.5"}
    assert sum(1 for r in chart.rects if r.status == "below_threshold") == 1
    threshold = next(m.x for m in chart.markers if m.kind == "threshold")
    cutoff = next(m.x for m in chart.markers if m.kind == "cutoff")
    assert chart.plot_left < threshold < cutoff < chart.plot_right


def test_event_calls_chart_slots(people) -> None:
    applicant, _ = people
    call = make_call("SLOTS", kind=CallKind.EVENT, budget=None, max_awards=2, reserve_size=0)
    for name in ("A", "B", "C"):
        scored(call, applicant, name, ("4", "4", "4"), requested=None)
    ranking = live_ranking(call)
    bar = budget_bar(ranking)
    assert (bar.unit, bar.label, bar.used_percent) == ("slots", "2 of 2 slots awarded", 100.0)
    assert ranking.counts() == {"selected": 2, "not_funded": 1}


# ---------------------------------------------------------------------------------------------- demo data


def test_demo_field_is_large_ready_and_idempotent(app_ctx) -> None:
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    assert seed_selection_demo(call) == 64
    assert seed_selection_demo(call) == 0
    ranking = live_ranking(call)
    counts = ranking.counts()
    assert ranking.readiness.is_ready
    assert counts["selected"] == 30
    assert counts["ineligible"] == 2
    assert counts["below_threshold"] > 0
    assert counts["reserve"] == 10
    assert ranking.ties
    strands = {entry.strand for entry in ranking.entries}
    assert len(strands) == 15


def test_the_demo_ranking_counts_the_budget_left_in_the_order_of_the_decisions_everywhere(app_ctx) -> None:
    """Issue 11, item 2: one quantity, "budget left after it", in the order the decisions were taken (coverage
    picks first), the same in the rows, the reasons, the CSV and the XLSX."""
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    seed_selection_demo(call)
    ranking = live_ranking(call, data=service.load_call_data(call, with_comments=True))
    ranked = [entry for entry in ranking.entries if entry.rank is not None]
    assert sorted(entry.step for entry in ranked) == list(range(1, len(ranked) + 1))
    # Coverage picks come first, so some selected proposals are decided long after their rank.
    assert any(entry.step != entry.rank for entry in ranked if entry.status == "selected")
    left = ranking.budget
    for entry in sorted(ranked, key=lambda entry: entry.step):
        if entry.status == "selected":
            left -= entry.requested
            assert entry.reason.endswith(f"{left:,.2f} left after it"), entry.reason
        assert entry.budget_left == left
    assert left == ranking.remaining
    # The award cap of 30 binds with budget unused: the core says so by its code for every proposal after it.
    assert ranking.remaining > 0
    assert {entry.reason_code for entry in ranked if entry.status != "selected"} == {"award_cap"}

    csv_rows = list(csv.DictReader(io.StringIO(ranking_csv(ranking).decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(ranking_xlsx(ranking)))["Ranking"]
    names = [cell.value for cell in sheet[1]]
    xlsx_rows = [dict(zip(names, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert "Running budget (EUR)" not in names
    for entry, csv_row, xlsx_row in zip(ranking.entries, csv_rows, xlsx_rows, strict=True):
        assert csv_row["ID"] == xlsx_row["ID"] == entry.reference
        expected_left = "" if entry.budget_left is None else str(entry.budget_left)
        assert (csv_row["Step"], csv_row["Budget left after it (EUR)"]) == (
            "" if entry.step is None else str(entry.step), expected_left)
        assert (xlsx_row["Step"], xlsx_row["Budget left after it (EUR)"]) == (
            entry.step, None if entry.budget_left is None else Decimal(entry.budget_left))
        assert csv_row["Reason code"] == xlsx_row["Reason code"] == entry.reason_code
        if entry.status == "selected":
            assert csv_row["Reason"].endswith(f"{entry.budget_left:,.2f} left after it")


# ---------------------------------------------------------------------------------------------- transfers


@pytest.fixture
def sessions(people, make_user):
    """A finalised stakeholder-sessions selection (one slot) whose call transfers to a local-events call."""
    applicant, officer = people
    local = make_call("LOCAL", kind=CallKind.EVENT, budget=None, max_awards=10, reserve_size=0,
                      strands=["Resilience"])
    call = make_call("SESSIONS", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=1,
                     strands=["Resilience"], transfer_to_call_id=local.id)
    won = scored(call, applicant, "WINNER", ("5", "5", "5"), requested=None, strand="Resilience")
    kept = scored(call, applicant, "KEPT", ("4", "4", "4"), requested=None, strand="Resilience")
    lost = scored(call, applicant, "LOST", ("3", "3.5", "4"), requested=None, strand="Resilience")
    lost.documents.append(Document(kind=DocumentKind.PART_B, sha256="ab" * 32, filename="concept.pdf",
                                   size_bytes=1234, page_count=2, uploaded_by_id=applicant.id))
    run = service.run_selection(call, actor=officer)
    service.finalise_run(run, actor=officer, token=service.finalise_preview(run).token)
    db.session.commit()
    return call, local, {"won": won, "kept": kept, "lost": lost}, applicant, officer


def test_offers_go_to_the_unselected_proposals_once(sessions) -> None:
    call, local, proposals, _, officer = sessions
    assert proposals["kept"].decision is Decision.RESERVE
    assert proposals["lost"].decision is Decision.REJECTED
    plan = transfer.transfer_plan(call)
    assert plan.target.id == local.id
    assert {p.acronym for p in plan.candidates} == {"KEPT", "LOST"}
    offers = transfer.offer_transfers(call, actor=officer)
    assert len(offers) == 2
    assert all(o.status is OfferStatus.OFFERED for o in offers)
    assert transfer.offer_transfers(call, actor=officer) == []
    assert transfer.transfer_plan(call).already_offered == 2


def test_offers_need_a_final_selection_and_a_target(people) -> None:
    _, officer = people
    call = make_call("NO-TARGET", kind=CallKind.EVENT, budget=None)
    with pytest.raises(InvalidTransition, match="names no other call"):
        transfer.offer_transfers(call, actor=officer)
    call.transfer_to_call_id = make_call("TARGET", kind=CallKind.EVENT, budget=None).id
    with pytest.raises(InvalidTransition, match="Finalise a selection first"):
        transfer.offer_transfers(call, actor=officer)


def test_accepting_copies_the_proposal_into_the_target_call_as_submitted(sessions) -> None:
    call, local, proposals, applicant, officer = sessions
    transfer.offer_transfers(call, actor=officer)
    offer = db.session.scalar(sa.select(TransferOffer).where(TransferOffer.proposal_id == proposals["lost"].id))
    copy = transfer.accept_offer(offer, actor=applicant)
    db.session.commit()
    original = proposals["lost"]
    assert copy.call_id == local.id
    assert copy.reference == "LOCAL-0001"
    assert copy.status is ProposalStatus.SUBMITTED
    assert copy.transferred_from_id == original.id
    assert copy.eligibility is Eligibility.PENDING
    assert (copy.acronym, copy.title, copy.strand) == (original.acronym, original.title, "Resilience")
    assert [(p.name, p.country) for p in copy.partners] == [(p.name, p.country) for p in original.partners]
    assert [(d.sha256, d.filename) for d in copy.documents] == [("ab" * 32, "concept.pdf")]
    submission = copy.submissions[0]
    assert submission.version == 1
    assert verify_submission(submission)
    assert original.decision is Decision.REJECTED
    assert original.call_id == call.id
    assert offer.status is OfferStatus.ACCEPTED
    assert offer.copy_id == copy.id
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"proposal.transfer_offered", "proposal.transfer_accepted", "proposal.submitted"} <= actions
    with pytest.raises(InvalidTransition, match="already accepted"):
        transfer.accept_offer(offer, actor=applicant)


def test_declining_keeps_everything_and_others_cannot_answer(sessions, make_user) -> None:
    call, local, proposals, applicant, officer = sessions
    stranger = db.session.merge(make_user(Role.APPLICANT, organisation="Other Cluster", country="FI"))
    transfer.offer_transfers(call, actor=officer)
    offer = db.session.scalar(sa.select(TransferOffer).where(TransferOffer.proposal_id == proposals["kept"].id))
    with pytest.raises(NotFound):
        load_offer(offer.id, stranger)
    with pytest.raises(NotAllowed):
        transfer.accept_offer(offer, actor=stranger)
    assert [o.id for o in transfer.offers_for(applicant)]
    assert transfer.offers_for(stranger) == []
    transfer.decline_offer(offer, actor=applicant)
    assert offer.status is OfferStatus.DECLINED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(Proposal.call_id == local.id)) == 0


def test_reference_sessions_call_transfers_to_the_local_events_call(app_ctx) -> None:
    seed_reference_calls()
    sessions = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-SESSIONS"))
    local = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-LOCAL"))
    assert sessions.transfer_to_call_id == local.id
    assert local.transfer_to_call_id is None
