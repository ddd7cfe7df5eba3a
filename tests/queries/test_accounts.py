"""Looking accounts, organisations and tokens up: by the address as stored, the name whatever its spelling, a hash."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import ApiToken, User
from app.queries.accounts import (
    accounts_by_email,
    clean_organisation,
    find_organisation,
    normalise_email,
    token_digest,
    user_for_token,
)
from app.services.accounts import create_user, issue_token
from app.services.errors import InvalidInput


def _account(email: str, organisation: str = "Baltic Cluster Alliance", country: str = "LT") -> User:
    return create_user(None, email=email, password="violet-harbour-1987-tram", roles=[Role.APPLICANT],
                       organisation_name=organisation, country=country, organisation_type=OrganisationType.CLUSTER)


def test_an_address_is_looked_up_as_stored() -> None:
    assert normalise_email("  Ieva@Baltic.EXAMPLE ") == "ieva@baltic.example"


@pytest.mark.parametrize(("name", "country"), [("Baltic Cluster Alliance", "LT"),
                                               ("  baltic   CLUSTER alliance ", " lt ")])
def test_an_organisation_is_found_whatever_the_case_and_spacing_of_its_name(app_ctx: None, name: str,
                                                                             country: str) -> None:
    baltic = _account("lukas@baltic.example").organisation
    assert find_organisation(name, country) is baltic
    assert find_organisation("Baltic Cluster Alliance", "LV") is None  # the same name in another country
    assert find_organisation("Baltic Cluster", "LT") is None


@pytest.mark.parametrize(("name", "country", "field"), [("   ", "LT", "organisation_name"),
                                                        ("Baltic", "QQ", "country")])
def test_an_unusable_name_or_country_is_refused_by_field(name: str, country: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_organisation(name, country)
    assert refused.value.details["field"] == field


def test_a_token_resolves_to_its_active_user_by_its_hash_only(app_ctx: None) -> None:
    user = _account("lukas@baltic.example")
    token = issue_token(user)
    db.session.commit()
    stored = db.session.scalar(sa.select(ApiToken.token_hash))
    assert stored == token_digest(token) != token
    assert user_for_token(token) is user
    assert user_for_token(stored) is None  # the hash itself is no token


def test_a_revoked_token_or_an_inactive_account_resolves_to_nobody(app_ctx: None) -> None:
    revoked, inactive = _account("a@baltic.example"), _account("b@baltic.example")
    revoked_token, inactive_token = issue_token(revoked), issue_token(inactive)
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == revoked.id).values(revoked_at=utcnow()))
    inactive.is_active_account = False
    db.session.commit()
    assert user_for_token(revoked_token) is None
    assert user_for_token(inactive_token) is None


def test_the_administrators_see_every_account_by_address(app_ctx: None) -> None:
    for email in ("zoe@x.example", "ana@y.example", "mia@x.example"):
        _account(email, organisation=email.split("@")[1], country="BE")
    assert [user.email for user in accounts_by_email()] == ["ana@y.example", "mia@x.example", "zoe@x.example"]
