"""Uploads waiting for confirmation: private, bound to their org and user, short-lived."""
from __future__ import annotations

import stat

import pytest

from plugin.content.pending_imports import PendingImports, UploadGone

ORG, OTHER_ORG, USER = "00D5e00000DEMO1AAA", "00D5e00000OTHERAAA", "0055e00000DEMOL"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def uploads(tmp_path, clock):
    return PendingImports(tmp_path / "pending", ttl_seconds=60, clock=clock)


def save(uploads, org_id=ORG, data=b"id,title\n"):
    return uploads.save(org_id=org_id, user_id=USER, filename="modules.csv", fmt="csv", data=data)


def test_an_upload_comes_back_byte_for_byte_to_its_org_and_user(uploads):
    token = save(uploads, data=b"\xef\xbb\xbfid,title\r\n")
    upload = uploads.load(token, org_id=ORG, user_id=USER)
    assert (upload.data, upload.format, upload.filename) == (
        b"\xef\xbb\xbfid,title\r\n",
        "csv",
        "modules.csv",
    )


def test_files_are_readable_by_their_owner_only(uploads):
    save(uploads)
    assert stat.S_IMODE(uploads.directory.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in uploads.directory.iterdir()} == {0o600}


@pytest.mark.parametrize("org_id, user_id", [(OTHER_ORG, USER), (ORG, "0055e00000OTHER")])
def test_another_org_or_user_cannot_load_an_upload(uploads, org_id, user_id):
    token = save(uploads)
    with pytest.raises(UploadGone):
        uploads.load(token, org_id=org_id, user_id=user_id)


def test_an_upload_expires_and_is_swept_by_the_next_save(uploads, clock):
    old = save(uploads)
    clock.now += 61
    with pytest.raises(UploadGone):
        uploads.load(old, org_id=ORG, user_id=USER)
    save(uploads)
    assert not list(uploads.directory.glob(f"{old}.*"))


def test_a_discarded_upload_is_gone(uploads):
    token = save(uploads)
    uploads.discard(token)
    with pytest.raises(UploadGone):
        uploads.load(token, org_id=ORG, user_id=USER)


@pytest.mark.parametrize("token", ["", "../../etc/passwd", "a" * 42, "a" * 43 + "/"])
def test_a_malformed_token_never_reaches_the_file_system(uploads, token):
    with pytest.raises(UploadGone):
        uploads.load(token, org_id=ORG, user_id=USER)
    uploads.discard(token)  # no error, nothing removed
