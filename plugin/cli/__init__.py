"""The ``beinspired`` command: one module per command group, each added here in one line.

Rule of this room: parse options, build the services needed, call a feature, print the outcome."""
from __future__ import annotations

import click

from plugin.cli.catalog import catalog, unknown_values
from plugin.cli.deals import deals
from plugin.cli.demo import demo, demo_history, load_demo
from plugin.cli.evaluate import evaluate
from plugin.cli.model import model
from plugin.cli.org import org
from plugin.cli.outcomes import outcomes
from plugin.cli.people_commands import people
from plugin.cli.roles import roles
from plugin.cli.rollups import analytics
from plugin.cli.schema import init_db
from plugin.cli.serve import serve
from plugin.cli.speed import (
    benchmark, benchmark_analytics, benchmark_events, benchmark_load, benchmark_panel,
    benchmark_refit,
)
from plugin.cli.token import token
from plugin.cli.worker import worker


@click.group(help="Be Inspired: content suggestions inside the Salesforce Opportunity page.")
def main() -> None:
    pass


main.add_command(init_db)
main.add_command(demo)
main.add_command(load_demo)
main.add_command(demo_history)
main.add_command(serve)
main.add_command(catalog)
main.add_command(unknown_values)
main.add_command(org)
main.add_command(token)
main.add_command(roles)
main.add_command(outcomes)
main.add_command(worker)
main.add_command(model)
main.add_command(evaluate)
main.add_command(analytics)
main.add_command(people)
main.add_command(benchmark)
main.add_command(benchmark_panel)
main.add_command(benchmark_events)
main.add_command(benchmark_load)
main.add_command(benchmark_refit)
main.add_command(benchmark_analytics)
main.add_command(deals)
