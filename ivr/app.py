"""The application factory: the deployment is loaded and checked once (ivr.runtime), then served."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import runtime
from .answered import Answered
from .config import Settings
from .errors import ConfigError
from .limits import BodyLimit

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Create the line. `config` overrides environment variables of the same names."""
    settings = Settings.from_env({**os.environ, **(config or {})})
    if not settings.auth_token and not settings.allow_unsigned:
        raise ConfigError([
            "TWILIO_AUTH_TOKEN is not set, so Twilio's signatures cannot be checked. Set it, "
            "or set IVR_ALLOW_UNSIGNED=1 to run without checks (never on a real number)."
        ])
    loaded = runtime.build(settings)
    loaded.playback.report()
    app = Flask(__name__)
    # `/voice//x` must reach the webhooks (signature first, then TwiML), not a 308 redirect.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    # Behind a TLS-terminating proxy, see the URL Twilio signed (https, public host); the
    # production entry trusts no X-Forwarded-* header unless IVR_PROXY_HOPS says how many proxies.
    hops = 1 if settings.proxy_hops is None else settings.proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    # Answers already rendered are served before Flask, after the exact signature (ivr.answered).
    app.wsgi_app = Answered(app.wsgi_app, loaded, app.extensions)  # type: ignore[method-assign]
    app.wsgi_app = BodyLimit(app.wsgi_app)  # type: ignore[method-assign]  # outermost: before anything reads
    app.extensions[runtime.EXTENSION] = loaded
    if not settings.auth_token:
        log.warning("UNSIGNED: Twilio signatures are NOT checked; anyone can drive this line")

    from . import counts, health, media, views

    counts.init_app(app)  # before the views: they record into app.extensions["counts"]
    views.init_app(app)
    media.init_app(app)
    if settings.console_password or settings.console_open or settings.recorder_password:
        from . import console

        console.init_app(app)
    from .studio.live import follow_manifest

    follow_manifest(app)  # approved recordings reach calls without a restart
    health.init_app(app)
    return app
