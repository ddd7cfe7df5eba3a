"""A backup restores into an empty instance with every submission and stored file intact."""

from __future__ import annotations

import hashlib
import tarfile

import sqlalchemy as sa

from app import create_app
from app.enums import DocumentKind, Role
from app.extensions import db
from app.models import Document, Proposal, Submission, User
from app.storage import get_storage
from tests import factories
from tests.conftest import make_config


def _populate(app, make_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    applicant = make_user(Role.APPLICANT, organisation="Cluster Org", country="LT")
    with app.app_context():
        call = factories.make_call("BACKUP-CALL")
        user = db.session.get(User, applicant.id)
        expected = {}
        for i in range(3):
            proposal = factories.make_proposal(call, user, acronym=f"BK{i}")
            pdf = b"%PDF-1.4\n% backup test " + str(i).encode() + b"\n%%EOF\n"
            key = get_storage().put_bytes(pdf)
            db.session.add(Document(proposal=proposal, kind=DocumentKind.PART_B, sha256=key, filename=f"b{i}.pdf",
                                    size_bytes=len(pdf), page_count=1, uploaded_by_id=user.id))
            expected[proposal.submissions[0].receipt_number] = proposal.submissions[0].sha256
        db.session.commit()
        return expected


def test_backup_restores_into_an_empty_instance(app, make_user, tmp_path, empty_database_url) -> None:  # type: ignore[no-untyped-def]
    expected = _populate(app, make_user)
    archive = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)])
    assert result.exit_code == 0, result.output
    assert "3 files" in result.output
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "tables.json"} <= set(tar.getnames())

    fresh = create_app(make_config(empty_database_url, tmp_path / "fresh-storage"))
    with fresh.app_context():
        db.create_all()
        db.session.remove()
    restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    with fresh.app_context():
        submissions = db.session.scalars(sa.select(Submission)).all()
        assert {s.receipt_number: s.sha256 for s in submissions} == expected
        for submission in submissions:
            assert hashlib.sha256(submission.snapshot.encode()).hexdigest() == submission.sha256
        for document in db.session.scalars(sa.select(Document)):
            with get_storage().open(document.sha256) as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == document.sha256
        # Identity sequences continue after the restored rows.
        user = db.session.scalar(sa.select(User))
        call = db.session.scalar(sa.select(Proposal)).call
        factories.make_proposal(call, user, acronym="AFTER")
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 4
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, make_user, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _populate(app, make_user)
    archive = tmp_path / "backup.tar.gz"
    app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)])
    again = app.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert again.exit_code == 1
    assert "not empty" in again.output


def test_restore_refuses_a_damaged_archive(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        data = b'{"format": "something-else"}'
        info.size = len(data)
        import io

        tar.addfile(info, io.BytesIO(data))
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(bad)])
    assert result.exit_code == 1
    assert "not a Eurogrants backup" in result.output
