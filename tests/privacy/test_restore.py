"""A backup made before an erasure is flagged when it is restored, and what was erased is erased again."""

from __future__ import annotations

import json
import tarfile

import sqlalchemy as sa

from app import create_app
from app.enums import ErasureKind
from app.extensions import db
from app.models import AuditEvent, Erasure, Proposal, User
from app.queries.erasure import person_pseudonym
from app.storage import get_storage
from tests.conftest import PASSWORD, make_config


def test_a_restored_backup_forgets_again_who_was_erased_after_it(app, people, as_person, tmp_path,  # type: ignore[no-untyped-def]
                                                                 empty_database_url) -> None:
    archive = tmp_path / "before-the-erasure.tar.gz"
    made = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)])
    assert made.exit_code == 0, made.output
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["erasures"] == 0
    assert manifest["created_at"]
    for person in (people.alice, people.dora):  # Dora's draft and its annex go with her
        erased = as_person(person).post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
        assert erased.status_code == 200

    # The operator restores into an empty instance; the erasure register lives outside the database.
    fresh = create_app(make_config(empty_database_url, tmp_path / "fresh-storage",
                                   ERASURE_REGISTER=app.config["ERASURE_REGISTER"]))
    with fresh.app_context():
        db.create_all()
        db.session.remove()
    restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "predates 3 erasures of the erasure register; erased again:" in restored.output
    with app.app_context():
        alice_label, dora_label = person_pseudonym(people.alice), person_pseudonym(people.dora)
    assert f"person {alice_label}" in restored.output
    assert f"draft {people.draft_reference}" in restored.output
    with fresh.app_context():
        alice = db.session.get(User, people.alice)
        assert (alice.full_name, alice.is_active_account) == (alice_label, False)
        assert db.session.get(User, people.dora).full_name == dora_label
        assert db.session.get(Proposal, people.draft_id) is None
        assert not get_storage().exists(people.draft_annex_sha)
        assert get_storage().exists(people.annex_sha)
        kinds = {(e.kind, e.subject_id) for e in db.session.scalars(sa.select(Erasure))}
        assert kinds == {(ErasureKind.PERSON, people.alice), (ErasureKind.PERSON, people.dora),
                         (ErasureKind.DRAFT, people.draft_id)}
        trail = json.dumps([e.data for e in db.session.scalars(sa.select(AuditEvent))])
        assert "alice@baltic.example" not in trail
        assert db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "personal_data.erasures_reapplied")).one().actor_id is None
        db.session.remove()
        db.engine.dispose()
    # Nothing is applied twice: the register file was not extended by the restore.
    with open(app.config["ERASURE_REGISTER"], encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == 3


def test_a_backup_made_after_the_erasures_needs_nothing_again(app, people, as_person, tmp_path,  # type: ignore[no-untyped-def]
                                                              empty_database_url) -> None:
    erased = as_person(people.alice).post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
    assert erased.status_code == 200
    archive = tmp_path / "after.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)]).exit_code == 0
    fresh = create_app(make_config(empty_database_url, tmp_path / "fresh-storage",
                                   ERASURE_REGISTER=app.config["ERASURE_REGISTER"]))
    with fresh.app_context():
        db.create_all()
        db.session.remove()
    restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "No erasure of the erasure register predates this backup's content." in restored.output
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


