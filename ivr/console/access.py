"""Who may open the console: nobody unless a password is set or the console is opened on purpose.

With IVR_CONSOLE_PASSWORD set, every console URL needs HTTP basic auth as user `console`.
Without it, the console answers 404 (as if it did not exist) unless IVR_CONSOLE_OPEN is set:
`ivr serve` sets it for local development, and the production entry refuses to start with it.
A set password is asked for even then.

IVR_RECORDER_PASSWORD, as user `recorder`, opens the recording studio's page, its upload and
its own files (RECORDER_ENDPOINTS) and nothing else: not the simulator, not the call map, not
the approval of takes, which needs the console password.
"""

from __future__ import annotations

import hmac

from flask import Response, abort, g, request

from ..runtime import current

USER = "console"
RECORDER_USER = "recorder"
REALM = "Helpline console"
# What the recorder password opens; every other console URL needs the console password.
RECORDER_ENDPOINTS = frozenset({
    "console.record.page",
    "console.record.upload",
    "console.record.kept",
    "console.record.static",
})


def _same(given: str, expected: str) -> bool:
    """Compare in constant time, so the time taken says nothing about how much matched."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _presents(user: str, password: str) -> bool:
    """Whether the request carries exactly this user and password (HTTP basic auth)."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    # Both compared every time: `&`, not `and`, so a wrong user costs as long as a wrong password.
    return _same(auth.username or "", user) & _same(auth.password or "", password)


def allowed(password: str | None, open_without_password: bool) -> bool | None:
    """True to let the request through, False to ask for the password, None when the console is off."""
    if password:
        return _presents(USER, password)
    return True if open_without_password else None


def guard() -> Response | None:
    """Before every console request: 404 when off, 401 asking for the password, else through."""
    settings = current().settings
    recorder_password = settings.recorder_password
    studio = request.endpoint in RECORDER_ENDPOINTS and bool(recorder_password)
    if studio and recorder_password and _presents(RECORDER_USER, recorder_password):
        g.console_role = "recorder"
        return None
    verdict = allowed(settings.console_password, settings.console_open)
    if verdict is None and not studio:
        abort(404)
    if verdict:
        g.console_role = "console"
        return None
    users = "user: console, or recorder for the recording studio" if studio else "user: console"
    response = Response(f"The helpline console needs its password ({users}).\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    response.headers["Cache-Control"] = "no-store"
    return response


def role() -> str:
    """Who the request is from: "console" (may review) or "recorder" (may only record)."""
    return str(g.get("console_role", ""))
