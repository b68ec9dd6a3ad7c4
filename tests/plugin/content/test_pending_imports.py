"""Uploads waiting for confirmation: in the database (any process may confirm), bound to their
org and user, short-lived, named by a token only whose hash is stored. On SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from content_catalog.database import session_factory
from content_catalog.tables.catalog_tables import StagedImportRow
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
def uploads(engine, clock):
    return PendingImports(session_factory(engine), ttl_seconds=60, clock=clock)


def stored_hashes(engine) -> set[str]:
    with session_factory(engine)() as session:
        return set(session.scalars(select(StagedImportRow.token_hash)))


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


def test_another_process_confirms_what_one_process_staged(uploads, engine, clock):
    token = save(uploads, data=b"id,title\nm1,One\n")
    elsewhere = PendingImports(session_factory(engine), ttl_seconds=60, clock=clock)
    assert elsewhere.load(token, org_id=ORG, user_id=USER).data == b"id,title\nm1,One\n"


def test_only_the_tokens_hash_is_stored(uploads, engine):
    token = save(uploads)
    assert stored_hashes(engine) == {hashlib.sha256(token.encode()).hexdigest()}


@pytest.mark.parametrize("org_id, user_id", [(OTHER_ORG, USER), (ORG, "0055e00000OTHER")])
def test_another_org_or_user_cannot_load_an_upload(uploads, org_id, user_id):
    token = save(uploads)
    with pytest.raises(UploadGone):
        uploads.load(token, org_id=org_id, user_id=user_id)


def test_an_upload_expires_and_is_swept_by_the_next_save(uploads, clock, engine):
    old = save(uploads)
    clock.now += 61
    with pytest.raises(UploadGone):
        uploads.load(old, org_id=ORG, user_id=USER)
    fresh = save(uploads)
    assert stored_hashes(engine) == {hashlib.sha256(fresh.encode()).hexdigest()}


def test_a_discarded_upload_is_gone(uploads):
    token = save(uploads)
    uploads.discard(token)
    with pytest.raises(UploadGone):
        uploads.load(token, org_id=ORG, user_id=USER)


@pytest.mark.parametrize("token", ["", "../../etc/passwd", "a" * 42, "a" * 43 + "/"])
def test_a_malformed_token_is_refused_before_any_lookup(uploads, token):
    with pytest.raises(UploadGone):
        uploads.load(token, org_id=ORG, user_id=USER)
    uploads.discard(token)  # no error, nothing removed
