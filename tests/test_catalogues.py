"""scripts/catalogues.py, which `make lint` runs: a catalogue entry that is empty, fuzzy or has other placeholders
than its English is a problem (whether the catalogues are up to date with the code is `make lint`'s own check)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog

CATALOGUES: dict[str, Any] = runpy.run_path(str(Path(__file__).parent.parent / "scripts" / "catalogues.py"))


def _catalog(*entries: tuple[str | tuple[str, str], str | tuple[str, ...], bool]) -> Catalog:
    catalog = Catalog(locale="de")
    for message_id, string, fuzzy in entries:
        catalog.add(message_id, string, flags=("fuzzy",) if fuzzy else ())
    return catalog


def test_a_complete_catalogue_has_no_problem() -> None:
    catalog = _catalog(("Log in", "Anmelden", False),
                       (("%(num)d month", "%(num)d months"), ("%(num)d Monat", "%(num)d Monate"), False))
    assert CATALOGUES["problems_of"](catalog) == []


def test_empty_fuzzy_and_ill_formed_entries_are_problems() -> None:
    catalog = _catalog(("Log in", "", False), ("Log out", "Abmelden", True),
                       ("Up to %(count)s", "Bis zu %(anzahl)s", False),
                       (("%(num)d month", "%(num)d months"), ("%(num)d Monat", ""), False))
    problems = CATALOGUES["problems_of"](catalog)
    assert "empty translation of 'Log in'" in problems
    assert "fuzzy translation of 'Log out'" in problems
    assert any("Up to %(count)s" in problem for problem in problems)
    assert "empty translation of ('%(num)d month', '%(num)d months')" in problems

