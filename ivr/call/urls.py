"""The one place that knows the webhook URLs: a position to a path and back.

Every webhook URL under /voice is a position of the call plus what the request reports:
    /voice                                   start (the number's Voice URL)
    /voice/fallback                          fallback (the number's Fallback URL)
    /voice/languages?p=2&s=1                 a page of the language menu, entered
    /voice/languages/key?p=2&e=1             ...a key pressed there (Digits; none = silence)
    /voice/<lang>/<node>?s=1                 a menu or message, entered
    /voice/<lang>/<node>/key?e=2             ...a key pressed there
    /voice/<lang>/connect/<service>/done?node=help_health   a transfer ended (DialCallStatus)
    /voice/<lang>/connect/rosa/unanswered?s=1               ROSA did not answer: the retry menu
    /voice/<lang>/connect/rosa/key?e=1                      ...a key pressed there
    /voice/<lang>/connect/rosa/whisper                      said to whoever answers at ROSA
    /voice/<lang>/connect/rosa/whisper/key                  ...the key ROSA pressed to accept
`<lang>` is `-` before a language is chosen. The query holds the counters, only when not
zero: p the language menu's page (from 1), s menus heard in a row in silence, e wrong keys
in a row; node the message a transfer was offered from. Twilio signs the exact URL, so the
query is always written in the same (sorted) order. Anything else under /voice decodes to
the language menu: a caller is never answered with an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, NamedTuple
from urllib.parse import urlencode

from .position import MAX_COUNT, Position

PREFIX = "/voice"
Kind = Literal["enter", "key", "dial"]
_SEGMENT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NO_LANGUAGE = "-"


class Route(NamedTuple):
    """A decoded webhook URL: the position, and whether the request enters it, reports a key or a dial."""

    position: Position
    kind: Kind


def _query(path: str, **values: int | str | None) -> str:
    kept = {k: v for k, v in sorted(values.items()) if v not in (None, 0, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def encode(at: Position, kind: Kind = "enter") -> str:
    """The path and query of the webhook for `at`: entering it, or the key pressed there."""
    lang = at.lang or NO_LANGUAGE
    key = kind == "key"
    counts: dict[str, int | str | None] = {"e": at.errors} if key else {"s": at.silence}
    if key and at.silence:
        counts["s"] = at.silence
    match at.place:
        case "start":
            return PREFIX
        case "fallback":
            return f"{PREFIX}/fallback"
        case "languages":
            return _query(f"{PREFIX}/languages{'/key' if key else ''}", p=at.page if at.page > 1 else 0, **counts)
        case "node":
            return _query(f"{PREFIX}/{lang}/{at.node}{'/key' if key else ''}", **counts)
        case "retry":
            return _query(f"{PREFIX}/{lang}/connect/rosa/{'key' if key else 'unanswered'}", **counts)
        case "dialled":
            return _query(f"{PREFIX}/{lang}/connect/{at.service}/done", node=at.node)
        case "whisper":
            return f"{PREFIX}/{lang}/connect/rosa/whisper{'/key' if key else ''}"
    raise ValueError(f"no URL for {at}")  # pragma: no cover - every place is above


def count(args: Mapping[str, str], name: str) -> int:
    """A counter from the query: ASCII digits, at most MAX_COUNT; anything else counts as zero."""
    value = args.get(name, "")
    if not (value.isascii() and value.isdigit()):  # '²'.isdigit() is True, and int('²') raises
        return 0
    return min(int(value), MAX_COUNT) if len(value) <= 2 else MAX_COUNT


def decode(path: str, args: Mapping[str, str]) -> Route:
    """The position a webhook URL names; any path under /voice decodes to somewhere."""
    rest = path[len(PREFIX) :] if path.startswith(PREFIX) else "/"
    parts = rest.split("/")[1:] if rest.startswith("/") else [rest]
    page, silence, errors = max(count(args, "p"), 1), count(args, "s"), count(args, "e")
    match parts:
        case [] | [""]:
            return Route(Position("start"), "enter")
        case ["fallback"]:
            return Route(Position("fallback"), "enter")
        case ["languages"]:
            return Route(Position("languages", page=page, silence=silence), "enter")
        case ["languages", "key"]:
            return Route(Position("languages", page=page, silence=silence, errors=errors), "key")
        case [lang, "connect", service, "done"] if _ok(lang) and _SEGMENT.match(service):
            node = args.get("node")
            return Route(Position("dialled", _lang(lang), node if node and _SEGMENT.match(node) else None, service=service), "dial")
        case [lang, "connect", "rosa", "unanswered"] if _ok(lang):
            return Route(Position("retry", _lang(lang), silence=silence), "enter")
        case [lang, "connect", "rosa", "whisper"] if _ok(lang):
            return Route(Position("whisper", _lang(lang)), "enter")
        case [lang, "connect", "rosa", "whisper", "key"] if _ok(lang):
            return Route(Position("whisper", _lang(lang)), "key")
        case [lang, "connect", "rosa", "key"] if _ok(lang):
            return Route(Position("retry", _lang(lang), silence=silence, errors=errors), "key")
        case [lang, node] if _SEGMENT.match(lang) and _SEGMENT.match(node):
            return Route(Position("node", lang, node, silence=silence), "enter")
        case [lang, node, "key"] if _SEGMENT.match(lang) and _SEGMENT.match(node):
            return Route(Position("node", lang, node, silence=silence, errors=errors), "key")
    return Route(Position("languages"), "enter")


def _ok(lang: str) -> bool:
    return lang == NO_LANGUAGE or bool(_SEGMENT.match(lang))


def _lang(lang: str) -> str | None:
    return None if lang == NO_LANGUAGE else lang
