"""``beinspired evaluate``: judge a candidate learned ranker on an org's logged history and on the
simulator, and write the report (HTML with the plots inlined, and the plots as SVG files)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from content_catalog.database import upgrade
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.learning.evaluation_plots import report_plots
from plugin.learning.evaluation_render import render_report, summary_lines
from plugin.learning.evaluation_report import STEPS, NotEnoughHistory, UnknownOrg, evaluate_org
from plugin.services import build_services
from plugin.settings import Settings
from recommender.simulated_evaluation import SimulationScale

#: Exit status when the org cannot be evaluated (unknown, or too little history).
CANNOT_EVALUATE = 3


@click.command(help="Offline metrics and off-policy estimates of a candidate learned ranker on "
               "the org's logged panel views, the simulator's checks on its catalog, and a "
               "report with plots.")
@click.option("--org", "org_id", default=DEMO_ORG_ID, show_default=True)
@click.option("--days", type=click.IntRange(1, 3650), default=90, show_default=True,
              help="How far back to read logged views.")
@click.option("--test-share", type=click.FloatRange(0.05, 0.95), default=0.3, show_default=True,
              help="Share of the views, the latest, held out to evaluate on.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=7, show_default=True,
              help="Seed of the bootstrap and the simulator.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for report.html and the SVG plots (default: "
              "evaluation-report/ in the data directory, beside the demo's database).")
@click.option("--simulated-views", type=click.IntRange(60, 100_000), default=1200,
              show_default=True, help="Simulated views: a third served by v1, the rest by an "
              "exploring learner.")
def evaluate(org_id: str, days: int, test_share: float, seed: int, out_dir: Path | None,
             simulated_views: int) -> None:
    settings = Settings()
    out_dir = out_dir or settings.data_dir / "evaluation-report"
    svc = build_services(settings)
    upgrade(svc.engine)
    scale = SimulationScale(
        v1_views=simulated_views // 3, exploring_views=simulated_views - simulated_views // 3
    )
    with click.progressbar(length=len(STEPS) + 1, label="Evaluating", show_pos=True) as bar:
        started = []

        def progress(step: str) -> None:
            if started:
                bar.update(1)
            started.append(step)
            bar.label = f"Evaluating: {step}"
            bar.render_progress()

        with svc.sessions() as session:
            try:
                report = evaluate_org(
                    session, org_id, svc.taxonomy_for(org_id), now=datetime.now(timezone.utc),
                    days=days, test_share=test_share, seed=seed,
                    k=(settings.suggestions_client_facing, settings.suggestions_internal),
                    scale=scale, progress=progress,
                )
            except (UnknownOrg, NotEnoughHistory) as exc:
                click.echo("", err=True)
                click.echo(f"Cannot evaluate: {exc}", err=True)
                raise SystemExit(CANNOT_EVALUATE) from None
        progress("plots and report")
        plots = report_plots(report)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, svg in plots.items():
            (out_dir / name).write_text(svg, encoding="utf-8")
        (out_dir / "report.html").write_text(render_report(report, plots), encoding="utf-8")
        bar.update(1)
    for line in summary_lines(report):
        click.echo(line)
    click.echo(f"Report: {(out_dir / 'report.html').resolve()} ({len(plots)} plots beside it)")
