"""The card markup cache (plugin/web/panel_cards.py) writes exactly what the card template does."""
from __future__ import annotations

from dataclasses import replace

import pytest
from flask import render_template

from plugin.panel.suggestions import PanelSuggestions
from plugin.web.panel import context_summary
from plugin.web.panel_cards import CardMarkup


def both_renderings(app, view, opportunity_id, cache):
    with app.test_request_context(f"/panel/{opportunity_id}"):
        common = dict(view=view, opportunity_id=opportunity_id,
                      context_summary=context_summary(view))
        cached = render_template("panel/suggestions.html",
                                 card_markup=cache.for_view(opportunity_id), **common)
        fresh = render_template("panel/suggestions.html", card_markup=None, **common)
    return cached, fresh


@pytest.mark.parametrize("count_shown", [True, False], ids=["recorded", "not-recorded"])
def test_cached_cards_are_the_templates_markup_for_every_demo_opportunity(
        demo_app, demo_opportunities, count_shown):
    svc = demo_app.extensions["be_inspired"]
    cache = CardMarkup()
    for _ in range(2):  # first renders, then fills in cached parts
        for record in demo_opportunities:
            with demo_app.test_request_context(f"/panel/{record.opportunity_id}"):
                view = svc.panel_views.view(svc.demo_org, record.opportunity_id,
                                            count_shown=count_shown)
            cached, fresh = both_renderings(demo_app, view, record.opportunity_id, cache)
            assert cached == fresh
            assert ("data-impression-id" in cached) is count_shown


def test_a_views_own_reasons_and_a_changed_title_are_shown_escaped(demo_app, demo_opportunities):
    svc = demo_app.extensions["be_inspired"]
    record = demo_opportunities[0]
    cache = CardMarkup()
    with demo_app.test_request_context(f"/panel/{record.opportunity_id}"):
        view = svc.panel_views.view(svc.demo_org, record.opportunity_id)
    both_renderings(demo_app, view, record.opportunity_id, cache)  # cached now
    first = view.suggestions.client_facing[0]
    hostile = replace(first, title="<b>New</b> & improved OPPORTUNITYxSTANDxIN",
                      reasons=("<script>alert(1)</script>", "Banking"))
    other = replace(first, reasons=())
    changed = replace(view, suggestions=PanelSuggestions(
        client_facing=(hostile, other) + view.suggestions.client_facing[1:],
        internal=view.suggestions.internal))
    cached, fresh = both_renderings(demo_app, changed, record.opportunity_id, cache)
    assert cached == fresh
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in cached and "<script>alert" not in cached
    assert "&lt;b&gt;New&lt;/b&gt; &amp; improved OPPORTUNITYxSTANDxIN" in cached


def test_an_odd_opportunity_id_is_rendered_by_the_template_itself(demo_app):
    assert CardMarkup().for_view("006/../x") is None
    assert CardMarkup().for_view("") is None


def test_a_brought_back_or_recommended_card_is_the_templates_markup_compiled_once(
        demo_app, demo_opportunities, monkeypatch):
    """Cards with their own markup (a refresher brought back, its reason hostile; a manager's pick)
    are rendered by the one-card template, which is compiled once, not once per card."""
    svc = demo_app.extensions["be_inspired"]
    record = demo_opportunities[0]
    with demo_app.test_request_context(f"/panel/{record.opportunity_id}"):
        view = svc.panel_views.view(svc.demo_org, record.opportunity_id)
    first, second = view.suggestions.client_facing[:2]
    own = (replace(first, recommended_by="Dana Whitfield"),
           replace(second, back_because="You used it <b>3</b> weeks ago & more"))
    changed = replace(view, suggestions=PanelSuggestions(
        client_facing=own + view.suggestions.client_facing[2:],
        internal=view.suggestions.internal))
    compiled = []
    original = type(demo_app.jinja_env).from_string
    monkeypatch.setattr(type(demo_app.jinja_env), "from_string",
                        lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
    cache = CardMarkup()
    for _ in range(3):
        cached, fresh = both_renderings(demo_app, changed, record.opportunity_id, cache)
        assert cached == fresh
    assert 'data-testid="manager-recommendation"' in cached
    assert "You used it &lt;b&gt;3&lt;/b&gt; weeks ago &amp; more" in cached
    assert len(compiled) <= 1
