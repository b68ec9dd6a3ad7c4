"""The long-lived objects a request needs, built once per app from the settings."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Callable

from flask import current_app
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.database import make_engine, session_factory
from content_catalog.taxonomy import Taxonomy, default_taxonomy
from plugin.crm.demo_org import DemoOrg
from plugin.panel.impressions import ImpressionRecorder
from plugin.orgs.live import LiveOrgs
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.panel.suggestions import RecommendationService
from plugin.access.panel_tokens import AppTokenSigner
from plugin.crm.salesforce.context_cache import context_cache
from plugin.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy
    recommendations: RecommendationService
    demo_org: DemoOrg | None
    orgs: LiveOrgs
    app_tokens: AppTokenSigner
    #: Where panel views leave what they showed (impressions, suggestion counts); written in the
    #: background.
    impressions: ImpressionRecorder
    today: Callable[[], date] = date.today

    def taxonomy_for(self, org_id: str) -> Taxonomy:
        """The taxonomy one org's panels map through: the default one plus the org's stage →
        phase mapping and deal-size thresholds. The demo org keeps the default."""
        if self.demo_org is not None and org_id == self.demo_org.org_id:
            return self.taxonomy
        return self.orgs.current().taxonomy(org_id, self.taxonomy)


def build_services(settings: Settings, today: Callable[[], date] = date.today) -> Services:
    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    taxonomy = default_taxonomy()
    built = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        taxonomy=taxonomy,
        recommendations=RecommendationService(
            sessions,
            taxonomy,
            k_client_facing=settings.suggestions_client_facing,
            k_internal=settings.suggestions_internal,
        ),
        demo_org=DemoOrg() if settings.demo_mode else None,
        orgs=LiveOrgs(
            sessions,
            OrgConnections(sessions, SecretBox(settings.encryption_key_list)),
            context_cache(settings.redis_url, ttl=settings.context_cache_seconds),
        ),
        app_tokens=AppTokenSigner(settings.app_secret or _process_secret(warn=not settings.demo_mode)),
        impressions=ImpressionRecorder(sessions),
        today=today,
    )
    # Whoever disposes the engine may be about to drop the database (tests, benchmarks): write the
    # queued impressions first. Recording goes on afterwards (a dispose after fork, say).
    event.listen(engine, "engine_disposed", lambda _engine: built.impressions.drain())
    return built


def _process_secret(*, warn: bool) -> str:
    """A random signing secret for this process (fine for the single-process demo)."""
    if warn:
        log.warning(
            "BEINSPIRED_APP_SECRET is not set: panel tokens are signed with a per-process secret, "
            "so they stop working on restart and are not shared between workers"
        )
    return secrets.token_urlsafe(48)


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    return current_app.extensions["be_inspired"]
