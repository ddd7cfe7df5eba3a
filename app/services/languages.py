"""A person's choice of language for pages, e-mails and letters."""

from __future__ import annotations

from app.languages import LANGUAGES, N_, supported_language
from app.models import User
from app.services.audit import record_event
from app.services.errors import InvalidInput


def choose_language(user: User, *, language: str) -> None:
    """Remember `language` on the account: pages, e-mails and letters use it from now on.

    Side effects: `user.language`, an audit event when it changed.
    """
    chosen = supported_language(language)
    if chosen is None or chosen != language:
        raise InvalidInput(N_("Choose one of the languages offered (%(languages)s)."), languages=", ".join(LANGUAGES),
                           details={"field": "language"})
    if user.language != chosen:
        record_event(user, "user.language_chosen", object_type="user", object_id=user.id,
                     before=user.language, after=chosen)
        user.language = chosen
