"""The record of processing classifies every column of the database and every kind of stored file."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.privacy import map as privacy_map
from app.privacy.map import COLUMNS, RULES, STORED_FILES, Erase, NotPersonal, Personal
from app.privacy.summary import markdown_table, summary


def _model_columns(app: Flask) -> set[str]:
    with app.app_context():
        return {f"{table.name}.{column.name}" for table in db.metadata.sorted_tables for column in table.columns}


def test_every_column_of_every_model_is_classified(app: Flask) -> None:
    missing = sorted(_model_columns(app) - set(COLUMNS))
    assert not missing, ("classify these columns in app/privacy/map.py COLUMNS (personal, with its rule, or "
                         f"not_personal with the reason): {missing}")


def test_the_map_names_no_column_that_does_not_exist(app: Flask) -> None:
    assert sorted(set(COLUMNS) - _model_columns(app)) == []


def test_a_new_column_without_a_line_in_the_map_fails(app: Flask) -> None:
    """The check above is real: a model that gains a column is caught."""
    with app.app_context():
        users = db.metadata.tables["users"]
        column = sa.Column("nationality", sa.String(2))
        users.append_column(column)
        try:
            assert "users.nationality" in _model_columns(app) - set(COLUMNS)
        finally:
            users._columns.remove(column)
    assert "users.nationality" not in _model_columns(app)


def test_every_classification_is_complete() -> None:
    for name, kind in COLUMNS.items():
        assert isinstance(kind, Personal | NotPersonal), name
        if isinstance(kind, NotPersonal):
            assert kind.reason, name
            continue
        assert kind.category, name
        assert kind.purpose.description, name
        assert kind.basis.eudpr, name
        assert kind.basis.gdpr, name
        assert kind.rule.key in RULES, name


def test_every_rule_reads_settings_that_exist(app: Flask) -> None:
    for rule in RULES.values():
        text = rule.describe(app.config)
        assert "{" not in text, rule.key
        for setting in rule.settings:
            assert setting in app.config, (rule.key, setting)


def test_stored_files_are_found_through_a_classified_column(app: Flask) -> None:
    for stored in STORED_FILES:
        assert f"{stored.table}.{stored.key_column}" in COLUMNS
        assert isinstance(stored.classification, Personal)


def test_the_summary_covers_every_personal_column_once() -> None:
    listed = [name for row in summary() for name in row.columns if not name.startswith("files: ")]
    assert sorted(listed) == sorted(privacy_map.personal_columns())


def test_identity_columns_are_pseudonymised_and_links_kept() -> None:
    assert COLUMNS["users.email"].erase is Erase.PSEUDONYMISE  # type: ignore[union-attr]
    assert COLUMNS["audit_events.actor_id"].erase is Erase.KEEP  # type: ignore[union-attr]


def test_every_rule_the_erasure_applies_reaches_every_table_it_erases() -> None:
    """A personal column emptied or deleted under a rule must be in a table that rule's erasure reaches: a new
    column in a new table fails here until app/services/erasure.py knows its rows."""
    from app.services.erasure import SUBJECT_ROWS

    for rule_key, selectors in SUBJECT_ROWS.items():
        rule = RULES[rule_key]
        erased_tables = {name.split(".")[0] for name, kind in privacy_map.personal_columns(rule).items()
                         if kind.erase in (Erase.CLEAR, Erase.DELETE_ROW)}
        erased_tables |= {stored.table for stored in STORED_FILES if stored.classification.rule is rule}
        assert erased_tables <= set(selectors), (rule_key, sorted(erased_tables - set(selectors)))
    # Every rule that empties or deletes something is applied by the erasure; the others keep (links, audit, register).
    applied = {kind.rule.key for kind in privacy_map.personal_columns().values()
               if kind.erase in (Erase.CLEAR, Erase.DELETE_ROW)}
    assert applied <= set(SUBJECT_ROWS)


def test_only_names_addresses_and_the_audit_trail_take_the_pseudonym() -> None:
    """erase_person writes the pseudonym into exactly these columns: a new PSEUDONYMISE column needs it there too."""
    pseudonymised = {name for name, kind in privacy_map.personal_columns().items()
                     if kind.erase is Erase.PSEUDONYMISE}
    assert pseudonymised == {"users.email", "users.full_name", "audit_events.data"}


def test_the_readme_shows_the_map_as_it_is(app: Flask) -> None:
    """The README's "Personal data" table is `flask privacy map`'s output with the default periods: a change to the
    map without the README fails here (paste the command's output)."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table(app.config) in readme
    printed = app.test_cli_runner().invoke(args=["privacy", "map"])
    assert printed.exit_code == 0
    assert printed.output.strip() == markdown_table(app.config).strip()
