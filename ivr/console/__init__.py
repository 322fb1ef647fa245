"""The console: hear the line without a phone (a call simulator and a call map), at /console.

Off unless IVR_CONSOLE_PASSWORD is set or the app runs in local development (see access.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console's pages, its JSON endpoints and its static files."""
    from . import pages

    app.register_blueprint(pages.bp)
