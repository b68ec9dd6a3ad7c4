"""Uploads waiting for confirmation: in the database (any process may confirm), bound to their
org and user, short-lived, named by a token only whose hash is stored. On SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from content_catalog.database import session_factory
from content_catalog.importing import ImportRejected
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import default_taxonomy
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


# -- applying a confirmed upload (what the import job does) --------------------------------------
CSV_HEADER = (b"id,title,summary,body,link,kind,audience,author,status,review_by,"
              b"tags.journey_phase,tags.buyer_role,tags.industry,tags.deal_stage,"
              b"tags.challenge,tags.deal_size\n")
GOOD = b"roi-brief,ROI brief,,Body,,value_message,client_facing,Ana,published,,buying,Economic Buyer,,,,\n"
NEW = b"renewal-story,Renewal story,,Body,,case_study,client_facing,Ana,draft,,,,,,,\n"
BAD = b"bad-role,Badly tagged,,Body,,case_study,client_facing,Ana,published,,buying,Chief Buyer,,,,\n"


def catalog(engine, org_id=ORG) -> list[str]:
    with session_factory(engine)() as session:
        return [module.key for module in CatalogRepository(session, org_id).list()]


@pytest.fixture
def org(engine):
    with session_factory(engine).begin() as session:
        ensure_org(session, ORG, ORG)


def apply(uploads, token, org_id=ORG):
    return uploads.apply(token, org_id=org_id, user_id=USER, actor="Ana",
                         taxonomy=default_taxonomy())


def test_applying_an_upload_imports_every_row_and_uses_the_upload_up(uploads, engine, org):
    token = save(uploads, data=CSV_HEADER + GOOD + NEW)
    applied = apply(uploads, token)
    assert (applied.filename, applied.result.created, applied.result.updated) == (
        "modules.csv", 2, 0)
    assert catalog(engine) == ["renewal-story", "roi-brief"]
    assert stored_hashes(engine) == set()
    with pytest.raises(UploadGone):
        apply(uploads, token)  # a second confirmation imports nothing more


def test_an_upload_with_a_row_now_invalid_writes_nothing_and_stays(uploads, engine, org):
    """The taxonomy may change between the dry run and the job: then no row is written (one
    transaction), and the upload is still there to be checked again."""
    token = save(uploads, data=CSV_HEADER + GOOD + BAD)
    with pytest.raises(ImportRejected) as rejected:
        apply(uploads, token)
    assert [error.row for error in rejected.value.errors] == [2]
    assert catalog(engine) == []
    assert len(stored_hashes(engine)) == 1


@pytest.mark.parametrize("later", [0, 61])
def test_another_orgs_or_an_expired_upload_is_not_applied(uploads, engine, org, clock, later):
    token = save(uploads, data=CSV_HEADER + GOOD)
    clock.now += later
    with pytest.raises(UploadGone):
        apply(uploads, token, org_id=OTHER_ORG if not later else ORG)
    assert catalog(engine) == [] and catalog(engine, OTHER_ORG) == []
