"""The storage suite, run against both backends: the local folder and S3 (moto's S3 server, a real HTTP server).

Uploads are content-addressed and streamed with the size limit enforced while reading; nothing outside
`app.storage` needs a file path.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage import S3_PART, LocalStorage, S3Storage, Storage, StorageUnavailable, TooLarge, s3_client
from scripts.cluster import MotoS3


class CountingStream(io.BytesIO):
    """A stream that records how much was read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    server = MotoS3(tmp_path_factory.mktemp("moto")).start()
    server.create_bucket("suite")
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    server: MotoS3 = request.getfixturevalue("s3_server")
    client = s3_client({"S3_ENDPOINT_URL": server.endpoint, "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path"})
    return S3Storage(client, "suite", prefix=f"test-{tmp_path.name}")


@pytest.fixture(autouse=True)
def _s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def test_a_file_is_stored_under_its_sha256_and_read_back(storage: Storage) -> None:
    data = b"%PDF-1.7 annex " * 1000
    key, size = storage.put_stream(io.BytesIO(data), max_bytes=len(data))
    assert (key, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert storage.exists(key)
    assert storage.read(key) == data
    with storage.open(key) as stream:
        assert stream.read(5) == b"%PDF-"
        assert stream.read() == data[5:]


def test_the_same_content_is_one_object(storage: Storage) -> None:
    assert storage.put_bytes(b"same") == storage.put_bytes(b"same")


def test_a_stream_over_the_limit_is_refused_after_reading_at_most_one_chunk_more(storage: Storage) -> None:
    data = b"x" * (3 * 1024 * 1024)
    stream = CountingStream(data)
    with pytest.raises(TooLarge):
        storage.put_stream(stream, max_bytes=1024 * 1024)
    assert stream.consumed <= 2 * 1024 * 1024
    assert not storage.exists(hashlib.sha256(data).hexdigest())
    assert not storage.exists(hashlib.sha256(data[: 1024 * 1024]).hexdigest())


def test_a_file_longer_than_one_part_streams_up_in_parts(storage: Storage) -> None:
    data = hashlib.shake_256(b"big").digest(S3_PART + 3 * 1024 * 1024)  # two parts on S3
    key, size = storage.put_stream(io.BytesIO(data), max_bytes=len(data))
    assert (key, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert storage.read(key) == data


def test_a_long_stream_over_the_limit_leaves_no_upload_behind(storage: Storage) -> None:
    data = b"y" * (S3_PART + 2 * 1024 * 1024)
    with pytest.raises(TooLarge):
        storage.put_stream(io.BytesIO(data), max_bytes=S3_PART + 1024 * 1024)
    if isinstance(storage, S3Storage):
        uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", [])
        assert [u for u in uploads if u["Key"].startswith(storage.prefix)] == []
        listed = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix).get("Contents", [])
        assert listed == []


def test_missing_keys_and_deletion(storage: Storage) -> None:
    key = storage.put_bytes(b"short-lived")
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    with pytest.raises(ValueError, match="not a storage key"):
        storage.exists("../../etc/passwd")


def test_the_health_check_sees_a_storage_that_cannot_be_used(storage: Storage, tmp_path: Path) -> None:
    storage.check()
    broken: Storage
    if isinstance(storage, LocalStorage):
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        broken = LocalStorage(blocker / "storage")
    else:
        broken = S3Storage(storage.client, "no-such-bucket")
    with pytest.raises(StorageUnavailable):
        broken.check()


def test_the_app_uses_s3_for_uploads_downloads_and_backups(app, s3_server: MotoS3, make_app, tmp_path: Path) -> None:
    """The real app on S3: an annex uploaded over the API streams to the bucket, is downloaded through the app
    after the access check (another organisation gets 404), and a backup carries the object."""
    import tarfile

    from app.enums import Role
    from app.extensions import db
    from app.services.accounts import issue_token
    from app.services.backup import create_backup
    from app.storage import get_storage
    from tests.factories import make_open_call, make_proposal, make_staff, pdf_bytes

    s3_app = make_app(STORAGE_BACKEND="s3", S3_BUCKET="suite", S3_PREFIX="app", S3_ENDPOINT_URL=s3_server.endpoint,
                      S3_REGION="us-east-1", S3_ADDRESSING_STYLE="path")
    with s3_app.app_context():
        call = make_open_call("S3-CALL")
        owner = make_staff(Role.APPLICANT, "owner@s3.test", organisation="Owner", country="LT")
        stranger = make_staff(Role.APPLICANT, "stranger@s3.test", organisation="Stranger", country="LT")
        proposal = make_proposal(call, owner, submitted=False)
        tokens = {"owner": issue_token(owner), "stranger": issue_token(stranger)}
        proposal_id = proposal.id
        db.session.commit()
    client = s3_app.test_client()
    data = pdf_bytes(2)
    uploaded = client.post(f"/api/v1/proposals/{proposal_id}/documents",
                           headers={"Authorization": f"Bearer {tokens['owner']}"},
                           data={"kind": "part_b", "file": (io.BytesIO(data), "part-b.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    document = uploaded.get_json()
    key = hashlib.sha256(data).hexdigest()
    with s3_app.app_context():
        storage = get_storage()
        assert isinstance(storage, S3Storage)
        listed = storage.client.list_objects_v2(Bucket="suite", Prefix="app/").get("Contents", [])
        assert f"app/{key[:2]}/{key[2:4]}/{key}" in {item["Key"] for item in listed}
    path = f"/api/v1/proposals/{proposal_id}/documents/{document['id']}"
    downloaded = client.get(path, headers={"Authorization": f"Bearer {tokens['owner']}"})
    assert downloaded.status_code == 200
    assert downloaded.data == data
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert client.get(path, headers={"Authorization": f"Bearer {tokens['stranger']}"}).status_code == 404
    with s3_app.app_context():
        manifest = create_backup(tmp_path / "backup.tar.gz")
    assert manifest["files"] == {key: len(data)}
    with tarfile.open(tmp_path / "backup.tar.gz") as archive:
        extracted = archive.extractfile(f"files/{key}")
        assert extracted is not None
        assert extracted.read() == data


def test_erasure_deletes_a_drafts_annex_from_the_bucket(app, s3_server: MotoS3, make_app) -> None:  # type: ignore[no-untyped-def]
    """On S3 too: the only member of an organisation erases their account, and their draft's annex leaves the
    bucket (through the storage module, as on the local folder), with the draft and its register entry."""
    import sqlalchemy as sa

    from app.enums import ErasureKind, Role
    from app.extensions import db
    from app.models import Erasure, Proposal
    from app.services.accounts import issue_token
    from app.storage import get_storage
    from tests.conftest import PASSWORD
    from tests.factories import make_open_call, make_proposal, make_staff, pdf_bytes

    s3_app = make_app(STORAGE_BACKEND="s3", S3_BUCKET="suite", S3_PREFIX="erasure", S3_ENDPOINT_URL=s3_server.endpoint,
                      S3_REGION="us-east-1", S3_ADDRESSING_STYLE="path")
    with s3_app.app_context():
        call = make_open_call("S3-ERASE")
        owner = make_staff(Role.APPLICANT, "solo@s3.test", organisation="Solo", country="LT")
        proposal = make_proposal(call, owner, submitted=False)
        token = issue_token(owner)
        proposal_id = proposal.id
        db.session.commit()
    client = s3_app.test_client()
    data = pdf_bytes(1)
    uploaded = client.post(f"/api/v1/proposals/{proposal_id}/documents", headers={"Authorization": f"Bearer {token}"},
                           data={"kind": "part_b", "file": (io.BytesIO(data), "part-b.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    key = hashlib.sha256(data).hexdigest()
    with s3_app.app_context():
        assert get_storage().exists(key)
    assert client.post("/auth/login", data={"email": "solo@s3.test", "password": PASSWORD}).status_code == 302
    erased = client.post("/account/erasure", data={"password": PASSWORD, "confirm": "y"})
    assert erased.status_code == 200
    with s3_app.app_context():
        storage = get_storage()
        assert isinstance(storage, S3Storage)
        assert not storage.exists(key)
        listed = storage.client.list_objects_v2(Bucket="suite", Prefix="erasure/").get("Contents", [])
        assert listed == []
        assert db.session.get(Proposal, proposal_id) is None
        draft = db.session.scalars(sa.select(Erasure).where(Erasure.kind == ErasureKind.DRAFT)).one()
        assert (draft.subject_id, draft.summary["stored_files"]) == (proposal_id, 1)  # the count the bucket gave
        assert db.session.scalars(sa.select(Erasure).where(Erasure.kind == ErasureKind.PERSON)).one()
