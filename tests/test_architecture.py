"""The layout's rules, checked on the source: imports only point down, the bootstrap is used only
at the top, each room says its rule, and no two modules share a name (docs/architecture.md)."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("plugin", "recommender", "content_catalog")

#: plugin's rooms, lowest first. A room may import rooms of a lower rank, never its own rank's
#: other rooms (they are peers), never a higher one.
RANKS: dict[str, int] = {
    "settings": 0, "errors": 0, "telemetry": 0,
    "crm": 1,
    "orgs": 2, "access": 2, "content": 2,
    "ranking": 3, "deals": 3,
    "panel": 4, "analytics": 4,
    "learning": 5, "coaching": 5,
    "services": 6,
    "jobs": 7,
    "web": 8,
    "app": 9,
    "server": 10,
    "benchmarks": 11,
    "cli": 12,
}
#: What the lower rooms may not import: they are called by the web and the CLI, never the reverse.
WEB_FRAMEWORK = ("flask", "flask_wtf", "werkzeug")
RECOMMENDER_MAY_NOT = ("plugin", "content_catalog", "flask", "werkzeug", "sqlalchemy", "alembic",
                       "requests", "redis", "jinja2", "simple_salesforce")
CATALOG_MAY_NOT = ("plugin", "flask", "flask_wtf", "werkzeug", "jinja2")
TOP_LEVEL_MODULES_AT_MOST = 6


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "salesforce_package" in path.parts or "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path) -> set[str]:
    """Every module an import statement names, at any depth (functions, TYPE_CHECKING)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


ALL = modules()
IMPORTS = {name: imports_of(path) for name, path in ALL.items()}


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "plugin" and len(parts) > 1 else None


def test_the_room_table_lists_every_room_of_plugin():
    rooms = {room(name) for name in ALL if room(name)}
    assert rooms == set(RANKS), "add the new room to RANKS (and to docs/architecture.md)"


@pytest.mark.parametrize("module", sorted(m for m in ALL if room(m)))
def test_a_room_imports_only_lower_rooms(module):
    mine = room(module)
    for imported in IMPORTS[module]:
        theirs = room(imported)
        if theirs is None or theirs == mine or imported == "plugin":
            continue
        assert RANKS[theirs] < RANKS[mine], (
            f"{module} ({mine}, rank {RANKS[mine]}) imports {imported} "
            f"({theirs}, rank {RANKS[theirs]}): imports must point down")


@pytest.mark.parametrize("module", sorted(m for m in ALL if room(m) and RANKS[room(m)] < RANKS["web"]))
def test_rooms_below_the_web_know_no_web_framework(module):
    used = {i.split(".")[0] for i in IMPORTS[module]}
    assert not used & set(WEB_FRAMEWORK), f"{module} imports {used & set(WEB_FRAMEWORK)}"


def test_the_bootstrap_is_imported_only_by_the_app_the_cli_and_the_web():
    importers = {m for m, imported in IMPORTS.items() if "plugin.services" in imported}
    allowed = {m for m in importers if room(m) in ("app", "cli", "web", "jobs")}
    assert importers == allowed, f"plugin.services imported by {sorted(importers - allowed)}"


@pytest.mark.parametrize("package, forbidden", [("recommender", RECOMMENDER_MAY_NOT),
                                                ("content_catalog", CATALOG_MAY_NOT)])
def test_the_lower_packages_stay_free_of_the_upper_ones(package, forbidden):
    for module, imported in IMPORTS.items():
        if module.split(".")[0] != package:
            continue
        used = {i.split(".")[0] for i in imported}
        assert not used & set(forbidden), f"{module} imports {sorted(used & set(forbidden))}"


def test_plugin_keeps_few_modules_at_its_top_level():
    top = [p.name for p in (ROOT / "plugin").glob("*.py")]
    assert len(top) <= TOP_LEVEL_MODULES_AT_MOST, sorted(top)


def test_every_subpackage_states_its_rule():
    for init in (ROOT / "plugin").rglob("__init__.py"):
        if "salesforce_package" in init.parts:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} says nothing about its room"
    for name in RANKS:
        init = ROOT / "plugin" / name / "__init__.py"
        if init.exists():
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
            assert "Rule of this room" in doc, f"plugin/{name}/__init__.py states no rule"


def test_no_two_modules_share_a_name():
    """recommender/_previous/ is exempt: a frozen copy of the rankers before the big-catalog work,
    kept under its old names so the benchmark can time both in one run."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for name, path in ALL.items():
        if path.name != "__init__.py" and "_previous" not in path.parts:
            by_name[path.stem].append(name)
    shared = {stem: where for stem, where in by_name.items() if len(where) > 1}
    assert not shared, shared


MODULE_DOCSTRING_LINES_AT_MOST = 3


@pytest.mark.parametrize("module", sorted(
    name for name, path in ALL.items() if "_previous" not in path.parts
))
def test_a_module_docstring_says_in_a_few_lines_what_the_module_is_for(module):
    """Design reasoning lives in docs/design/<room>.md, where it can be read as a whole; a module
    says what it is for. (recommender/_previous/ is a frozen copy and keeps its old text.)"""
    doc = ast.get_docstring(ast.parse(ALL[module].read_text(encoding="utf-8")))
    assert doc, f"{module} has no module docstring"
    lines = doc.strip().splitlines()
    assert len(lines) <= MODULE_DOCSTRING_LINES_AT_MOST, (
        f"{module}'s docstring has {len(lines)} lines; move the reasoning to docs/design/"
    )
