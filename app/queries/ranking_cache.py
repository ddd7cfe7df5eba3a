"""The live ranking of the officer's ranking page, scored once and kept in the process while nothing it reads changes.

Scoring 5,000 proposals on every page cost about 600 ms of CPU, half of it in the garbage collections that its
hundred thousand short-lived objects set off; showing a kept ranking costs a tenth of that. The page keeps the
scored ranking per call and options, and scores again whenever anything it was scored on differs:

- the data, fingerprinted by the database itself: the first row of the statement that reads the proposals and their
  consensus scores holds every column of every row that follows, written out in full (texts with their length,
  numbers and codes with a terminator, so no two different sets of rows read alike; rows read in another order only
  cost a scoring). A page whose fingerprint matches reads no further; another reads on, in the same statement.
  Whatever process, worker or machine changed the rows, even in plain SQL, the next page sees it: nothing is
  invalidated in the process, nothing relies on the writers' clocks or on a service remembering to say so;
- the call's rules with the options asked for (criteria, thresholds, weights, budget, cap, tie-break, policy,
  reserve, coverage), whether the call is still open at the time of the request, and the tie resolutions in force
  (loaded on every request: the page shows who made them).

The entries kept are never changed by their readers (the page filters, sorts and cuts them into new lists).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.clock import utcnow
from app.enums import CallState
from app.extensions import db
from app.models import Call, TieResolution
from app.queries.outcomes import RunOutcomes
from app.queries.ranking import Ranking, RankingEntry, live_ranking, live_ranking_of
from app.queries.selection import (
    Readiness,
    SelectionOptions,
    active_tie_resolutions,
    call_data_of,
    proposals_statement,
    rules_document,
    scores_statement,
)

CACHE_SIZE = 4  # rankings kept per process (one of 5,000 proposals holds about 15 MB): the calls being ranked now
_EXTENSION = "eurogrants.ranking_cache"
_HEAD, _PROPOSAL, _SCORE = 0, 1, 2  # the parts of the statement, in the order it returns them


@dataclass(frozen=True)
class _Scored:
    """What scoring the call's data gave, without anything bound to a database session."""

    fingerprint: str
    call_open: bool  # as the ranking was scored (the deadline may pass between two requests, or during one)
    entries: list[RankingEntry]
    readiness: Readiness
    outcomes: RunOutcomes | None
    applied: tuple[int, ...]
    stale: tuple[int, ...]
    error: str | None


class RankingCache:
    """The scored rankings of one app, by call, rules and options (least recently used dropped first)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], _Scored] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Scored | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[Any, ...], item: _Scored) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def ranking_cache() -> RankingCache:
    """The current app's cache of scored rankings."""
    rankings: RankingCache = current_app.extensions.setdefault(_EXTENSION, RankingCache())
    return rankings


def _written(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """A value as text that no other value (or NULL) writes the same way, whatever its neighbours: "~;" for NULL;
    text as its length, a colon and itself; a number or a code (never holding ";" or "~") as itself and ";"."""
    text = sa.cast(column, sa.String)
    if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum):
        return sa.func.coalesce(sa.cast(sa.func.length(text), sa.String) + ":" + text, "~;")
    return sa.func.coalesce(text, "~") + ";"


def _row_text(mark: str, columns: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[str]:
    written: sa.ColumnElement[str] = sa.literal(mark, sa.String)
    for column in columns:
        written = written + _written(column)
    return written


_CALL_ID = "ranking_call_id"


@cache
def ranking_statement() -> sa.CompoundSelect[*tuple[Any, ...]]:
    """One statement (of the call whose id is the `ranking_call_id` parameter): a first row holding the fingerprint
    of the call's ranking data (every column of every row below, written out), then a row per proposal and a row per
    consensus score (`part` tells which). Built once: its compiled form is then SQLAlchemy's to keep."""
    call_id = sa.bindparam(_CALL_ID, type_=sa.Integer)
    proposals = proposals_statement(call_id).subquery("ranked_proposals")
    scores = scores_statement(call_id).subquery("ranked_scores")
    proposal_columns = [column for column in proposals.c if column.key != "overall_comment"]
    score_columns = [scores.c.proposal_id, scores.c.key, scores.c.score]
    text = sa.union_all(
        sa.select(_row_text("P", proposal_columns).label("row_text")),
        sa.select(_row_text("S", score_columns).label("row_text")),
    ).subquery("ranking_data")
    fingerprint = sa.func.aggregate_strings(text.c.row_text, "")

    def columns(values: dict[str, sa.ColumnElement[Any]], part: int,
                digest: sa.ColumnElement[Any] | None = None) -> list[sa.ColumnElement[Any]]:
        # Typed NULLs where a part has nothing: PostgreSQL matches the parts' types column by column.
        typed = {**{c.key: c for c in proposals.c}, "key": scores.c.key, "score": scores.c.score}
        return [sa.literal(part).label("part"),
                *(values.get(name, _null_of(column.type)).label(name)
                  for name, column in typed.items()),
                (digest if digest is not None else sa.cast(sa.null(), sa.String)).label("fingerprint")]

    return sa.union_all(
        sa.select(*columns({}, _HEAD, fingerprint)).select_from(text),
        sa.select(*columns({c.key: c for c in proposals.c}, _PROPOSAL)),
        sa.select(*columns({"id": scores.c.proposal_id, "key": scores.c.key, "score": scores.c.score}, _SCORE)),
    )


def _null_of(kind: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any]:
    return sa.null() if isinstance(kind, sa.types.NullType) else sa.cast(sa.null(), kind)


def _key(call: Call, options: SelectionOptions, resolutions: list[TieResolution]) -> tuple[Any, ...]:
    rules = json.dumps(rules_document(call, options), sort_keys=True)
    return (call.id, call.coverage_field, rules,
            tuple((resolution.id, tuple(resolution.ordered_references)) for resolution in resolutions))


def cached_live_ranking(call: Call, options: SelectionOptions | None = None) -> Ranking:
    """The call's live ranking with these options (the call's by default), as `live_ranking` scores it: scored
    again whenever anything it reads differs from what the kept one was scored on (module docstring). Two statements
    whatever the size of the call and whether it is scored again: the tie resolutions and `ranking_statement`."""
    options = options or SelectionOptions.defaults(call)
    if call.is_assessed:  # the fingerprint does not read assessments; such calls are a few dozen proposals
        return live_ranking(call, options)
    resolutions = active_tie_resolutions(call)
    key = _key(call, options, resolutions)
    rankings = ranking_cache()
    kept = rankings.get(key)
    db.session.flush()  # the statement runs on the session's connection, past its autoflush
    result = db.session.connection().execution_options(stream_results=True).execute(
        ranking_statement(), {_CALL_ID: call.id})
    fingerprint: str | None = None
    proposals: list[Any] = []
    scores: list[tuple[Any, ...]] = []
    with result:
        for row in result:
            if row.part == _HEAD:
                fingerprint = _digest(row.fingerprint)
                if (kept is not None and kept.fingerprint == fingerprint and not proposals and not scores
                        and kept.call_open == (call.state(utcnow()) is not CallState.CLOSED)):
                    return _ranking(call, options, kept, resolutions)
            elif row.part == _PROPOSAL:
                proposals.append(row)
            else:
                scores.append((row.id, row.key, row.score, None))
    ranking = live_ranking(call, options, data=call_data_of(call, proposals, scores, resolutions))
    # Never None (an aggregate always gives its row, a live ranking its readiness), but kept only when so.
    if fingerprint is None or ranking.readiness is None:
        return ranking
    scored = _Scored(fingerprint, ranking.readiness.call_open, ranking.entries, ranking.readiness, ranking.outcomes,
                     tuple(r.id for r in ranking.applied), tuple(r.id for r in ranking.stale), ranking.error)
    rankings.put(key, scored)
    return ranking


def _digest(text: str | None) -> str:
    return hashlib.blake2b((text or "").encode("utf-8"), digest_size=32).hexdigest()


def _ranking(call: Call, options: SelectionOptions, kept: _Scored, resolutions: list[TieResolution]) -> Ranking:
    """The kept ranking with this request's call and tie resolutions (the same ones it was scored with)."""
    by_id = {resolution.id: resolution for resolution in resolutions}
    return live_ranking_of(call, options, kept.entries, kept.readiness, kept.outcomes,
                           applied=[by_id[i] for i in kept.applied], stale=[by_id[i] for i in kept.stale],
                           error=kept.error)
