"""Selection runs: the input built from the database, readiness, stored runs that re-run byte for byte, tie
resolutions, finalisation in two steps, promotion from the reserve list and the what-if comparison."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.enums import CallKind, Decision, Eligibility, ProposalStatus, ReportStatus, Role, RunStatus
from app.extensions import db
from app.models import AuditEvent, ConsensusReport, Proposal, SelectionRun
from app.services import selection as service
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotReady, StalePreview
from app.services.selection import SelectionOptions
from scoring import canonical_json, parse_input, read_json, select, selection_to_dict
from tests.factories import QueryCounter, make_approved_consensus, make_call, make_proposal

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def people(app, app_ctx, make_user):
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    officer = db.session.merge(make_user(Role.OFFICER, organisation=None))
    return applicant, officer


def add(call, applicant, acronym, scores, *, requested="1000000.00", strand="Open",
        eligibility=Eligibility.ELIGIBLE) -> Proposal:
    """A submitted proposal; `scores` (relevance, quality, impact) gives it an approved consensus."""
    proposal = make_proposal(call, applicant, acronym=acronym, strand=strand,
                             requested=None if requested is None else Decimal(requested))
    if scores is not None:
        make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
    proposal.eligibility = eligibility
    return proposal


@pytest.fixture
def field(people):
    """Six proposals in a 3-million call with 2 awards and a reserve of 2: one tie, one below threshold, one
    ineligible."""
    applicant, officer = people
    call = make_call("SEL", budget=Decimal("3000000.00"), max_awards=2, reserve_size=2)
    proposals = {
        "ALPHA": add(call, applicant, "ALPHA", ("5", "4.5", "4.5")),                       # 14
        "BETA": add(call, applicant, "BETA", ("4", "4", "4"), requested="1500000.00"),      # 12, tie
        "GAMMA": add(call, applicant, "GAMMA", ("4", "4", "4"), requested="900000.00"),     # 12, tie
        "DELTA": add(call, applicant, "DELTA", ("3.5", "3.5", "3.5"), requested="400000.00"),  # 10.5
        "LOW": add(call, applicant, "LOW", ("2.5", "4", "4")),                               # below threshold
        "OUT": add(call, applicant, "OUT", None, eligibility=Eligibility.INELIGIBLE),
    }
    db.session.commit()
    return call, proposals, officer


def ref(proposals, name: str) -> str:
    return proposals[name].reference


# ---------------------------------------------------------------------------------------------- the input


def test_input_follows_the_rules_document(field) -> None:
    call, proposals, _ = field
    document = service.build_selection_input(call)
    assert document["rules"] == {
        "criteria": [{"key": "relevance", "max": "5.0", "weight": "1.00", "threshold": "3.0"},
                     {"key": "quality", "max": "5.0", "weight": "1.00", "threshold": "3.0"},
                     {"key": "impact", "max": "5.0", "weight": "1.00", "threshold": "3.0"}],
        "overall_threshold": "10.0", "tie_break": ["relevance", "impact", "quality"], "budget": "3000000.00",
        "max_awards": 2, "budget_policy": "skip", "reserve_size": 2, "coverage": None,
    }
    by_id = {item["id"]: item for item in document["proposals"]}
    assert by_id[ref(proposals, "ALPHA")] == {"id": ref(proposals, "ALPHA"), "requested": "1000000.00",
                                              "eligible": True,
                                              "scores": {"relevance": "5.0", "quality": "4.5", "impact": "4.5"}}
    assert by_id[ref(proposals, "OUT")] == {"id": ref(proposals, "OUT"), "requested": "1000000.00",
                                            "eligible": False}
    parse_input(document)  # a valid selection-rules.md document


def test_options_override_the_call_and_coverage_names_the_call_field(field) -> None:
    call, proposals, _ = field
    call.coverage_field = "strand"
    options = SelectionOptions.from_values(call, budget_policy="stop", reserve_size=0, coverage=True)
    document = service.build_selection_input(call, options=options)
    assert (document["rules"]["budget_policy"], document["rules"]["reserve_size"],
            document["rules"]["coverage"]) == ("stop", 0, "strand")
    assert all(item["strand"] == "Open" for item in document["proposals"])
    off = service.build_selection_input(call, options=SelectionOptions.from_values(call, coverage=False))
    assert off["rules"]["coverage"] is None


@pytest.mark.parametrize(("values", "field_name"), [
    ({"budget_policy": "maybe"}, "budget_policy"), ({"reserve_size": -1}, "reserve_size"),
    ({"reserve_size": 5000}, "reserve_size"), ({"coverage": True}, "coverage"),
])
def test_invalid_options_name_the_field(field, values, field_name) -> None:
    call, _, _ = field
    with pytest.raises(InvalidInput) as error:
        SelectionOptions.from_values(call, **values)
    assert error.value.details["field"] == field_name


def test_withdrawn_and_unsubmitted_proposals_are_left_out(field, people) -> None:
    call, proposals, _ = field
    applicant, _ = people
    proposals["DELTA"].status = ProposalStatus.WITHDRAWN
    draft = make_proposal(call, applicant, acronym="DRAFT", submitted=False)
    ids = {item["id"] for item in service.build_selection_input(call)["proposals"]}
    assert ref(proposals, "DELTA") not in ids
    assert draft.reference not in ids
    assert len(ids) == 5


def test_event_call_requests_no_money(people) -> None:
    applicant, _ = people
    call = make_call("EVENT", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=0)
    add(call, applicant, "SESSION", ("4", "4", "4"), requested=None)
    document = service.build_selection_input(call)
    assert document["rules"]["budget"] is None
    assert document["proposals"][0]["requested"] == "0.00"


def test_not_ready_lists_what_is_missing_and_refuses_to_run(field, people) -> None:
    call, proposals, officer = field
    applicant, _ = people
    pending = make_proposal(call, applicant, acronym="PENDING")
    unscored = add(call, applicant, "UNSCORED", None)
    drafted = add(call, applicant, "DRAFTED", ("4", "4", "4"))
    db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == drafted.id)).status = \
        ReportStatus.SUBMITTED
    nogrant = add(call, applicant, "NOGRANT", ("4", "4", "4"), requested=None)
    prepared = service.prepare_input(service.load_call_data(call), SelectionOptions.defaults(call))
    readiness = prepared.readiness
    assert readiness.pending_screening == [pending.reference]
    assert readiness.missing_consensus == [unscored.reference, drafted.reference]
    assert readiness.missing_amount == [nogrant.reference]
    assert not readiness.is_ready
    with pytest.raises(NotReady) as error:
        service.run_selection(call, actor=officer)
    assert error.value.status == 409
    assert error.value.details["pending_screening"] == [pending.reference]
    assert "1 proposal(s) still wait for the eligibility screening" in error.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRun)) == 0


def test_an_open_call_cannot_be_selected(people) -> None:
    applicant, officer = people
    from tests.factories import make_open_call

    call = make_open_call("STILL-OPEN")
    add(call, applicant, "EARLY", ("4", "4", "4"))
    with pytest.raises(NotReady, match="still open"):
        service.run_selection(call, actor=officer)


def test_only_officers_run_a_selection(field, people) -> None:
    call, _, _ = field
    applicant, _ = people
    with pytest.raises(NotAllowed):
        service.run_selection(call, actor=applicant)


def test_input_is_read_in_a_constant_number_of_queries(people) -> None:
    applicant, _ = people
    call = make_call("QUERIES", reserve_size=3)
    counts, existing = [], 0
    for size in (3, 40):
        for index in range(existing, size):
            add(call, applicant, f"Q{index}", ("4", "3.5", "4"))
        existing = size
        db.session.commit()
        db.session.expire_all()
        with QueryCounter() as queries:
            document = service.build_selection_input(db.session.get(type(call), call.id))
        assert len(document["proposals"]) == size
        counts.append(queries.count)
    assert counts[0] == counts[1] <= 6


# ---------------------------------------------------------------------------------------------- runs


def test_a_run_stores_its_exact_input_output_and_hashes(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer, note="first")
    db.session.commit()
    assert run.number == 1
    assert run.status is RunStatus.DRAFT
    output = json.loads(run.output_json)
    # The tie is ordered by reference: BETA (1.5M) before GAMMA; the award cap of 2 is then reached.
    assert output["selected"] == [ref(proposals, "ALPHA"), ref(proposals, "BETA")]
    assert output["reserve"] == [ref(proposals, "GAMMA"), ref(proposals, "DELTA")]
    assert output["ties"] == [sorted([ref(proposals, "BETA"), ref(proposals, "GAMMA")])]
    assert run.input_sha256 == service.sha256_text(run.input_json)
    assert run.output_sha256 == service.sha256_text(run.output_json)
    assert run.summary["selected"] == 2
    assert run.summary["selected_total"] == "2500000.00"
    assert run.summary["unresolved_ties"] == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "selection.run"))
    assert event.data["output_sha256"] == run.output_sha256


def test_re_running_the_stored_input_gives_byte_identical_output(field) -> None:
    call, _, officer = field
    run = service.run_selection(call, actor=officer)
    db.session.commit()
    stored = db.session.get(SelectionRun, run.id)
    rules, candidates = parse_input(read_json(stored.input_json))
    assert canonical_json(selection_to_dict(select(rules, candidates))).encode() == stored.output_json.encode()
    assert service.verify_run(stored)


def test_python_m_scoring_select_reproduces_a_stored_run(field, tmp_path) -> None:
    call, _, officer = field
    run = service.run_selection(call, actor=officer)
    path = tmp_path / "input.json"
    path.write_text(run.input_json, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scoring", "select", str(path)], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert canonical_json(read_json(result.stdout)) == canonical_json(read_json(run.output_json))


def test_a_tampered_run_does_not_verify(field) -> None:
    call, _, officer = field
    run = service.run_selection(call, actor=officer)
    run.output_json = run.output_json.replace('"selected"', '"selected" ', 1)
    assert not service.verify_run(run)


def as_stored_before_decision_fields(run: SelectionRun) -> None:
    """Rewrite a run as runs were stored before the core reported each decision's step, budget left and reason
    code: the same output without those fields, and its hash."""
    output = json.loads(run.output_json)
    for item in output["proposals"]:
        for key in ("step", "budget_left", "reason_code"):
            item.pop(key, None)
    run.output_json = canonical_json(output)
    run.output_sha256 = service.sha256_text(run.output_json)


def decisions(outcomes) -> list[tuple[str, int | None, Decimal | None, str | None]]:
    return [(o.reference, o.step, o.budget_left, o.reason_code) for o in outcomes.outcomes]


def test_a_run_stored_before_the_decision_fields_verifies_and_is_read_with_them_from_its_re_run(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    expected = decisions(service.run_outcomes(run))
    assert expected[:4] == [
        (ref(proposals, "ALPHA"), 1, Decimal("2000000.00"), "fits"),
        (ref(proposals, "BETA"), 2, Decimal("500000.00"), "fits"),
        (ref(proposals, "GAMMA"), 3, Decimal("500000.00"), "award_cap"),
        (ref(proposals, "DELTA"), 4, Decimal("500000.00"), "award_cap"),
    ]
    as_stored_before_decision_fields(run)
    assert service.predates_decision_fields(json.loads(run.output_json))
    assert service.verify_run(run)
    assert decisions(service.run_outcomes(run)) == expected


def test_a_tampered_run_stored_before_the_decision_fields_does_not_verify_nor_lend_them(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    as_stored_before_decision_fields(run)
    run.output_json = run.output_json.replace("reserve position 1", "reserve position 2", 1)
    run.output_sha256 = service.sha256_text(run.output_json)
    assert not service.verify_run(run)
    # The re-run no longer reproduces what is stored: its readers show no step rather than borrow one.
    assert {(o.step, o.budget_left, o.reason_code) for o in service.run_outcomes(run).outcomes} == {(None, None, None)}


def test_run_numbers_count_up_per_call(field) -> None:
    call, _, officer = field
    numbers = [service.run_selection(call, actor=officer).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert [run.number for run in service.list_runs(call)] == [3, 2, 1]


# ---------------------------------------------------------------------------------------------- ties


def test_residual_tie_is_ordered_by_reference_until_the_officer_decides(field) -> None:
    call, proposals, officer = field
    ranking = service.read_outcomes(*_documents(service.run_selection(call, actor=officer)))
    assert [t.references for t in ranking.unresolved_ties] == [[ref(proposals, "BETA"), ref(proposals, "GAMMA")]]
    by = ranking.by_reference()
    assert "ordered by id for the officer to resolve" in by[ref(proposals, "BETA")].reason


def _documents(run):
    return json.loads(run.input_json), json.loads(run.output_json)


def test_officer_order_applies_to_the_next_run_and_the_run_still_reproduces(field) -> None:
    call, proposals, officer = field
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    resolution = service.resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                                     justification="GAMMA has the stronger SME outreach plan.")
    db.session.commit()
    run = service.run_selection(call, actor=officer)
    outcomes = service.run_outcomes(run)
    by = outcomes.by_reference()
    assert (by[gamma].rank, by[beta].rank) == (2, 3)
    assert by[gamma].status == "selected"
    assert by[beta].status == "reserve"
    assert outcomes.ties[0].references == [gamma, beta]
    assert outcomes.ties[0].resolution_id == resolution.id
    assert not outcomes.unresolved_ties
    assert "for the officer to resolve" not in by[gamma].reason
    assert f"in the order set by the programme officer, tie resolution {resolution.id}" in by[gamma].reason
    assert run.options["tie_resolutions"] == [resolution.id]
    assert service.verify_run(run)
    document = json.loads(run.input_json)
    assert {item.get("reference") for item in document["proposals"] if "tie_resolution" in item} == {beta, gamma}


def test_comparing_before_and_after_a_resolution_shows_who_swaps_and_why(field) -> None:
    call, proposals, officer = field
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    before = service.run_selection(call, actor=officer)
    resolution = service.resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                                     justification="GAMMA has the stronger SME outreach plan.")
    after = service.run_selection(call, actor=officer)
    comparison = service.compare_runs(before, after)
    assert {p.reference: (p.a.status, p.b.status) for p in comparison.changed} == {
        beta: ("selected", "reserve"), gamma: ("reserve", "selected")}
    assert comparison.option_changes == [("Tie resolutions applied", "none", f"#{resolution.id}")]


@pytest.mark.parametrize(("order", "justification", "message"), [
    (["ALPHA", "BETA"], "Alpha is better on the third criterion.", "not one residual tie"),
    (["GAMMA"], "Only one proposal in the order here.", "each tied proposal once"),
    (["GAMMA", "BETA"], "too short", "at least 20 characters"),
])
def test_a_resolution_must_name_one_current_tie_and_be_justified(field, order, justification, message) -> None:
    call, proposals, officer = field
    with pytest.raises(InvalidInput, match=message):
        service.resolve_tie(call, actor=officer, ordered_references=[ref(proposals, n) for n in order],
                            justification=justification)


def test_a_new_resolution_replaces_the_old_and_revoking_restores_the_default(field) -> None:
    call, proposals, officer = field
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    first = service.resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                                justification="First reading of the panel minutes.")
    second = service.resolve_tie(call, actor=officer, ordered_references=[beta, gamma],
                                 justification="Corrected after the panel chair's note.")
    assert first.revoked_at is not None
    assert second.is_active
    service.revoke_tie_resolution(second, actor=officer)
    with pytest.raises(InvalidTransition):
        service.revoke_tie_resolution(second, actor=officer)
    outcomes = service.run_outcomes(service.run_selection(call, actor=officer))
    assert outcomes.unresolved_ties[0].references == [beta, gamma]
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "tie_resolution"))
    assert sorted(actions) == ["selection.tie_resolution_revoked", "selection.tie_resolution_revoked",
                               "selection.tie_resolved", "selection.tie_resolved"]


def test_a_resolution_goes_stale_when_the_scores_change(field) -> None:
    call, proposals, officer = field
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    service.resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                        justification="GAMMA has the stronger SME outreach plan.")
    report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposals["BETA"].id))
    report.scores[0].score = Decimal("4.5")
    prepared = service.prepare_input(service.load_call_data(call), SelectionOptions.defaults(call))
    assert prepared.applied == []
    assert len(prepared.stale) == 1
    assert all("tie_resolution" not in item for item in prepared.document["proposals"])


# ---------------------------------------------------------------------------------------------- finalisation


def test_preview_shows_counts_changes_total_and_a_token(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    preview = service.finalise_preview(run)
    assert preview.can_finalise
    assert preview.counts == {"selected": 2, "reserve": 2, "rejected": 1, "ineligible": 1, "declined": 0}
    assert preview.references["rejected"] == [ref(proposals, "LOW")]
    assert preview.selected_total == Decimal("2500000.00")
    assert len(preview.changes) == 6
    assert all(change.before is None for change in preview.changes)
    assert len(preview.token) == 64
    assert service.finalise_preview(run).token == preview.token


def test_finalising_moves_every_proposal_and_audits_each(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    service.finalise_run(run, actor=officer, token=service.finalise_preview(run).token)
    db.session.commit()
    decisions = {name: (p.decision, p.reserve_position) for name, p in proposals.items()}
    assert decisions == {
        "ALPHA": (Decision.SELECTED, None), "BETA": (Decision.SELECTED, None), "GAMMA": (Decision.RESERVE, 1),
        "DELTA": (Decision.RESERVE, 2), "LOW": (Decision.REJECTED, None), "OUT": (Decision.INELIGIBLE, None),
    }
    assert all(p.decided_at is not None for p in proposals.values())
    assert run.status is RunStatus.FINALISED
    assert run.is_in_force
    assert run.finalised_by_id == officer.id
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "proposal.decided")).all()
    assert sorted(e.object_id for e in events) == sorted(p.reference for p in proposals.values())
    assert service.run_in_force(call).id == run.id


def test_a_stale_preview_token_is_refused(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    token = service.finalise_preview(run).token
    proposals["ALPHA"].decision = Decision.REJECTED  # someone changed a decision since the preview
    with pytest.raises(StalePreview) as error:
        service.finalise_run(run, actor=officer, token=token)
    assert error.value.status == 409
    assert run.status is RunStatus.DRAFT


def test_a_finalised_run_cannot_be_finalised_again_nor_another_run_while_it_is_in_force(field) -> None:
    call, _, officer = field
    first = service.run_selection(call, actor=officer)
    second = service.run_selection(call, actor=officer, options=SelectionOptions.from_values(call, reserve_size=0))
    service.finalise_run(first, actor=officer, token=service.finalise_preview(first).token)
    with pytest.raises(InvalidTransition, match="already final"):
        service.finalise_run(first, actor=officer, token=service.finalise_preview(first).token)
    preview = service.finalise_preview(second)
    assert not preview.can_finalise
    assert "in force" in preview.blockers[0]
    with pytest.raises(InvalidTransition, match="in force"):
        service.finalise_run(second, actor=officer, token=preview.token)


def test_a_run_whose_data_changed_cannot_be_finalised(field) -> None:
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposals["DELTA"].id))
    report.scores[1].score = Decimal("4.5")
    preview = service.finalise_preview(run)
    assert "changed since run 1" in preview.blockers[0]
    with pytest.raises(InvalidTransition):
        service.finalise_run(run, actor=officer, token=preview.token)


# ---------------------------------------------------------------------------------------------- promotion


@pytest.fixture
def final(field):
    call, proposals, officer = field
    run = service.run_selection(call, actor=officer)
    service.finalise_run(run, actor=officer, token=service.finalise_preview(run).token)
    db.session.commit()
    return call, proposals, officer, run


def test_a_declined_award_promotes_the_first_reserve_that_fits(final) -> None:
    call, proposals, officer, run = final
    # BETA (1.5M) declines: 0.5M left + 1.5M = 2.0M free; GAMMA (reserve 1, 0.9M) fits.
    child = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    db.session.commit()
    outcomes = service.run_outcomes(child)
    by = outcomes.by_reference()
    assert by[ref(proposals, "BETA")].status == "declined"
    assert by[ref(proposals, "GAMMA")].status == "selected"
    assert "promoted from reserve position 1 after" in by[ref(proposals, "GAMMA")].reason
    assert by[ref(proposals, "DELTA")].reserve_position == 1
    assert "reserve position 1" in by[ref(proposals, "DELTA")].reason
    assert outcomes.remaining_budget == Decimal("1100000.00")
    assert [o.reference for o in outcomes.selected] == [ref(proposals, "ALPHA"), ref(proposals, "GAMMA")]
    assert child.parent_run_id == run.id
    assert child.options["promotion"]["promoted"] == ref(proposals, "GAMMA")
    assert child.status is RunStatus.DRAFT
    assert service.verify_run(child)


def test_the_release_and_the_promotion_are_the_next_steps_with_the_budget_left_after_each(final) -> None:
    call, proposals, officer, run = final
    child = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    outcomes = service.run_outcomes(child)
    by = {o.reference: (o.step, o.budget_left, o.reason_code) for o in outcomes.outcomes}
    assert by[ref(proposals, "ALPHA")] == (1, Decimal("2000000.00"), "fits")  # as decided by the parent run
    assert by[ref(proposals, "BETA")] == (5, Decimal("2000000.00"), "declined")  # 0.5M left + its 1.5M
    assert by[ref(proposals, "GAMMA")] == (6, Decimal("1100000.00"), "promoted")
    assert by[ref(proposals, "DELTA")] == (4, Decimal("500000.00"), "award_cap")
    assert "fits: 1,100,000.00 left after it" in outcomes.by_reference()[ref(proposals, "GAMMA")].reason
    assert service.verify_run(child)


def test_a_promotion_from_a_run_stored_before_the_decision_fields_re_runs_and_names_its_decisions(final) -> None:
    call, proposals, officer, run = final
    as_stored_before_decision_fields(run)
    db.session.commit()
    child = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    assert service.verify_run(child)
    by = {o.reference: (o.step, o.budget_left, o.reason_code) for o in service.run_outcomes(child).outcomes}
    # The parent's stored output has no steps to follow; the promotion still says what decided and what is left.
    assert by[ref(proposals, "GAMMA")] == (None, Decimal("1100000.00"), "promoted")
    assert by[ref(proposals, "BETA")] == (None, Decimal("2000000.00"), "declined")
    # A promotion stored before the fields existed verifies too.
    as_stored_before_decision_fields(child)
    assert service.verify_run(child)


def test_promotion_skips_reserve_proposals_that_do_not_fit(field) -> None:
    call, proposals, officer = field
    proposals["GAMMA"].requested_grant = Decimal("2200000.00")  # reserve 1, too dear for what ALPHA frees
    run = service.run_selection(call, actor=officer)
    service.finalise_run(run, actor=officer, token=service.finalise_preview(run).token)
    child = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="ineligible",
                                         note="Found ineligible at the grant preparation check.")
    outcomes = service.run_outcomes(child)
    by = outcomes.by_reference()
    assert by[ref(proposals, "ALPHA")].status == "ineligible"
    assert by[ref(proposals, "ALPHA")].rank is None
    # It moves to the ineligible group at the end, ordered by reference like the core orders it.
    assert [o.reference for o in outcomes.outcomes[-2:]] == [ref(proposals, "ALPHA"), ref(proposals, "OUT")]
    assert by[ref(proposals, "GAMMA")].status == "reserve"
    assert by[ref(proposals, "GAMMA")].reserve_position == 1
    assert by[ref(proposals, "DELTA")].status == "selected"  # 0.5M + 1.0M free; 0.4M fits
    assert outcomes.remaining_budget == Decimal("1100000.00")
    assert service.verify_run(child)


def test_finalising_a_promotion_supersedes_its_parent(final) -> None:
    call, proposals, officer, run = final
    child = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    service.finalise_run(child, actor=officer, token=service.finalise_preview(child).token)
    db.session.commit()
    assert run.superseded_at is not None
    assert not run.is_in_force
    assert child.is_in_force
    assert proposals["BETA"].decision is Decision.DECLINED
    assert (proposals["GAMMA"].decision, proposals["GAMMA"].reserve_position) == (Decision.SELECTED, None)
    assert (proposals["DELTA"].decision, proposals["DELTA"].reserve_position) == (Decision.RESERVE, 1)
    assert service.run_in_force(call).id == child.id
    with pytest.raises(InvalidTransition):
        service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="declined",
                                     note="Too late: the run was superseded.")


def test_promotion_needs_a_selected_proposal_and_a_note(final) -> None:
    call, proposals, officer, run = final
    with pytest.raises(InvalidInput, match="not selected"):
        service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "DELTA"), reason="declined",
                                     note="Declined by letter of 3 March.")
    with pytest.raises(InvalidInput, match="short note"):
        service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="declined",
                                     note="no")
    with pytest.raises(InvalidInput, match="declined or ineligible"):
        service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="bored",
                                     note="Declined by letter of 3 March.")


def test_a_stale_promotion_cannot_be_finalised(final) -> None:
    call, proposals, officer, run = final
    one = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                       note="Declined by letter of 3 March 2022.")
    two = service.promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="declined",
                                       note="Declined by letter of 4 March 2022.")
    service.finalise_run(one, actor=officer, token=service.finalise_preview(one).token)
    preview = service.finalise_preview(two)
    assert "no longer in force" in preview.blockers[0]


# ---------------------------------------------------------------------------------------------- comparison


def test_comparison_lists_status_changes_and_why(field) -> None:
    call, proposals, officer = field
    a = service.run_selection(call, actor=officer)
    b = service.run_selection(call, actor=officer, options=SelectionOptions.from_values(call, reserve_size=0))
    comparison = service.compare_runs(a, b)
    changed = {p.reference: (p.a.status, p.b.status) for p in comparison.changed}
    assert changed == {ref(proposals, "GAMMA"): ("reserve", "not_funded"),
                       ref(proposals, "DELTA"): ("reserve", "not_funded")}
    assert comparison.option_changes == [("Reserve list size", "2", "0")]
    assert a.input_sha256 != b.input_sha256  # the rules in the input differ
    assert comparison.input_changed == []  # but no proposal's scores


def test_describe_options_reads_like_a_sentence() -> None:
    assert service.describe_options({"budget_policy": "stop", "reserve_size": 3, "coverage": True,
                                     "tie_resolutions": [4]}) == \
        "stop policy, reserve 3, coverage on, 1 tie resolution(s)"
