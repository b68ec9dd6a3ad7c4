"""``beinspired catalog import|export``: an org's modules in and out as CSV or JSON."""
from __future__ import annotations

import time
from pathlib import Path

import click

from content_catalog.database import upgrade
from content_catalog.import_export import (
    DEFAULT_MAX_BYTES,
    ImportFileError,
    ImportPlan,
    ImportRejected,
    ImportStage,
    describe_row_error,
    export_modules,
    plan_import,
    read_csv,
    read_json,
    run_import,
    UnexportableValue,
)
from content_catalog.tables.catalog_tables import Org
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import ModuleStatus, Taxonomy
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.crm.salesforce.ids import ORG_PREFIX, InvalidSalesforceId, to_18
from plugin.services import Services, build_services
from plugin.settings import Settings

FORMATS = ("csv", "json")
READERS = {"csv": read_csv, "json": read_json}
#: Row errors printed before the rest are only counted: past this many, the file has one
#: systematic problem, and the first lines name it.
SHOWN_ERRORS = 100
#: Keys listed per kind of change in a dry run.
SHOWN_KEYS = 25
STAGE_LABELS = {
    ImportStage.VALIDATE: "Validating",
    ImportStage.COMPARE: "Comparing ",
    ImportStage.WRITE: "Writing   ",
}


@click.group(
    "catalog", help="An org's content modules in and out as CSV or JSON (docs/import-format.md)."
)
def catalog() -> None:
    pass


def _org_id(_ctx, _param, value: str) -> str:
    try:
        return to_18(value, prefix=ORG_PREFIX)
    except InvalidSalesforceId as exc:
        raise click.BadParameter(exc.reason) from None


org_option = click.option(
    "--org", "org_id", default=DEMO_ORG_ID, show_default=True, callback=_org_id,
    help="The org's Id (00D…); the default is the bundled demo org.",
)  # fmt: skip


@catalog.command("import", help="Create or update modules from a CSV or JSON file; all or nothing.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@org_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file's name.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--actor", default="command line", show_default=True, help="Who, for the history.")
@click.option(
    "--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
    help="Refuse larger files.",
)  # fmt: skip
def import_command(
    file: Path, org_id: str, fmt: str | None, dry_run: bool, actor: str, max_bytes: int
) -> None:
    fmt = fmt or _format_from_name(file)
    started = time.perf_counter()
    try:
        rows = READERS[fmt](_read_limited(file, max_bytes), max_bytes=max_bytes)
    except ImportFileError as exc:
        _fail([f"{file.name}: {exc}"])
    click.echo(f"{file.name}: {len(rows):,} module(s) read as {fmt.upper()}.")
    svc = _services()
    taxonomy = _taxonomy(svc, org_id)
    try:
        with _Progress(len(rows)) as progress:
            if dry_run:
                plan = _plan(svc, org_id, rows, taxonomy, progress)
            else:
                result = _import(svc, org_id, rows, taxonomy, actor, progress)
    except ImportRejected as exc:
        _fail(_row_error_lines(exc, rows))
    seconds = time.perf_counter() - started
    if dry_run:
        _echo_plan(plan)
        click.echo(f"Dry run: nothing was written ({seconds:.1f} s).")
    else:
        click.echo(
            f"Imported into {org_id}: {result.created:,} created, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged ({seconds:.1f} s)."
        )


@catalog.command("export", help="Write an org's modules to a file that imports back unchanged.")
@org_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: by name, else CSV.")
@click.option("--status", type=click.Choice([s.value for s in ModuleStatus]), help="Only these.")
@click.option(
    "-o", "--output", required=True, help="File to write ('-' for standard output).",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
)  # fmt: skip
def export_command(org_id: str, fmt: str | None, status: str | None, output: str) -> None:
    fmt = fmt or (_format_from_name(Path(output)) if output != "-" else "csv")
    svc = _services()
    with svc.sessions() as session:
        if org_id != DEMO_ORG_ID:  # the demo org exists once something is imported into it
            _require_org(session, org_id)
        modules = CatalogRepository(session, org_id).list(ModuleStatus(status) if status else None)
    try:
        data = export_modules(modules, fmt)
    except UnexportableValue as exc:
        raise click.ClickException(str(exc)) from None
    with click.open_file(output, "wb") as out:
        out.write(data)
    click.echo(f"Exported {len(modules):,} module(s) of {org_id} as {fmt.upper()} to {output}.",
               err=True)  # stdout may be the file itself


# -- import steps -------------------------------------------------------------------------------
def _taxonomy(svc: Services, org_id: str) -> Taxonomy:
    """The org's taxonomy, as the workspace checks imports: the stages its admin mapped are
    values its modules may be tagged with. The mapping is kept with the org's connection, which
    is read whole, so the encryption keys are needed as for ``serve``."""
    try:
        return svc.taxonomy_for(org_id)
    except (EncryptionKeyMissing, SecretsUnreadable) as exc:
        raise click.ClickException(f"cannot read the org's stage mapping: {exc}") from None


def _plan(
    svc: Services, org_id: str, rows, taxonomy: Taxonomy, progress: "_Progress"
) -> ImportPlan:
    with svc.sessions() as session:
        if org_id != DEMO_ORG_ID:  # the demo org is made on first import; its plan is all new
            _require_org(session, org_id)
        return plan_import(session, org_id, rows, taxonomy, on_progress=progress.advance)


def _import(
    svc: Services, org_id: str, rows, taxonomy: Taxonomy, actor: str, progress: "_Progress"
):
    with svc.sessions.begin() as session:
        if org_id == DEMO_ORG_ID:
            ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
        else:
            _require_org(session, org_id)
        return run_import(session, org_id, rows, taxonomy, actor, on_progress=progress.advance)


def _echo_plan(plan: ImportPlan) -> None:
    click.echo(
        f"Would create {len(plan.create):,}, update {len(plan.update):,}, "
        f"leave {len(plan.unchanged):,} unchanged."
    )
    _echo_keys("create", plan.create)
    _echo_keys("update", [f"{change.key} ({', '.join(change.fields)})" for change in plan.update])


def _echo_keys(verb: str, items) -> None:
    for item in items[:SHOWN_KEYS]:
        click.echo(f"  {verb} {item}")
    if len(items) > SHOWN_KEYS:
        click.echo(f"  … and {len(items) - SHOWN_KEYS:,} more to {verb}")


def _row_error_lines(exc: ImportRejected, rows) -> list[str]:
    lines = [describe_row_error(error, rows) for error in exc.errors[:SHOWN_ERRORS]]
    if len(exc.errors) > SHOWN_ERRORS:
        lines.append(f"… and {len(exc.errors) - SHOWN_ERRORS:,} more problem(s)")
    bad_rows = len({error.row for error in exc.errors})
    lines.append(f"{len(exc.errors):,} problem(s) in {bad_rows:,} row(s).")
    return lines


class _Progress:
    """One progress bar per import stage, each over all the rows, opened as the stage starts."""

    def __init__(self, total: int):
        self.total = total
        self._stage: ImportStage | None = None
        self._bar = None

    def advance(self, stage: ImportStage, count: int) -> None:
        if stage is not self._stage:
            self._close()
            self._stage = stage
            self._bar = click.progressbar(
                length=self.total, label=STAGE_LABELS[stage], show_pos=True, show_percent=True
            )
            self._bar.__enter__()
        self._bar.update(count)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> "_Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()


# -- helpers ------------------------------------------------------------------------------------
def _services() -> Services:
    svc = build_services(Settings())
    upgrade(svc.engine)
    return svc


def _require_org(session, org_id: str) -> None:
    if session.get(Org, org_id) is None:
        raise click.ClickException(f"no org {org_id} here (see 'beinspired org list')")


def _format_from_name(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise click.UsageError(
            f"cannot tell the format of {path.name!r} from its name; "
            "add --format csv or --format json"
        )
    return suffix


def _read_limited(file: Path, max_bytes: int) -> bytes:
    """The file's bytes; one over the limit is refused without being read."""
    size = file.stat().st_size
    if size > max_bytes:
        raise ImportFileError(f"is {size:,} bytes; the limit is {max_bytes:,} bytes (--max-bytes)")
    return file.read_bytes()


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    click.echo("Nothing was imported.", err=True)
    click.get_current_context().exit(1)


@click.command("unknown-values", help="CRM picklist values the taxonomy does not know yet.")
@click.option("--org", "org_id", default=DEMO_ORG_ID, show_default=True)
def unknown_values(org_id: str) -> None:
    svc = _services()
    with svc.sessions() as session:
        rows = CatalogRepository(session, org_id).unknown_values()
    if not rows:
        click.echo("No unknown values recorded.")
    for row in rows:
        click.echo(f"{row.dimension:14} {row.value!r:40} seen {row.times_seen}× (last {row.last_seen:%Y-%m-%d %H:%M})")
