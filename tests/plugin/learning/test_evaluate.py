"""``beinspired evaluate`` on a seeded demo history: the report, its plots and its figures."""
from __future__ import annotations

import base64
import re
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

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
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
    """One run of the command on a seeded history; the figures recomputed beside it."""
    directory = tmp_path_factory.mktemp("evaluate")
    url = demo_database(directory, history=True)
    out = directory / "report"
    result = CliRunner().invoke(
        main,
        ["evaluate", "--out", str(out), "--days", "60", "--seed", "3",
         "--simulated-views", str(SIMULATED_VIEWS)],
        env={"DATABASE_URL": url},
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


def test_report_has_every_section_and_embeds_each_png_it_writes(evaluated):
    _, out, _ = evaluated
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 5
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(embedded) == len(pngs)
    for path in pngs:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE), path.name
        assert base64.b64encode(data).decode() in embedded, path.name
    assert "http" not in html.replace("http-equiv", "")  # self-contained: nothing fetched


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
