"""Proposal intake services: drafts, optimistic locking, the deadline to the second, receipts, withdrawal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.clock import set_clock, utcnow
from app.enums import OrganisationType, ProposalStatus, Role
from app.extensions import db
from app.inputs import PartnerInput, ProposalChanges
from app.models import AuditEvent, Proposal, Submission, User
from app.queries.receipts import canonical_json, sha256_text, verify_submission
from app.services.errors import (
    DeadlinePassed,
    EditConflict,
    IneligibleProposal,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
)
from app.services.proposals import (
    create_proposal,
    grant_extension,
    save_proposal,
    submit_proposal,
    withdraw_proposal,
)
from app.storage import get_storage
from tests.factories import make_call, make_open_call, make_ready_proposal

DEADLINE = datetime(2021, 12, 7, 16, 0, 0, tzinfo=UTC)  # 17:00:00 Brussels
typed = ProposalChanges.parse  # the changes as a form or the API gives them, parsed as the edge parses them


@pytest.fixture
def clock() -> Iterator[Callable[[datetime], None]]:
    """Stand at a given moment: clock(moment)."""
    yield lambda moment: set_clock(lambda: moment)
    set_clock(None)


@pytest.fixture
def applicant(app_ctx, make_user) -> User:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    return db.session.get(User, user.id)  # type: ignore[return-value]


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _rushed_call(clock: Callable[[datetime], None]):  # type: ignore[no-untyped-def]
    """The Euroclusters deadline, with the clock an hour before it."""
    clock(DEADLINE - timedelta(hours=1))
    return make_call("RUSH", deadline=DEADLINE, opens_at=DEADLINE - timedelta(days=60))


# -- drafts ----------------------------------------------------------------------------------------------------

def test_a_draft_belongs_to_the_organisation_with_the_coordinator_first(applicant) -> None:  # type: ignore[no-untyped-def]
    call = make_open_call()
    first = create_proposal(call, actor=applicant)
    second = create_proposal(call, actor=applicant)
    db.session.commit()
    assert (first.reference, second.reference) == ("OPEN-CALL-0001", "OPEN-CALL-0002")
    assert first.status is ProposalStatus.DRAFT
    assert first.edit_version == 1
    assert first.organisation.name == "Baltic Cluster Alliance"
    [coordinator] = first.partners
    assert coordinator.is_coordinator
    assert coordinator.country == "LT"
    assert coordinator.contact_email == applicant.email
    assert [e.data["reference"] for e in _events("proposal.created")] == ["OPEN-CALL-0001", "OPEN-CALL-0002"]


def test_a_closed_or_upcoming_call_takes_no_new_draft(applicant, clock) -> None:  # type: ignore[no-untyped-def]
    call = make_call("CLOSED", deadline=DEADLINE)
    clock(DEADLINE)
    with pytest.raises(DeadlinePassed):
        create_proposal(call, actor=applicant)
    clock(call.opens_at - timedelta(seconds=1))
    with pytest.raises(InvalidTransition):
        create_proposal(call, actor=applicant)


@pytest.mark.parametrize("roles", [(Role.EVALUATOR,), (Role.OFFICER,)])
def test_only_applicants_start_drafts(app_ctx, make_user, roles) -> None:  # type: ignore[no-untyped-def]
    user = db.session.get(User, make_user(*roles).id)
    call = make_open_call()
    with pytest.raises(NotAllowed):
        create_proposal(call, actor=user)


def test_saving_moves_the_version_and_is_audited(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = create_proposal(make_open_call(), actor=applicant)
    save_proposal(proposal, actor=applicant, base_version=1, section="summary",
                  changes=typed({"acronym": "  BALTIC  GREEN ", "title": "Green Baltic", "strand": "Tourism",
                                 "duration_months": "30"}))
    db.session.commit()
    assert (proposal.edit_version, proposal.acronym, proposal.duration_months) == (2, "BALTIC GREEN", 30)
    [event] = _events("proposal.saved")
    assert event.data == {"section": "summary", "version": 2,
                          "fields": ["acronym", "title", "strand", "duration_months"]}


def test_a_save_based_on_an_old_version_is_refused_and_changes_nothing(applicant, make_user) -> None:  # type: ignore[no-untyped-def]
    """Two tabs (or two colleagues) open version 1; the second save must not overwrite the first."""
    colleague = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance",
                                               country="LT", full_name="Colleague").id)
    proposal = create_proposal(make_open_call(), actor=applicant)
    db.session.commit()
    save_proposal(proposal, actor=colleague, base_version=1, changes=typed({"title": "Colleague's title"}))
    db.session.commit()
    with pytest.raises(EditConflict) as refused:
        save_proposal(proposal, actor=applicant, base_version=1, changes=typed({"title": "My title"}))
    db.session.rollback()
    assert refused.value.details["current_version"] == 2
    assert refused.value.details["saved_by"] == "Colleague"
    assert "Colleague saved this proposal" in refused.value.message
    db.session.refresh(proposal)
    assert (proposal.title, proposal.edit_version) == ("Colleague's title", 2)
    # Saving again on purpose, based on the version now shown, replaces theirs.
    save_proposal(proposal, actor=applicant, base_version=2, changes=typed({"title": "My title"}))
    db.session.commit()
    assert (proposal.title, proposal.edit_version) == ("My title", 3)


def test_partners_are_replaced_in_order_and_the_budget_split_follows(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = create_proposal(make_open_call(), actor=applicant)
    save_proposal(proposal, actor=applicant, base_version=1, changes=typed({"partners": [
        PartnerInput("Cluster Nord", "de", OrganisationType.CLUSTER, "nord@example.org"),
        PartnerInput("PME Sud", "FR", OrganisationType.SME, ""),
    ]}))
    save_proposal(proposal, actor=applicant, base_version=2, changes=typed({
        "requested_grant": "900000", "amounts": ["300000.00", Decimal("300000"), "300000.5"]}))
    save_proposal(proposal, actor=applicant, base_version=3, changes=typed({"partners": [
        PartnerInput("PME Sud", "FR", OrganisationType.SME, "sud@example.org", Decimal("300000.50")),
    ]}))
    db.session.commit()
    assert [(p.position, p.name, p.country, p.requested_amount) for p in proposal.partners] == [
        (0, "Baltic Cluster Alliance", "LT", Decimal("300000.00")), (1, "PME Sud", "FR", Decimal("300000.50"))]
    assert proposal.requested_grant == Decimal("900000.00")


@pytest.mark.parametrize(("changes", "field"), [
    ({"strand": "x" * 101}, "strand"),
    ({"duration_months": "0"}, "duration_months"),
    ({"duration_months": "ten"}, "duration_months"),
    ({"acronym": "X" * 31}, "acronym"),
    ({"requested_grant": "-1"}, "requested_grant"),
    ({"requested_grant": "10.001"}, "requested_grant"),
    ({"requested_grant": "1e3"}, None),
    ({"requested_grant": "NaN"}, "requested_grant"),
    ({"coordinator_contact_email": "x" * 255}, "coordinator_contact_email"),
    ({"partners": [PartnerInput("", "DE", OrganisationType.SME)]}, "partners.1.name"),
    ({"partners": [PartnerInput("Nowhere Ltd", "QQ", OrganisationType.SME)]}, "partners.1.country"),
    ({"amounts": ["1", "2"]}, "amounts"),
    ({"colour": "blue"}, None),
])
def test_values_that_cannot_be_stored_are_refused_by_name(applicant, changes, field) -> None:  # type: ignore[no-untyped-def]
    proposal = create_proposal(make_open_call(), actor=applicant)
    db.session.commit()
    if field is None and "requested_grant" in changes:  # 1e3 is a valid Decimal: 1000, accepted
        save_proposal(proposal, actor=applicant, base_version=1, changes=typed(changes))
        assert proposal.requested_grant == Decimal("1000.00")
        return
    with pytest.raises(InvalidInput) as refused:
        save_proposal(proposal, actor=applicant, base_version=1, changes=typed(changes))
    if field is not None:
        assert field in refused.value.details["fields"]
    db.session.rollback()
    assert db.session.get(Proposal, proposal.id).edit_version == 1  # type: ignore[union-attr]


def test_a_refusal_about_the_proposal_comes_before_one_about_the_input(applicant, clock) -> None:  # type: ignore[no-untyped-def]
    """Stale, or past its deadline, a save is refused for that whatever its input: the answer the user acts on first
    (the input was parsed at the edge; the service reports its problems only once the proposal may be saved)."""
    proposal = make_ready_proposal(_rushed_call(clock), applicant)
    db.session.commit()
    unstorable = typed({"title": "T" * 301, "amounts": ["1"]})
    with pytest.raises(EditConflict):
        save_proposal(proposal, actor=applicant, base_version=proposal.edit_version + 1, changes=unstorable)
    with pytest.raises(InvalidInput) as refused:
        save_proposal(proposal, actor=applicant, base_version=proposal.edit_version, changes=unstorable)
    assert refused.value.message == "2 fields cannot be saved: At most 300 characters (this has 301)."
    assert list(refused.value.details["fields"]) == ["title", "amounts"]
    clock(DEADLINE)
    with pytest.raises(DeadlinePassed):
        save_proposal(proposal, actor=applicant, base_version=proposal.edit_version + 1, changes=unstorable)


def test_input_that_is_not_yet_right_is_kept_and_flagged(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = create_proposal(make_open_call(), actor=applicant)
    save_proposal(proposal, actor=applicant, base_version=1, changes=typed({
        "strand": "Astrology", "coordinator_contact_email": "lukas@",
        "partners": [PartnerInput("Nord", "DE", OrganisationType.SME, "nord at example")]}))
    assert proposal.strand == "Astrology"
    assert [p.contact_email for p in proposal.partners] == ["lukas@", "nord at example"]
    from app.queries.eligibility import check_proposal

    fixes = {check.key: check.fix for check in check_proposal(proposal).failures}
    assert "“Astrology” is not one of the call's strands" in fixes["mandatory_fields"]
    assert "Nord: the contact e-mail is not a valid address" in fixes["partner_details"]


def test_an_incomplete_draft_can_always_be_saved(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = create_proposal(make_open_call(), actor=applicant)
    save_proposal(proposal, actor=applicant, base_version=1, changes=typed({
        "acronym": "", "title": "", "strand": "", "duration_months": None, "requested_grant": ""}))
    assert proposal.edit_version == 2
    assert proposal.strand is None
    assert proposal.requested_grant is None


# -- the deadline, to the second ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("offset", "accepted"), [
    (timedelta(seconds=-1), True),
    (timedelta(microseconds=-1), True),
    (timedelta(0), False),
    (timedelta(microseconds=1), False),
    (timedelta(seconds=1), False),
])
def test_a_submission_is_accepted_strictly_before_the_deadline(applicant, clock, offset, accepted) -> None:  # type: ignore[no-untyped-def]
    call = _rushed_call(clock)
    proposal = make_ready_proposal(call, applicant)
    db.session.commit()
    clock(DEADLINE + offset)
    if accepted:
        submission = submit_proposal(proposal, actor=applicant)
        db.session.commit()
        assert submission.submitted_at == DEADLINE + offset
        assert proposal.status is ProposalStatus.SUBMITTED
    else:
        with pytest.raises(DeadlinePassed) as refused:
            submit_proposal(proposal, actor=applicant)
        db.session.rollback()
        assert "17:00:00 CET" in refused.value.message
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0
        assert _events("proposal.submitted") == []


def test_after_the_deadline_a_draft_is_read_only(applicant, clock) -> None:  # type: ignore[no-untyped-def]
    call = _rushed_call(clock)
    proposal = make_ready_proposal(call, applicant)
    db.session.commit()
    clock(DEADLINE)
    assert not proposal.is_editable()
    with pytest.raises(DeadlinePassed):
        save_proposal(proposal, actor=applicant, base_version=proposal.edit_version, changes=typed({"title": "Late"}))
    with pytest.raises(DeadlinePassed):
        withdraw_proposal(proposal, actor=applicant)


def test_an_extension_opens_one_proposal_and_no_other(applicant, make_user, clock) -> None:  # type: ignore[no-untyped-def]
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    call = _rushed_call(clock)
    extended, other = make_ready_proposal(call, applicant), make_ready_proposal(call, applicant, acronym="OTHER")
    grant_extension(extended, actor=officer, deadline=DEADLINE + timedelta(hours=2),
                    reason="Portal outage reported at 16:40 by the coordinator.")
    db.session.commit()
    clock(DEADLINE + timedelta(hours=1))
    submission = submit_proposal(extended, actor=applicant)
    db.session.commit()
    assert submission.submitted_at > call.deadline
    assert json.loads(submission.snapshot)["extension"]["reason"].startswith("Portal outage")
    with pytest.raises(DeadlinePassed):
        submit_proposal(other, actor=applicant)
    db.session.rollback()
    clock(DEADLINE + timedelta(hours=2))
    with pytest.raises(DeadlinePassed):
        submit_proposal(extended, actor=applicant)
    [event] = _events("proposal.extension_granted")
    assert event.actor_id == officer.id
    assert event.data["deadline"] == (DEADLINE + timedelta(hours=2)).isoformat()


def test_a_later_call_deadline_overrides_an_earlier_extension(applicant, make_user, clock) -> None:  # type: ignore[no-untyped-def]
    """A proposal's deadline is the later of the call's and its extension: moving the call's deadline past an
    extension never leaves that one proposal with less time than every other (submission, save, the commit guard)."""
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    call = _rushed_call(clock)
    extended, other = make_ready_proposal(call, applicant), make_ready_proposal(call, applicant, acronym="OTHER")
    grant_extension(extended, actor=officer, deadline=DEADLINE + timedelta(hours=2),
                    reason="Portal outage reported at 16:40 by the coordinator.")
    call.deadline = DEADLINE + timedelta(hours=5)  # the officer moves the whole call later
    db.session.commit()
    assert extended.effective_deadline == other.effective_deadline == DEADLINE + timedelta(hours=5)
    assert not extended.extension_in_force
    clock(DEADLINE + timedelta(hours=3))
    assert extended.is_editable()
    assert other.is_editable()
    save_proposal(extended, actor=applicant, base_version=extended.edit_version, changes=typed({"title": "Later"}))
    submission = submit_proposal(extended, actor=applicant)
    db.session.commit()
    assert json.loads(submission.snapshot)["deadline"] == "2021-12-07T21:00:00.000000Z"
    assert json.loads(submission.snapshot)["extension"] is None  # the receipt does not claim an extension
    # The commit guard re-checks against the same deadline: a submission straddling it is refused.
    clock(DEADLINE + timedelta(hours=5) - timedelta(milliseconds=100))
    submit_proposal(extended, actor=applicant)
    clock(DEADLINE + timedelta(hours=5))
    with pytest.raises(DeadlinePassed, match="22:00:00 CET"):
        db.session.commit()
    db.session.rollback()
    # Moved back before the extension, the extension applies again.
    call.deadline = DEADLINE
    db.session.commit()
    assert extended.extension_in_force
    assert extended.effective_deadline == DEADLINE + timedelta(hours=2)
    assert other.effective_deadline == DEADLINE


@pytest.mark.parametrize(("deadline_offset", "reason", "message"), [
    (timedelta(hours=1), "too short", "at least 10 characters"),
    (timedelta(0), "A long enough reason.", "later than the call's"),
    (timedelta(hours=-1), "A long enough reason.", "later than the call's"),
])
def test_an_extension_needs_a_reason_and_a_later_deadline(applicant, make_user, clock, deadline_offset, reason,  # type: ignore[no-untyped-def]
                                                          message) -> None:
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    proposal = make_ready_proposal(_rushed_call(clock), applicant)
    with pytest.raises(InvalidInput, match=message):
        grant_extension(proposal, actor=officer, deadline=DEADLINE + deadline_offset, reason=reason)


def test_only_officers_grant_extensions(applicant, clock) -> None:  # type: ignore[no-untyped-def]
    proposal = make_ready_proposal(_rushed_call(clock), applicant)
    with pytest.raises(NotAllowed):
        grant_extension(proposal, actor=applicant, deadline=DEADLINE + timedelta(days=1), reason="Because I can.")


# -- submission, receipts ----------------------------------------------------------------------------------------

def test_an_ineligible_proposal_is_refused_with_the_list_of_failures(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = create_proposal(make_open_call(min_partners=3), actor=applicant)
    with pytest.raises(IneligibleProposal) as refused:
        submit_proposal(proposal, actor=applicant)
    keys = {failure["key"] for failure in refused.value.details["failures"]}
    assert {"mandatory_fields", "min_partners", "grant_cap", "part_b"} <= keys
    assert all(failure["fix"] for failure in refused.value.details["failures"])


def test_resubmission_adds_versions_and_the_last_one_counts(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = make_ready_proposal(make_open_call(), applicant)
    first = submit_proposal(proposal, actor=applicant)
    db.session.commit()
    save_proposal(proposal, actor=applicant, base_version=proposal.edit_version,
                  changes=typed({"title": "Better title"}))
    second = submit_proposal(proposal, actor=applicant, base_version=proposal.edit_version)
    db.session.commit()
    assert [s.version for s in proposal.submissions] == [1, 2]
    assert proposal.latest_submission is second
    assert proposal.status_label == "Submitted v2"
    assert first.receipt_number != second.receipt_number
    assert json.loads(first.snapshot)["proposal"]["title"] != json.loads(second.snapshot)["proposal"]["title"]
    assert second.receipt_number == f"EG-{proposal.reference}-v2-{second.sha256[:8].upper()}"


def test_submitting_a_version_you_did_not_see_is_refused(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = make_ready_proposal(make_open_call(), applicant)
    seen = proposal.edit_version
    save_proposal(proposal, actor=applicant, base_version=seen, changes=typed({"title": "Changed in another tab"}))
    with pytest.raises(EditConflict):
        submit_proposal(proposal, actor=applicant, base_version=seen)


def test_receipt_hashes_can_be_recomputed_from_the_snapshot_and_the_files(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = make_ready_proposal(make_open_call(), applicant)
    submission = submit_proposal(proposal, actor=applicant)
    db.session.commit()
    assert hashlib.sha256(submission.snapshot.encode("utf-8")).hexdigest() == submission.sha256
    assert verify_submission(submission)
    data = json.loads(submission.snapshot)
    assert canonical_json(data) == submission.snapshot  # canonical: sorted keys, compact, stable
    assert data["format"] == "eurogrants/submission-1"
    assert data["submitted_at"] == submission.submitted_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert data["proposal"]["requested_grant"] == "900000.00"
    assert {p["requested_amount"] for p in data["proposal"]["partners"]} == {"300000.00"}
    [annex] = data["proposal"]["annexes"]
    stored = get_storage().read(annex["sha256"])
    assert hashlib.sha256(stored).hexdigest() == annex["sha256"]
    assert annex["size"] == len(stored)
    assert sha256_text(submission.snapshot) == submission.sha256


def test_withdrawal_is_final(applicant) -> None:  # type: ignore[no-untyped-def]
    proposal = make_ready_proposal(make_open_call(), applicant)
    submit_proposal(proposal, actor=applicant)
    withdraw_proposal(proposal, actor=applicant, reason="Consortium fell apart.")
    db.session.commit()
    assert proposal.status is ProposalStatus.WITHDRAWN
    assert proposal.withdrawn_at is not None
    assert proposal.status_label == "Withdrawn"
    assert not proposal.is_editable()
    for attempt in (lambda: submit_proposal(proposal, actor=applicant),
                    lambda: withdraw_proposal(proposal, actor=applicant),
                    lambda: save_proposal(proposal, actor=applicant, base_version=proposal.edit_version,
                                          changes=typed({"title": "Back"}))):
        with pytest.raises(InvalidTransition):
            attempt()
    assert _events("proposal.withdrawn")[0].data["reason"] == "Consortium fell apart."


def test_only_members_of_the_organisation_change_a_proposal(applicant, make_user) -> None:  # type: ignore[no-untyped-def]
    stranger = db.session.get(User, make_user(Role.APPLICANT, organisation="Other Org", country="FI").id)
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    proposal = make_ready_proposal(make_open_call(), applicant)
    for actor in (stranger, officer):
        with pytest.raises(NotAllowed):
            save_proposal(proposal, actor=actor, base_version=1, changes=typed({"title": "x"}))
        with pytest.raises(NotAllowed):
            submit_proposal(proposal, actor=actor)
        with pytest.raises(NotAllowed):
            withdraw_proposal(proposal, actor=actor)


def test_the_server_time_is_used_not_the_clients(applicant, clock) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    clock(moment)
    proposal = make_ready_proposal(make_open_call(), applicant)
    submission = submit_proposal(proposal, actor=applicant)
    assert submission.submitted_at == moment == utcnow()
    assert json.loads(submission.snapshot)["submitted_at"] == "2030-01-02T03:04:05.678901Z"
