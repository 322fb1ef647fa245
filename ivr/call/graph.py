"""One deployment's call as data: the content, its rules, the languages callers can hear and
the numbers that can be dialled. Built once; `step` reads nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ..config import Settings
from ..content import CallRules, Content, Language, Menu
from ..phone import is_e164
from ..playback import Playback


def language_order(languages: Sequence[Language], country: str | None, pinned: Sequence[str]) -> tuple[str, ...]:
    """Order the offered languages for a caller from `country` (Twilio's FromCountry).

    The first language of that country comes first, then the pinned ones (Norwegian and
    English, so they are always among the first three), then the country's other
    languages, then the rest in the configured order. The same country always gets the
    same digits.
    """
    codes = [lang.code for lang in languages]
    country = (country or "").strip().upper()
    local = [lang.code for lang in languages if country and country in lang.countries]
    pinned_here = [c for c in pinned if c in codes]
    first = [c for c in local if c in pinned_here] or local[:1]
    return tuple(dict.fromkeys([*first, *pinned_here, *local, *codes]))


@dataclass(frozen=True)
class CallGraph:
    """Everything `step` needs, and nothing about any one caller."""

    content: Content
    offered: tuple[str, ...]
    numbers: Mapping[str, str]  # service -> the E.164 number dialled; absent: only read out
    caller_id: str | None  # IVR_CALLER_ID; None: the helpline number Twilio sends in To
    playback: Playback
    whisper_language: str = "nb"  # IVR_WHISPER_LANGUAGE
    whisper_accept: bool = False  # IVR_WHISPER_ACCEPT
    free_call: bool = False  # IVR_FREE_CALL

    @classmethod
    def build(cls, content: Content, settings: Settings, playback: Playback) -> CallGraph:
        numbers = {
            s: n for s in content.menu.services if (n := settings.dial_number(content, s)) is not None
        }
        return cls(
            content, playback.offered, MappingProxyType(numbers), settings.caller_id, playback,
            settings.whisper_language, settings.whisper_accept, settings.free_call,
        )

    @property
    def rules(self) -> CallRules:
        return self.content.call

    @property
    def menu(self) -> Menu:
        return self.content.menu

    @property
    def greeting(self) -> tuple[str, ...]:
        return self.content.greeting

    def order_for(self, country: str | None) -> tuple[str, ...]:
        """The offered languages, ordered for a caller from `country`."""
        return language_order([self.content.languages[c] for c in self.offered], country, self.greeting)

    def pages(self, order: Sequence[str] | None = None) -> list[tuple[str, ...]]:
        """The language menu's pages: keys 1 to per_page on each; more_key turns the page."""
        codes = tuple(order if order is not None else self.order_for(None))
        size = self.rules.per_page
        return [codes[i : i + size] for i in range(0, len(codes), size)] or [()]

    def shown(self, to: str | None) -> str | None:
        """The number a transfer shows: the configured caller ID, else the helpline's own (To)."""
        return self.caller_id or (to if is_e164(to) else None)
