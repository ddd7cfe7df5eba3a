"""The translation catalogues (translations/<language>/LC_MESSAGES/messages.po): extract, update, compile, check.

    python scripts/catalogues.py update    extract the messages of the code (babel.cfg), bring every catalogue up to
                                           date with them (new entries empty, gone ones dropped), then compile
    python scripts/catalogues.py compile   write the .mo files the app reads (setup and the tests do it; not in git)
    python scripts/catalogues.py check     fail (exit 1) when a catalogue is out of date with the code or has an
                                           empty, fuzzy or ill-formed entry: `make lint` runs it

`make translations` is `update`. English is the code's own text: it has no catalogue.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("fr", "de")
LANGUAGE_TEAMS = {"fr": "French", "de": "German"}
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2), "N_": None,
            "plural_forms": (1, 2)}
SKIPPED_DIRECTORIES = {"tests", "bench", "migrations", "docs", "scripts", "scoring", "matching", "instance"}


def catalogue_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    """Every message of the code, in the order met (file by file)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    template = Catalog(project="Eurogrants", fuzzy=False)

    def wanted(dirname: str) -> bool:
        name = os.path.basename(dirname)
        return not name.startswith((".", "_")) and name not in SKIPPED_DIRECTORIES

    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",),
        strip_comment_tags=True, directory_filter=wanted,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _read(language: str) -> Catalog:
    with open(catalogue_path(language), "rb") as file:
        return read_po(file, locale=language)


def _write_po(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        write_po(file, catalog, width=120, ignore_obsolete=True, include_previous=False)


def update() -> None:
    """Bring every catalogue up to date with the code, then compile them."""
    template = extract()
    for language in LANGUAGES:
        path = catalogue_path(language)
        catalog = _read(language) if path.exists() else Catalog(locale=language, project="Eurogrants", fuzzy=False)
        # The header's creation date stays: a change of date alone would make every engineer's catalogue conflict.
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
        catalog.version = "1"
        catalog.msgid_bugs_address = "the project's issue tracker"
        catalog.last_translator = "Eurogrants contributors"
        catalog.language_team = LANGUAGE_TEAMS[language]
        _write_po(catalog, path)
        print(f"{path.relative_to(ROOT)}: {_count(catalog)} messages, {len(problems_of(catalog))} to translate")
    compile_catalogues(force=True)


def _count(catalog: Catalog) -> int:
    return sum(1 for message in catalog if message.id)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def problems_of(catalog: Catalog) -> list[str]:
    """The entries a reader would meet in English or broken: empty, fuzzy, or with other placeholders."""
    found: list[str] = []
    for message in _entries(catalog):
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            found.append(f"empty translation of {message.id!r}")
        if message.fuzzy:
            found.append(f"fuzzy translation of {message.id!r}")
    for message, errors in catalog.check():
        found += [f"{message.id!r}: {error}" for error in errors]
    return found


def check() -> int:
    """0 when every catalogue holds exactly the code's messages, each translated; else 1, saying what is wrong."""
    expected = {(message.context, _key(message.id)) for message in _entries(extract())}
    failures: list[str] = []
    for language in LANGUAGES:
        path = catalogue_path(language)
        if not path.exists():
            failures.append(f"{path.relative_to(ROOT)}: missing (run `make translations`)")
            continue
        catalog = _read(language)
        present = {(message.context, _key(message.id)) for message in _entries(catalog)}
        label = path.relative_to(ROOT)
        failures += [f"{label}: not in the catalogue (run `make translations`): {m[1]!r}"
                     for m in sorted(expected - present, key=str)]
        failures += [f"{label}: no longer in the code (run `make translations`): {m[1]!r}"
                     for m in sorted(present - expected, key=str)]
        failures += [f"{label}: {problem}" for problem in problems_of(catalog)]
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        print(f"catalogues: {len(failures)} problem(s)", file=sys.stderr)
        return 1
    return 0


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def compile_catalogues(*, force: bool = False) -> None:
    """Write each catalogue's .mo beside it when it is missing or older than the .po (atomically: several test
    workers may do it at once)."""
    for language in LANGUAGES:
        source = catalogue_path(language)
        target = source.with_suffix(".mo")
        if not source.exists():
            continue
        if not force and target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        catalog = _read(language)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as file:
            write_mo(file, catalog, use_fuzzy=False)
        os.replace(temporary, target)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "update":
        update()
        return 0
    if command == "compile":
        compile_catalogues(force=True)
        return 0
    if command == "check":
        return check()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
