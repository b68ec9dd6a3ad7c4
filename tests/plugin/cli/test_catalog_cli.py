"""``beinspired catalog import|export`` on a temporary SQLite database."""
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from content_catalog.import_export import export_modules, read_csv
from content_catalog.importing import parse_rows
from plugin.cli import main
from plugin.crm.demo_org import DEMO_ORG_ID, demo_module_payloads

ROOT = Path(__file__).resolve().parents[3]
HEADER = (
    "id,title,summary,body,link,kind,audience,author,status,review_by,tags.journey_phase,"
    "tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,tags.deal_size"
)


def row(key: str, industry: str = "", title: str = "") -> str:
    title = title or f"Module {key}"
    return f"{key},{title},,,,case_study,client_facing,Enablement,published,,,,{industry},,,"


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def demo_csv(tmp_path, taxonomy) -> Path:
    """The demo catalog as an export writes it: sorted by id."""
    path = tmp_path / "demo.csv"
    modules = sorted(parse_rows(demo_module_payloads(), taxonomy), key=lambda module: module.key)
    path.write_bytes(export_modules(modules, "csv"))
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["catalog", *map(str, args)])


def write(path: Path, *lines: str) -> Path:
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def exported_ids(tmp_path) -> list[str]:
    out = tmp_path / "out.csv"
    assert run("export", "-o", out).exit_code == 0
    return [r["id"] for r in read_csv(out.read_bytes())]


def test_cli_imports_a_csv_file_and_exports_it_back_byte_identical(
    database_url, demo_csv, tmp_path
):
    imported = run("import", demo_csv, "--actor", "ann")

    assert imported.exit_code == 0, imported.output
    assert f"Imported into {DEMO_ORG_ID}: 70 created, 0 updated, 0 unchanged" in imported.output
    exported = run("export", "-o", tmp_path / "again.csv")
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "again.csv").read_bytes() == demo_csv.read_bytes()
    assert "0 created, 0 updated, 70 unchanged" in run("import", tmp_path / "again.csv").output


def test_cli_reports_row_errors_with_row_line_column_and_allowed_values_and_imports_nothing(
    database_url, tmp_path
):
    bad = row("bad", industry="Aerospace")
    path = write(tmp_path / "bad.csv", HEADER, row("good"), bad, row("good"))

    result = run("import", path)

    assert result.exit_code == 1
    assert (
        "row 2 (line 3), column tags.industry: 'Aerospace' is not an allowed value "
        "(allowed: Agriculture, Apparel," in result.output
    )
    assert "row 3 (line 4), column id: 'good' duplicates row 1 (line 2)" in result.output
    assert result.output.rstrip().endswith("2 problem(s) in 2 row(s).\nNothing was imported.")
    assert exported_ids(tmp_path) == []


def test_cli_refuses_a_latin1_file_naming_where_and_imports_nothing(database_url, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\r\n{row('a', title='Café')}\r\n".encode("latin-1"))

    result = run("import", path)

    assert result.exit_code == 1
    assert (
        "latin1.csv: row 1 (line 2), column title: is not UTF-8: byte 0xE9 at offset"
        in result.output
    )
    assert "Nothing was imported." in result.output
    assert exported_ids(tmp_path) == []


def test_cli_refuses_a_lone_surrogate_in_one_line_without_a_traceback(database_url, tmp_path):
    path = tmp_path / "surrogate.json"
    path.write_bytes(b'[{"title": "lone \\ud800 surrogate"}]')

    result = run("import", path)

    assert result.exit_code == 1
    assert "surrogate.json: row 1, column title: contains a lone surrogate (\\ud800)" in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert exported_ids(tmp_path) == []


def test_cli_refuses_a_file_over_the_size_limit_unless_told_a_larger_one(database_url, tmp_path):
    path = write(tmp_path / "a.csv", HEADER, row("a"))
    size = path.stat().st_size

    refused = run("import", path, "--max-bytes", size - 1)
    accepted = run("import", path, "--max-bytes", size)

    assert refused.exit_code == 1
    assert f"a.csv: is {size:,} bytes; the limit is {size - 1:,} bytes" in refused.output
    assert accepted.exit_code == 0 and "1 created" in accepted.output


def test_cli_refuses_a_file_with_missing_columns(database_url, tmp_path):
    path = write(tmp_path / "short.csv", "id,title", "a,A")

    result = run("import", path)

    assert result.exit_code == 1
    assert "missing column(s): summary, body, link, kind" in result.output


def test_cli_dry_run_lists_what_would_change_and_writes_nothing(database_url, tmp_path):
    first = write(tmp_path / "v1.csv", HEADER, row("same"), row("changed"))
    assert run("import", first).exit_code == 0
    changed = row("changed", industry="Retail")
    path = write(tmp_path / "v2.csv", HEADER, row("same"), changed, row("added"))

    result = run("import", path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Would create 1, update 1, leave 1 unchanged." in result.output
    assert "  create added\n" in result.output
    assert "  update changed (tags.industry)\n" in result.output
    assert "Dry run: nothing was written" in result.output
    assert exported_ids(tmp_path) == ["changed", "same"]


def test_cli_reads_json_by_extension_and_exports_json_filtered_by_status(
    database_url, tmp_path, taxonomy
):
    json_file = tmp_path / "demo.json"
    json_file.write_bytes(export_modules(parse_rows(demo_module_payloads(), taxonomy), "json"))

    assert "70 created" in run("import", json_file).output
    result = run("export", "--status", "retired", "--format", "json", "-o", "-")

    assert result.exit_code == 0
    retired = [m for m in demo_module_payloads() if m["status"] == "retired"]
    assert result.stdout.count('"status": "retired"') == len(retired) > 0
    assert f"Exported {len(retired)} module(s)" in result.stderr


def test_cli_asks_for_a_format_it_cannot_tell_from_the_name(database_url, tmp_path):
    result = run("import", write(tmp_path / "modules.txt", HEADER))

    assert result.exit_code == 2 and "--format csv or --format json" in result.output


def test_cli_refuses_an_org_that_does_not_exist(database_url, tmp_path):
    result = run("import", write(tmp_path / "a.csv", HEADER, row("a")), "--org", "00D5e000000Acme")

    assert result.exit_code == 1 and "no org 00D5e000000AcmeEAC here" in result.output


def test_cli_shows_a_progress_bar_in_a_terminal(database_url, demo_csv):
    output = _run_in_terminal([sys.executable, "-c", "from plugin.cli import main; main()",
                               "catalog", "import", str(demo_csv)])  # fmt: skip

    assert "Validating  [####################################]  70/70  100%" in output
    assert "Writing     [####################################]  70/70  100%" in output
    assert "70 created" in output


def _run_in_terminal(command: list[str]) -> str:
    """Run ``command`` with a pseudo-terminal as stdout and stderr: click draws bars only there."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")
