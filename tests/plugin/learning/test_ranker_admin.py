"""Serving a version, rolling back and serving the tag rules, as the console and the CLI do it:
one transaction each, refused ones change nothing (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from content_catalog.model_store import UnknownModelVersion
from content_catalog.repository import OrgNotFound
from plugin.learning.ranker_admin import NothingToRollBackTo, ranker_status, serve_rules, serve_version
from tests.plugin.model_fixtures import (
    GEM,
    ORG,
    SHOWN_BY_V1,
    buying_catalog,
    log_views,
    publish,
    services_on,
)

UNKNOWN_ORG = "00DC0000000CcccMAC"


@pytest.fixture
def services(engine, today, module_factory):
    services = services_on(engine, today)
    publish(services, *buying_catalog(module_factory))
    log_views(services, (*SHOWN_BY_V1[:4], GEM), GEM, views=10,
              first_day=today - timedelta(days=5))
    return services


def trained(services, today, times: int) -> None:
    for _ in range(times):
        assert services.trainer.train_org(ORG, today=today).version is not None


def served(services) -> int | None:
    active = ranker_status(services.sessions, ORG).active
    return None if active is None else active.version


def test_without_a_version_named_it_rolls_back_to_the_newest_older_one(services, today):
    trained(services, today, 3)
    assert serve_version(services.sessions, ORG, None, by="test").version == 2
    assert serve_version(services.sessions, ORG, None, by="test").version == 1
    with pytest.raises(NothingToRollBackTo, match="version 1 is the oldest stored"):
        serve_version(services.sessions, ORG, None, by="test")
    assert serve_version(services.sessions, ORG, 3, by="test").version == 3  # forward again
    assert served(services) == 3


def test_refused_changes_leave_the_served_version_alone(services, today):
    trained(services, today, 2)
    with pytest.raises(UnknownModelVersion, match=r"no model version 9 \(stored: 2, 1\)"):
        serve_version(services.sessions, ORG, 9, by="test")
    with pytest.raises(OrgNotFound):
        serve_version(services.sessions, UNKNOWN_ORG, 1, by="test")
    assert served(services) == 2


def test_serving_the_rules_then_rolling_back_without_a_version_is_refused(services, today):
    trained(services, today, 1)
    assert serve_rules(services.sessions, ORG, by="test").version == 1
    assert serve_rules(services.sessions, ORG, by="test") is None
    with pytest.raises(NothingToRollBackTo) as refused:
        serve_version(services.sessions, ORG, None, by="test")
    assert refused.value.active is None
    status = ranker_status(services.sessions, ORG)
    assert status.active is None and [v.version for v in status.versions] == [1]


def test_the_status_says_when_the_catalog_moved_after_training(services, today, module_factory):
    trained(services, today, 1)
    assert not ranker_status(services.sessions, ORG).catalog_changed
    publish(services, module_factory("g-new", tags={"journey_phase": "buying"}))
    status = ranker_status(services.sessions, ORG)
    assert status.catalog_changed and status.catalog_revision > status.active.catalog_revision
