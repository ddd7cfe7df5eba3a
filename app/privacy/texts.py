"""The texts people accept, versioned: a person's acceptance is stored with the version they were shown
(`app.models.Consent`), so that what they agreed to can be shown word for word years later.

Never edit a published version: add the next one to its kind's tuple (the last is the current one) and keep the old.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.enums import ConsentKind
from app.languages import N_


@dataclass(frozen=True)
class AcceptedText:
    kind: ConsentKind
    version: str
    lines: tuple[str, ...]

    @property
    def sha256(self) -> str:
        """The SHA-256 of the exact wording (its lines joined by newlines), stored with each acceptance."""
        return hashlib.sha256("\n".join(self.lines).encode("utf-8")).hexdigest()


VERSIONS: dict[ConsentKind, tuple[AcceptedText, ...]] = {
    ConsentKind.CODE_OF_CONDUCT: (
        AcceptedText(ConsentKind.CODE_OF_CONDUCT, "2026-12-02", (
            # Shown in the reader's language; the English wording is the version stored with the acceptance.
            N_("I will evaluate independently and impartially, in my own name, and not represent any organisation."),
            N_("I will declare any conflict of interest on each proposal before I read it, and again as soon as one "
               "comes to light: I am conflicted when I, or the organisation I work for, take part in the proposal, "
               "gain or lose from its outcome, or have a close personal or professional relationship with anyone in "
               "it."),
            N_("I will keep the proposals, the evaluation and its results confidential, during and after the "
               "evaluation; I will not copy or keep the documents, nor upload them to any outside tool or service."),
            N_("I will not contact applicants about their proposals, and will report to the programme officer any "
               "attempt to contact me about them."),
            N_("I will score each proposal on its merits against the published award criteria only, and write "
               "comments that justify my scores."),
            N_("I will submit my reports by the evaluation deadline, or tell the programme officer in time that I "
               "cannot."),
            N_("I will use the personal data in the proposals (names, CVs, contacts) only to evaluate them, and keep "
               "none of it after the evaluation."),
        )),
    ),
    ConsentKind.SUBMISSION_DECLARATION: (
        AcceptedText(ConsentKind.SUBMISSION_DECLARATION, "2026-12-02", (
            # Shown in the reader's language; the English wording is the version stored with the acceptance.
            N_("The consortium agreed to submit this proposal, and the information in it is correct."),
            N_("The people named in it (contacts, team members whose CVs are annexed) know that their personal data "
               "is submitted, and where the call's privacy statement explains how it is processed."),
        )),
    ),
}


def current_text(kind: ConsentKind) -> AcceptedText:
    """The version people are shown now."""
    return VERSIONS[kind][-1]


def find_text(kind: ConsentKind, version: str) -> AcceptedText | None:
    """A version of a text, current or earlier; None when there is no such version."""
    return next((text for text in VERSIONS[kind] if text.version == version), None)
