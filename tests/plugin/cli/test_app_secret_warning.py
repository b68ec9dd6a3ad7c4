"""The warning about an unset ``BEINSPIRED_APP_SECRET`` comes from what signs panel tokens (the
web app), not from every command."""
from __future__ import annotations

import logging

from click.testing import CliRunner

from plugin.app import create_app
from plugin.cli import main
from plugin.settings import Settings

WARNING = "BEINSPIRED_APP_SECRET is not set"


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]


def test_a_command_that_signs_nothing_does_not_warn_about_the_app_secret(tmp_path, monkeypatch,
                                                                       caplog):
    monkeypatch.delenv("BEINSPIRED_APP_SECRET", raising=False)
    monkeypatch.delenv("BEINSPIRED_DEMO_MODE", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with caplog.at_level(logging.WARNING):
        for command in (["init-db"], ["org", "list"], ["roles", "list", "--org", "00D5e000000ACME"]):
            result = CliRunner().invoke(main, command)
            assert WARNING not in result.output
    assert _warnings(caplog) == []


def test_the_web_app_without_an_app_secret_warns_once(tmp_path, caplog):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}", app_secret=None,
                        demo_mode=False)
    with caplog.at_level(logging.WARNING):
        app = create_app(settings)
    app.extensions["be_inspired"].engine.dispose()
    assert len(_warnings(caplog)) == 1
