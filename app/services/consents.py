"""Recording that a person accepted a text, with the version they were shown (app/privacy/texts.py)."""

from __future__ import annotations

from datetime import datetime

from app.clock import utcnow
from app.enums import ConsentKind
from app.extensions import db
from app.languages import N_
from app.models import Call, Consent, Submission, User
from app.privacy.texts import current_text
from app.services.errors import InvalidInput

# Said whole for each text (its name is not a fragment to fit into a sentence).
_TEXT_CHANGED = {
    ConsentKind.CODE_OF_CONDUCT: N_("The text of the code of conduct and confidentiality changed since your page was "
                                    "opened. Read it again before you accept it."),
    ConsentKind.SUBMISSION_DECLARATION: N_("The text of the declaration at submission changed since your page was "
                                           "opened. Read it again before you accept it."),
}


def check_text_version(kind: ConsentKind, shown: str | None, *, field: str) -> None:
    """InvalidInput when the person was shown a version that is no longer the current one (the text changed
    while their page was open): they must read it again. `shown=None` means the current version was shown."""
    current = current_text(kind)
    if shown not in (None, "", current.version):
        raise InvalidInput(_TEXT_CHANGED[kind], details={"field": field, "current_version": current.version})


def record_consent(user: User, kind: ConsentKind, *, call: Call | None = None,
                   submission: Submission | None = None, at: datetime | None = None) -> Consent:
    """A Consent row for the current version of `kind`'s text (side effect: added and flushed; the caller commits
    and writes its own audit event, which names the version)."""
    text = current_text(kind)
    consent = Consent(user_id=user.id, kind=kind, text_version=text.version, text_sha256=text.sha256,
                      call_id=call.id if call is not None else None,
                      submission_id=submission.id if submission is not None else None, given_at=at or utcnow())
    db.session.add(consent)
    db.session.flush()
    return consent
