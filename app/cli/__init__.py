"""Command-line commands: `flask --app wsgi seed ...`, `backup ...`, `users ...`; `letters`, `privacy` and `selection`
have modules of their own in this package."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import User
from app.queries.accounts import normalise_email
from app.seeds.accounts_demo import (
    DEMO_ACCOUNTS,
    DEMO_NEWCOMER,
    DEMO_PASSWORD,
    seed_demo_accounts,
    seed_demo_newcomer,
)
from app.seeds.calls import seed_practice_calls, seed_reference_calls
from app.services.accounts import create_user, issue_token
from app.services.errors import DomainError


def _print_results(results: list[tuple[str, bool]]) -> None:
    for code, created in results:
        click.echo(f"  {code}: {'created' if created else 'exists, unchanged'}")


def register_cli(app: Flask) -> None:
    from app.cli.letters import register_letters_cli
    from app.cli.privacy import register_privacy_cli
    from app.cli.selection import register_selection_cli

    register_letters_cli(app)
    register_privacy_cli(app)
    register_selection_cli(app)

    @app.cli.group()
    def seed() -> None:
        """Load reference and demo data (safe to run again)."""

    @seed.command("reference")
    def seed_reference() -> None:
        """The three reference calls of 2021."""
        results = seed_reference_calls()
        db.session.commit()
        click.echo("Reference calls:")
        _print_results(results)

    @seed.command("demo")
    def seed_demo() -> None:
        """Demo accounts for each role and an open practice copy of each reference call."""
        reference = seed_reference_calls()
        practice = seed_practice_calls()
        created_accounts = seed_demo_accounts()
        db.session.commit()
        newcomer_created = seed_demo_newcomer()
        db.session.commit()
        from app.seeds.intake_demo import seed_demo_proposals

        demo_proposals = seed_demo_proposals()
        db.session.commit()
        from app.queries.calls import get_call
        from app.seeds.pool_demo import seed_demo_pool

        pool_call = get_call("SMP-COSME-2021-CLUSTER-01" + "-PRACTICE")
        demo_pool = seed_demo_pool(
            pool_call, ["evaluator1@eurogrants.test", "evaluator2@eurogrants.test", "evaluator3@eurogrants.test"],
            expertise=[["Open", "Digital", "Health"], ["Tourism", "Agri-food", "Textile"],
                       ["Open", "Energy-Intensive Industries", "Renewable Energy"]],
        ) if pool_call is not None else []
        db.session.commit()
        from app.seeds.selection_demo import seed_selection_demo

        # The closed reference calls carry an evaluated field of proposals, ready to rank and select.
        ranked_demo = []
        for code, count in (("SMP-COSME-2021-CLUSTER-01", 64), ("EUID-2022-SESSIONS", 30)):
            call = get_call(code)
            if call is not None:
                created = seed_selection_demo(call, count=count)
                ranked_demo.append((f"{code}: {count} evaluated proposals", created > 0))
        db.session.commit()
        click.echo("Reference calls:")
        _print_results(reference)
        click.echo("Practice calls:")
        _print_results(practice)
        click.echo("Evaluated demo proposals, ready to rank (log in as officer@eurogrants.test):")
        _print_results(ranked_demo)
        click.echo("Demo proposals (applicant@eurogrants.test):")
        _print_results(demo_proposals)
        click.echo("Evaluator pool of SMP-COSME-2021-CLUSTER-01-PRACTICE (they accept the code of conduct):")
        _print_results(demo_pool)
        click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, _name, roles, *_ in DEMO_ACCOUNTS:
            state = "created" if email in created_accounts else "exists"
            click.echo(f"  {email:<30} {', '.join(r.value for r in roles):<10} {state}")
        state = "created" if newcomer_created else "exists"
        click.echo(f"  {DEMO_NEWCOMER[0]:<30} {'applicant':<10} {state}, asking to join {DEMO_NEWCOMER[2]} "
                   f"(approve or refuse as {DEMO_ACCOUNTS[-1][0]}, under My organisation)")

    @app.cli.group()
    def backup() -> None:
        """Back up and restore the database and the stored files."""

    @backup.command("create")
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Target .tar.gz (default: instance/backups/eurogrants-<UTC time>.tar.gz).")
    def backup_create(output: Path | None) -> None:
        """Write every table and every stored file to one archive."""
        from app.clock import utcnow
        from app.services.backup import create_backup

        output = output or Path("instance/backups") / f"eurogrants-{utcnow():%Y%m%dT%H%M%SZ}.tar.gz"
        manifest = create_backup(output)
        rows = sum(manifest["tables"].values())
        click.echo(f"Backup written to {output}: {rows} rows in {len(manifest['tables'])} tables, "
                   f"{len(manifest['files'])} files.")

    @backup.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def backup_restore(source: Path) -> None:
        """Load an archive into an empty database (run `flask db upgrade` on it first)."""
        from app.services.backup import BackupError, erase_again_after_restore, restore_backup

        try:
            manifest = restore_backup(source)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Restored {sum(manifest['tables'].values())} rows and {len(manifest['files'])} files "
                   f"from {source}.")
        # A backup made before an erasure brings back what was erased: the register outside the database says what.
        applied = erase_again_after_restore()
        db.session.commit()
        if applied:
            click.echo(f"This backup (made {manifest.get('created_at') or 'at an unknown time'}) predates "
                       f"{len(applied)} erasure{'s' if len(applied) != 1 else ''} of the erasure register; "
                       "erased again:")
            for entry in applied:
                click.echo(f"  {entry['kind']} {entry['label']}: erased {entry['erased_at']} under {entry['rule']}")
        else:
            click.echo("No erasure of the erasure register predates this backup's content.")

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
