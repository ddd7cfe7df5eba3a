"""Joining an organisation needs the consent of a member; every change of membership is audited (issue 11, item 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.clock import set_clock, utcnow
from app.enums import InvitationStatus, JoinRequestStatus, OrganisationType, Role
from app.extensions import db
from app.models import AuditEvent, JoinRequest, Organisation, Proposal, User
from app.queries.access import (
    can_edit_proposal,
    can_view_proposal,
    is_member_of,
    load_invitation,
    load_join_request,
    load_member,
)
from app.queries.membership import (
    latest_join_request,
    members_of,
    open_invitation,
    open_invitations,
    pending_join_request,
)
from app.services import membership
from app.services.accounts import create_user
from app.services.errors import AlreadyExists, InvalidInput, InvalidTransition, NotAllowed, NotFound
from app.services.registration import (
    Registration,
    confirm_registration,
    confirmation_link_token,
    register_applicant,
    register_invited,
)
from tests.factories import make_call, make_proposal

PASSWORD = "violet-harbour-1987-tram"


def _register(email: str, name: str = "Baltic Cluster Alliance", country: str = "LT",
              invitation_token: str | None = None) -> Registration:
    """Register as an applicant and confirm the address through the e-mailed link (or register by invitation)."""
    full_name = email.split("@")[0].title()
    if invitation_token is not None:
        return register_invited(email=email, password=PASSWORD, full_name=full_name, invitation_token=invitation_token)
    register_applicant(email=email, password=PASSWORD, full_name=full_name, organisation_name=name, country=country,
                       organisation_type=OrganisationType.CLUSTER)
    user = db.session.scalars(sa.select(User).where(User.email == email)).one()
    link = confirmation_link_token(user, made_at=int(utcnow().timestamp()))
    return confirm_registration(link, password=PASSWORD)


def _actions(organisation: Organisation) -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "organisation",
                                           AuditEvent.object_id == str(organisation.id)).order_by(AuditEvent.id)))


@dataclass(frozen=True)
class Founded:
    """Baltic Cluster Alliance (LT), registered by Lukas, with a proposal."""

    lukas: User
    organisation: Organisation
    proposal: Proposal


@pytest.fixture
def founded(app_ctx: None) -> Founded:
    lukas = _register("lukas@baltic.example").user
    proposal = make_proposal(make_call("MEMBERSHIP-CALL"), lukas, acronym="BALTIC")
    db.session.commit()
    return Founded(lukas, lukas.organisation, proposal)


def test_registering_a_new_name_founds_the_organisation_with_its_first_member(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    assert organisation.name == "Baltic Cluster Alliance"
    assert members_of(organisation) == [lukas]
    assert _actions(organisation) == ["organisation.created"]


@pytest.mark.parametrize("name", ["Baltic Cluster Alliance", "baltic  cluster ALLIANCE", " Baltic Cluster Alliance "])
def test_registering_the_name_of_an_existing_organisation_never_attaches_the_account(founded, name) -> None:  # type: ignore[no-untyped-def]
    organisation = founded.organisation
    proposal = founded.proposal
    registration = _register("stranger@elsewhere.example", name=name)
    newcomer = registration.user
    assert not registration.is_member
    assert registration.organisation is organisation
    assert newcomer.organisation is None
    assert not can_view_proposal(newcomer, proposal)
    assert not can_edit_proposal(newcomer, proposal)
    waiting = pending_join_request(newcomer)
    assert waiting is not None
    assert waiting.organisation is organisation
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    assert _actions(organisation)[-1] == "organisation.join_requested"


def test_the_same_name_in_another_country_is_another_organisation(founded: Founded) -> None:
    registration = _register("ona@riga.example", country="LV")
    assert registration.is_member
    assert registration.organisation.country == "LV"


def test_a_member_approves_a_request_and_the_newcomer_sees_the_proposals(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    proposal = founded.proposal
    newcomer = _register("ieva@baltic.example").user
    join_request = pending_join_request(newcomer)
    membership.decide_join_request(join_request, actor=lukas, approve=True)
    db.session.commit()
    assert newcomer.organisation is organisation
    assert can_edit_proposal(newcomer, proposal)
    assert join_request.status is JoinRequestStatus.APPROVED
    assert join_request.decided_by_id == lukas.id
    assert _actions(organisation)[-2:] == ["organisation.join_requested", "organisation.join_approved"]


def test_a_refused_newcomer_stays_outside(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    proposal = founded.proposal
    newcomer = _register("ieva@baltic.example").user
    membership.decide_join_request(pending_join_request(newcomer), actor=lukas, approve=False)
    db.session.commit()
    assert newcomer.organisation is None
    assert not can_view_proposal(newcomer, proposal)
    assert latest_join_request(newcomer).status is JoinRequestStatus.REFUSED
    assert _actions(organisation)[-1] == "organisation.join_refused"


def test_only_a_member_answers_a_request_and_only_once(founded: Founded) -> None:
    lukas = founded.lukas
    newcomer = _register("ieva@baltic.example").user
    outsider = _register("pablo@iberia.example", name="Iberian Cluster", country="ES").user
    join_request = pending_join_request(newcomer)
    for intruder in (newcomer, outsider):
        with pytest.raises(NotFound):
            membership.decide_join_request(join_request, actor=intruder, approve=True)
        with pytest.raises(NotFound):
            load_join_request(join_request.id, intruder)
    membership.decide_join_request(join_request, actor=lukas, approve=False)
    with pytest.raises(InvalidTransition, match="answered already"):
        membership.decide_join_request(join_request, actor=lukas, approve=True)
    assert newcomer.organisation is None


def test_a_request_answered_in_another_session_cannot_be_answered_again(founded, app) -> None:  # type: ignore[no-untyped-def]
    """Two members answer at once: the second answer finds the row no longer waiting (conditional UPDATE)."""
    lukas = founded.lukas
    ieva = _register("ieva@baltic.example").user
    membership.decide_join_request(pending_join_request(ieva), actor=lukas, approve=True)
    newcomer = _register("stranger@elsewhere.example").user
    db.session.commit()
    join_request = pending_join_request(newcomer)
    assert join_request.is_pending  # as Ieva's request loaded it
    with db.engine.begin() as other:  # Lukas refuses it meanwhile, in his own transaction
        other.execute(sa.update(JoinRequest).where(JoinRequest.id == join_request.id)
                      .values(status=JoinRequestStatus.REFUSED.value))
    with pytest.raises(InvalidTransition, match="answered already"):
        membership.decide_join_request(join_request, actor=ieva, approve=True)
    db.session.rollback()
    assert db.session.get(User, newcomer.id).organisation_id is None
    assert db.session.get(JoinRequest, join_request.id).status is JoinRequestStatus.REFUSED


def test_one_waiting_request_per_account(founded: Founded) -> None:
    _register("pablo@iberia.example", name="Iberian Cluster", country="ES")
    newcomer = _register("stranger@elsewhere.example").user
    iberian = db.session.scalar(sa.select(Organisation).where(Organisation.country == "ES"))
    with pytest.raises(InvalidTransition, match="cancel that request first"):
        membership.request_to_join(newcomer, iberian)
    with pytest.raises(InvalidTransition, match="already asked"):
        membership.request_to_join(newcomer, pending_join_request(newcomer).organisation)
    membership.cancel_join_request(newcomer)
    membership.request_to_join(newcomer, iberian)
    assert pending_join_request(newcomer).organisation is iberian


def test_an_account_without_organisation_registers_a_new_one_but_not_an_existing_name(founded: Founded) -> None:
    organisation = founded.organisation
    newcomer = _register("stranger@elsewhere.example").user
    with pytest.raises(InvalidTransition, match="cancel that request first"):
        membership.start_organisation(newcomer, name="Vilnius Mobility", country="LT", type_=OrganisationType.SME)
    membership.cancel_join_request(newcomer)
    with pytest.raises(AlreadyExists, match="already registered"):
        membership.start_organisation(newcomer, name="BALTIC cluster alliance", country="lt",
                                      type_=OrganisationType.SME)
    created = membership.start_organisation(newcomer, name="Vilnius Mobility", country="LT",
                                            type_=OrganisationType.SME)
    assert newcomer.organisation is created
    assert _actions(organisation)[-1] == "organisation.join_cancelled"
    assert _actions(created) == ["organisation.created"]


def test_an_invitation_lets_its_addressee_in_once(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    proposal = founded.proposal
    invitation, token = membership.invite_member(organisation, actor=lukas, email=" Ieva@Baltic.example ")
    assert invitation.email == "ieva@baltic.example"
    assert token not in invitation.token_hash
    registration = _register("ieva@baltic.example", name="", country="", invitation_token=token)
    assert registration.is_member
    assert registration.user.organisation is organisation
    assert can_edit_proposal(registration.user, proposal)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert open_invitation(token) is None
    with pytest.raises(InvalidInput, match="expired or has already been used"):
        _register("someone@baltic.example", invitation_token=token)
    assert _actions(organisation)[-2:] == ["organisation.member_invited", "organisation.invitation_accepted"]


def test_an_invitation_is_for_its_address_only(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    _, token = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    with pytest.raises(InvalidInput, match="another e-mail address"):
        _register("mallory@evil.example", invitation_token=token)
    mallory = _register("mallory@evil.example", name="Evil Ltd", country="MT").user
    invitation = open_invitation(token)
    with pytest.raises(NotAllowed, match="another e-mail address"):
        membership.accept_invitation(invitation, actor=mallory)
    assert invitation.is_open()


def test_an_invitation_link_works_until_fourteen_days_after_it_was_sent(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    invitation, token = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    sent = invitation.created_at
    try:
        set_clock(lambda: sent + membership.INVITATION_VALID_FOR - timedelta(seconds=1))
        assert open_invitation(token) is invitation
        set_clock(lambda: sent + membership.INVITATION_VALID_FOR)
        assert open_invitation(token) is None
        assert open_invitations(organisation) == []
    finally:
        set_clock(None)


def test_an_expired_invitation_cannot_be_accepted(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    invitation, _ = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    ieva = _register("ieva@baltic.example", name="Ieva Consulting", country="EE").user
    db.session.execute(sa.update(User).where(User.id == ieva.id).values(organisation_id=None))
    db.session.refresh(ieva)
    start = invitation.created_at
    try:
        set_clock(lambda: start + membership.INVITATION_VALID_FOR)
        with pytest.raises(InvalidTransition, match="expired"):
            membership.accept_invitation(invitation, actor=ieva)
    finally:
        set_clock(None)
    assert ieva.organisation is None


def test_a_new_invitation_to_the_same_address_replaces_the_old_link(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    first, first_token = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    second, second_token = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    assert first.status is InvitationStatus.REVOKED
    assert open_invitation(first_token) is None
    assert open_invitation(second_token) is second
    assert open_invitations(organisation) == [second]
    membership.revoke_invitation(second, actor=lukas)
    assert open_invitation(second_token) is None
    assert _actions(organisation)[-4:] == ["organisation.member_invited", "organisation.invitation_revoked",
                                           "organisation.member_invited", "organisation.invitation_revoked"]


def test_only_members_invite_and_never_a_member_again(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    outsider = _register("pablo@iberia.example", name="Iberian Cluster", country="ES").user
    with pytest.raises(NotFound):
        membership.invite_member(organisation, actor=outsider, email="friend@iberia.example")
    with pytest.raises(InvalidTransition, match="member already"):
        membership.invite_member(organisation, actor=lukas, email="LUKAS@baltic.example")
    invitation, _ = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    with pytest.raises(NotFound):
        load_invitation(invitation.id, outsider)
    with pytest.raises(NotFound):
        membership.revoke_invitation(invitation, actor=outsider)


def test_accepting_an_invitation_cancels_a_waiting_request_elsewhere(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    pablo = _register("pablo@iberia.example", name="Iberian Cluster", country="ES").user
    iberian = pablo.organisation
    newcomer = _register("ana@elsewhere.example", name="Iberian Cluster", country="ES").user
    invitation, _ = membership.invite_member(organisation, actor=lukas, email="ana@elsewhere.example")
    membership.accept_invitation(invitation, actor=newcomer)
    assert newcomer.organisation is organisation
    assert pending_join_request(newcomer) is None
    assert latest_join_request(newcomer).status is JoinRequestStatus.CANCELLED
    assert _actions(iberian)[-1] == "organisation.join_cancelled"


def test_a_member_of_another_organisation_leaves_it_before_accepting(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    pablo = _register("pablo@iberia.example", name="Iberian Cluster", country="ES").user
    invitation, _ = membership.invite_member(organisation, actor=lukas, email="pablo@iberia.example")
    with pytest.raises(InvalidTransition, match="Leave it first"):
        membership.accept_invitation(invitation, actor=pablo)
    with pytest.raises(InvalidTransition, match="last member"):
        membership.leave_organisation(pablo)
    assert pablo.organisation.name == "Iberian Cluster"


def test_a_removed_member_loses_access_at_once(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    proposal = founded.proposal
    _, token = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    ieva = _register("ieva@baltic.example", invitation_token=token).user
    assert can_edit_proposal(ieva, proposal)
    with pytest.raises(InvalidTransition, match="Leave"):
        membership.remove_member(lukas, actor=lukas)
    membership.remove_member(load_member(ieva.id, lukas), actor=lukas)
    assert ieva.organisation is None
    assert not can_view_proposal(ieva, proposal)
    with pytest.raises(NotFound):
        load_member(lukas.id, ieva)
    assert _actions(organisation)[-1] == "organisation.member_removed"


def test_a_member_leaves_unless_last(founded: Founded) -> None:
    lukas = founded.lukas
    organisation = founded.organisation
    proposal = founded.proposal
    with pytest.raises(InvalidTransition, match="last member"):
        membership.leave_organisation(lukas)
    _, token = membership.invite_member(organisation, actor=lukas, email="ieva@baltic.example")
    ieva = _register("ieva@baltic.example", invitation_token=token).user
    membership.leave_organisation(lukas)
    assert lukas.organisation is None
    assert not can_view_proposal(lukas, proposal)
    assert members_of(organisation) == [ieva]
    assert _actions(organisation)[-1] == "organisation.member_left"


def test_every_change_of_membership_is_audited_with_who_and_whom(founded: Founded) -> None:
    lukas = founded.lukas
    newcomer = _register("ieva@baltic.example").user
    membership.decide_join_request(pending_join_request(newcomer), actor=lukas, approve=True)
    membership.remove_member(newcomer, actor=lukas)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "organisation")
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id, e.data.get("email")) for e in events] == [
        ("organisation.created", lukas.id, "lukas@baltic.example"),
        ("organisation.join_requested", newcomer.id, "ieva@baltic.example"),
        ("organisation.join_approved", lukas.id, "ieva@baltic.example"),
        ("organisation.member_removed", lukas.id, "ieva@baltic.example"),
    ]


def test_staff_accounts_are_not_members_and_cannot_join(founded: Founded) -> None:
    organisation = founded.organisation
    evaluator = create_user(None, email="eva@experts.example", password=PASSWORD, roles=[Role.EVALUATOR])
    with pytest.raises(NotAllowed):
        membership.request_to_join(evaluator, organisation)
    assert not is_member_of(evaluator, organisation)
