"""Command-line commands: `flask --app wsgi seed ...`, `backup ...`, `users ...`, `letters ...`, `privacy ...`,
`evaluations ...` and `selection ...`, one module per command group in this package."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Register every command group on the app."""
    from app.cli.backup import register_backup_cli
    from app.cli.evaluations import register_evaluations_cli
    from app.cli.letters import register_letters_cli
    from app.cli.privacy import register_privacy_cli
    from app.cli.seed import register_seed_cli
    from app.cli.selection import register_selection_cli
    from app.cli.users import register_users_cli

    register_evaluations_cli(app)
    register_letters_cli(app)
    register_privacy_cli(app)
    register_selection_cli(app)
    register_seed_cli(app)
    register_backup_cli(app)
    register_users_cli(app)
