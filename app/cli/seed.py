"""`flask --app wsgi seed ...`: the reference calls, and demo data to try every role with (safe to run again)."""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import Flask, current_app

from app.extensions import db
from app.queries.calls import get_call
from app.seeds.accounts_demo import (
    DEMO_ACCOUNTS,
    DEMO_NEWCOMER,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRETS,
    seed_demo_accounts,
    seed_demo_newcomer,
)
from app.seeds.calls import seed_practice_calls, seed_practice_evaluation_call, seed_reference_calls
from app.seeds.intake_demo import seed_demo_proposals
from app.seeds.pool_demo import seed_demo_pool
from app.seeds.selection_demo import seed_selection_demo

# The practice call whose pool the demo evaluators join, with the expertise each of them declares.
POOL_CALL = "SMP-COSME-2021-CLUSTER-01-PRACTICE"
POOL_EVALUATORS = ["evaluator1@eurogrants.test", "evaluator2@eurogrants.test", "evaluator3@eurogrants.test"]
POOL_EXPERTISE = [["Open", "Digital", "Health"], ["Tourism", "Agri-food", "Textile"],
                  ["Open", "Energy-Intensive Industries", "Renewable Energy"]]
# The closed reference calls carry an evaluated field of proposals, ready to rank and select.
RANKED_CALLS = (("SMP-COSME-2021-CLUSTER-01", 64), ("EUID-2022-SESSIONS", 30))
# The practice call in evaluation: 8 proposals, 6 eligible, so 18 reports, exactly 2 for each of the 9 evaluators
# (their maximum load there), none written yet.
IN_EVALUATION_COUNT, IN_EVALUATION_LOAD = 8, 2

Results = list[tuple[str, bool]]

# The demo creates an administrator whose password is published (README, "Demo accounts"): anyone could sign in
# as them. Only installations that hold no real data may get it without being told so.
DEMO_ENVIRONMENTS = frozenset({"development", "testing"})
DEMO_REFUSED = (
    "Refused: `seed demo` creates an administrator and other accounts whose password ({password}) is published in "
    "the README, so anyone could sign in as them. It runs only in development and testing, and this installation "
    "is {environment} (EUROGRANTS_ENV). Nothing was changed. To put the demo on a server that holds no real data "
    "(a public demo), run it again with --force-outside-development."
)
DEMO_FORCED = ("Warning: seeding the demo in {environment}: its accounts share the published password "
               "{password}. Anyone can sign in as the demo administrator.")


@dataclass(frozen=True)
class DemoSeeded:
    """What `seed demo` created or found, step by step, for its report."""

    reference: Results
    practice: Results
    created_accounts: list[str]
    newcomer_created: bool
    demo_proposals: Results
    demo_pool: Results
    ranked_demo: Results
    in_evaluation: Results


def _print_results(results: Results) -> None:
    for code, created in results:
        click.echo(f"  {code}: {'created' if created else 'exists, unchanged'}")


def register_seed_cli(app: Flask) -> None:
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
    @click.option("--force-outside-development", "force", is_flag=True,
                  help="Seed even when EUROGRANTS_ENV is not development or testing (a demo server without real "
                       "data): the demo administrator's password is published.")
    def seed_demo(force: bool) -> None:
        """Demo accounts for each role and an open practice copy of each reference call (development only)."""
        environment = str(current_app.config.get("ENVIRONMENT", "development"))
        if environment not in DEMO_ENVIRONMENTS:
            if not force:
                raise click.ClickException(DEMO_REFUSED.format(password=DEMO_PASSWORD, environment=environment))
            click.echo(DEMO_FORCED.format(password=DEMO_PASSWORD, environment=environment), err=True)
        _print_demo(_seed_demo())


def _seed_demo() -> DemoSeeded:
    """Every step of the demo data, each committed before the next reads it."""
    reference = seed_reference_calls()
    practice = seed_practice_calls()
    created_accounts = seed_demo_accounts()
    db.session.commit()
    newcomer_created = seed_demo_newcomer()
    db.session.commit()
    demo_proposals = seed_demo_proposals()
    db.session.commit()
    pool_call = get_call(POOL_CALL)
    demo_pool = seed_demo_pool(pool_call, POOL_EVALUATORS, expertise=POOL_EXPERTISE) if pool_call is not None else []
    db.session.commit()
    ranked_demo = []
    for code, count in RANKED_CALLS:
        call = get_call(code)
        if call is not None:
            created = seed_selection_demo(call, count=count)
            ranked_demo.append((f"{code}: {count} evaluated proposals", created > 0))
    db.session.commit()
    evaluation_call, _ = seed_practice_evaluation_call()
    created = seed_selection_demo(evaluation_call, count=IN_EVALUATION_COUNT, reports=False,
                                  max_load=IN_EVALUATION_LOAD)
    in_evaluation = [(f"{evaluation_call.code}: {IN_EVALUATION_COUNT} proposals, reports to write", created > 0)]
    db.session.commit()
    return DemoSeeded(reference, practice, created_accounts, newcomer_created, demo_proposals, demo_pool,
                      ranked_demo, in_evaluation)


def _print_demo(seeded: DemoSeeded) -> None:
    click.echo("Reference calls:")
    _print_results(seeded.reference)
    click.echo("Practice calls:")
    _print_results(seeded.practice)
    click.echo("Evaluated demo proposals, ready to rank (log in as officer@eurogrants.test):")
    _print_results(seeded.ranked_demo)
    click.echo("Practice call in evaluation (log in as evaluator1@eurogrants.test … evaluator9@: two reports each):")
    _print_results(seeded.in_evaluation)
    click.echo("Demo proposals (applicant@eurogrants.test):")
    _print_results(seeded.demo_proposals)
    click.echo(f"Evaluator pool of {POOL_CALL} (they accept the code of conduct):")
    _print_results(seeded.demo_pool)
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, _name, roles, *_ in DEMO_ACCOUNTS:
        state = "created" if email in seeded.created_accounts else "exists"
        click.echo(f"  {email:<30} {', '.join(r.value for r in roles):<10} {state}")
    state = "created" if seeded.newcomer_created else "exists"
    click.echo(f"  {DEMO_NEWCOMER[0]:<30} {'applicant':<10} {state}, asking to join {DEMO_NEWCOMER[2]} "
               f"(approve or refuse as {DEMO_ACCOUNTS[-1][0]}, under My organisation)")
    click.echo("Two-factor sign-in (officers and administrators): add the secret to an authenticator app, or print "
               "the current code with .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"")
    for email, secret in DEMO_TOTP_SECRETS.items():
        click.echo(f"  {email:<30} {secret}")
