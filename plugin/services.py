"""The long-lived objects a request needs, built once per app from the settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.database import make_engine, session_factory
from content_catalog.taxonomy import Taxonomy, default_taxonomy
from plugin.demo_org import DemoOrg
from plugin.recommendations import RecommendationService
from plugin.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy
    recommendations: RecommendationService
    demo_org: DemoOrg | None
    today: Callable[[], date] = date.today


def build_services(settings: Settings, today: Callable[[], date] = date.today) -> Services:
    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    taxonomy = default_taxonomy()
    return Services(
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
        today=today,
    )


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    return current_app.extensions["be_inspired"]
