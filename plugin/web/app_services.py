"""The running app's services (built by :mod:`plugin.services`), for code handling a request."""
from __future__ import annotations

from flask import current_app

from plugin.services import Services


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    return current_app.extensions["be_inspired"]
