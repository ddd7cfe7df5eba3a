"""`flask --app wsgi users ...`: accounts and API tokens."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import User
from app.queries.accounts import normalise_email
from app.services.accounts import create_user, issue_token
from app.services.errors import DomainError


def register_users_cli(app: Flask) -> None:
    @app.cli.group()
    def users() -> None:
        """Create accounts and API tokens."""

    @users.command("create")
    @click.argument("email")
    @click.option("--role", "roles", multiple=True, required=True,
                  type=click.Choice([r.value for r in Role]), help="Repeat for several roles.")
    @click.option("--password", required=True, help="At least 10 characters.")
    @click.option("--name", default="", help="Full name (defaults to the e-mail address).")
    @click.option("--organisation", default=None)
    @click.option("--country", default=None, help="ISO 3166 alpha-2 code of the organisation's country.")
    @click.option("--organisation-type", default=OrganisationType.OTHER.value,
                  type=click.Choice([t.value for t in OrganisationType]))
    def users_create(email: str, roles: tuple[str, ...], password: str, name: str, organisation: str | None,
                     country: str | None, organisation_type: str) -> None:
        """Create an account with one or more roles."""
        try:
            user = create_user(None, email=email, password=password, full_name=name,
                               roles=[Role(r) for r in roles], organisation_name=organisation,
                               country=country, organisation_type=OrganisationType(organisation_type))
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Created {user.email} ({', '.join(sorted(r.value for r in user.roles))}).")

    @users.command("token")
    @click.argument("email")
    @click.option("--label", default="cli", help="A note to recognise the token by.")
    def users_token(email: str, label: str) -> None:
        """Print a new API bearer token for an account (shown once; only its hash is stored)."""
        user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"No account with the e-mail address {email}.")
        token = issue_token(user, label=label)
        db.session.commit()
        click.echo(token)
