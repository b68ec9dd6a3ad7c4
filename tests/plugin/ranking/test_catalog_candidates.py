"""The catalog as rankers read it (``catalog_candidates``, plain rows for speed) is exactly the
published modules as the repository reads them (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

from content_catalog.database import session_factory
from content_catalog.history import CatalogHistory
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import Audience, ModuleKind, ModuleStatus
from plugin.ranking.candidates import candidate_from_module, catalog_candidates

ORG, OTHER = "00DA0000000AaaaMAC", "00DB0000000BbbbMAC"


def test_candidates_are_the_published_modules_as_the_repository_reads_them(
    engine, module_factory, today
):
    sessions = session_factory(engine)
    modules = [
        module_factory("c-tagged", tags={"industry": ["Healthcare", "Banking"],
                                         "buyer_role": ["Technical Buyer", "Economic Buyer"],
                                         "journey_phase": "buying"},
                       summary="Two industries.", body="Body *text*.",
                       kind=ModuleKind.BUSINESS_CASE_TEMPLATE, audience=Audience.INTERNAL,
                       review_by=today + timedelta(days=30)),
        module_factory("a-untagged"),
        module_factory("b-draft", status=ModuleStatus.DRAFT, tags={"industry": "Banking"}),
        module_factory("d-retired", status=ModuleStatus.RETIRED),
    ]
    with sessions.begin() as session:
        for org in (ORG, OTHER):
            ensure_org(session, org, org)
        CatalogRepository(session, ORG).upsert_many(modules)
        CatalogRepository(session, OTHER).upsert_many([module_factory("z-other-org")])
    with sessions.begin() as session:  # a later edit keeps the first publication date
        CatalogRepository(session, ORG).upsert_many([module_factory("a-untagged", title="New")])

    with sessions() as session:
        first_published = CatalogHistory(session, ORG).first_published()
        expected = [candidate_from_module(m, first_published.get(m.key))
                    for m in CatalogRepository(session, ORG).published()]
        candidates = catalog_candidates(session, ORG)
    assert candidates == expected
    assert [c.module_id for c in candidates] == ["a-untagged", "c-tagged"]
    assert list(candidates[1].tags) == sorted(candidates[1].tags)
