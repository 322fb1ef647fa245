"""Counts without identity: how the line is used, per ISO week, and Twilio's errors, per day.

`Counter.record(tallies)` is the one call the line makes (see PLAN's Seam 1 for the
vocabulary); it never raises and never waits on the database.
"""

from __future__ import annotations

import atexit

from flask import Flask

from .counter import Counter

__all__ = ["SIMULATED", "Counter", "init_app"]

# Set in the WSGI environ by the simulator (console, `ivr call`): its calls are not counted.
# A remote client cannot set it: HTTP headers arrive as HTTP_* keys.
SIMULATED = "ivr.simulated"


def init_app(app: Flask) -> None:
    """Make this process's counter (app.extensions["counts"]) and the alerts webhook."""
    settings = app.extensions["ivr"].settings
    counter = Counter(settings.database_url, enabled=settings.counts)
    counter.prepare()  # the schema, created on first start (bounded by the database's short timeouts)
    atexit.register(counter.close, 2.0)  # what the last calls counted, on a clean shutdown
    app.extensions["counts"] = counter

    from . import alerts

    app.register_blueprint(alerts.bp)
