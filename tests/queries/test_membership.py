"""Who belongs to an organisation and who waits to: what the member's page and the newcomer's page list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.clock import set_clock
from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import Organisation, User
from app.queries.membership import (
    invitation_for_token,
    is_addressee,
    latest_join_request,
    members_of,
    open_invitation,
    open_invitations,
    pending_join_request,
    waiting_join_requests,
)
from app.services import membership
from app.services.accounts import create_user

PASSWORD = "violet-harbour-1987-tram"


@dataclass(frozen=True)
class Baltic:
    """Baltic Cluster Alliance (LT) with two members, Lukas and Ieva, and an officer who belongs to it on paper."""

    lukas: User
    ieva: User
    organisation: Organisation


def _account(email: str, *roles: Role, organisation: str | None = None, full_name: str = "") -> User:
    return create_user(None, email=email, password=PASSWORD, full_name=full_name, roles=roles or [Role.APPLICANT],
                       organisation_name=organisation, country="LT", organisation_type=OrganisationType.CLUSTER)


@pytest.fixture
def baltic(app_ctx: None) -> Baltic:
    lukas = _account("lukas@baltic.example", organisation="Baltic Cluster Alliance", full_name="Lukas")
    ieva = _account("ieva@baltic.example", organisation="Baltic Cluster Alliance", full_name="Ieva")
    _account("officer@baltic.example", Role.OFFICER, organisation="Baltic Cluster Alliance", full_name="Aaron")
    _account("elsewhere@iberia.example", organisation="Iberian Cluster", full_name="Ana")
    db.session.commit()
    return Baltic(lukas, ieva, lukas.organisation)  # type: ignore[arg-type]


def test_the_members_are_the_organisations_applicant_accounts_by_name(baltic: Baltic) -> None:
    assert members_of(baltic.organisation) == [baltic.ieva, baltic.lukas]


def test_requests_wait_oldest_first_until_a_member_answers(baltic: Baltic) -> None:
    first, second, third = (_account(f"{name}@new.example") for name in ("first", "second", "third"))
    for newcomer in (first, second, third):
        membership.request_to_join(newcomer, baltic.organisation)
    membership.decide_join_request(pending_join_request(second), actor=baltic.lukas, approve=False)  # type: ignore[arg-type]
    assert [r.user for r in waiting_join_requests(baltic.organisation)] == [first, third]
    assert pending_join_request(second) is None
    assert latest_join_request(second).organisation is baltic.organisation  # type: ignore[union-attr]
    assert latest_join_request(baltic.lukas) is None


def test_open_invitations_are_the_unanswered_ones_newest_first_until_they_expire(baltic: Baltic) -> None:
    older, _ = membership.invite_member(baltic.organisation, actor=baltic.lukas, email="a@friends.example")
    newer, newer_token = membership.invite_member(baltic.organisation, actor=baltic.ieva, email="b@friends.example")
    revoked, revoked_token = membership.invite_member(baltic.organisation, actor=baltic.lukas, email="c@x.example")
    membership.revoke_invitation(revoked, actor=baltic.lukas)
    assert open_invitations(baltic.organisation) == [newer, older]
    assert open_invitation(newer_token) is newer
    assert open_invitation(revoked_token) is None
    assert invitation_for_token(revoked_token) is revoked  # the link still names it: "expired or used"
    try:
        set_clock(lambda: newer.expires_at)
        assert open_invitations(baltic.organisation) == []
        assert open_invitation(newer_token) is None
        set_clock(lambda: newer.expires_at - timedelta(seconds=1))
        assert open_invitation(newer_token) is newer
    finally:
        set_clock(None)


@pytest.mark.parametrize("token", ["", "egi_unknown", "x" * 201])
def test_a_link_that_names_no_invitation_finds_none(app_ctx: None, token: str) -> None:
    assert invitation_for_token(token) is None


def test_only_the_addressee_answers_whatever_the_case_of_the_address(baltic: Baltic) -> None:
    invitation, _ = membership.invite_member(baltic.organisation, actor=baltic.lukas, email=" Nina@Friends.example")
    nina, other = _account("nina@friends.example"), _account("nino@friends.example")
    nina.email = "Nina@FRIENDS.example"  # as an account created before addresses were stored in lower case
    assert invitation.email == "nina@friends.example"
    assert is_addressee(nina, invitation)
    assert not is_addressee(other, invitation)
