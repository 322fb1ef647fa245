"""The application factory: settings, content and audio are loaded and checked once here."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .catalog import Catalog
from .config import Settings
from .content import Content, load
from .errors import ConfigError
from .flow import Line
from .limits import BodyLimit
from .twiml import Renderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ivr:
    """What every request needs, built once per process."""

    settings: Settings
    content: Content
    catalog: Catalog
    line: Line
    renderer: Renderer


def build(settings: Settings) -> Ivr:
    """Load and check content and audio for these settings; raise on any problem."""
    content = load(settings.prompts_dir)
    problems = settings.check_against(content)
    if problems:
        raise ConfigError(problems)
    content = settings.with_candidate_voices(content)
    catalog = Catalog.load(settings.audio_dir)
    line = Line(content, settings, catalog)
    if not line.offered:
        raise ConfigError(["no language can be heard: check IVR_LANGUAGES and the audio"])
    return Ivr(settings, content, catalog, line, Renderer(content, settings, catalog))


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Create the line. `config` overrides environment variables of the same names."""
    settings = Settings.from_env({**os.environ, **(config or {})})
    if not settings.auth_token and not settings.allow_unsigned:
        raise ConfigError([
            "TWILIO_AUTH_TOKEN is not set, so Twilio's signatures cannot be checked. Set it, "
            "or set IVR_ALLOW_UNSIGNED=1 to run without checks (never on a real number)."
        ])
    ivr = build(settings)
    app = Flask(__name__)
    # Behind a TLS-terminating proxy, see the URL Twilio signed (https, public host); the
    # production entry trusts no X-Forwarded-* header unless IVR_PROXY_HOPS says how many proxies.
    hops = 1 if settings.proxy_hops is None else settings.proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    app.wsgi_app = BodyLimit(app.wsgi_app)  # type: ignore[method-assign]  # outermost: before anything reads
    app.extensions["ivr"] = ivr
    if not settings.auth_token:
        log.warning("UNSIGNED: Twilio signatures are NOT checked; anyone can drive this line")

    from . import console, counts, health, media, views

    counts.init_app(app)  # before the views: they record into app.extensions["counts"]
    views.init_app(app)
    media.init_app(app)
    console.init_app(app)
    health.init_app(app)
    return app
