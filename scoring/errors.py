"""Errors raised by the scoring core: one base class, and the input error that names where it is."""

from __future__ import annotations


class ScoringError(Exception):
    """Base class of every error raised by `scoring`."""


class InvalidInput(ScoringError):
    """The input breaks the contract of selection-rules.md; names the proposal (when known) and the field."""

    def __init__(self, detail: str, *, field: str, proposal_id: str | None = None) -> None:
        self.detail = detail
        self.field = field
        self.proposal_id = proposal_id
        where = f"field {field!r}" if proposal_id is None else f"proposal {proposal_id!r}, field {field!r}"
        super().__init__(f"{where}: {detail}")
