"""Stored files, addressed by the SHA-256 of their content.

The one place that touches stored bytes; everything else goes through `get_storage()` with bytes and streams,
never a file path. Two backends, chosen by `STORAGE_BACKEND`:

- `local` (default): a folder (`STORAGE_DIR`) outside any static folder, files under `ab/cd/<sha256>`;
- `s3`: an S3-compatible bucket (`S3_BUCKET`, `S3_PREFIX`, `S3_ENDPOINT_URL`, `S3_REGION`; credentials from the
  environment as boto3 reads them: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, or an instance role), with the
  same keys under the prefix. Several app servers and workers then see the same files.

Both read an upload once, hashing it and enforcing the size limit while it streams, so a file that is too large
is refused after reading at most `max_bytes + 1` bytes and nothing is kept of it. Files are deleted only by the
erasure of personal data (app/services/erasure.py), when no record refers to them any more.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from flask import Flask, current_app

from app.private_files import make_private_folder

CHUNK = 1024 * 1024
# S3 multipart parts must be at least 5 MiB (but the last); a file that fits in one part is one PUT.
S3_PART = 8 * 1024 * 1024
_KEY = re.compile(r"^[0-9a-f]{64}$")


class Storage(Protocol):
    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> None: ...


class TooLarge(Exception):
    """The stream was longer than allowed; nothing was stored."""


class StorageUnavailable(Exception):
    """The storage cannot be reached or written (the health check says why)."""


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _relative(key: str) -> str:
    """ab/cd/<sha256>: a folder level per byte keeps directories (and S3 listings) small."""
    return f"{key[:2]}/{key[2:4]}/{_check_key(key)}"


def _read_limited(stream: BinaryIO, max_bytes: int | None, size_so_far: int) -> bytes:
    chunk = stream.read(CHUNK)
    if max_bytes is not None and size_so_far + len(chunk) > max_bytes:
        raise TooLarge(f"more than {max_bytes} bytes")
    return chunk


class LocalStorage:
    """Files under root/ab/cd/<sha256>; written to a temporary file first, then renamed atomically."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def file_path(self, key: str) -> Path:
        """Where the local backend keeps a key (for its own use and its tests; not part of `Storage`)."""
        return self.root / _relative(key)

    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]:
        """Store a stream, reading at most max_bytes + 1 bytes of it; returns (key, size)."""
        make_private_folder(self.root)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := _read_limited(stream, max_bytes, size):
                    size += len(chunk)
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            key = digest.hexdigest()
            target = self.file_path(key)
            make_private_folder(target.parent)
            os.replace(tmp_name, target)
            return key, size
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def put_bytes(self, data: bytes) -> str:
        key, _ = self.put_stream(io.BytesIO(data))
        return key

    def open(self, key: str) -> BinaryIO:
        return self.file_path(key).open("rb")

    def read(self, key: str) -> bytes:
        return self.file_path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.file_path(key).is_file()

    def delete(self, key: str) -> None:
        self.file_path(key).unlink(missing_ok=True)

    def check(self) -> None:
        """The folder exists (or can be made) and takes a write."""
        try:
            make_private_folder(self.root)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".health-"):
                pass
        except OSError as error:
            raise StorageUnavailable(f"{self.root}: {error}") from error


class S3Storage:
    """Objects <prefix>ab/cd/<sha256> in one bucket of an S3-compatible service (AWS, MinIO, Ceph, moto)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def object_key(self, key: str) -> str:
        return self.prefix + _relative(key)

    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]:
        """Stream to the bucket, reading at most max_bytes + 1 bytes; returns (key, size).

        Up to one part (8 MiB) is held in memory and written with one PUT under its final key. A longer stream
        goes up as a multipart upload under a temporary key while it is hashed, then is copied to its key (the
        key is the hash, known only at the end); a stream that turns out too large aborts the upload.
        """
        digest = hashlib.sha256()
        size = 0
        buffer = bytearray()
        upload: dict[str, Any] | None = None
        parts: list[dict[str, Any]] = []
        try:
            while chunk := _read_limited(stream, max_bytes, size):
                size += len(chunk)
                digest.update(chunk)
                buffer += chunk
                if len(buffer) >= S3_PART:
                    if upload is None:
                        temporary = f"{self.prefix}uploads/{uuid.uuid4().hex}"
                        upload = {"Key": temporary, "UploadId": self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=temporary)["UploadId"]}
                    parts.append(self._upload_part(upload, len(parts) + 1, bytes(buffer)))
                    buffer.clear()
            key = digest.hexdigest()
            if upload is None:
                self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=bytes(buffer))
                return key, size
            if buffer:
                parts.append(self._upload_part(upload, len(parts) + 1, bytes(buffer)))
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                  UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
            finished, upload = upload, None
            self.client.copy_object(Bucket=self.bucket, Key=self.object_key(key),
                                    CopySource={"Bucket": self.bucket, "Key": finished["Key"]})
            self.client.delete_object(Bucket=self.bucket, Key=finished["Key"])
            return key, size
        except BaseException:
            if upload is not None:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                   UploadId=upload["UploadId"])
            raise

    def _upload_part(self, upload: dict[str, Any], number: int, data: bytes) -> dict[str, Any]:
        answer = self.client.upload_part(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"],
                                         PartNumber=number, Body=data)
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def put_bytes(self, data: bytes) -> str:
        key, _ = self.put_stream(io.BytesIO(data))
        return key

    def open(self, key: str) -> BinaryIO:
        """A stream of the object's bytes (read as they arrive; close it when done)."""
        try:
            body: BinaryIO = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(key) from error
        return body

    def read(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def check(self) -> None:
        """The bucket answers (HEAD bucket)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(f"s3://{self.bucket}: {error}") from error


def s3_client(config: Any) -> Any:
    """A boto3 S3 client for the app's settings; credentials come from the environment, as boto3 reads them."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.session.Session().client(
        "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None, region_name=config.get("S3_REGION") or None,
        config=BotoConfig(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                          s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"}),
    )


def storage_for(app: Flask) -> Storage:
    """The app's storage backend (one S3 client per app and process: a client is costly to make)."""
    backend = str(app.config.get("STORAGE_BACKEND") or "local")
    if backend == "local":
        return LocalStorage(app.config["STORAGE_DIR"])
    if backend != "s3":
        raise RuntimeError(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}")
    cached = app.extensions.get("eurogrants_s3")
    if cached is None or cached[0] != os.getpid():  # a client must not cross a fork
        cached = (os.getpid(), S3Storage(s3_client(app.config), app.config["S3_BUCKET"],
                                         app.config.get("S3_PREFIX", "")))
        app.extensions["eurogrants_s3"] = cached
    storage: Storage = cached[1]
    return storage


def get_storage() -> Storage:
    return storage_for(current_app._get_current_object())  # type: ignore[attr-defined]  # typed as Flask, it is a proxy
