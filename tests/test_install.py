"""What an install gets: the lock agrees with setup.cfg, and the product runs without the test
extra (README: `make demo` installs only requirements/runtime.txt)."""
from __future__ import annotations

import configparser
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
TEST_ONLY = ("responses", "pytest", "_pytest", "playwright", "hypothesis")


def pins(lock: str) -> dict[str, str]:
    found = {}
    for line in (LOCKS / lock).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def declared(extra: str | None) -> list[Requirement]:
    """setup.cfg's install_requires, or one extra's list (read from the file, not from an
    installed copy's metadata, which may be older than the checkout)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    text = (config["options"]["install_requires"] if extra is None
            else config["options.extras_require"][extra])
    return [Requirement(line.strip()) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("lock, extra", [("runtime.txt", None), ("test.txt", None),
                                         ("test.txt", "test")])
def test_every_declared_dependency_is_locked_inside_its_range(lock, extra):
    locked = pins(lock)
    for requirement in declared(extra):
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in locked, f"{requirement} is not in requirements/{lock}"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={locked[name]}, outside {requirement}")


def test_every_declared_dependency_has_an_upper_bound():
    for requirement in declared(None) + declared("test"):
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), \
            f"{requirement} has no upper bound on its major version"


def test_runtime_and_test_locks_pin_the_same_versions():
    runtime, test = pins("runtime.txt"), pins("test.txt")
    assert set(runtime) <= set(test)
    assert {n: v for n, v in test.items() if n in runtime} == runtime


def test_every_pin_carries_a_hash():
    for lock in ("bootstrap.txt", "runtime.txt", "test.txt", "tools.txt"):
        text = (LOCKS / lock).read_text(encoding="utf-8")
        for block in re.split(r"\n(?=[A-Za-z0-9])", text):
            if "==" in block.split("\n", 1)[0]:
                assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]}"


def test_the_product_imports_and_benchmarks_without_the_test_extra():
    """Every module of the three packages imports, and `beinspired benchmark-panel` runs, in a
    process where the test-only packages cannot be imported."""
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class NoTestPackages:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {TEST_ONLY!r}:
                    raise ImportError(f"{{name}} is a test-only package")
        sys.meta_path.insert(0, NoTestPackages())
        for package in ("content_catalog", "recommender", "plugin"):
            root = importlib.import_module(package)
            for info in pkgutil.walk_packages(root.__path__, package + "."):
                if not info.name.startswith("plugin.salesforce_package"):
                    importlib.import_module(info.name)
        from click.testing import CliRunner
        from plugin.cli import main
        result = CliRunner().invoke(main, ["benchmark-panel", "--records", "1", "--delay", "0",
                                           "--no-redis"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        print(result.output)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "API calls per view, target 1 cold / 0 warm: in-process met" in done.stdout
