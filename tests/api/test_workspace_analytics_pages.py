"""The content analytics pages over impressions, events and outcomes written to the demo org.

Each expected figure is counted by hand from the log in analytics_fixtures.py (its ``logged``
fixture says how); intervals come from the same statistics functions the page promises to use
(Wilson, Newcombe), fed the hand counts.
"""
from __future__ import annotations

import re
from html import unescape

import pytest

from recommender.evaluation import ASSOCIATION_CAUTION, wilson_interval, win_rate_difference
from tests.api.analytics_fixtures import catalog, logged, web  # noqa: F401  (fixtures)


def html_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"(.*?)</(?:article|table|ul)>', html, re.S)
    assert match, f"no {testid} on the page"
    return match[1]


def row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match[1]


def field(fragment: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">(.*?)</(?:td|span)>', fragment, re.S)
    assert match, f"no {name}"
    return text_of(match[1])


def rate(successes: int, n: int) -> str:
    value = wilson_interval(successes, n)
    return f"{value.estimate:.0%} ({value.low:.0%}–{value.high:.0%})"


def points(won_with, deals_with, won_without, deals_without) -> str:
    d = win_rate_difference(won_with, deals_with, won_without, deals_without).difference

    def signed(x):
        p = round(x * 100)
        return "0" if p == 0 else f"{p:+d}".replace("-", "−")

    return f"{signed(d.estimate)} pts ({signed(d.low)} to {signed(d.high)})"


# -- the overview -------------------------------------------------------------------------------
def test_the_module_table_shows_the_hand_counted_figures(web, logged):
    html = html_of(web.get("/workspace/analytics?window=30"))
    roi = row(section(html, "module-table"), "data-module-id", "roi-story")

    assert "ROI story for hospital CFOs" in roi
    assert field(roi, "impressions") == "5"
    assert field(roi, "open_rate") == rate(4, 5)
    assert field(roi, "helpful_rate").startswith(rate(1, 2) + " 1 of 2 votes")
    assert field(roi, "helpful_or_used") == rate(2, 5)
    assert field(roi, "uses") == "2"
    assert field(roi, "win_difference") == points(1, 1, 1, 3) + " 1 used · 3 not"


def test_the_totals_count_every_module_and_closed_deal_once(web, logged):
    totals = section(html_of(web.get("/workspace/analytics?window=30")), "analytics-totals")
    # 5 roi-story + 10 dusty-deck + 6 disliked; opened 4 + 0 + 6; votes 1 helpful of 8.
    assert text_of(re.search(r'total-impressions">(.*?)</span>', totals)[1]) == "21"
    assert "in 21 panel views" in text_of(totals)
    assert "10 opened of 21 impressions" in text_of(totals)
    assert "1 “helpful” of 8 votes" in text_of(totals)
    assert "2 won · 2 lost" in text_of(totals)  # D0-D9 and X0-X5 never closed


@pytest.mark.parametrize("window, impressions", [("30", 5), ("90", 6), ("180", 7)])
def test_the_window_counts_only_what_was_shown_in_it(web, logged, window, impressions):
    # The 60-day impression is in 90 and 180 days, the 120-day one only in 180, 200 days never.
    html = html_of(web.get(f"/workspace/analytics?window={window}"))
    roi = row(section(html, "module-table"), "data-module-id", "roi-story")
    assert field(roi, "impressions") == str(impressions)
    assert f"({window} days)" in text_of(section(html, "analytics-window"))


def test_the_30_day_default_is_not_assumed(web, logged):
    roi = row(html_of(web.get("/workspace/analytics")), "data-module-id", "roi-story")
    assert field(roi, "impressions") == "6"  # the default window is 90 days


def test_segmenting_by_industry_splits_the_org_and_a_value_filters_the_modules(web, logged):
    html = html_of(web.get("/workspace/analytics?segment=industry"))
    segments = section(html, "segment-table")
    # Healthcare: roi-story W1, W2, OPEN, OLD1 + 6 disliked = 10; Banking: L1, L2 + 10 dusty.
    assert field(row(segments, "data-segment-value", "Healthcare"), "impressions") == "10"
    assert field(row(segments, "data-segment-value", "Banking"), "impressions") == "12"

    banking = html_of(web.get("/workspace/analytics?segment=industry&value=Banking"))
    table = section(banking, "module-table")
    assert "disliked" not in table
    roi = row(table, "data-module-id", "roi-story")
    assert field(roi, "impressions") == "2"
    assert field(roi, "open_rate") == rate(1, 2)
    assert field(roi, "win_difference").startswith("—")  # never used in Banking
    assert "whose industry is Banking" in text_of(section(banking, "analytics-window"))


def test_the_role_segment_is_the_primary_contacts_role(web, logged):
    segments = section(html_of(web.get("/workspace/analytics?segment=role")), "segment-table")
    assert field(row(segments, "data-segment-value", "Economic Buyer"), "impressions") == "10"
    assert field(row(segments, "data-segment-value", "Evaluator"), "impressions") == "12"


def test_sorting_by_a_column_orders_the_modules_and_marks_the_header(web, logged):
    html = html_of(web.get("/workspace/analytics?sort=open_rate&order=asc"))
    table = section(html, "module-table")
    order = re.findall(r'<tr data-module-id="([^"]+)"', table)
    assert order == ["dusty-deck", "roi-story", "disliked"]  # 0/10, 5/6, 6/6
    assert 'aria-sort="ascending"' in table
    default = re.findall(r'<tr data-module-id="([^"]+)"',
                         section(html_of(web.get("/workspace/analytics")), "module-table"))
    assert default == ["dusty-deck", "disliked", "roi-story"]  # 10, 6, 6 (ties by id)


def test_never_opened_and_often_not_helpful_lists(web, logged):
    html = html_of(web.get("/workspace/analytics"))
    never = section(html, "never-opened")
    assert re.findall(r'data-module-id="([^"]+)"', never) == ["dusty-deck"]
    disliked = section(html, "often-not-helpful")
    assert re.findall(r'data-module-id="([^"]+)"', disliked) == ["disliked"]
    assert rate(6, 6) in text_of(disliked)


def test_the_org_trend_chart_and_its_table_agree_with_the_log(web, logged):
    html = html_of(web.get("/workspace/analytics?window=30"))
    trend = section(html, "trend")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in trend and "<title id=" in trend
    weeks = re.findall(r'<tr data-week="([^"]+)"', section(html, "trend-table"))
    assert weeks[0] == "2026-W43" and weeks[-1] == "2026-W48"  # 25 Oct .. 23 Nov 2026
    # Week 47 (16–22 Nov): roi-story W1, L1, L2, OPEN; dusty-deck days 2-7; disliked ×6.
    w47 = row(html, "data-week", "2026-W47")
    assert field(w47, "impressions") == "16"
    assert field(w47, "opens") == "9"
    total = sum(int(field(row(html, "data-week", w), "impressions")) for w in weeks)
    assert total == 21  # every impression of the last 30 days, each in one week
    assert "Bars: impressions per ISO week" in trend


def test_another_orgs_impressions_are_not_counted(web, logged):
    html = html_of(web.get("/workspace/analytics"))
    assert "theirs" not in html
    assert web.get("/workspace/analytics/theirs").status_code == 404


def test_an_org_without_impressions_gets_an_explanation_not_an_empty_table(web, catalog):
    response = web.get("/workspace/analytics")
    html = html_of(response)
    assert response.status_code == 200
    assert "No suggestions shown in these 90 days" in text_of(section(html, "analytics-empty"))
    assert 'data-testid="module-table"' not in html


@pytest.mark.parametrize("query, named", [
    ("window=45", "window “45” is not one of 30, 90, 180"),
    ("segment=colour", "segment “colour” is not one of phase, role, industry"),
    ("sort=title&order=up", "sort “title” is not one of module, impressions"),
    ("segment=industry&value=Mars", "value “Mars” is not among this org's Industry values"),
])
def test_a_bad_query_value_is_a_400_that_names_it(web, logged, query, named):
    response = web.get(f"/workspace/analytics?{query}")
    assert response.status_code == 400
    assert named in text_of(html_of(response))


# -- one module ---------------------------------------------------------------------------------
def test_the_module_page_shows_won_and_lost_deals_with_the_caution(web, logged):
    html = html_of(web.get("/workspace/analytics/roi-story"))
    deals = section(html, "won-lost-table")
    used, unused = row(deals, "data-row", "used"), row(deals, "data-row", "unused")
    assert (field(used, "won"), field(used, "lost")) == ("1", "0")
    assert (field(unused, "won"), field(unused, "lost")) == ("1", "2")
    assert field(used, "win_rate") == rate(1, 1)
    assert field(unused, "win_rate") == rate(1, 3)
    assert field(row(deals, "data-row", "difference"), "difference") == points(1, 1, 1, 3)
    assert "The 95% range includes zero" in html
    assert ASSOCIATION_CAUTION in text_of(section(html, "association-caution"))


def test_the_module_page_has_its_figures_chart_segments_and_a_link_to_the_module(web, logged):
    html = html_of(web.get("/workspace/analytics/roi-story?segment=industry&window=30"))
    figures = section(html, "module-figures")
    assert field(figures, "impressions") == "5"
    assert field(figures, "open_rate") == "80%"
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in section(html, "trend")
    segments = section(html, "module-segment-table")
    health = row(segments, "data-segment-value", "Healthcare")
    assert field(health, "impressions") == "3"
    assert field(health, "win_difference").startswith(points(1, 1, 1, 1))
    assert 'href="/workspace/modules/roi-story"' in html


def test_a_module_not_shown_in_the_window_explains_itself(web, logged):
    html = html_of(web.get("/workspace/analytics/unshown"))
    assert "Not shown in these 90 days" in text_of(section(html, "analytics-empty"))
    assert 'data-testid="won-lost"' not in html


def test_an_unknown_module_is_a_404_page(web, logged):
    response = web.get("/workspace/analytics/no-such-module")
    assert response.status_code == 404
    assert "There is no such module in this org." in text_of(html_of(response))


def test_the_module_page_refuses_a_bad_window_too(web, logged):
    response = web.get("/workspace/analytics/roi-story?window=7")
    assert response.status_code == 400
    assert "window “7” is not one of 30, 90, 180" in text_of(html_of(response))


def test_the_navigation_offers_analytics(web, catalog):
    html = html_of(web.get("/workspace/analytics"))
    assert 'slds-is-active">\n          <a href="/workspace/analytics"' in html
