"""`flask --app wsgi backup ...`: every table and stored file in one archive, and back."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from app.extensions import db


def register_backup_cli(app: Flask) -> None:
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
