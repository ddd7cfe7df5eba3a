"""Selection runs as state changes: a run refused until the call is ready and stored with its exact input, output
and hashes, tie resolutions recorded and revoked, finalisation in two steps."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import Decision, ReportStatus, RunStatus
from app.extensions import db
from app.models import AuditEvent, ConsensusReport, SelectionRun
from app.queries.outcomes import run_outcomes, sha256_text, verify_run
from app.queries.runs import finalise_preview, list_runs, run_in_force
from app.queries.selection import SelectionOptions, load_call_data, prepare_input
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotReady, StalePreview
from app.services.selection import finalise_run, resolve_tie, revoke_tie_resolution, run_selection
from tests.factories import make_proposal
from tests.selection_worlds import add, ref


def test_not_ready_lists_what_is_missing_and_refuses_to_run(field, people) -> None:
    call, officer = field.call, field.officer
    applicant = people.applicant
    pending = make_proposal(call, applicant, acronym="PENDING")
    unscored = add(call, applicant, "UNSCORED", None)
    drafted = add(call, applicant, "DRAFTED", ("4", "4", "4"))
    db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == drafted.id)).status = \
        ReportStatus.SUBMITTED
    nogrant = add(call, applicant, "NOGRANT", ("4", "4", "4"), requested=None)
    prepared = prepare_input(load_call_data(call), SelectionOptions.defaults(call))
    readiness = prepared.readiness
    assert readiness.pending_screening == [pending.reference]
    assert readiness.missing_consensus == [unscored.reference, drafted.reference]
    assert readiness.missing_amount == [nogrant.reference]
    assert not readiness.is_ready
    with pytest.raises(NotReady) as error:
        run_selection(call, actor=officer)
    assert error.value.status == 409
    assert error.value.details["pending_screening"] == [pending.reference]
    assert "1 proposal(s) still wait for the eligibility screening" in error.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRun)) == 0


def test_an_open_call_cannot_be_selected(people) -> None:
    applicant, officer = people.applicant, people.officer
    from tests.factories import make_open_call

    call = make_open_call("STILL-OPEN")
    add(call, applicant, "EARLY", ("4", "4", "4"))
    with pytest.raises(NotReady, match="still open"):
        run_selection(call, actor=officer)


def test_only_officers_run_a_selection(field, people) -> None:
    call = field.call
    applicant = people.applicant
    with pytest.raises(NotAllowed):
        run_selection(call, actor=applicant)


def test_a_run_stores_its_exact_input_output_and_hashes(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    run = run_selection(call, actor=officer, note="first")
    db.session.commit()
    assert run.number == 1
    assert run.status is RunStatus.DRAFT
    output = json.loads(run.output_json)
    # The tie is ordered by reference: BETA (1.5M) before GAMMA; the award cap of 2 is then reached.
    assert output["selected"] == [ref(proposals, "ALPHA"), ref(proposals, "BETA")]
    assert output["reserve"] == [ref(proposals, "GAMMA"), ref(proposals, "DELTA")]
    assert output["ties"] == [sorted([ref(proposals, "BETA"), ref(proposals, "GAMMA")])]
    assert run.input_sha256 == sha256_text(run.input_json)
    assert run.output_sha256 == sha256_text(run.output_json)
    assert run.summary["selected"] == 2
    assert run.summary["selected_total"] == "2500000.00"
    assert run.summary["unresolved_ties"] == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "selection.run"))
    assert event.data["output_sha256"] == run.output_sha256


def test_run_numbers_count_up_per_call(field) -> None:
    call, officer = field.call, field.officer
    numbers = [run_selection(call, actor=officer).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert [run.number for run in list_runs(call)] == [3, 2, 1]


def test_officer_order_applies_to_the_next_run_and_the_run_still_reproduces(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    resolution = resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                                     justification="GAMMA has the stronger SME outreach plan.")
    db.session.commit()
    run = run_selection(call, actor=officer)
    outcomes = run_outcomes(run)
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
    assert verify_run(run)
    document = json.loads(run.input_json)
    assert {item.get("reference") for item in document["proposals"] if "tie_resolution" in item} == {beta, gamma}


@pytest.mark.parametrize(("order", "justification", "message"), [
    (["ALPHA", "BETA"], "Alpha is better on the third criterion.", "not one residual tie"),
    (["GAMMA"], "Only one proposal in the order here.", "each tied proposal once"),
    (["GAMMA", "BETA"], "too short", "at least 20 characters"),
])
def test_a_resolution_must_name_one_current_tie_and_be_justified(field, order, justification, message) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    with pytest.raises(InvalidInput, match=message):
        resolve_tie(call, actor=officer, ordered_references=[ref(proposals, n) for n in order],
                            justification=justification)


def test_a_new_resolution_replaces_the_old_and_revoking_restores_the_default(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    first = resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                                justification="First reading of the panel minutes.")
    second = resolve_tie(call, actor=officer, ordered_references=[beta, gamma],
                                 justification="Corrected after the panel chair's note.")
    assert first.revoked_at is not None
    assert second.is_active
    revoke_tie_resolution(second, actor=officer)
    with pytest.raises(InvalidTransition):
        revoke_tie_resolution(second, actor=officer)
    outcomes = run_outcomes(run_selection(call, actor=officer))
    assert outcomes.unresolved_ties[0].references == [beta, gamma]
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "tie_resolution"))
    assert sorted(actions) == ["selection.tie_resolution_revoked", "selection.tie_resolution_revoked",
                               "selection.tie_resolved", "selection.tie_resolved"]


def test_finalising_moves_every_proposal_and_audits_each(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    run = run_selection(call, actor=officer)
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
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
    assert run_in_force(call).id == run.id


def test_a_stale_preview_token_is_refused(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    run = run_selection(call, actor=officer)
    token = finalise_preview(run).token
    proposals["ALPHA"].decision = Decision.REJECTED  # someone changed a decision since the preview
    with pytest.raises(StalePreview) as error:
        finalise_run(run, actor=officer, token=token)
    assert error.value.status == 409
    assert run.status is RunStatus.DRAFT


def test_a_finalised_run_cannot_be_finalised_again_nor_another_run_while_it_is_in_force(field) -> None:
    call, officer = field.call, field.officer
    first = run_selection(call, actor=officer)
    second = run_selection(call, actor=officer, options=SelectionOptions.from_values(call, reserve_size=0))
    finalise_run(first, actor=officer, token=finalise_preview(first).token)
    with pytest.raises(InvalidTransition, match="already final"):
        finalise_run(first, actor=officer, token=finalise_preview(first).token)
    preview = finalise_preview(second)
    assert not preview.can_finalise
    assert "in force" in preview.blockers[0]
    with pytest.raises(InvalidTransition, match="in force"):
        finalise_run(second, actor=officer, token=preview.token)


def test_a_run_whose_data_changed_cannot_be_finalised(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    run = run_selection(call, actor=officer)
    report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposals["DELTA"].id))
    report.scores[1].score = Decimal("4.5")
    preview = finalise_preview(run)
    assert "changed since run 1" in preview.blockers[0]
    with pytest.raises(InvalidTransition):
        finalise_run(run, actor=officer, token=preview.token)

