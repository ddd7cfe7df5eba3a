"""The eligibility settings beyond countries and partners (the organisation types every partner must be, the annex
types a proposal must or may have) and the letters' redress wording: checked at submission and at screening, kept
by the life cycle, audited as sets, refused at their field, carried by a copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.call_inputs import CallSettings
from app.clock import set_clock, utcnow
from app.enums import CallPhase, DocumentKind, Eligibility, OrganisationType, Role
from app.extensions import db
from app.models import AuditEvent, Call, Proposal, User
from app.queries.calls import get_call
from app.queries.screening import automatic_checks
from app.seeds.calls import seed_reference_calls
from app.services import screening
from app.services.call_lifecycle import refusal
from app.services.call_settings import create_call, update_call_settings
from app.services.errors import IneligibleProposal, InvalidInput, InvalidTransition
from app.services.proposals import submit_proposal, upload_annex
from tests.factories import make_open_call, make_ready_proposal, pdf_bytes
from tests.services.test_call_lifecycle import NOW, call_in


@pytest.fixture
def people(app_ctx, make_user) -> Iterator[tuple[User, User, User]]:  # type: ignore[no-untyped-def]
    """An officer, an applicant (a cluster organisation) and an evaluator."""
    yield tuple(db.session.get(User, make_user(*roles).id) for roles in (  # type: ignore[misc]
        (Role.OFFICER,), (Role.APPLICANT,), (Role.EVALUATOR,)))
    set_clock(None)


def _failures(refused: pytest.ExceptionInfo[IneligibleProposal]) -> dict[str, dict[str, Any]]:
    return {failure["key"]: failure for failure in refused.value.details["failures"]}


def _events(call: Call) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "call.settings_changed",
                                                               AuditEvent.object_id == call.code)))


# -- organisation types -----------------------------------------------------------------------------------------

def test_a_partner_of_a_type_the_call_does_not_admit_blocks_the_submission_with_the_rule_named(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    call = make_open_call(organisation_types=["cluster_organisation", "business_support_organisation"])
    proposal = make_ready_proposal(call, applicant)
    proposal.partners[2].organisation_type = OrganisationType.LARGE_COMPANY
    with pytest.raises(IneligibleProposal) as refused:
        submit_proposal(proposal, actor=applicant)
    failure = _failures(refused)["organisation_types"]
    assert failure["label"] == ("Every partner, the coordinator included, is of an eligible type: Cluster "
                                "organisation, Business support organisation")
    assert failure["fix"] == "Partner B is registered as “Large company”, which is not eligible."
    assert set(_failures(refused)) == {"organisation_types"}


def test_the_coordinator_s_type_counts_as_much_as_a_partner_s(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    call = make_open_call(organisation_types=["sme"])
    proposal = make_ready_proposal(call, applicant)
    for partner in proposal.partners[1:]:
        partner.organisation_type = OrganisationType.SME
    with pytest.raises(IneligibleProposal) as refused:
        submit_proposal(proposal, actor=applicant)
    assert _failures(refused)["organisation_types"]["fix"].startswith(
        f"{proposal.partners[0].name} is registered as “Cluster organisation”")
    proposal.partners[0].organisation_type = OrganisationType.SME
    assert submit_proposal(proposal, actor=applicant).version == 1


def test_no_organisation_type_ticked_admits_every_type(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    proposal = make_ready_proposal(make_open_call(organisation_types=[]), applicant)
    proposal.partners[1].organisation_type = OrganisationType.OTHER
    submit_proposal(proposal, actor=applicant)
    assert "organisation_types" not in {check.key for check in automatic_checks(proposal).checks}


def test_screening_applies_the_types_to_what_was_submitted_and_leaves_the_proposal_to_the_officer(people) -> None:  # type: ignore[no-untyped-def]
    officer, applicant, _ = people
    call = make_open_call("SCREENED", days_left=2)
    proposal = make_ready_proposal(call, applicant)
    proposal.partners[1].organisation_type = OrganisationType.RESEARCH
    submit_proposal(proposal, actor=applicant)
    # Eligibility rules may still change while the call is open (CHANGES): the screening applies the call's rules.
    assert update_call_settings(call, actor=officer, settings=CallSettings.parse(
        {"organisation_types": ["cluster_organisation"]})) == ["organisation_types"]
    set_clock(lambda: call.deadline + timedelta(days=1))
    failures = {check.key: check for check in automatic_checks(proposal).failures}
    assert set(failures) == {"organisation_types"}
    assert failures["organisation_types"].label.endswith("is of an eligible type: Cluster organisation")
    assert "Partner A is registered as “University or research organisation”" in failures["organisation_types"].fix
    assert screening.confirm_passing(call, actor=officer, reason="Every automatic check passed.") == []
    assert db.session.get(Proposal, proposal.id).eligibility is Eligibility.PENDING  # type: ignore[union-attr]


# -- annex types -----------------------------------------------------------------------------------------------

def test_a_missing_required_annex_blocks_the_submission_until_it_is_uploaded(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    call = make_open_call(required_annexes=["part_b", "support_letter"], optional_annexes=[])
    proposal = make_ready_proposal(call, applicant)
    with pytest.raises(IneligibleProposal) as refused:
        submit_proposal(proposal, actor=applicant)
    assert _failures(refused) == {"support_letter": {
        "key": "support_letter", "label": "Letter of support is uploaded", "ok": False, "section": "annexes",
        "fix": "Upload a PDF as “Letter of support”."}}
    upload_annex(proposal, actor=applicant, kind=DocumentKind.SUPPORT_LETTER, stream=_pdf(), filename="support.pdf")
    assert submit_proposal(proposal, actor=applicant).version == 1


def test_an_optional_annex_is_not_required(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    proposal = make_ready_proposal(make_open_call(), applicant)  # Part B required, letters of support optional
    assert not any(d.kind is DocumentKind.SUPPORT_LETTER for d in proposal.documents)
    assert submit_proposal(proposal, actor=applicant).version == 1
    keys = [check.key for check in automatic_checks(proposal).checks]
    assert "part_b" in keys
    assert "support_letter" not in keys


def test_a_call_that_requires_no_part_b_does_not_ask_for_one(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    call = make_open_call(required_annexes=[], optional_annexes=["part_b", "support_letter"])
    proposal = make_ready_proposal(call, applicant)
    for document in proposal.documents:
        document.removed_at = utcnow()
    assert submit_proposal(proposal, actor=applicant).version == 1


def test_an_annex_type_the_call_does_not_take_is_refused_at_its_field(people) -> None:  # type: ignore[no-untyped-def]
    _, applicant, _ = people
    proposal = make_ready_proposal(make_open_call(optional_annexes=[]), applicant)
    with pytest.raises(InvalidInput) as refused:
        upload_annex(proposal, actor=applicant, kind=DocumentKind.SUPPORT_LETTER, stream=_pdf(),
                     filename="support.pdf")
    assert refused.value.details["field"] == "kind"
    assert refused.value.message == ("This call does not take this type of annex: choose one of the types it "
                                     "offers.")
    assert [d.kind for d in proposal.documents] == [DocumentKind.PART_B]


def _pdf() -> Any:
    import io

    return io.BytesIO(pdf_bytes(1))


# -- validation, audit, copy -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field", "message"), [
    ({"organisation_types": ["cluster_organisation", "startup"]}, "organisation_types",
     "Unknown organisation types: startup (one of: cluster_organisation, sme, large_company, university_or_research, "
     "public_authority, business_support_organisation, other)."),
    ({"required_annexes": ["annex_c"]}, "required_annexes",
     "Unknown annex types: annex_c (one of: part_b, support_letter)."),
    ({"required_annexes": ["part_b"], "optional_annexes": ["part_b", "support_letter"]}, "optional_annexes",
     "Required already: part_b. An annex type is either required or optional."),
    ({"redress_wording": "x" * 2001}, "redress_wording", "At most 2000 characters (this has 2001)."),
], ids=["unknown-type", "unknown-annex", "both-required-and-optional", "long-wording"])
def test_a_wrong_setting_is_refused_at_its_field(people, change, field, message) -> None:  # type: ignore[no-untyped-def]
    officer, _, _ = people
    call = make_open_call()
    with pytest.raises(InvalidInput) as refused:
        update_call_settings(call, actor=officer, settings=CallSettings.parse(change))
    assert refused.value.details["fields"] == {field: message}
    assert _events(call) == []


def test_the_types_are_audited_as_sets_before_and_after(people) -> None:  # type: ignore[no-untyped-def]
    officer, _, _ = people
    call = make_open_call()
    change = {"organisation_types": ["sme", "cluster_organisation"], "redress_wording": "Write to the agency."}
    assert update_call_settings(call, actor=officer, settings=CallSettings.parse(change)) == [
        "organisation_types", "redress_wording"]
    [event] = _events(call)
    assert event.data["changes"] == {
        "organisation_types": {"from": [], "to": ["cluster_organisation", "sme"]},
        "redress_wording": {"from": "", "to": "Write to the agency."}}
    assert call.organisation_types == ["cluster_organisation", "sme"]
    # The same set in another order is no change.
    assert update_call_settings(call, actor=officer, settings=CallSettings.parse(
        {"organisation_types": ["sme", "cluster_organisation"]})) == []


@pytest.mark.parametrize(("change", "group"), [
    ({"organisation_types": ["sme"]}, "eligibility"),
    ({"required_annexes": ["part_b", "support_letter"], "optional_annexes": []}, "eligibility"),
    ({"optional_annexes": []}, "eligibility"),
])
def test_the_new_eligibility_rules_are_fixed_once_proposals_are_screened_under_them(people, change, group) -> None:  # type: ignore[no-untyped-def]
    officer, applicant, evaluator = people
    set_clock(lambda: NOW)
    closed = call_in(CallPhase.CLOSED, applicant, evaluator)  # a submitted proposal, the deadline passed
    with pytest.raises(InvalidTransition) as refused:
        update_call_settings(closed, actor=officer, settings=CallSettings.parse(change))
    assert str(refused.value) == refusal(CallPhase.CLOSED, group)
    assert "proposals were submitted under these rules and are screened under them" in str(refused.value)
    assert refused.value.details["field"] == next(iter(change))
    # While the call is open, with a proposal submitted, they change (the checklists follow at once).
    open_call = call_in(CallPhase.OPEN, applicant, evaluator)
    assert update_call_settings(open_call, actor=officer, settings=CallSettings.parse(change)) == list(change)


def test_the_redress_wording_is_read_only_once_the_call_is_decided(people) -> None:  # type: ignore[no-untyped-def]
    officer, applicant, evaluator = people
    set_clock(lambda: NOW)
    wording = {"redress_wording": "You may ask the Commission to review this decision."}
    in_evaluation = call_in(CallPhase.IN_EVALUATION, applicant, evaluator)
    assert update_call_settings(in_evaluation, actor=officer, settings=CallSettings.parse(wording)) == [
        "redress_wording"]
    decided = call_in(CallPhase.DECIDED, applicant, evaluator)
    with pytest.raises(InvalidTransition, match="a decided call is read-only"):
        update_call_settings(decided, actor=officer, settings=CallSettings.parse(wording))


def test_euroclusters_admits_cluster_and_business_support_organisations_and_a_copy_keeps_every_rule(people) -> None:  # type: ignore[no-untyped-def]
    officer, _, _ = people
    seed_reference_calls()
    euroclusters = get_call("SMP-COSME-2021-CLUSTER-01")
    assert euroclusters is not None
    assert euroclusters.organisation_types == ["cluster_organisation", "business_support_organisation"]
    for code in ("SMP-COSME-2021-CLUSTER-01", "EUID-2022-SESSIONS", "EUID-2022-LOCAL"):
        reference = get_call(code)
        assert reference is not None
        assert (reference.required_annexes, reference.optional_annexes, reference.redress_wording) == (
            ["part_b"], ["support_letter"], "")
    assert get_call("EUID-2022-LOCAL").organisation_types == []  # type: ignore[union-attr]
    euroclusters.redress_wording = "Ask the Commission for a review within one month."
    copy = create_call(CallSettings.parse({
        "code": "SMP-COSME-2027-CLUSTER-01", "opens_at": utcnow() + timedelta(days=10),
        "deadline": utcnow() + timedelta(days=70)}), actor=officer, copy_of=euroclusters)
    assert (copy.organisation_types, copy.required_annexes, copy.optional_annexes, copy.redress_wording) == (
        ["cluster_organisation", "business_support_organisation"], ["part_b"], ["support_letter"],
        "Ask the Commission for a review within one month.")
