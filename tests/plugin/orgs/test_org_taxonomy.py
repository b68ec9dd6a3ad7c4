"""Each org's panels map through its own taxonomy: the defaults, plus the stages its admin mapped
to journey phases and its deal-size thresholds. The demo org keeps the defaults."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from content_catalog.database import upgrade
from content_catalog.importing import import_modules
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import DealSizeBands, Dimension, JourneyPhase, default_taxonomy
from plugin.app import create_app
from plugin.ranking.context_mapping import context_from_record
from plugin.crm.demo_org import demo_module_payloads
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.orgs.mapping import MappingInvalid, OrgMapping, parse_bands, parse_stage_phases
from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.records import OpportunityRecord
from plugin.settings import Settings

ACME = "00D5e000001AcmEEAS"
GLOBEX = "00D5e000002GlbXEAS"
PILOT = "Pilot Running"
MAPPED = OrgMapping(
    stage_phases=((PILOT, JourneyPhase.IMPLEMENTATION_ADOPTION), ("Closed Lost", JourneyPhase.AWARENESS)),
    deal_size_bands=DealSizeBands(medium_from=10_000, large_from=20_000),
)


def org(org_id: str, mapping: OrgMapping = OrgMapping()) -> ConfiguredOrg:
    host = "acme" if org_id == ACME else "globex"
    return ConfiguredOrg(host.title(), OrgConnection(org_id, f"https://{host}.my.salesforce.com",
                                                     canvas_secret="s3cret-canvas-value"), mapping=mapping)


# -- the mapping itself ---------------------------------------------------------------------------
def test_a_mapped_custom_stage_has_its_phase_and_joins_the_stage_picklist():
    taxonomy = MAPPED.taxonomy(default_taxonomy())
    assert taxonomy.phase_for_stage("pilot running") is JourneyPhase.IMPLEMENTATION_ADOPTION
    assert PILOT in taxonomy.spec(Dimension.DEAL_STAGE).allowed
    assert taxonomy.phase_for_stage("Closed Lost") is JourneyPhase.AWARENESS  # overrides the default
    assert taxonomy.phase_for_stage("Prospecting") is JourneyPhase.AWARENESS  # defaults stay
    assert default_taxonomy().phase_for_stage(PILOT) is None


def test_deal_size_bands_follow_the_orgs_thresholds():
    taxonomy = MAPPED.taxonomy(default_taxonomy())
    assert [taxonomy.deal_size_bands.band(a) for a in (9_999, 10_000, 20_000)] == ["small", "medium", "large"]
    assert default_taxonomy().deal_size_bands.band(20_000) == "small"


def test_mapping_a_stage_again_replaces_it_and_none_removes_it():
    mapping = MAPPED.with_stage("PILOT RUNNING", JourneyPhase.BUYING)
    assert mapping.phase_of(PILOT) is JourneyPhase.BUYING
    assert [name for name, _ in mapping.stage_phases].count("PILOT RUNNING") == 1
    assert mapping.with_stage(PILOT, None).phase_of(PILOT) is None


def test_the_mapping_survives_the_settings_json():
    assert OrgMapping.from_settings(MAPPED.to_settings()) == MAPPED
    assert OrgMapping.from_settings({}) == OrgMapping()


@pytest.mark.parametrize("raw", [
    {"Pilot": "deciding"}, {"": "buying"}, {"x" * 256: "buying"}, {"A\nB": "buying"},
    {"Pilot": "buying", "pilot": "awareness"}, ["Pilot"],
])  # fmt: skip
def test_a_bad_stage_mapping_is_refused_with_the_field_named(raw):
    with pytest.raises(MappingInvalid) as caught:
        parse_stage_phases(raw)
    assert caught.value.errors and all(e.field.startswith("stage_phases") for e in caught.value.errors)


@pytest.mark.parametrize("raw", [
    {"medium_from": 10, "large_from": 5}, {"medium_from": 0, "large_from": 5}, {"medium_from": "10", "large_from": 50},
    {"medium_from": float("nan"), "large_from": 50}, {"medium_from": 1, "large_from": 2, "huge_from": 3},
    {"medium_from": True, "large_from": 5}, [1, 2],
])  # fmt: skip
def test_bad_thresholds_are_refused(raw):
    with pytest.raises(MappingInvalid):
        parse_bands(raw)


# -- the service ----------------------------------------------------------------------------------
@pytest.fixture
def app(tmp_path):
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'taxonomy.sqlite3'}",
                        encryption_keys=SecretBox.new_key())
    app = create_app(settings, today=lambda: date(2026, 6, 15))
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    yield app
    svc.engine.dispose()


@pytest.fixture
def svc(app):
    return app.extensions["be_inspired"]


@pytest.fixture
def store(svc):
    return OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))


def test_each_org_gets_its_own_taxonomy_and_the_demo_org_the_default_in_its_stage_order(
    svc, store
):
    store.save(org(ACME, MAPPED))
    store.save(org(GLOBEX))
    assert svc.taxonomy_for(ACME).phase_for_stage(PILOT) is JourneyPhase.IMPLEMENTATION_ADOPTION
    assert svc.taxonomy_for(ACME[:15]).phase_for_stage(PILOT) is JourneyPhase.IMPLEMENTATION_ADOPTION
    assert svc.taxonomy_for(GLOBEX).phase_for_stage(PILOT) is None
    demo = svc.taxonomy_for(svc.demo_org.org_id)
    assert demo == replace(svc.taxonomy, stage_order=demo.stage_order)  # the default mapping
    assert demo.stage_order == tuple(stage.value for stage in svc.demo_org.stages())
    assert svc.taxonomy_for(svc.demo_org.org_id) is demo  # built once
    assert svc.taxonomy_for("not an org") is svc.taxonomy


def test_the_taxonomy_is_built_once_and_rebuilt_when_the_mapping_changes(svc, store):
    store.save(org(ACME, MAPPED))
    first = svc.taxonomy_for(ACME)
    assert svc.taxonomy_for(ACME) is first
    store.save(org(ACME, MAPPED.with_stage(PILOT, JourneyPhase.BUYING)))
    assert svc.taxonomy_for(ACME).phase_for_stage(PILOT) is JourneyPhase.BUYING


class PilotSource:
    """An org's source with one opportunity in a stage the org made up."""

    def __init__(self, org_id: str):
        self.org_id = org_id

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        return OpportunityRecord(opportunity_id, "Acme pilot", stage=PILOT, amount=15_000.0, industry="Banking")


def test_the_panel_maps_a_custom_stage_and_the_amount_through_the_orgs_taxonomy(svc, store):
    store.save(org(ACME, MAPPED))
    with svc.sessions.begin() as session:
        import_modules(session, ACME, demo_module_payloads(), svc.taxonomy)

    view = svc.panel_views.view(PilotSource(ACME), "0065e00000AbCdEAAV")

    context = view.mapped.context
    assert (context.stage, context.journey_phase, context.deal_size) == (PILOT, "implementation_adoption", "medium")
    assert "deal_stage" not in view.mapped.unknown
    reasons = {r for card in view.suggestions.client_facing for r in card.reasons}
    assert "Implementation & adoption phase" in reasons
    with svc.sessions() as session:
        assert CatalogRepository(session, ACME).unknown_values() == []


def test_without_a_mapping_the_same_stage_is_unknown_and_reported(svc, store):
    store.save(org(GLOBEX))
    view = svc.panel_views.view(PilotSource(GLOBEX), "0065e00000AbCdEAAV")
    assert view.mapped.context.journey_phase is None and view.mapped.context.deal_size == "small"
    assert view.mapped.unknown == {"deal_stage": (PILOT,)}


def test_extra_fields_become_text_the_recommender_matches():
    record = OpportunityRecord("0065e00000AbCdEAAV", "X", description="Renewal",
                               extra_fields=(("Competitor__c", "Globex analytics"),))
    assert context_from_record(record, default_taxonomy()).context.text == "Renewal\nGlobex analytics"
