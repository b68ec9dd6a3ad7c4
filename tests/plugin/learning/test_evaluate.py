"""``beinspired evaluate`` on a seeded demo history: the report, its plots and its figures."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from content_catalog.database import make_engine, session_factory
from content_catalog.taxonomy import default_taxonomy
from plugin.cli import main
from plugin.learning.demo_history import seed_demo_history
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.cli.evaluate import CANNOT_EVALUATE
from plugin.learning.evaluation_report import STEPS, evaluate_org
from recommender.simulated_evaluation import SimulationScale

SVG = "{http://www.w3.org/2000/svg}"
PLOTS = ("ranking-metrics.svg", "policy-values.svg", "position-bias.svg", "simulated-checks.svg",
         "new-module.svg")
SIMULATED_VIEWS = 240
SECTIONS = ("logged", "offline", "off-policy", "position-bias", "deals", "simulated",
            "learned-vs-v1", "estimates-vs-truth", "new-module", "assumptions")


def demo_database(directory: Path, *, history: bool) -> str:
    url = f"sqlite:///{directory / 'demo.sqlite3'}"
    engine = make_engine(url)
    sessions = session_factory(engine)
    load_demo_catalog(engine, sessions, default_taxonomy())
    if history:  # small: five weeks of 30 views
        today = datetime.now(timezone.utc).date()
        seed_demo_history(sessions, default_taxonomy(), today=today, weeks=5, views_per_week=30)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """One run of the command on a seeded history, writing where it does by default (the data
    directory, here under a temporary XDG_DATA_HOME); the figures recomputed beside it."""
    directory = tmp_path_factory.mktemp("evaluate")
    url = demo_database(directory, history=True)
    out = directory / "data" / "be-inspired" / "evaluation-report"
    result = CliRunner().invoke(
        main,
        ["evaluate", "--days", "60", "--seed", "3", "--simulated-views", str(SIMULATED_VIEWS)],
        env={"DATABASE_URL": url, "XDG_DATA_HOME": str(directory / "data")},
    )
    engine = make_engine(url)
    with session_factory(engine)() as session:
        report = evaluate_org(
            session, DEMO_ORG_ID, default_taxonomy(), now=datetime.now(timezone.utc), days=60,
            seed=3, scale=SimulationScale(v1_views=80, exploring_views=160),
        )
    engine.dispose()
    return result, out, report


def test_evaluate_exits_cleanly_showing_its_progress_through_each_step(evaluated):
    result, _, _ = evaluated
    assert result.exit_code == 0, result.output
    for step in STEPS:
        assert f"Evaluating: {step}" in result.output
    assert "Traceback" not in result.output


def test_report_has_every_section_and_embeds_each_svg_it_writes(evaluated):
    _, out, _ = evaluated
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert sorted(p.name for p in out.glob("*.svg")) == sorted(PLOTS)
    assert not list(out.glob("*.png"))
    assert html.count("<figure><svg ") == len(PLOTS)
    for name in PLOTS:
        svg = (out / name).read_text(encoding="utf-8")
        assert svg in html, name  # inlined exactly as written
        root = ElementTree.fromstring(svg)  # well-formed, standalone
        assert root.tag == f"{SVG}svg", name
        assert root.find(f"{SVG}title").text.strip(), name
    outside_the_svg_namespace = html.replace("http-equiv", "").replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "http" not in outside_the_svg_namespace  # self-contained: nothing fetched
    assert "<img" not in html


def test_every_whisker_in_the_plots_is_an_interval_the_tables_give(evaluated):
    _, out, report = evaluated
    html = (out / "report.html").read_text(encoding="utf-8")
    tables = re.sub(r"<figure>.*?</figure>", "", html, flags=re.S)
    drawn = [
        title.split(": ", 1)[1]
        for name in ("ranking-metrics.svg", "policy-values.svg", "simulated-checks.svg")
        for row in ElementTree.parse(out / name).iter(f"{SVG}g")
        if row.get("class") == "bi-chart__interval"
        for title in [row.find(f"{SVG}title").text]
    ]
    values = report.logged.values
    assert len(drawn) == 6 + sum(1 + 3 + 3 for _ in values) + 1 + 3
    for interval in drawn:
        assert interval in tables, interval
    whiskers = [g for g in ElementTree.parse(out / "position-bias.svg").iter(f"{SVG}g")
                if g.get("class") == "bi-chart__whisker"]
    assert len(whiskers) == 2 * len(report.logged.positions)  # opened and helpful-or-used


def test_report_and_output_state_the_computed_figures(evaluated):
    result, out, report = evaluated
    html = (out / "report.html").read_text(encoding="utf-8")
    logged, simulated = report.logged, report.simulated

    def interval(i) -> str:
        return f"{i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]"

    figures = [
        interval(logged.candidate.ndcg_at_5), interval(logged.v1.ndcg_at_5),
        interval(logged.candidate.recall_at_10), interval(logged.v1.coverage),
        interval(simulated.gain.gain), f"{simulated.estimates.truth:.3f}",
        interval(simulated.estimates.estimates.snips), interval(logged.deals.difference),
    ]
    for value in logged.values:
        figures += [interval(value.logged), interval(value.candidate.ips),
                    interval(value.candidate.dr), interval(value.v1.snips)]
    for figure in figures:
        assert figure in html, figure
        assert figure in result.output, figure
    assert f"{logged.views} panel views ({logged.impressions} impressions)" in html
    assert logged.views == 150 and logged.test_views == pytest.approx(0.3 * 150, abs=1)


def test_the_report_goes_to_the_data_directory_and_its_path_is_printed(evaluated):
    result, out, _ = evaluated
    assert f"Report: {out / 'report.html'} (5 plots beside it)" in result.output
    assert (out / "report.html").is_file()
    assert not Path("evaluation-report").exists()  # nothing in the current directory


def test_the_demo_history_is_labelled_simulated_in_the_report_and_the_output(evaluated):
    result, out, report = evaluated
    html = (out / "report.html").read_text(encoding="utf-8")
    logged = report.logged
    assert logged.simulated_impressions == logged.impressions > 0
    assert logged.simulated_label.startswith("Demo data: 5 simulated weeks")
    assert logged.simulated_label in html and logged.simulated_label in result.output
    assert 'id="simulated-history"' in html


def test_the_new_module_curve_has_enough_points_and_its_words_match_them(evaluated):
    result, _, report = evaluated
    cold = report.simulated.cold_start
    assert cold is not None
    points = [p.impressions for p in cold.curve]
    assert len(points) >= SimulationScale().cold_start_min_points
    assert points == sorted(points) and len(set(points)) == len(points)
    half = next(p.impressions for p in cold.curve if p.share_in_top_three >= 0.5)
    assert f"half of its {cold.contexts} contexts after {half} impressions of it" in result.output


def test_an_org_without_history_gets_a_clear_message_and_no_report(tmp_path):
    url = demo_database(tmp_path, history=False)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", "--out", str(out)], env={"DATABASE_URL": url})

    assert result.exit_code == CANNOT_EVALUATE
    assert "Cannot evaluate: org" in result.output and "0 panel views" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_unknown_org_is_named_in_the_message(tmp_path):
    url = demo_database(tmp_path, history=False)
    result = CliRunner().invoke(
        main, ["evaluate", "--org", "00D000000000001AAA", "--out", str(tmp_path / "r")],
        env={"DATABASE_URL": url},
    )
    assert result.exit_code == CANNOT_EVALUATE
    assert "no org '00D000000000001AAA'" in result.output
