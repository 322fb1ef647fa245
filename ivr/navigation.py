"""Where a key press leads: pure functions of the menu, the position and the digits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .content import LANGUAGES_PER_PAGE, MORE_LANGUAGES_KEY, Language, Menu


@dataclass(frozen=True)
class GoTo:
    """Play another node."""

    node: str


@dataclass(frozen=True)
class Back:
    """Go to the parent menu; from the root, to the language menu."""


@dataclass(frozen=True)
class Repeat:
    """Play the same thing again."""


@dataclass(frozen=True)
class Talk:
    """Put the caller through to ROSA now."""


@dataclass(frozen=True)
class Connect:
    """Put the caller through to a service a message offers."""

    service: str


@dataclass(frozen=True)
class Invalid:
    """A key that does nothing here: say so, then the same menu."""


@dataclass(frozen=True)
class ChooseLanguage:
    """The caller picked a language."""

    code: str


@dataclass(frozen=True)
class Page:
    """Show another page of the language menu."""

    number: int


Move = GoTo | Back | Repeat | Talk | Connect | Invalid | ChooseLanguage | Page


def navigate(menu: Menu, node_id: str, digits: str, dialable: Collection[str] = ()) -> Move:
    """Decide what a key pressed at a node does; `dialable` lists the services with a number."""
    node = menu.nodes.get(node_id)
    if node is None:
        return Invalid()
    common = _common_key(menu, digits)
    if common is not None:
        return common
    option = node.option(digits)
    if option is not None:
        return GoTo(option.to)
    if node.dial and digits == node.dial.key and node.dial.service in dialable:
        return Connect(node.dial.service)
    return Invalid()


def after_unanswered(menu: Menu, digits: str) -> Move:
    """Keys after ROSA did not answer: 1 tries again, * goes back to the menu."""
    if digits == "1":
        return Talk()
    return _common_key(menu, digits) or Invalid()


def _common_key(menu: Menu, digits: str) -> Move | None:
    keys = menu.keys
    return {keys.talk: Talk(), keys.back: Back(), keys.repeat: Repeat()}.get(digits)


def language_order(
    languages: Sequence[Language], country: str | None, pinned: Sequence[str]
) -> list[str]:
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
    ordered = [*first, *pinned_here, *local, *codes]
    return list(dict.fromkeys(ordered))


def pages(order: Sequence[str]) -> list[list[str]]:
    """Split the ordered languages into pages of keys 1-8; 9 turns the page."""
    return [list(order[i : i + LANGUAGES_PER_PAGE]) for i in range(0, len(order), LANGUAGES_PER_PAGE)] or [[]]


def choose_language(menu: Menu, page_list: Sequence[Sequence[str]], page: int, digits: str) -> Move:
    """Decide what a key pressed on page `page` (1-based) of the language menu does."""
    page = min(max(page, 1), len(page_list))
    current = page_list[page - 1]
    if digits == menu.keys.talk:
        return Talk()
    if digits == menu.keys.repeat:
        return Repeat()
    if digits == menu.keys.back:
        return Page(page - 1) if page > 1 else Repeat()
    if digits == MORE_LANGUAGES_KEY and len(page_list) > 1:
        return Page(page % len(page_list) + 1)
    if digits.isdigit() and len(digits) == 1 and 1 <= int(digits) <= len(current):
        return ChooseLanguage(current[int(digits) - 1])
    return Invalid()
