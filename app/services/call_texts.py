"""An officer gives a call's own texts in the languages other than English: its title and description, and its
criteria's names and descriptions. English stays in the call's columns and is what a reader sees where no text was
given in their language (`Call.text`, `Criterion.text`). Audited with the texts before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from app.extensions import db
from app.languages import N_, OTHER_LANGUAGES
from app.models import Call, User
from app.models.limits import MAX_CALL_DESCRIPTION, MAX_CALL_TITLE, MAX_CRITERION_DESCRIPTION, MAX_CRITERION_NAME
from app.queries.access import require_officer
from app.services.audit import record_event
from app.services.call_lifecycle import check_changes
from app.services.errors import InvalidInput, NotFound
from app.translation import gettext, ngettext

TO_TRANSLATE = N_("give a call's texts in other languages")
CALL_LIMITS: Final = {"title": MAX_CALL_TITLE, "description": MAX_CALL_DESCRIPTION}
CRITERION_LIMITS: Final = {"name": MAX_CRITERION_NAME, "description": MAX_CRITERION_DESCRIPTION}


@dataclass(frozen=True)
class LanguageTexts:
    """A call's texts in one language as an officer gives them; an empty text means "use the English"."""

    title: str = ""
    description: str = ""
    # criterion key -> {"name": …, "description": …}
    criteria: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def given_texts(call: Call, language: str) -> LanguageTexts:
    """The texts given for `language` (empty where the English is used), every criterion of the call listed."""
    stored = (call.texts or {}).get(language, {})
    return LanguageTexts(
        title=stored.get("title", ""), description=stored.get("description", ""),
        criteria={c.key: {name: call.criterion_text(c.key, name, language) or "" for name in CRITERION_LIMITS}
                  for c in call.criteria})


def require_language(language: str) -> str:
    """The language when a call's texts may be given in it (not English, whose texts are the call's own settings);
    else NotFound."""
    if language not in OTHER_LANGUAGES:
        raise NotFound(N_("A call's own texts are given in %(languages)s, not in “%(language)s”."),
                       languages=", ".join(OTHER_LANGUAGES), language=language)
    return language


def _tidy(text: Any, name: str) -> str:
    # Titles and names are one line; descriptions keep their paragraphs, without the blanks around them.
    if name == "description":
        return str(text or "").strip()
    return " ".join(str(text or "").split())


def _checked(call: Call, language: str, given: LanguageTexts) -> tuple[dict[str, Any], dict[str, str]]:
    """The language's texts as stored (only those given) and the problems, by field ("fr.title",
    "fr.criteria.<key>.name")."""
    problems: dict[str, str] = {}
    stored: dict[str, Any] = {}
    for name, limit in CALL_LIMITS.items():
        text = _tidy(getattr(given, name), name)
        if len(text) > limit:
            problems[f"{language}.{name}"] = gettext("Write at most %(max)d characters.", max=limit)
        elif text:
            stored[name] = text
    keys = {c.key for c in call.criteria}
    criteria: dict[str, dict[str, str]] = {}
    for key, texts in given.criteria.items():
        if key not in keys:
            problems[f"{language}.criteria.{key}"] = gettext("This call has no criterion %(key)s.", key=key)
            continue
        for name, limit in CRITERION_LIMITS.items():
            text = _tidy(texts.get(name), name)
            if len(text) > limit:
                problems[f"{language}.criteria.{key}.{name}"] = gettext("Write at most %(max)d characters.",
                                                                       max=limit)
            elif text:
                criteria.setdefault(key, {})[name] = text
    if criteria:
        stored["criteria"] = criteria
    return stored, problems


def _merged(call: Call, texts: Mapping[str, LanguageTexts]) -> dict[str, Any]:
    """The call's texts with those of each language of `texts` replaced; NotFound or InvalidInput as below."""
    for language in texts:
        require_language(language)
    problems: dict[str, str] = {}
    new_texts = dict(call.texts or {})
    for language, given in texts.items():
        stored, language_problems = _checked(call, language, given)
        problems.update(language_problems)
        if stored:
            new_texts[language] = stored
        else:
            new_texts.pop(language, None)
    if problems:
        first = next(iter(problems.values()))
        raise InvalidInput.naming(problems, several="texts cannot be stored", summary=ngettext(
            "%(num)d text cannot be stored: %(first)s", "%(num)d texts cannot be stored: %(first)s", len(problems),
            first=first))
    return new_texts


def update_call_texts(call: Call, texts: Mapping[str, LanguageTexts], *, actor: User | None) -> list[str]:
    """Replace the call's texts in each language of `texts` (others are kept); returns the languages that changed.

    Refused: NotAllowed (403) to anyone but officers; NotFound for a language that is not one of the others than
    English; InvalidTransition (409) once the call is decided (its texts are fixed with its identity); InvalidInput
    (422) naming each text too long, or a criterion the call does not have. Side effects: the call's texts, one
    audit event with the texts before and after, only when something changed; flushes.
    """
    require_officer(actor, to=TO_TRANSLATE)
    new_texts = _merged(call, texts)
    old_texts = call.texts or {}
    changed = [language for language in texts if old_texts.get(language) != new_texts.get(language)]
    if not changed:
        return []
    # The texts of other languages say the call's identity again: they change while its title may.
    check_changes(call, ["title"], reason="")
    call.texts = new_texts  # a new dict, so that the JSON column is seen to change
    db.session.flush()
    record_event(actor, "call.texts_changed", object_type="call", object_id=call.code, changes={
        language: {"from": old_texts.get(language, {}), "to": new_texts.get(language, {})} for language in changed})
    return changed


def load_call_texts(call: Call, texts: Mapping[str, LanguageTexts]) -> None:
    """A new call's texts from a complete record (the reference data): the same checks as an officer's texts, without
    the permission (the command line seeds them). Side effects: the call's texts; no audit (as the call's record)."""
    call.texts = _merged(call, texts)
    db.session.flush()
