"""The erasure register outside the database: one JSON line per erasure (kind, subject id, label, rule, time; no
names), appended to the file ERASURE_REGISTER once the transaction that erased commits.

A backup restored into an empty database brings back what was erased after the backup was made; `flask backup
restore` reads this file and erases those subjects again (app/services/retention.py: reapply_erasures).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.private_files import create_private_file

_PENDING = "eurogrants.erasure_register"


def remember(session: Session, entry: dict[str, Any]) -> None:
    """Append `entry` to the register file when `session` commits (nothing if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(entry)


def register_path() -> Path:
    return Path(str(current_app.config["ERASURE_REGISTER"]))


def read_register(path: Path | None = None) -> list[dict[str, Any]]:
    """Every entry of the register file, oldest first (none when there is no file yet)."""
    path = path or register_path()
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entries.append(json.loads(line))
    return entries


def append(entries: list[dict[str, Any]], path: Path | None = None) -> None:
    """Add lines to the register file, flushed to disk before returning."""
    path = path or register_path()
    create_private_file(path)
    with path.open("a", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@event.listens_for(Session, "after_commit")
def _append_after_commit(session: Session) -> None:
    entries = session.info.pop(_PENDING, None)
    if entries:
        append(entries)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
