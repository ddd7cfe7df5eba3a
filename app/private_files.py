"""Files and folders the app creates for itself alone: the SQLite database, backups, stored files, the erasure register.

They hold password hashes and personal data, so they are created readable by the app's own user only (files 0600,
folders 0700) from their first byte, whatever the process's umask: never created open and tightened afterwards.
Files and folders that exist already (made by an operator, perhaps shared with a backup agent's group on purpose)
keep their modes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


def make_private_folder(folder: Path) -> None:
    """Create `folder` and any missing parent, each 0700; existing ones are left as they are."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it in between: theirs stands
            created.mkdir(mode=PRIVATE_FOLDER_MODE)
            os.chmod(created, PRIVATE_FOLDER_MODE)  # mkdir's mode passes through the umask (a 0o7xx umask)


def create_private_file(path: Path) -> bool:
    """Create `path` empty and 0600 if it does not exist (its folder too, 0700); True when it was created here."""
    make_private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


@contextlib.contextmanager
def replacing_private_file(target: Path) -> Iterator[BinaryIO]:
    """Write a whole new file at `target`, 0600: into a temporary file beside it, renamed over `target` only once
    the block ends without error, so a failed write leaves no half file and never a readable one."""
    make_private_folder(target.parent)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")  # mkstemp: 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
