"""The production entry, which the Procfile runs: `gunicorn 'ivr.wsgi:production_app()'`.

Stricter than `create_app()` (tests) and `ivr serve` (local development). It refuses to start
  - without TWILIO_AUTH_TOKEN (unless IVR_ALLOW_UNSIGNED=1, never on a real number);
  - without PUBLIC_BASE_URL: signatures are checked against that one URL, never against the
    Host or X-Forwarded-* headers a client chooses, so a signature made for another deployment
    sharing the token cannot be replayed here;
  - with IVR_CONSOLE_OPEN (the console without a password);
and trusts no X-Forwarded-* header unless IVR_PROXY_HOPS says how many proxies sit in front.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from .app import create_app
from .config import Settings
from .errors import ConfigError


def problems(settings: Settings) -> list[str]:
    """What the production entry refuses, each naming its setting."""
    found = []
    if not settings.auth_token and not settings.allow_unsigned:
        found.append(
            "TWILIO_AUTH_TOKEN is not set, so Twilio's signatures cannot be checked. Set it, "
            "or set IVR_ALLOW_UNSIGNED=1 to run without checks (never on a real number)."
        )
    if not settings.public_base_url:
        found.append(
            "PUBLIC_BASE_URL is not set: set it to the public https:// address Twilio calls "
            "(e.g. https://line.example.no); signatures are checked against it alone."
        )
    if settings.console_open:
        found.append(
            "IVR_CONSOLE_OPEN opens the console without a password: unset it, and set "
            "IVR_CONSOLE_PASSWORD to use the console on a deployment."
        )
    return found


def production_app(env: Mapping[str, str] | None = None) -> Flask:
    """The line as the Procfile serves it; raise ConfigError naming every refused setting."""
    env = dict(os.environ if env is None else env)
    settings = Settings.from_env(env)
    found = problems(settings)
    if found:
        raise ConfigError(found)
    if settings.proxy_hops is None:
        env["IVR_PROXY_HOPS"] = "0"
    return create_app(env)
