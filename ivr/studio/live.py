"""The running line follows audio/manifest.json, so approved recordings reach calls without a restart.

Every worker looks at the manifest's time stamp at most every CHECK_EVERY seconds, as a request
comes in (WSGI middleware, before anything answers it), and when it changed (an upload, an approval, `ivr audio approve`, `ivr audio build`)
reloads the catalog and the languages offered in a background thread, then swaps them in: no call
waits for the reload, and every request sees the old line or the new one. A manifest that cannot
be read, or that would leave no language to offer, is ignored and the line goes on as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask

from ..call import validate
from ..call.graph import CallGraph
from ..catalog import MANIFEST, Catalog
from ..playback import Playback
from ..runtime import EXTENSION, Runtime
from ..twiml import Renderer

CHECK_EVERY = 2.0  # seconds
log = logging.getLogger(__name__)


def rebuilt(loaded: Runtime, catalog: Catalog) -> Runtime | None:
    """The loaded line with another catalog (same settings and content); None if it offers nothing
    or its call does not check out. The one place that knows how a Runtime is put together from
    its catalog (as ivr.runtime.build does, without reading the content again)."""
    playback = Playback(loaded.content, loaded.settings, catalog)
    if not playback.offered:
        return None
    graph = CallGraph.build(loaded.content, loaded.settings, playback)
    if validate.check(graph):
        return None
    return Runtime(
        loaded.settings, loaded.content, catalog, playback, graph, Renderer(loaded.content, loaded.settings, playback)
    )


def reload(app: Flask) -> bool:
    """Read the manifest again and put its files on the line; False (and no change) if that fails."""
    ivr = app.extensions[EXTENSION]
    try:
        fresh = rebuilt(ivr, Catalog.load(ivr.settings.audio_dir))
    except Exception:
        log.exception("audio manifest changed but could not be loaded; keeping the previous one")
        return False
    if fresh is None:
        log.warning("audio manifest changed but would leave no language; keeping the previous one")
        return False
    app.extensions[EXTENSION] = fresh
    return True


class Follower:
    """Checks the manifest's time stamp now and then; reloads in the background on a change."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.path = app.extensions[EXTENSION].settings.audio_dir / MANIFEST
        self.seen = self._stamp()
        self.due = time.monotonic() + CHECK_EVERY
        self.lock = threading.Lock()
        self.worker: threading.Thread | None = None

    def _stamp(self) -> tuple[int, int] | None:
        try:
            found = self.path.stat()
        except OSError:
            return None
        return (found.st_mtime_ns, found.st_size)

    def __call__(self) -> None:
        """Before every request: cheap unless due, and never waits for a reload."""
        now = time.monotonic()
        if now < self.due or not self.lock.acquire(blocking=False):
            return
        try:
            self.due = now + CHECK_EVERY
            stamp = self._stamp()
            if stamp != self.seen and not (self.worker and self.worker.is_alive()):
                self.seen = stamp
                self.worker = threading.Thread(target=self._reload, name="manifest-reload", daemon=True)
                self.worker.start()
        except Exception:
            log.exception("checking the audio manifest failed")
        finally:
            self.lock.release()

    def _reload(self) -> None:
        if reload(self.app):
            log.info("audio manifest changed: reloaded")

    def now(self) -> None:
        """Reload at once, in this thread (this worker just wrote the manifest)."""
        with self.lock:
            self.seen = self._stamp()
            reload(self.app)

    def join(self, timeout: float = 10.0) -> None:
        """Wait for a reload in progress (for tests and benchmarks)."""
        worker = self.worker
        if worker is not None:
            worker.join(timeout)


class Following:
    """WSGI middleware, outermost: the follower looks before every request, however it is answered
    (a cache of rendered answers in front of Flask would otherwise never let it look)."""

    def __init__(self, app: Any, follower: Follower) -> None:
        self.app = app
        self.follower = follower

    def __call__(self, environ: Any, start_response: Any) -> Any:
        self.follower()
        return self.app(environ, start_response)


def follow_manifest(app: Flask) -> Follower:
    """Make the app follow its manifest; returns the follower (the studio calls `now()`).

    Call it after every other WSGI middleware is in place, so it sees every request."""
    follower = Follower(app)
    app.wsgi_app = Following(app.wsgi_app, follower)  # type: ignore[method-assign]
    app.extensions["ivr.follower"] = follower
    return follower
