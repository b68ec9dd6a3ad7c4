"""An org with a small catalog and logged panel history, for the training, serving and model CLI
tests: written through the same repositories the panel and its events use.

Imported by name from the test modules that use it (``from tests.plugin.model_fixtures import
…``), like ``tests/plugin/access/access_fixtures.py``.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from time import monotonic
from typing import Callable, Sequence

from sqlalchemy import Engine

from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.modules import ModuleInput
from content_catalog.repository import CatalogRepository, ensure_org
from plugin.services import Services, build_services
from plugin.settings import Settings
from recommender import OpportunityContext

ORG = "00DA0000000AaaaMAC"
#: The panel's context in every logged view: all the catalog's modules are tagged for it.
BUYING = OpportunityContext(journey_phase="buying", stage="Negotiation/Review")
#: Five equally tagged case studies v1 shows, and one it does not (six modules, five slots).
SHOWN_BY_V1 = ("a-case", "b-case", "c-case", "d-case", "e-case")
GEM = "f-gem"


def services_on(engine: Engine, today: date) -> Services:
    """The services of a deployment on ``engine`` (either backend), as ``build_services`` makes
    them, with today fixed."""
    return build_services(Settings(database_url="sqlite://"), today=lambda: today, engine=engine)


def another_process(services: Services,
                    clock: Callable[[], float] = monotonic) -> Services:
    """A second app process on the same database: its own ranker caches, and its own held
    serving markers, aged by ``clock``."""
    return build_services(services.settings, today=services.today, engine=services.engine,
                          clock=clock)


def publish(services: Services, *modules: ModuleInput, org_id: str = ORG) -> None:
    with services.sessions.begin() as session:
        ensure_org(session, org_id, org_id)
        CatalogRepository(session, org_id).upsert_many(list(modules))


def buying_catalog(module_factory) -> list[ModuleInput]:
    return [
        module_factory(key, title=f"Case study {key}", tags={"journey_phase": "buying"})
        for key in (*SHOWN_BY_V1, GEM)
    ]


def log_views(
    services: Services,
    shown: Sequence[str],
    rewarded: str,
    *,
    views: int,
    first_day: date,
    org_id: str = ORG,
    prefix: str = "v",
) -> None:
    """``views`` panel views of ``BUYING`` that showed ``shown`` in that order, in which reps
    marked ``rewarded`` helpful every time and ignored the rest; one view an hour. ``prefix``:
    one character, different for each batch of views (it keeps their ids apart)."""
    start = datetime.combine(first_day, time(9), timezone.utc)
    impressions, events = [], []
    for view in range(views):
        view_id = f"{prefix}{view:031d}"
        for position, module in enumerate(shown, 1):
            impression_id = f"{prefix}{view:027d}{position:04d}"
            impressions.append(Impression(
                impression_id=impression_id, org_id=org_id, view_id=view_id,
                opportunity_id=None, user_id=None, module_key=module, audience="client_facing",
                position=position, score=3.0, propensity=1.0, explored=False,
                model_version="v1", context=dataclasses.asdict(BUYING),
                shown_at=start + timedelta(hours=view),
            ))  # fmt: skip
            if module == rewarded:
                events.append(PanelEvent(
                    event_id=f"e{prefix}{view:026d}{position:04d}", impression_id=impression_id,
                    kind=EventKind.HELPFUL, occurred_at=start + timedelta(hours=view, minutes=1),
                ))  # fmt: skip
    with services.sessions.begin() as session:
        add_impressions(session, impressions)
        PanelEventLog(session, org_id).add_events(events)


def ids(cards) -> list[str]:
    return [card.module_id for card in cards]
