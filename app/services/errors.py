"""Domain errors. Views turn them into a flash message or a 4xx JSON error, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    `code` is stable English for programs; `message` is the English sentence. A service that wants its message read
    in the reader's language gives the sentence as a catalogue message (marked with N_, app/languages.py) with
    `%(name)s` placeholders and the values as `params`: the web layer translates it there (app/web/errors.py,
    `reader_message`), since only it knows who reads. A message built otherwise is shown as it is.
    """

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, **params: Any) -> None:
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.details = details or {}


class NotAllowed(DomainError):
    code, status = "forbidden", 403


class NotFound(DomainError):
    code, status = "not_found", 404


class InvalidTransition(DomainError):
    code, status = "invalid_transition", 409


class DeadlinePassed(DomainError):
    code, status = "deadline_passed", 409


class EditConflict(DomainError):
    code, status = "edit_conflict", 409


class EmailTaken(DomainError):
    code, status = "email_taken", 409


class InvalidInput(DomainError):
    code, status = "invalid_input", 422

    @classmethod
    def naming(cls, problems: Mapping[str, str], *, several: str, summary: str | None = None) -> InvalidInput:
        """One refusal for every field that cannot be stored (`problems`: field -> message, not empty).

        The message is the first problem's, after "<count> <several>: " when there are more (or `summary`, that
        sentence written whole in the reader's language); `details["fields"]` names them all, and `details["field"]`
        the one when there is one, for the form to show it in place.
        """
        first_field, first = next(iter(problems.items()))
        details: dict[str, Any] = {"fields": dict(problems)}
        if len(problems) == 1:
            details["field"] = first_field
            return cls(first, details=details)
        return cls(summary or f"{len(problems)} {several}: {first}", details=details)


class IneligibleProposal(DomainError):
    code, status = "ineligible", 422


class LoginLocked(DomainError):
    code, status = "too_many_attempts", 429


class FileTooLarge(DomainError):
    """An upload over MAX_UPLOAD_BYTES (the same status werkzeug gives a body over MAX_CONTENT_LENGTH)."""

    code, status = "payload_too_large", 413


class NotReady(DomainError):
    """Selection refused: some proposals still lack a screening decision or an approved consensus."""

    code, status = "not_ready", 409


class StalePreview(DomainError):
    """A two-step action confirmed with a preview that no longer matches the data."""

    code, status = "stale_preview", 409


class ConfirmationRequired(DomainError):
    """A change with consequences the actor has not been shown: `details` names them, with the token that confirms."""

    code, status = "confirmation_required", 409


class ContentErased(DomainError):
    """The record stays but its personal content was erased under a retention rule or on request (410 Gone)."""

    code, status = "content_erased", 410


class AlreadyExists(DomainError):
    """The thing to create is already there (an evaluator already in a call's pool)."""

    code, status = "already_exists", 409


class AssignmentInfeasible(DomainError):
    """No assignment meets every constraint; `details["proposals"]` names the proposals and says why."""

    code, status = "infeasible", 409
