"""The files the app creates for itself (the SQLite database, backups, stored files, the erasure register) are
readable by the app's user only: files 0600, folders 0700, whatever the umask (issue 14, hole 9)."""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.privacy.register import append
from app.storage import LocalStorage
from tests.conftest import make_config


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask of most servers (022), under which a plain open() or mkdir() is readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_backup_is_0600_in_new_0700_folders(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "new" / "backups" / "eurogrants.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)])
    assert result.exit_code == 0, result.output
    assert mode(archive) == 0o600
    assert mode(archive.parent) == 0o700
    assert mode(archive.parent.parent) == 0o700
    with tarfile.open(archive) as opened:
        assert "manifest.json" in opened.getnames()  # a whole archive, renamed into place
    assert [p.name for p in archive.parent.iterdir()] == ["eurogrants.tar.gz"]  # no temporary file left


def test_a_backup_written_over_an_existing_readable_file_is_0600(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"old")
    archive.chmod(0o644)
    assert app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)]).exit_code == 0
    assert mode(archive) == 0o600


def test_the_sqlite_database_is_created_0600_in_a_0700_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "instance" / "data" / "eurogrants.db"
    app = create_app(make_config(f"sqlite:///{database}", tmp_path / "storage"))
    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700
    assert mode(database.parent.parent) == 0o700
    with app.app_context():
        db.create_all()  # SQLite writes its tables (and its journal) into the file the app created
        db.session.remove()
        db.engine.dispose()
    assert database.stat().st_size > 0
    assert mode(database) == 0o600


def test_a_folder_the_operator_made_keeps_its_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o750)  # e.g. readable by a backup agent's group, on purpose
    create_app(make_config(f"sqlite:///{shared / 'eurogrants.db'}", tmp_path / "storage"))
    assert mode(shared) == 0o750
    assert mode(shared / "eurogrants.db") == 0o600


def test_stored_files_are_0600_in_0700_folders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    storage = LocalStorage(tmp_path / "storage")
    stored = storage.file_path(storage.put_bytes(b"%PDF-1.4 an annex"))
    assert mode(stored) == 0o600
    folder = stored.parent
    while folder != tmp_path:
        assert mode(folder) == 0o700, folder
        folder = folder.parent


def test_the_erasure_register_is_0600_in_a_0700_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    register = tmp_path / "privacy" / "erasure-register.jsonl"
    append([{"kind": "person", "id": 1}], path=register)
    assert mode(register) == 0o600
    assert mode(register.parent) == 0o700
