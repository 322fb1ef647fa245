"""Serving built prompt audio to Twilio: immutable, content-addressed, cached for a year."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Flask, Response, abort, send_from_directory

from .runtime import current

bp = Blueprint("media", __name__, url_prefix="/audio")
ONE_YEAR = 31_536_000
# Content-Types Twilio's <Play> accepts; anything else is error 13420.
TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}


def init_app(app: Flask) -> None:
    """Register the audio route."""
    app.register_blueprint(bp)


@bp.route("/<path:filename>", methods=["GET", "HEAD"])
def audio(filename: str) -> Response:
    """One built file; only files the manifest lists, so nothing else in the folder leaks."""
    ivr = current()
    if not ivr.catalog.has_file(filename):
        abort(404)
    suffix = "." + filename.rsplit(".", 1)[-1].lower()
    mimetype = TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = send_from_directory(ivr.settings.audio_dir, filename, mimetype=mimetype, max_age=ONE_YEAR, etag=True)
    # The name carries a hash of the words, so the bytes behind a URL never change.
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
