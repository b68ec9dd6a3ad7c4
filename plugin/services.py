"""The bootstrap: builds the long-lived objects once per app (or command) from the settings and
wires each feature with only what it uses. Imported by ``app``, ``cli`` and ``web`` alone."""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.database import make_engine, read_session_factory, session_factory
from content_catalog.taxonomy import Taxonomy, default_taxonomy
from plugin.access.panel_tokens import AppTokenSigner
from plugin.analytics.rollup_job import AnalyticsRollupJob
from plugin.crm.demo_org import DemoOrg
from plugin.crm.salesforce.breakers import breaker_store
from plugin.crm.salesforce.context_cache import context_cache
from plugin.crm.salesforce.outbound import OutboundPolicy, parse_host_patterns
from plugin.content.pending_imports import PendingImports
from plugin.learning.job_queue import (
    CATALOG_IMPORT, Handler, JobQueue, catalog_import_handler, job_handlers, job_queue,
)
from plugin.learning.outcome_sync import OutcomeSync
from plugin.deals.people_sync import PeopleSync
from plugin.deals.stage_history_sync import StageHistorySync
from plugin.deals.stuck_deals import StuckDeals
from plugin.learning.training import Trainer
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.orgs.live import LiveOrgs
from plugin.orgs.management import OrgAdmin
from plugin.orgs.stage_phases import OrgTaxonomies
from plugin.panel.impressions import ImpressionRecorder
from plugin.panel.panel_search import SearchRateLimit
from plugin.panel.ranked_lists import RankedLists
from plugin.panel.serving_markers import ServingMarkers
from plugin.panel.suggestions import RecommendationService
from plugin.panel.view import PanelViews
from plugin.ranking.refit_work import ChildProcess, InProcess
from plugin.settings import Settings
from recommender import TagTextRanker

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy
    taxonomies: OrgTaxonomies
    recommendations: RecommendationService
    demo_org: DemoOrg | None
    orgs: LiveOrgs
    app_tokens: AppTokenSigner
    #: Where panel views leave what they showed (impressions, suggestion counts); written in the
    #: background.
    impressions: ImpressionRecorder
    #: Sessions for what reps' panels write (impressions, events), whose commits do not empty the
    #: held serving markers: an event moves at most its rep's stamp, which this process shows
    #: within the hold, as every other does (a rep's next view may land on any worker).
    recording_sessions: sessionmaker[Session]
    panel_views: PanelViews
    outcome_sync: OutcomeSync
    trainer: Trainer
    #: Rebuilds the orgs' analytics roll-ups (a job; also run after the demo history is seeded).
    analytics_rollups: AnalyticsRollupJob
    #: Each kind of background job's function, and the queue that runs them (RQ with
    #: ``REDIS_URL``, else a thread of this process).
    job_handlers: dict[str, Handler]
    jobs: JobQueue
    today: Callable[[], date] = date.today

    def taxonomy_for(self, org_id: str) -> Taxonomy:
        """The taxonomy one org's panels map through (:class:`OrgTaxonomies`)."""
        return self.taxonomies.for_org(org_id)

    def secret_box(self) -> SecretBox:
        return SecretBox(self.settings.encryption_key_list)

    def org_connections(self) -> OrgConnections:
        return OrgConnections(self.sessions, self.secret_box(), outbound_policy(self.settings))


def build_services(settings: Settings, today: Callable[[], date] = date.today, *,
                   engine: Engine | None = None, signs_panel_tokens: bool = False,
                   clock: Callable[[], float] = time.monotonic) -> Services:
    """``engine``: an engine the caller made (tests on either backend); else one for
    ``settings.database_url``. ``signs_panel_tokens``: this process serves panels (the web
    app), the only case where an unset ``BEINSPIRED_APP_SECRET`` deserves a warning.
    ``clock``: the monotonic clock the panel's held serving markers age by (tests move it)."""
    settings.ensure_data_dir()
    engine = engine or make_engine(settings.database_url)
    sessions = session_factory(engine)
    taxonomy = default_taxonomy()
    orgs = LiveOrgs(
        sessions,
        OrgConnections(sessions, SecretBox(settings.encryption_key_list),
                       outbound_policy(settings)),
        context_cache(settings.redis_url, ttl=settings.context_cache_seconds),
        breaker_store(settings.redis_url),
    )
    demo_org = DemoOrg(lambda: orgs.current().demo_connection()) if settings.demo_mode else None
    taxonomies = OrgTaxonomies(
        taxonomy, lambda: orgs.current(), demo_org.org_id if demo_org is not None else None,
        [stage.value for stage in demo_org.stages()] if demo_org is not None else (),
    )
    markers = ServingMarkers(settings.serving_state_hold_seconds if settings.panel_caches else 0,
                             clock)
    # A commit of this process may have moved a marker; its next view must see it.
    event.listen(sessions, "after_commit", lambda _session: markers.forget())
    recommendations = RecommendationService(
        read_session_factory(engine), taxonomy,
        k_client_facing=settings.suggestions_client_facing,
        k_internal=settings.suggestions_internal,
        display_in_memory=settings.panel_caches,
        refit_inline_modules=settings.refit_inline_modules,
        work=_refit_work(settings, sessions),
        ranked_lists=RankedLists(
            settings.ranked_list_cache_entries if settings.panel_caches else 0,
            int(settings.ranked_list_cache_mb * 1024 * 1024)),
        markers=markers,
    )
    # Sessions of their own: what the recorder writes (impressions, counts, settled events) and
    # the panel's event batches move no org's markers (a rep's stamp at most, shown within the
    # hold), and their commits, one a batch, would forget every rep's.
    recording = session_factory(engine)
    impressions = ImpressionRecorder(recording)
    outcome_sync = OutcomeSync(sessions, orgs, demo_org, StageHistorySync(sessions, orgs),
                               PeopleSync(sessions, demo_org, orgs))
    trainer = Trainer(sessions, lambda: TagTextRanker(recommendations.weights,
                                                      recommendations.labels))
    analytics_rollups = AnalyticsRollupJob(sessions, today)
    handlers = {
        **job_handlers(outcome_sync, trainer, today, analytics_rollups),
        CATALOG_IMPORT: catalog_import_handler(PendingImports(sessions), taxonomies.for_org),
    }
    built = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        taxonomy=taxonomy,
        taxonomies=taxonomies,
        recommendations=recommendations,
        demo_org=demo_org,
        orgs=orgs,
        app_tokens=AppTokenSigner(settings.app_secret or _process_secret(
            warn=signs_panel_tokens and not settings.demo_mode)),
        impressions=impressions,
        recording_sessions=recording,
        panel_views=PanelViews(recommendations, impressions, sessions, taxonomies.for_org, today,
                               SearchRateLimit(settings.panel_searches_per_minute),
                               unknown_in_background=settings.panel_caches,
                               stuck_deals=StuckDeals(sessions, lambda org: taxonomies.for_org(org).stage_order)),
        outcome_sync=outcome_sync,
        trainer=trainer,
        analytics_rollups=analytics_rollups,
        job_handlers=handlers,
        jobs=job_queue(settings.redis_url, handlers),
        today=today,
    )
    # Whoever disposes the engine may be about to drop the database (tests, benchmarks): write the
    # queued impressions first. Recording goes on afterwards (a dispose after fork, say).
    event.listen(engine, "engine_disposed", lambda _engine: built.impressions.drain())
    return built


def org_admin_for(svc: Services, scope: str | None) -> OrgAdmin:
    """What the admin console and ``beinspired org`` do with orgs; ``scope`` is the one org an
    admin may manage (None: every org, from the service's host)."""
    return OrgAdmin(svc.sessions, svc.orgs, svc.taxonomy, svc.secret_box(), scope,
                    outbound_policy(svc.settings))


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """Where outbound CRM calls may go besides Salesforce, and the operator's CA bundle."""
    return OutboundPolicy(parse_host_patterns(settings.allowed_crm_hosts), settings.crm_ca_bundle)


def _refit_work(settings: Settings, sessions: sessionmaker[Session]) -> InProcess | ChildProcess:
    """Where background refits run: a child process, unless the database lives in this one."""
    url = settings.database_url
    if settings.refit_in == "thread" or url == "sqlite://" or ":memory:" in url:
        return InProcess(sessions)
    return ChildProcess(url)


def _process_secret(*, warn: bool) -> str:
    """A random signing secret for this process (fine for the single-process demo)."""
    if warn:
        log.warning(
            "BEINSPIRED_APP_SECRET is not set: panel tokens are signed with a per-process secret, "
            "so they stop working on restart and are not shared between workers"
        )
    return secrets.token_urlsafe(48)
