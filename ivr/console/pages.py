"""The console's pages: the call simulator at /console/, the call map at /console/map, line health at /console/health."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, render_template, request

from ..runtime import Runtime, current
from . import api, callmap, record
from .access import guard

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)
bp.before_request(guard)  # nested blueprints (the API) are guarded too
bp.register_blueprint(api.bp)
bp.register_blueprint(record.bp)  # the recording studio, /console/record
COUNTRY = re.compile(r"^[A-Z]{2}$")


def _ivr() -> Runtime:
    return current()


@bp.after_request
def headers(response: Response) -> Response:
    """Nothing cached, framed or fetched from elsewhere (but the audio host, when there is one)."""
    media = "'self'"
    audio_base = _ivr().settings.audio_base_url
    if audio_base:
        parts = urlsplit(audio_base)
        media += f" {parts.scheme}://{parts.netloc}"
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src {media}; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def simulator() -> str:
    """The call simulator."""
    return render_template("console/simulator.html", countries=_countries())


@bp.get("/map")
def call_map() -> tuple[str, int] | str:
    """The call map of one language: ?lang=<code>; without it, the list of languages."""
    ivr = _ivr()
    code = request.args.get("lang", "").strip()
    if not code:
        return render_template("console/languages.html", languages=_languages(), unknown=None)
    if code not in ivr.content.languages:
        return render_template("console/languages.html", languages=_languages(), unknown=code), 404
    country = request.args.get("country", "").strip().upper() or None
    if country is not None and not COUNTRY.match(country):
        abort(400, "country must be two letters, like NO")
    found = callmap.build(ivr, code, country)
    return render_template("console/map.html", map=found, languages=_languages(), countries=_countries())


@bp.get("/health")
def health() -> str:
    """Line health: Twilio's error codes and the weekly counts (?weeks=N, default 8)."""
    from flask import current_app

    from ..counts import report

    weeks = min(max(request.args.get("weeks", 8, type=int) or 8, 1), 52)
    found = report.build(current_app.extensions["counts"], weeks)
    return render_template("console/health.html", report=found, bar=report.bar, largest=report.largest)


def _languages() -> list[dict[str, object]]:
    ivr = _ivr()
    return [
        {
            "code": lang.code,
            "name": lang.name,
            "english_name": lang.english_name,
            "status": lang.status,
            "offered": lang.code in ivr.offered,
            "why_not": ivr.playback.unavailable.get(lang.code),
            "degraded": ivr.playback.degraded.get(lang.code),
        }
        for lang in ivr.content.languages.values()
    ]


def _countries() -> list[tuple[str, str]]:
    """Countries whose callers hear the language menu in a different order: (code, languages)."""
    ivr = _ivr()
    spoken: dict[str, list[str]] = {}
    for code in ivr.offered:
        lang = ivr.content.languages[code]
        for country in lang.countries:
            spoken.setdefault(country, []).append(lang.name)
    ordered = sorted(spoken, key=lambda c: (c != "NO", c))
    return [(c, ", ".join(spoken[c])) for c in ordered]
