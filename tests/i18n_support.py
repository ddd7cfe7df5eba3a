"""Is any English left on a page rendered in French or German? Two checks on what a reader sees (text, and the
attributes read aloud or shown: title, aria-label, placeholder, alt, a button's value), with user content removed:

- no message of the code (a msgid of the catalogues, translated otherwise) appears in English;
- no English function word ("the", "your", "with" …) appears: this also finds text never marked for translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# Words English needs in nearly every sentence and French and German never write alone.
ENGLISH_WORDS = frozenset({
    "the", "and", "your", "you", "of", "with", "this", "to", "is", "are", "for", "has", "have", "not", "be", "which",
    "by", "at", "been", "can", "must", "from", "these", "those", "their", "its", "only", "when", "what", "who", "into",
    "here", "there",
})
# Names the languages themselves write in English (CLDR's German name of the Isle of Man).
PROPER_NAMES = ("Isle of Man",)
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-zone-label")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        self.parts += [str(values[name]) for name in SHOWN_ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@cache
def _catalogue(language: str) -> Catalog:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


def _english_fragments(language: str) -> list[str]:
    """The English pieces of each message translated otherwise, long enough to be telling."""
    fragments: set[str] = set()
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for english in ids:
            if english in strings:
                continue
            for piece in PLACEHOLDER.split(english):
                piece = " ".join(piece.split()).strip(" .,:;()")
                if len(piece) >= 12 and " " in piece and not any(piece in s for s in strings):
                    fragments.add(piece)
    return sorted(fragments)


def english_left(html: str, language: str, *, user_content: Iterable[str] = ()) -> list[str]:
    """What reads as English on a page that should be in `language` ([] when none), user content aside."""
    text = visible_text(html)
    for content in sorted([*user_content, *PROPER_NAMES], key=len, reverse=True):
        text = text.replace(content, " ")
    found = [f"message left in English: {piece!r}" for piece in _english_fragments(language) if piece in text]
    # Words in capitals are codes (AT, BE, IS: countries), not English.
    words = {word for word in re.findall(r"(?<!\w)[A-Za-z]+(?!\w)", text)
             if word.lower() in ENGLISH_WORDS and not word.isupper()}
    for word in sorted(words):
        at = text.find(word)
        found.append(f"English word {word!r} in …{text[max(0, at - 60):at + 60]}…")
    return found
