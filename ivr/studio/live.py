"""The running line follows audio/manifest.json, so approved recordings reach calls without a restart.

Every worker looks at the manifest's modification time at most every CHECK_EVERY seconds, at the
start of a request, and reloads the catalog and the languages offered when it changed (after an
upload, an approval, `ivr audio approve` or `ivr audio build`). A manifest that cannot be read,
or that would leave no language to offer, is ignored and the line goes on as it was: a fault here
never breaks or holds up a call beyond one stat() and, after a change, one reload.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

from flask import Flask

from ..catalog import MANIFEST, Catalog
from ..flow import Line
from ..twiml import Renderer

CHECK_EVERY = 2.0  # seconds
log = logging.getLogger(__name__)


def reload(app: Flask) -> bool:
    """Read the manifest again and put its files on the line; False (and no change) if that fails."""
    ivr = app.extensions["ivr"]
    try:
        catalog = Catalog.load(ivr.settings.audio_dir)
        line = Line(ivr.content, ivr.settings, catalog)
    except Exception:
        log.exception("audio manifest changed but could not be loaded; keeping the previous one")
        return False
    if not line.offered:
        log.warning("audio manifest changed but would leave no language; keeping the previous one")
        return False
    app.extensions["ivr"] = dataclasses.replace(
        ivr, catalog=catalog, line=line, renderer=Renderer(ivr.content, ivr.settings, catalog)
    )
    return True


class Follower:
    """Checks the manifest's time stamp now and then, and reloads on a change."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.path = app.extensions["ivr"].settings.audio_dir / MANIFEST
        self.seen = self._stamp()
        self.due = time.monotonic() + CHECK_EVERY
        self.lock = threading.Lock()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            found = self.path.stat()
        except OSError:
            return None
        return (found.st_mtime_ns, found.st_size)

    def __call__(self) -> None:
        now = time.monotonic()
        if now < self.due or not self.lock.acquire(blocking=False):
            return
        try:
            self.due = now + CHECK_EVERY
            stamp = self._stamp()
            if stamp != self.seen:
                self.seen = stamp
                if reload(self.app):
                    log.info("audio manifest changed: reloaded")
        except Exception:
            log.exception("checking the audio manifest failed")
        finally:
            self.lock.release()

    def now(self) -> None:
        """Reload at once (this worker just wrote the manifest)."""
        with self.lock:
            self.seen = self._stamp()
            reload(self.app)


def follow_manifest(app: Flask) -> Follower:
    """Make the app follow its manifest; returns the follower (the studio calls `now()`)."""
    follower = Follower(app)
    app.before_request(follower)
    app.extensions["ivr.follower"] = follower
    return follower
