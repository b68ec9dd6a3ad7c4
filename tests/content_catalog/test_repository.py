"""The catalog store, on SQLite and on PostgreSQL (the ``engine`` fixture runs each test on both)."""
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from content_catalog.tables.catalog_tables import ModuleRow, ModuleTagRow, Org
from content_catalog.modules import ModuleInput
from content_catalog.repository import (
    CatalogRepository,
    ModuleNotFound,
    OrgNotFound,
    UpsertResult,
    ensure_org,
)
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"


@pytest.fixture
def catalog(session):
    ensure_org(session, ORG_A, "Acme")
    return CatalogRepository(session, ORG_A)


@pytest.fixture
def other_catalog(session):
    ensure_org(session, ORG_B, "Globex")
    return CatalogRepository(session, ORG_B)


def as_input(module) -> ModuleInput:
    return ModuleInput(**{f.name: getattr(module, f.name) for f in fields(ModuleInput)})


def test_created_module_reads_back_as_it_was_written(catalog, session, module_factory):
    module = module_factory(
        "bank-onboarding",
        title="Überzeugen — 成功事例 “quoted”",
        summary="Onboarding in 3 days instead of 30.",
        body="<b>Markup</b> {{ stays }} as text\n",
        kind=ModuleKind.BATTLE_CARD,
        audience=Audience.INTERNAL,
        link="https://example.com/x",
        review_by=date(2027, 2, 28),
        tags={"buyer_role": ["Technical Buyer", "Evaluator", "Business User"], "industry": "Banking"},
    )
    assert catalog.upsert_many([module]) == UpsertResult(created=1)
    session.commit()
    session.expunge_all()  # read from the database, not from objects still in memory

    stored = catalog.get("bank-onboarding")
    assert as_input(stored) == module
    assert stored.tag_values(Dimension.BUYER_ROLE) == ("Technical Buyer", "Evaluator", "Business User")
    assert stored.org_id == ORG_A and stored.version == 1
    assert stored.created_at is not None and stored.updated_at is not None


def test_identical_upsert_keeps_version(catalog, session, module_factory):
    module = module_factory("a", tags={"industry": "Banking", "buyer_role": ["Evaluator", "Influencer"]})
    catalog.upsert_many([module])
    session.commit()
    revision = catalog.revision()
    session.expunge_all()

    assert catalog.upsert_many([module]) == UpsertResult(unchanged=1)
    session.commit()
    assert catalog.get("a").version == 1
    assert catalog.revision() == revision


def test_changed_upsert_bumps_version_and_revision(catalog, session, module_factory):
    catalog.upsert_many([module_factory("a", title="First")])
    session.commit()
    revision = catalog.revision()

    assert catalog.upsert_many([module_factory("a", title="Second")]) == UpsertResult(updated=1)
    session.commit()
    session.expunge_all()
    stored = catalog.get("a")
    assert (stored.title, stored.version) == ("Second", 2)
    assert catalog.revision() > revision


def test_retagging_replaces_the_tags_and_keeps_the_ones_that_stay(catalog, session, module_factory):
    catalog.upsert_many([module_factory("a", tags={"industry": ["Banking", "Insurance"], "challenge": "growth"})])
    session.commit()
    retagged = module_factory("a", tags={"industry": ["Insurance", "Finance"], "deal_size": "large"})

    assert catalog.upsert_many([retagged]) == UpsertResult(updated=1)
    session.commit()
    session.expunge_all()
    stored = catalog.get("a")
    assert stored.tags == {Dimension.INDUSTRY: ("Insurance", "Finance"), Dimension.DEAL_SIZE: ("large",)}
    assert session.scalar(select(func.count()).select_from(ModuleTagRow)) == 3


def test_status_change_is_a_new_version(catalog, session, module_factory):
    catalog.upsert_many([module_factory("a", status=ModuleStatus.DRAFT)])
    catalog.upsert_many([module_factory("a", status=ModuleStatus.PUBLISHED)])
    session.commit()
    assert catalog.get("a").version == 2
    assert [m.key for m in catalog.published()] == ["a"]


def test_batch_counts_each_outcome_and_moves_the_revision_once(catalog, session, module_factory):
    catalog.upsert_many([module_factory("same"), module_factory("changed", title="Old")])
    session.commit()
    revision = catalog.revision()

    result = catalog.upsert_many(
        [module_factory("same"), module_factory("changed", title="New"), module_factory("new")]
    )
    assert result == UpsertResult(created=1, updated=1, unchanged=1)
    assert catalog.revision() == revision + 1
    assert catalog.count() == 3


def test_rolled_back_upsert_leaves_no_trace(catalog, session, module_factory):
    session.commit()  # the org exists
    catalog.upsert_many([module_factory("a"), module_factory("b")])
    session.rollback()
    assert catalog.count() == 0
    assert catalog.revision() == 0


def test_org_cannot_read_other_orgs_modules(catalog, other_catalog, session, module_factory):
    catalog.upsert_many([module_factory("shared-key", title="Acme's"), module_factory("acme-only")])
    other_catalog.upsert_many([module_factory("shared-key", title="Globex's")])
    session.commit()

    assert other_catalog.get("shared-key").title == "Globex's"
    assert catalog.get("shared-key").title == "Acme's"
    with pytest.raises(ModuleNotFound):
        other_catalog.get("acme-only")
    assert set(other_catalog.find(["shared-key", "acme-only"])) == {"shared-key"}
    assert other_catalog.find(["shared-key"])["shared-key"].org_id == ORG_B
    assert [m.key for m in other_catalog.list()] == ["shared-key"]
    assert [m.key for m in other_catalog.published()] == ["shared-key"]
    assert (catalog.count(), other_catalog.count()) == (2, 1)


def test_one_orgs_write_does_not_touch_another_orgs_catalog(catalog, other_catalog, session, module_factory):
    catalog.upsert_many([module_factory("shared-key", title="Acme's")])
    session.commit()
    revision_a = catalog.revision()

    other_catalog.upsert_many([module_factory("shared-key", title="Globex's")])
    other_catalog.upsert_many([module_factory("shared-key", title="Globex's v2")])
    session.commit()
    assert catalog.revision() == revision_a
    assert catalog.get("shared-key").version == 1
    assert other_catalog.get("shared-key").version == 2


def test_unknown_org_is_refused(session, module_factory):
    stranger = CatalogRepository(session, "00DZ0000000ZzzzMAC")
    with pytest.raises(OrgNotFound):
        stranger.revision()
    with pytest.raises(OrgNotFound):
        stranger.upsert_many([module_factory("a")])
    assert session.scalar(select(func.count()).select_from(ModuleRow)) == 0


def test_ensure_org_is_idempotent(session):
    first = ensure_org(session, ORG_A, "Acme")
    again = ensure_org(session, ORG_A, "Renamed")
    assert again is first and again.name == "Acme"
    assert session.scalar(select(func.count()).select_from(Org)) == 1


def test_missing_module_is_not_found(catalog):
    with pytest.raises(ModuleNotFound):
        catalog.get("nope")
    assert catalog.find([]) == {}
    assert catalog.find(["nope"]) == {}


def test_lists_filter_by_status_and_sort_by_key(catalog, module_factory):
    catalog.upsert_many([
        module_factory("zeta"),
        module_factory("alpha"),
        module_factory("draft", status=ModuleStatus.DRAFT),
        module_factory("retired", status=ModuleStatus.RETIRED),
        module_factory("beta-2"),
        module_factory("beta"),
    ])  # fmt: skip
    assert [m.key for m in catalog.published()] == ["alpha", "beta", "beta-2", "zeta"]
    assert [m.key for m in catalog.list(ModuleStatus.DRAFT)] == ["draft"]
    assert len(catalog.list()) == 6


def test_same_key_twice_in_one_org_is_impossible(catalog, session):
    session.add_all([
        ModuleRow(org_id=ORG_A, module_key="dup", title="1", kind="case_study", audience="internal",
                  author="x", status="draft", summary="", body="", version=1),
        ModuleRow(org_id=ORG_A, module_key="dup", title="2", kind="case_study", audience="internal",
                  author="x", status="draft", summary="", body="", version=1),
    ])  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()


def test_removing_an_org_removes_its_catalog(catalog, other_catalog, session, module_factory):
    catalog.upsert_many([module_factory("a", tags={"industry": "Banking"})])
    other_catalog.upsert_many([module_factory("b", tags={"industry": "Banking"})])
    catalog.record_unknown_values({"industry": ["Space Mining"]})
    session.commit()

    # Core DELETE, bypassing the ORM: the database's ON DELETE CASCADE must do the work.
    session.execute(delete(Org).where(Org.org_id == ORG_A))
    session.commit()
    session.expunge_all()
    assert session.scalars(select(ModuleRow.module_key)).all() == ["b"]
    assert session.scalar(select(func.count()).select_from(ModuleTagRow)) == 1
    assert catalog.unknown_values() == []


def test_unknown_crm_values_are_counted_per_org(catalog, other_catalog, session):
    catalog.record_unknown_values({"industry": ["Space Mining"], "buyer_role": ["Chief Wizard"]})
    session.commit()
    catalog.record_unknown_values({"industry": ["Space Mining"]})
    other_catalog.record_unknown_values({"industry": ["Space Mining"]})
    session.commit()

    counted = {(row.dimension, row.value): row.times_seen for row in catalog.unknown_values()}
    assert counted == {("buyer_role", "Chief Wizard"): 1, ("industry", "Space Mining"): 2}
    assert [(r.value, r.times_seen) for r in other_catalog.unknown_values()] == [("Space Mining", 1)]
    assert all(row.last_seen >= row.first_seen for row in catalog.unknown_values())


def test_repeated_unknown_value_in_one_report_is_counted_not_duplicated(catalog, session):
    catalog.record_unknown_values({"industry": ["Space Mining", "Space Mining"]})
    session.commit()
    assert [(r.value, r.times_seen) for r in catalog.unknown_values()] == [("Space Mining", 2)]


def test_overlong_unknown_value_is_cut_to_fit_the_column(catalog, session):
    catalog.record_unknown_values({"industry": ["x" * 300, "x" * 256]})
    session.commit()
    assert [(len(r.value), r.times_seen) for r in catalog.unknown_values()] == [(255, 2)]


def test_unknown_value_counts_add_up_in_one_upsert_per_org(catalog, other_catalog, session):
    early = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    late = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    catalog.record_unknown_values({"industry": ["Space Mining"]})
    session.commit()
    catalog.add_unknown_counts({("industry", "Space Mining"): 3, ("buyer_role", "Wizard"): 1},
                               late)
    catalog.add_unknown_counts({("industry", "Space Mining"): 2, ("industry", "x" * 300): 1},
                               early)  # counted late: the last sighting must not move back
    other_catalog.add_unknown_counts({("industry", "Space Mining"): 1}, early)
    session.commit()

    rows = {(r.dimension, r.value): r for r in catalog.unknown_values()}
    assert {key: row.times_seen for key, row in rows.items()} == {
        ("buyer_role", "Wizard"): 1, ("industry", "Space Mining"): 6, ("industry", "x" * 255): 1}
    assert rows[("buyer_role", "Wizard")].last_seen.replace(tzinfo=timezone.utc) == late
    assert rows[("industry", "Space Mining")].last_seen.replace(tzinfo=timezone.utc) >= late
    assert [(r.value, r.times_seen) for r in other_catalog.unknown_values()] == [("Space Mining", 1)]


def test_timestamps_read_back_as_utc_on_every_backend(catalog, session, module_factory):
    """SQLite stores no offset: the module must still come back as an aware UTC time, as on PG."""
    catalog.upsert_many([module_factory("a")])
    session.commit()
    session.expunge_all()
    stored = catalog.get("a")
    for moment in (stored.created_at, stored.updated_at):
        assert moment.utcoffset() == timedelta(0)
    assert datetime.now(timezone.utc) - stored.updated_at < timedelta(minutes=5)


def test_update_keeps_creation_time_and_moves_update_time(catalog, session, module_factory):
    catalog.upsert_many([module_factory("a", title="First")])
    session.commit()
    session.expunge_all()
    first = catalog.get("a")

    catalog.upsert_many([module_factory("a", title="Second")])
    session.commit()
    session.expunge_all()
    second = catalog.get("a")
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
