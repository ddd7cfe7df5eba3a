"""Demo accounts for `flask seed demo`: one per role (nine evaluators), and a newcomer whose request to join waits
(idempotent); the officer and the administrator with two-factor sign-in on, with published secrets."""

from __future__ import annotations

import sqlalchemy as sa

from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import User
from app.queries.accounts import find_organisation
from app.services.accounts import create_user
from app.services.membership import request_to_join
from app.services.two_factor import enrol_with_secret

DEMO_PASSWORD = "eurogrants-demo"  # noqa: S105 - printed and documented demo credential
DEMO_ACCOUNTS = [
    # email, name, roles, organisation, country, type
    ("admin@eurogrants.test", "Ada Admin", [Role.ADMIN], None, None, OrganisationType.OTHER),
    ("officer@eurogrants.test", "Olivia Officer", [Role.OFFICER], "European Commission, DG GROW", "BE",
     OrganisationType.PUBLIC_AUTHORITY),
    ("evaluator1@eurogrants.test", "Eva Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 1)", "FI",
     OrganisationType.OTHER),
    ("evaluator2@eurogrants.test", "Emil Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 2)", "PT",
     OrganisationType.OTHER),
    ("evaluator3@eurogrants.test", "Elena Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 3)", "RO",
     OrganisationType.OTHER),
    # Nine evaluators, so that every demo proposal gets its three without a conflict of interest (the evaluated
    # calls' country rule excludes the coordinator's country) and the practice evaluation gives each two reports.
    ("evaluator4@eurogrants.test", "Erik Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 4)", "SE",
     OrganisationType.OTHER),
    ("evaluator5@eurogrants.test", "Edith Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 5)", "AT",
     OrganisationType.OTHER),
    ("evaluator6@eurogrants.test", "Enzo Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 6)", "IT",
     OrganisationType.OTHER),
    ("evaluator7@eurogrants.test", "Ewa Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 7)", "PL",
     OrganisationType.OTHER),
    ("evaluator8@eurogrants.test", "Eamon Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 8)", "IE",
     OrganisationType.OTHER),
    ("evaluator9@eurogrants.test", "Esther Evaluator", [Role.EVALUATOR], "Independent expert (Evaluator 9)", "NL",
     OrganisationType.OTHER),
    ("applicant@eurogrants.test", "Lukas Applicant", [Role.APPLICANT], "Baltic Cluster Alliance", "LT",
     OrganisationType.CLUSTER),
]
# Officers and administrators must sign in with two factors. The demo's are enrolled with these published secrets
# (README, "Demo accounts"; printed by `seed demo`), so that anyone trying the demo adds them to an authenticator app
# or computes the code; possible only because `seed demo` refuses to run outside development and testing.
DEMO_TOTP_SECRETS = {
    "admin@eurogrants.test": "DEMOADMINEUROGRANTSSECRET2FA4567",  # noqa: S105 - published demo credential
    "officer@eurogrants.test": "DEMOOFFICEREUROGRANTSSECRET2FA67",  # noqa: S105 - published demo credential
}
# A colleague who registered after Lukas: not a member, her request to join waits for him (under My organisation).
DEMO_NEWCOMER = ("newcomer@eurogrants.test", "Ieva Newcomer", "Baltic Cluster Alliance", "LT",
                 "Project manager at the Alliance since March; I will prepare the budget of our proposals.")


def seed_demo_accounts() -> list[str]:
    """The demo accounts that are missing; returns the e-mail addresses created now."""
    created = []
    for email, name, roles, organisation, country, org_type in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = create_user(None, email=email, password=DEMO_PASSWORD, full_name=name, roles=roles,
                               organisation_name=organisation, country=country, organisation_type=org_type)
            created.append(email)
        # Also for demo staff seeded before two-factor sign-in existed (not for one who set up their own since).
        if email in DEMO_TOTP_SECRETS and not user.has_two_factor:
            enrol_with_secret(user, DEMO_TOTP_SECRETS[email])
    return created


def seed_demo_newcomer() -> bool:
    """The demo's pending join request; True when the account was created now."""
    email, name, organisation_name, country, message = DEMO_NEWCOMER
    organisation = find_organisation(organisation_name, country)
    if organisation is None or db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        return False
    newcomer = create_user(None, email=email, password=DEMO_PASSWORD, full_name=name, roles=[Role.APPLICANT])
    request_to_join(newcomer, organisation, message=message)
    return True


def demo_user(email: str) -> User:
    """A demo account by its address, created with the others when it is missing."""
    user: User | None = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        seed_demo_accounts()
        user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email  # noqa: S101 - DEMO_ACCOUNTS lists it
    return user


def demo_evaluators() -> list[User]:
    """Every demo evaluator account, in the order of DEMO_ACCOUNTS."""
    return [demo_user(email) for email, _name, roles, *_ in DEMO_ACCOUNTS if Role.EVALUATOR in roles]
