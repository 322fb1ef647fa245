"""Where a caller is, and what just happened: the two inputs of `step`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

# start      the number's Voice URL: the first answer of a call
# languages  a page of the language menu
# node       a menu, message or transfer of the topic tree, in a language
# dialled    a transfer is over; `service` was dialled from `node`
# retry      ROSA did not answer: try again, go back, or hear the number
# fallback   the number's Fallback URL: the app failed, Twilio asks here once more
# whisper    what whoever answers at ROSA hears before the caller is put through (`lang`: the caller's)
Place = Literal["start", "languages", "node", "dialled", "retry", "fallback", "whisper"]
PLACES: tuple[Place, ...] = ("start", "languages", "node", "dialled", "retry", "fallback", "whisper")
MAX_COUNT = 9  # counters beyond this mean the same as 9: the line has long given up


@dataclass(frozen=True)
class Position:
    """A point of the call, with its counters; all a webhook needs, carried in its URL."""

    place: Place
    lang: str | None = None
    node: str | None = None
    page: int = 1  # the language menu's page, from 1
    silence: int = 0  # menus played in a row without a key
    errors: int = 0  # wrong keys in a row
    service: str | None = None  # for `dialled`: whom the caller was put through to

    @property
    def name(self) -> str:
        """A short name for people: 'languages', 'en/help', 'en/connect/rosa' (the retry menu)."""
        if self.place == "node":
            return f"{self.lang}/{self.node}"
        if self.place == "retry":
            return f"{self.lang or '-'}/connect/rosa"
        return "languages" if self.place in ("start", "languages") else self.place

    def moved(self, **changes: object) -> Position:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Enter:
    """The caller arrives here (the first request, a redirect, a link)."""


@dataclass(frozen=True)
class Key:
    """The caller pressed a key while the position was playing."""

    digits: str


@dataclass(frozen=True)
class Silence:
    """The menu's timeout passed without a key."""


@dataclass(frozen=True)
class DialEnded:
    """A transfer ended; `outcome` is Twilio's DialCallStatus. `bridged` is False when the
    callee answered but was never connected to the caller (the whisper hung up)."""

    outcome: str
    bridged: bool = True


Event = Enter | Key | Silence | DialEnded


@dataclass(frozen=True)
class Call:
    """What a webhook knows besides the position: never stored, never in a URL.

    `order` is the language menu's order for the caller's country (None: the default order);
    `caller_id` the number shown to whoever answers a transfer (None: the configured one).
    """

    order: tuple[str, ...] | None = None
    caller_id: str | None = None
