"""Who may open the console: nobody unless a password is set or the console is opened on purpose.

With IVR_CONSOLE_PASSWORD set, every console URL needs HTTP basic auth as user `console`.
Without it, the console answers 404 (as if it did not exist) unless IVR_CONSOLE_OPEN is set:
`ivr serve` sets it for local development, and the production entry refuses to start with it.
A set password is asked for even then.
"""

from __future__ import annotations

import hmac

from flask import Response, abort, request

from ..runtime import current

USER = "console"
REALM = "Helpline console"


def _same(given: str, expected: str) -> bool:
    """Compare in constant time, so the time taken says nothing about how much matched."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def allowed(password: str | None, open_without_password: bool) -> bool | None:
    """True to let the request through, False to ask for the password, None when the console is off."""
    if password:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        # Both compared every time: `&`, not `and`, so a wrong user costs as long as a wrong password.
        return _same(auth.username or "", USER) & _same(auth.password or "", password)
    return True if open_without_password else None


def guard() -> Response | None:
    """Before every console request: 404 when off, 401 asking for the password, else through."""
    settings = current().settings
    verdict = allowed(settings.console_password, settings.console_open)
    if verdict is None:
        abort(404)
    if verdict:
        return None
    response = Response("The helpline console needs its password (user: console).\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    response.headers["Cache-Control"] = "no-store"
    return response
