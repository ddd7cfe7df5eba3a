"""The pages' scripts write no English of their own: every word they show comes from the page's
`script-messages` block (app/web/script_messages.py), in the reader's language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask

from app.web.locale import LANGUAGE_COOKIE
from app.web.script_messages import script_messages
from tests.i18n_support import ENGLISH_WORDS

SCRIPTS = Path(__file__).resolve().parents[2] / "app" / "static" / "js"
BLOCK = re.compile(r'<script type="application/json" id="script-messages">(.*?)</script>', re.S)


def _messages(app: Flask, language: str) -> dict[str, object]:
    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, language)
    found = BLOCK.search(client.get("/").get_data(as_text=True))
    assert found, "the page carries no script messages"
    return dict(json.loads(found.group(1)))


@pytest.mark.parametrize(("language", "saving", "partners"), [
    ("en", "Saving…", {"one": "Add %(num)d more partner (you have %(count)d).",
                       "other": "Add %(num)d more partners (you have %(count)d)."}),
    ("fr", "Enregistrement…", None),
    ("de", "Wird gespeichert…", None),
])
def test_the_page_gives_its_scripts_their_words_in_its_language(app: Flask, language: str, saving: str,
                                                               partners: dict[str, str] | None) -> None:
    messages = _messages(app, language)
    assert messages["saving"] == saving
    forms = messages["add_partners"]
    assert isinstance(forms, dict)
    assert set(forms) == {"one", "other"}
    if partners is not None:
        assert forms == partners
    else:  # translated, placeholders kept for the script to fill in
        assert "Add" not in forms["other"]
        assert "%(num)d" in forms["other"]
        assert "%(count)d" in forms["other"]


def test_every_message_a_script_asks_for_is_given() -> None:
    asked = set()
    for script in SCRIPTS.glob("*.js"):
        code = re.sub(r"//[^\n]*|/\*.*?\*/", " ", script.read_text(encoding="utf-8"), flags=re.S)
        for line in re.sub(r"===\s*[\"']\w+[\"']", " ", code).splitlines():  # comparisons are no keys
            for call in re.findall(r"(?:\btext|\bsay|eurograntsText)\(([^,)]*)", line):
                asked |= set(re.findall(r"[\"'](\w+)[\"']", call))  # the key, or each key of a choice
    assert {"saving", "add_partners", "not_submitted", "move_up", "move_down", "scrolls_sideways"} <= asked
    assert asked <= set(script_messages()), asked - set(script_messages())


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.js")), ids=lambda path: path.name)
def test_no_script_writes_english(script: Path) -> None:
    code = re.sub(r"//[^\n]*|/\*.*?\*/", " ", script.read_text(encoding="utf-8"), flags=re.S)  # comments aside
    literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"', code)
    # Words of a sentence (class names, keys and selectors are single tokens like "is-active" or "[data-check]").
    english = [literal for literal in literals if len(literal.split()) > 1
               and {word.lower().strip(".,:;()") for word in literal.split()} & ENGLISH_WORDS]
    assert english == []
