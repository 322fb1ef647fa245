"""The recording studio at /console/record: record each prompt in the browser; a reviewer approves.

The page, the upload and the kept takes open with the recorder password (user `recorder`) or
the console password; the review (approve or reject) only with the console password, so the
person who approves is not the one who recorded (see access.py). The audio pipeline is imported
inside the upload only: the web path stays light.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
)

from ..runtime import current
from .access import role

bp = Blueprint(
    "record",
    __name__,
    url_prefix="/record",
    static_folder="record_static",
    static_url_path="/static",
)
PROMPT_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LANG_CODE = re.compile(r"^[a-z]{2,3}$")
HASH = re.compile(r"^[0-9a-f]{64}$")
# Content types a cross-site form may send without asking first (CORS "simple" requests):
# never accepted, so another site cannot make a reviewer's or recorder's browser post here.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class Refusal(Exception):
    """Answered as JSON {"ok": false, "error": ...} with a status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@bp.errorhandler(Refusal)
def refused(error: Refusal) -> tuple[Response, int]:
    return jsonify(ok=False, error=str(error)), error.status


@bp.after_request
def headers(response: Response) -> Response:
    """The microphone for this page only, and audio from blob: (a take before it is kept)."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()"
    return response


def _ivr() -> Any:
    return current()


def _language(code: str) -> Any:
    lang = _ivr().content.languages.get(code) if LANG_CODE.match(code or "") else None
    if lang is None:
        raise Refusal(404, f"no language {code!r} on this line")
    return lang


def _from_this_site() -> None:
    """Refuse a request another site made the browser send (fetch metadata, then content type)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise Refusal(403, "requests from other sites are refused")
    if (request.mimetype or "") in FORM_TYPES:
        raise Refusal(415, "send the take as audio (Content-Type: audio/webm, audio/ogg, audio/wav …)")


# The page ---------------------------------------------------------------------------------


@bp.get("")
def page() -> str | tuple[str, int]:
    """The studio for one language (?lang=ti); without it, the languages and how far each is."""
    from ..studio import takes
    from ..studio.checks import UPLOAD_LIMIT, bounds
    from ..studio.script import lines

    ivr = _ivr()
    code = request.args.get("lang", "").strip()
    content, audio_dir = ivr.content, ivr.settings.audio_dir
    if not code or code not in content.languages:
        listing = [(lang, takes.progress(content, audio_dir, lang.code)) for lang in _listed_languages()]
        status = 404 if code else 200
        return render_template("console/record_languages.html", languages=listing, unknown=code or None, role=role()), status
    progress = takes.progress(content, audio_dir, code)
    states = {s.prompt: s for s in progress.states}
    lang = content.languages[code]
    cards = [
        {"line": line, "state": states[line.prompt], "hash": _hash(lang.text(line.prompt)), "bounds": bounds(lang.text(line.prompt), lang.script)}
        for line in lines(content, code, ivr.settings.prompts_dir)
    ]
    return render_template(
        "console/record.html",
        lang=lang,
        progress=progress,
        cards=cards,
        role=role(),
        offered=code in ivr.offered,
        why_not=ivr.unavailable.get(code),
        limit_mb=UPLOAD_LIMIT // (1024 * 1024),
    )


def _listed_languages() -> list[Any]:
    """Recorded-only languages first: they have no other voice."""
    languages = list(_ivr().content.languages.values())
    return sorted(languages, key=lambda lang: (not lang.recorded_only, lang.english_name))


def _hash(text: str) -> str:
    from ..content import text_hash

    return text_hash(text)


# The upload -------------------------------------------------------------------------------


@bp.post("/take")
def upload() -> Response:
    """Keep a take: ?lang=ti&prompt=greeting&for=<text hash shown>, the audio as the body."""
    from ..studio.checks import UPLOAD_LIMIT

    _from_this_site()
    lang = _language(request.args.get("lang", ""))
    prompt = request.args.get("prompt", "")
    shown = request.args.get("for", "")
    if not PROMPT_ID.match(prompt):
        raise Refusal(400, "prompt must be a prompt id, like greeting")
    if not HASH.match(shown):
        raise Refusal(400, "for must be the text hash the page showed: reload the page")
    # The size is known before a byte is read; a body without a length is not read at all.
    length = request.content_length
    if length is None:
        raise Refusal(411, "the take must be sent with its length (Content-Length)")
    if length > UPLOAD_LIMIT:
        raise Refusal(
            413, f"too big: {length / 1e6:.1f} MB, and a take may be at most {UPLOAD_LIMIT / 1e6:.0f} MB; record one prompt at a time"
        )
    request.max_content_length = UPLOAD_LIMIT
    data = request.stream.read(UPLOAD_LIMIT + 1)
    from ..studio.intake import Refused, take
    from ..studio.takes import StudioError, progress

    ivr = _ivr()
    try:
        accepted = take(ivr.content, ivr.settings.audio_dir, lang.code, prompt, data, recorded_for=shown)
    except Refused as e:
        raise Refusal(422, str(e)) from e
    except StudioError as e:
        raise Refusal(503, str(e)) from e
    _reload()
    done = progress(ivr.content, ivr.settings.audio_dir, lang.code)
    return jsonify(
        ok=True,
        prompt=prompt,
        status="recorded",
        message=(
            f"Kept: {accepted.speech_seconds:.1f} s of speech, stored as the line plays it. "
            "Callers hear it once a second person has approved it."
        ),
        url=_kept_url(lang.code, prompt),
        progress=_counts(done),
    )


def _counts(progress: Any) -> dict[str, Any]:
    return {
        "recorded": progress.recorded,
        "total": progress.total,
        "approved": progress.count("approved"),
        "missing": progress.count("missing"),
        "stale": progress.count("stale"),
        "rejected": progress.count("rejected"),
        "summary": f"{progress.recorded} of {progress.total} recorded",
    }


def _kept_url(code: str, prompt: str) -> str:
    return f"{request.script_root}/console/record/take/{code}/{prompt}.wav"


def _reload() -> None:
    """This worker wrote the manifest: the line and the call map follow at once (others within seconds)."""
    follower = current_app.extensions.get("ivr.follower")
    if follower is not None:
        follower.now()
    else:
        from ..studio.live import reload

        reload(current_app._get_current_object())  # type: ignore[attr-defined]


# Listening to what was kept ------------------------------------------------------------------


@bp.get("/take/<code>/<prompt>.wav")
def kept(code: str, prompt: str) -> Response:
    """The current take of a prompt as callers would hear it (processed), approved or not."""
    from ..audio.store import Store
    from ..studio.takes import state

    lang = _language(code)
    if not PROMPT_ID.match(prompt) or prompt not in lang.prompts:
        abort(404)
    audio_dir = _ivr().settings.audio_dir
    current = state(audio_dir, lang, prompt)  # the latest take, even while an earlier one plays on calls
    entries, _ = Store(audio_dir).load_manifest()
    found = [
        e for e in entries
        if (e.lang, e.prompt, e.engine, e.source) == (code, prompt, "recorded", current.source)
        and current.status != "stale"
    ]  # fmt: skip
    if not found or not (audio_dir / found[0].file).is_file():
        abort(404)
    response = send_file(audio_dir / found[0].file, mimetype="audio/wav", max_age=0, conditional=True)
    response.headers["Cache-Control"] = "no-store"
    return response


# Review (the console password only) -----------------------------------------------------------


@bp.post("/review")
def review() -> Response:
    """Approve or reject takes: JSON {"lang": "ti", "prompts": ["greeting"], "verdict": "approved"}."""
    _from_this_site()
    if role() == "recorder":  # the guard already refuses the recorder password here; say so twice
        raise Refusal(403, "the recorder password cannot approve: a second person with the console password does")
    if not request.is_json:
        raise Refusal(415, "send JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refusal(400, "the body must be a JSON object")
    lang = _language(str(body.get("lang", "")))
    prompts = body.get("prompts")
    verdict = body.get("verdict")
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and PROMPT_ID.match(p) for p in prompts):
        raise Refusal(400, "prompts must be a list of prompt ids")
    if verdict not in ("approved", "rejected"):
        raise Refusal(400, "verdict must be approved or rejected")
    from ..studio.takes import StudioError, progress
    from ..studio.takes import review as do_review

    ivr = _ivr()
    if verdict == "approved" and ivr.settings.audio_base_url:
        # Calls would fetch the file from there at once: a file not copied yet is a silent prompt.
        raise Refusal(
            409,
            f"this line plays audio from AUDIO_BASE_URL ({ivr.settings.audio_base_url}): copy "
            f"audio/built/recorded/{lang.code}/ there first, then approve in a terminal with "
            f"`ivr audio approve --lang {lang.code} --all --copied`",
        )
    try:
        done = do_review(ivr.content, ivr.settings.audio_dir, lang.code, prompts, verdict)
    except StudioError as e:
        raise Refusal(503, str(e)) from e
    if done.changed:
        _reload()
    now = _ivr()
    return jsonify(
        ok=not done.refused,
        changed=done.changed,
        refused=[{"prompt": p, "why": why} for p, why in done.refused],
        error="; ".join(f"{p}: {why}" for p, why in done.refused) or None,
        offered=lang.code in now.offered,
        progress=_counts(progress(now.content, now.settings.audio_dir, lang.code)),
    )
