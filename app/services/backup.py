"""Backups of the database and the stored files, restorable into an empty instance on SQLite or PostgreSQL.

A backup is a tar.gz with `manifest.json` (format, table row counts, the SHA-256 of every file), `tables.json`
(every row of every table, in dependency order, with exact Decimal and UTC time text) and `files/<sha256>`.
The format is database-neutral: a SQLite backup restores into PostgreSQL and back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.models.types import UTCDateTime
from app.private_files import replacing_private_file
from app.storage import get_storage

FORMAT = "eurogrants-backup/1"


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "$decimal":
            return Decimal(text)
        if tag == "$datetime":
            return datetime.fromisoformat(text)
        if tag == "$date":
            return date.fromisoformat(text)
        if tag == "$bytes":
            return base64.b64decode(text)
    return value


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def _referenced_file_keys(rows: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Storage keys are SHA-256 hex strings kept in columns named sha256 or *_key."""
    keys = set()
    storage = get_storage()
    for table_rows in rows.values():
        for row in table_rows:
            for column, value in row.items():
                if (column == "sha256" or column.endswith("storage_key") or column.endswith("_sha256")) and (
                    isinstance(value, str) and len(value) == 64 and storage.exists(value)
                ):
                    keys.add(value)
    return keys


def create_backup(target: Path) -> dict[str, Any]:
    """Write a backup to `target` (a .tar.gz); returns its manifest. Reads in one transaction."""
    rows: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in _tables():
            order = list(table.primary_key.columns) or list(table.columns)
            result = connection.execute(sa.select(table).order_by(*order))
            rows[table.name] = [{k: _encode(v) for k, v in row._mapping.items()} for row in result]
    storage = get_storage()
    keys = sorted(_referenced_file_keys(rows))
    files = {}
    # The archive holds password hashes and personal data: 0600 in a 0700 folder, and no half archive on failure.
    with replacing_private_file(target) as handle, tarfile.open(fileobj=handle, mode="w:gz") as archive:
        for key in keys:
            data = storage.read(key)
            if hashlib.sha256(data).hexdigest() != key:
                raise BackupError(f"stored file {key} does not match its hash")
            files[key] = len(data)
            _add(archive, f"files/{key}", data)
        tables_json = json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            # How many erasures the register held: a restore erases again those made after the backup.
            "erasures": len(rows.get("personal_data_erasures", [])),
            "tables": {name: len(table_rows) for name, table_rows in rows.items()},
            "tables_sha256": hashlib.sha256(tables_json).hexdigest(),
            "files": files,
        }
        _add(archive, "tables.json", tables_json)
        _add(archive, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def restore_backup(source: Path) -> dict[str, Any]:
    """Load a backup into an EMPTY database and storage; refuses to mix it with existing data."""
    with tarfile.open(source, "r:gz") as archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        manifest: dict[str, Any] = json.loads(_read(archive, members, "manifest.json"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"not a Eurogrants backup (format {manifest.get('format')!r})")
        tables_json = _read(archive, members, "tables.json")
        if hashlib.sha256(tables_json).hexdigest() != manifest["tables_sha256"]:
            raise BackupError("tables.json does not match the manifest: the backup is damaged")
        rows: dict[str, list[dict[str, Any]]] = json.loads(tables_json)
        with db.engine.connect() as connection:
            for table in _tables():
                if connection.scalar(sa.select(sa.func.count()).select_from(table)):
                    raise BackupError(f"the database is not empty (table {table.name}); restore needs an empty one")
        storage = get_storage()
        for key in manifest["files"]:
            data = _read(archive, members, f"files/{key}")
            if hashlib.sha256(data).hexdigest() != key:
                raise BackupError(f"file {key} in the backup does not match its hash")
            storage.put_bytes(data)
    with db.engine.begin() as connection:
        for table in _tables():
            table_rows = rows.get(table.name, [])
            if table_rows:
                connection.execute(table.insert(), [_row_for(table, row) for row in table_rows])
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
    return manifest


def _read(archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> bytes:
    if name not in members:
        raise BackupError(f"{name} is missing from the backup")
    handle = archive.extractfile(members[name])
    if handle is None:
        raise BackupError(f"{name} cannot be read")
    return handle.read()


def _row_for(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for column in table.columns:
        value = _decode(row.get(column.name))
        if isinstance(column.type, UTCDateTime) and isinstance(value, datetime) and value.tzinfo is None:
            raise BackupError(f"naive time in {table.name}.{column.name}")
        values[column.name] = value
    return values


def _reset_sequences(connection: sa.Connection) -> None:
    for table in _tables():
        if "id" in table.columns and table.columns["id"].autoincrement is not False:
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - names from metadata
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"
            ))


def erase_again_after_restore() -> list[dict[str, Any]]:
    """Erase again what the erasure register (the file ERASURE_REGISTER, outside the database) names and the restored
    database does not: the backup was made before those erasures. Returns the entries applied; the caller commits."""
    from app.privacy.register import read_register
    from app.services.retention import reapply_erasures

    return reapply_erasures(read_register())
