"""Training the learned ranker for an org and storing it as the version the panel serves.
Design: docs/design/learning.md and docs/learning.md (In the service)."""
from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.model_store import RankerModels, serving_state
from content_catalog.tables.catalog_tables import Org
from content_catalog.org_activity import OrgActivityRepository
from content_catalog.org_settings import OrgSettingsRepository
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.ranking.logged_views import logged_impressions
from plugin.ranking.candidates import catalog_candidates
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 180
NOTHING_TO_LEARN = "nothing to learn yet: no impressions of published modules in the window"
#: Org events admins see (admin console, ``beinspired org status``): a version stored, or a
#: training that failed. "Nothing to learn yet" is not an event: it would repeat every day.
TRAINED_EVENT = "ranker_trained"
TRAINING_FAILED_EVENT = "ranker_training_failed"


@dataclass(frozen=True)
class TrainingReport:
    """What one org's training did; ``version`` is None when nothing was stored."""

    org_id: str
    version: int | None = None
    model_id: str | None = None
    impressions: int = 0
    views: int = 0
    rewarded: int = 0
    seconds: float = 0.0
    #: Why nothing was stored: nothing to learn yet, or the error that stopped it.
    note: str | None = None
    failed: bool = False
    #: What an admin chose to serve ("version 3", "the tag rules") when the stored version was
    #: therefore not served; None when it was (or nothing was stored).
    admin_choice: str | None = None

    @property
    def served(self) -> bool:
        """The stored version is the one the panel serves from its next view."""
        return self.version is not None and self.admin_choice is None

    def line(self) -> str:
        """One line for the command line and the job's log."""
        head = f"org {self.org_id}: "
        if self.failed:
            return head + f"FAILED: {self.note}"
        seen = f"{self.impressions} impressions in {self.views} views, {self.rewarded} rewarded"
        if self.version is None:
            return head + f"{self.note} ({seen}; serving v1)"
        trained = f"version {self.version} ({self.model_id}) from {seen}, {self.seconds:.1f} s"
        if self.served:
            return head + trained
        return head + (
            f"stored {trained}, not served: an admin chose {self.admin_choice}; serve it from "
            "the Learned ranker page or `beinspired model rollback "
            f"--org {self.org_id} --to {self.version}`"
        )


class Trainer:
    """Trains with what it uses: sessions, and ``v1`` (the panel's own tag-and-text ranker,
    unfitted), so an org whose model has learned nothing about a module ranks it as the panel
    would."""

    def __init__(self, sessions: sessionmaker[Session], v1: Callable[[], TagTextRanker]):
        self._sessions = sessions
        self._v1 = v1

    def train_org(self, org_id: str, *, today: date,
                  window_days: int = DEFAULT_WINDOW_DAYS) -> TrainingReport:
        """Fit a learned ranker on the org's last ``window_days`` of impressions, store it as
        the next version and serve it, unless an admin chose an earlier version or the tag rules.

        Raises ``OrgNotFound`` for an unknown org and ``ValueError`` for a window under one day.
        """
        if window_days < 1:
            raise ValueError(f"the training window must be at least 1 day (got {window_days})")
        started = clock.perf_counter()
        until = datetime.combine(today + timedelta(days=1), time(), timezone.utc)
        since = until - timedelta(days=window_days)
        with self._sessions() as session:
            # The revision first: a catalog write between the two reads then leaves the model
            # marked older than its catalog, which the service resolves by adapting it.
            revision, _ = serving_state(session, org_id)
            candidates = catalog_candidates(session, org_id)
            impressions = logged_impressions(session, org_id, since, until)
        ranker = LearnedRanker(self._v1()).fit(
            candidates, impressions, today=today, trained_at=datetime.now(timezone.utc)
        )
        published = {c.module_id for c in candidates}
        used = [i for i in impressions if i.module_id in published]
        counts = dict(
            impressions=len(used),
            views=len({i.view_key for i in used}),
            rewarded=sum(i.rewarded for i in used),
        )
        if not ranker.has_history_:
            return TrainingReport(org_id, note=NOTHING_TO_LEARN, **counts,
                                  seconds=clock.perf_counter() - started)
        summary = {
            "window_days": window_days,
            "since": since.isoformat(),
            "until": until.isoformat(),
            **counts,
            "rewarded_rate": round(counts["rewarded"] / counts["impressions"], 4),
            "catalog_revision": revision,
            "modules": len(candidates),
            "parameters": _parameters(ranker),
        }
        with self._sessions() as session, session.begin():
            store = RankerModels(session, org_id)
            saved = store.save(
                model_id=ranker.model_version_, payload=ranker.to_bytes(),
                catalog_revision=revision, n_impressions=counts["impressions"], summary=summary,
            )  # fmt: skip
            choice = None if saved.active else _admin_choice(store.active_version())
            report = TrainingReport(org_id, saved.version, saved.model_id, **counts,
                                    seconds=clock.perf_counter() - started, admin_choice=choice)
            OrgActivityRepository(session, org_id).add_event(
                TRAINED_EVENT, report.line(), datetime.now(timezone.utc)
            )
        log.info("%s", report.line())
        return report

    def train_all(self, today: date) -> list[TrainingReport]:
        """Train every org the service serves: the demo org, if loaded, and each connected org.
        One org's failure is reported in its line and logged; the others are trained all the
        same."""
        reports = []
        for org_id in self.trainable_orgs():
            try:
                reports.append(self.train_org(org_id, today=today))
            except Exception as exc:  # noqa: BLE001 - one org must not stop the others' training
                reports.append(self.failed(org_id, exc))
        return reports

    def failed(self, org_id: str, exc: Exception) -> TrainingReport:
        """Log a training's failure with its trace and tell the org's admins (an org event); the
        panel keeps the version it serves. Call it from the ``except`` block that caught
        ``exc``."""
        log.exception("org %s: training failed", org_id)
        report = TrainingReport(org_id, note=f"{type(exc).__name__}: {exc}", failed=True)
        try:
            with self._sessions() as session, session.begin():
                OrgActivityRepository(session, report.org_id).add_event(
                    TRAINING_FAILED_EVENT, report.line(), datetime.now(timezone.utc)
                )
        except Exception:  # noqa: BLE001 - the worker's log has it; the panel keeps its version
            log.exception("org %s: could not record that training failed", report.org_id)
        return report

    def trainable_orgs(self) -> list[str]:
        """The demo org (when its catalog is loaded) first, then the connected orgs by Id."""
        with self._sessions() as session:
            connected = [stored.org_id for stored in OrgSettingsRepository(session).all()]
            demo = [DEMO_ORG_ID] if _exists(session, DEMO_ORG_ID) else []
        return list(dict.fromkeys([*demo, *connected]))


def _admin_choice(active: int | None) -> str:
    return "the tag rules" if active is None else f"version {active}"


def _exists(session: Session, org_id: str) -> bool:
    return session.get(Org, org_id) is not None


def _parameters(ranker: LearnedRanker) -> dict[str, object]:
    return {
        name: value for name, value in ranker.get_params(deep=False).items() if name != "base"
    }
