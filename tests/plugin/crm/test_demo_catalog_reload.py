"""Loading the demo again refreshes the bundled modules nobody touched and never overwrites one
a person edited."""
from __future__ import annotations

import dataclasses

from content_catalog.database import session_factory
from content_catalog.editing import ModuleEditor
from content_catalog.modules import ModuleInput
from content_catalog.repository import CatalogRepository
from plugin.crm.demo_org import DEMO_LOADER, DEMO_ORG_ID, DemoCatalogLoad, load_demo_catalog


def _as_input(module) -> ModuleInput:
    return ModuleInput(**{f.name: getattr(module, f.name) for f in dataclasses.fields(ModuleInput)})


def test_a_second_load_keeps_a_leads_edit_and_refreshes_untouched_modules(engine, taxonomy):
    sessions = session_factory(engine)
    first = load_demo_catalog(engine, sessions, taxonomy)
    assert first.created == 70 and first.kept == 0
    with sessions.begin() as session:
        catalog = CatalogRepository(session, DEMO_ORG_ID)
        edited, stale = sorted(m.key for m in catalog.list())[:2]
        module = catalog.get(edited)
        ModuleEditor(session, DEMO_ORG_ID, "Demo enablement lead").update(
            edited, dataclasses.replace(_as_input(module), title="Our own kickoff email"),
            expected_version=module.version)
        # An older bundled text of another module, as an earlier release's loader left it.
        older = dataclasses.replace(_as_input(catalog.get(stale)), title="Last year's wording")
        catalog.upsert_many([older], actor=DEMO_LOADER)

    again = load_demo_catalog(engine, sessions, taxonomy)

    assert again == DemoCatalogLoad(created=0, updated=1, unchanged=68, kept=1)
    with sessions() as session:
        catalog = CatalogRepository(session, DEMO_ORG_ID)
        assert catalog.get(edited).title == "Our own kickoff email"
        assert catalog.get(stale).title != "Last year's wording"


def test_loading_twice_changes_nothing(engine, taxonomy):
    sessions = session_factory(engine)
    load_demo_catalog(engine, sessions, taxonomy)
    assert load_demo_catalog(engine, sessions, taxonomy) == DemoCatalogLoad(unchanged=70)
