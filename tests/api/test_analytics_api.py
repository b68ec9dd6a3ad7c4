"""``GET /api/v1/analytics/modules`` and ``…/modules/<key>``: the analytics pages' figures as
JSON, over the same hand-counted log as the page tests."""
from __future__ import annotations

import pytest

from recommender.evaluation import ASSOCIATION_CAUTION, wilson_interval
from tests.api.analytics_fixtures import catalog, logged, web  # noqa: F401  (fixtures)


def as_json(interval):
    return {"estimate": interval.estimate, "low": interval.low, "high": interval.high}


def test_the_module_list_has_the_hand_counted_figures_and_the_caution(web, logged):
    body = web.get("/api/v1/analytics/modules?window=30").get_json()
    roi = next(m for m in body["modules"] if m["module_id"] == "roi-story")

    assert (roi["impressions"], roi["opens"], roi["uses"]) == (5, 4, 2)
    assert roi["open_rate"] == as_json(wilson_interval(4, 5))
    assert roi["helpful_rate"] == as_json(wilson_interval(1, 2))
    assert roi["helpful_or_used_rate"] == as_json(wilson_interval(2, 5))
    deals = roi["deals"]
    assert deals["used"]["won"] == 1 and deals["used"]["lost"] == 0
    assert (deals["shown_not_used"]["won"], deals["shown_not_used"]["lost"]) == (1, 2)
    assert deals["win_rate_difference"]["estimate"] == pytest.approx(1 - 1 / 3)
    assert deals["caution"] == ASSOCIATION_CAUTION
    assert body["never_opened"] == ["dusty-deck"]
    assert body["often_not_helpful"] == ["disliked"]
    assert body["totals"]["impressions"] == 21
    assert [w["week"] for w in body["weeks"]][-1] == "2026-W48"


def test_a_module_never_used_has_null_rates_not_nan(web, logged):
    body = web.get("/api/v1/analytics/modules").get_json()
    dusty = next(m for m in body["modules"] if m["module_id"] == "dusty-deck")
    assert dusty["helpful_rate"] == {"estimate": None, "low": None, "high": None}
    assert dusty["deals"]["win_rate_difference"]["estimate"] is None


def test_one_module_per_segment(web, logged):
    body = web.get("/api/v1/analytics/modules/roi-story?segment=industry").get_json()
    assert body["module"]["impressions"] == 6
    by_value = {row["value"]: row for row in body["segments"]}
    assert by_value["Healthcare"]["impressions"] == 4 and by_value["Banking"]["impressions"] == 2
    assert by_value["Healthcare"]["label"] == "Healthcare"


def test_bad_input_and_unknown_modules_are_json_errors(web, logged):
    bad = web.get("/api/v1/analytics/modules?segment=colour")
    assert bad.status_code == 400
    message = bad.get_json()["error"]["message"]
    assert "segment “colour” is not one of phase, role, industry" in message
    missing = web.get("/api/v1/analytics/modules/theirs")  # another org's module
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
