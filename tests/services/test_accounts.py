from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import ApiToken, AuditEvent, AuditIsAppendOnly
from app.queries.accounts import user_for_token
from app.services.accounts import authenticate, create_user, issue_token
from app.services.errors import EmailTaken, InvalidInput, NotAllowed


def _user(email: str = "a@example.test", roles=(Role.APPLICANT,)):  # type: ignore[no-untyped-def]
    return create_user(None, email=email, password="a-long-password", full_name="A", roles=roles,
                       organisation_name="Org", country="de", organisation_type=OrganisationType.SME)


def test_passwords_are_hashed_with_argon2_and_verified(app_ctx) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    assert user.password_hash.startswith("$argon2id$")
    assert authenticate("A@example.test ", "a-long-password") is user
    assert authenticate("a@example.test", "wrong-password") is None
    assert authenticate("nobody@example.test", "a-long-password") is None


def test_inactive_accounts_cannot_log_in(app_ctx) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    user.is_active_account = False
    assert authenticate("a@example.test", "a-long-password") is None


def test_email_is_unique_whatever_its_case(app_ctx) -> None:  # type: ignore[no-untyped-def]
    _user()
    with pytest.raises(EmailTaken):
        _user("A@Example.TEST")


def test_only_admins_create_accounts(app_ctx) -> None:  # type: ignore[no-untyped-def]
    officer = _user("o@example.test", roles=(Role.OFFICER,))
    with pytest.raises(NotAllowed):
        create_user(officer, email="x@example.test", password="a-long-password", roles=[Role.EVALUATOR])


def test_unknown_country_is_refused(app_ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="country"):
        create_user(None, email="x@example.test", password="a-long-password", roles=[Role.APPLICANT],
                    organisation_name="Org", country="QQ")


def test_tokens_are_stored_as_hashes_and_resolve_to_their_user(app_ctx) -> None:  # type: ignore[no-untyped-def]
    user = _user()
    token = issue_token(user, label="ci")
    stored = db.session.scalar(sa.select(ApiToken.token_hash))
    assert token not in stored
    assert len(stored) == 64
    assert user_for_token(token) is user
    assert user_for_token(token + "x") is None


def test_audit_events_are_append_only(app_ctx) -> None:  # type: ignore[no-untyped-def]
    _user()
    db.session.commit()
    audit_event = db.session.scalar(sa.select(AuditEvent))
    audit_event.action = "tampered"
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(sa.select(AuditEvent)))
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
