"""One outbound call from the helpline to an operator's own phone, straight into the line.

The call's Url is a position of the line (the language menu, a language's main menu, or the
menu that a few key presses lead to), so the operator hears the real Twilio voices and the built
audio on a real phone. It never rings an emergency, short or service number, and never presses a
key that would put the call through to a service: a test must not ring ROSA's counsellors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..call.position import Position
from ..call.urls import encode
from ..content import Menu
from ..errors import IvrError
from ..phone import E164

# Norway's emergency and harmonised short numbers, written as a caller might type them.
SHORT_NUMBERS = ("110", "112", "113", "02800")
NORWAY = re.compile(r"^\+47[2-9]\d{7}$")  # a Norwegian subscriber number: 8 digits, not 0xxxx or 1xx
TIME_LIMIT = 900  # seconds: a forgotten test call ends by itself


class TestCallError(IvrError):
    """The test call was refused before anything was sent to Twilio."""


def refuse(number: str, never: Iterable[str] = ()) -> str | None:
    """Why `number` must not get a test call, or None. `never`: the line's own and its services' numbers."""
    digits = re.sub(r"[\s()-]", "", number)
    local = digits.removeprefix("+47").lstrip("+")
    if local in SHORT_NUMBERS or local.startswith("116") or digits.lstrip("+") in SHORT_NUMBERS:
        return f"{number} is an emergency or short number; a test call goes to your own phone"
    if not E164.match(digits):
        return f"{number} is not an E.164 number like +4791234567 (a country code, then a subscriber number)"
    if digits.startswith("+47") and not NORWAY.match(digits):
        return f"{number} is not a Norwegian subscriber number (+47 and 8 digits, not a short or service number)"
    if digits in set(never):
        return f"{number} is the line's own number or a service it transfers to; a test call goes to your own phone"
    return None


def start_path(menu: Menu, lang: str | None, keys: Sequence[str] = ()) -> str:
    """The line's URL path where the test call starts: `lang`'s main menu after pressing `keys`."""
    if lang is None:
        if keys:
            raise TestCallError("--keys needs --lang: keys are pressed in a language's menus")
        return encode(Position("start"))
    node = menu.nodes[menu.root]
    for key in keys:
        if key == menu.keys.repeat:
            continue
        if key == menu.keys.back and node.parent is not None:
            node = menu.nodes[node.parent]
            continue
        option = node.option(key) if node.kind == "menu" else None
        if option is None:
            raise TestCallError(
                f"--keys: {key!r} leads nowhere a test call may go from {node.id!r} "
                f"(menu keys: {', '.join(o.key for o in node.options) or 'none'}, {menu.keys.back} back; "
                f"{menu.keys.talk} and transfers would ring a real service)"
            )
        target = menu.nodes[option.to]
        if target.kind == "transfer":
            raise TestCallError(f"--keys: {key!r} at {node.id!r} puts the call through to a service; a test call never does")
        node = target
    return encode(Position("node", lang=lang, node=node.id))
