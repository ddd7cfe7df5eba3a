"""Stored files, addressed by the SHA-256 of their content.

The one place that touches stored bytes: a local folder by default (`STORAGE_DIR`), outside any static folder.
Another backend (S3-compatible) implements the same functions behind `get_storage()`. Files are deleted only by the
erasure of personal data (app/services/erasure.py), when no record refers to them any more.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

CHUNK = 1024 * 1024
_KEY = re.compile(r"^[0-9a-f]{64}$")


class Storage(Protocol):
    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> bool: ...
    def path(self, key: str) -> Path: ...


class TooLarge(Exception):
    """The stream was longer than allowed; nothing was stored."""


class LocalStorage:
    """Files under root/ab/cd/<sha256>; written to a temporary file first, then renamed atomically."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]:
        """Store a stream, reading at most max_bytes + 1 bytes of it; returns (key, size)."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(f"more than {max_bytes} bytes")
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            key = digest.hexdigest()
            target = self.path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            return key, size
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def put_bytes(self, data: bytes) -> str:
        import io

        key, _ = self.put_stream(io.BytesIO(data))
        return key

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        """Remove a stored file (erasure, retention); False when it was not there."""
        path = self.path(key)
        if not path.is_file():
            return False
        path.unlink()
        return True


def get_storage() -> Storage:
    return LocalStorage(current_app.config["STORAGE_DIR"])
