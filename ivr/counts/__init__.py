"""Counts without identity: how the line is used, per ISO week, and Twilio's errors, per day.

`Counter.record(tallies)` is the one call the line makes (the scenes of ivr.call carry the
vocabulary); it never raises and never waits on the database.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterable, Mapping

from flask import Flask

from .counter import Counter

__all__ = ["SIMULATED", "Counter", "count_answer", "counted", "init_app"]
log = logging.getLogger(__name__)

# Set in the WSGI environ by the simulator (console, `ivr call`): its calls are not counted.
# A remote client cannot set it: HTTP headers arrive as HTTP_* keys.
SIMULATED = "ivr.simulated"
# Sent by `ivr smoke` on every request: a walk of a deployed line is not calls. Only a request
# signed with the line's token is answered at all, so only its operators can send it.
SMOKE_ENVIRON = "HTTP_X_IVR_SMOKE"


def counted(environ: Mapping[str, object]) -> bool:
    """Whether an answered webhook counts as part of a real call (not the simulator, not a smoke test)."""
    return not environ.get(SIMULATED) and environ.get(SMOKE_ENVIRON) != "1"


def count_answer(extensions: Mapping[str, object], environ: Mapping[str, object], tallies: Iterable[tuple[str, str]]) -> None:
    """Hand an answer's counts to the app's counter, if it has one and the call counts; never raises."""
    counter = extensions.get("counts")
    if counter is None or not tallies or not counted(environ):
        return
    try:
        counter.record(tuple(tallies))  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - a count must never break a call
        # The type only: a traceback or a driver's message may carry anything the request held.
        log.warning("could not count an answer (%s)", type(error).__name__)


def init_app(app: Flask) -> None:
    """Make this process's counter (app.extensions["counts"]) and the alerts webhook."""
    settings = app.extensions["ivr"].settings
    counter = Counter(settings.database_url, enabled=settings.counts)
    counter.prepare()  # the schema, created on first start (bounded by the database's short timeouts)
    atexit.register(counter.close, 2.0)  # what the last calls counted, on a clean shutdown
    app.extensions["counts"] = counter

    from . import alerts

    app.register_blueprint(alerts.bp)
