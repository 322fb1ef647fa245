"""What the caller hears at each point of the call, as scenes: pure, no Flask, no XML.

Every scene leaves the caller somewhere: a menu that waits for a key (and knows what
to do on silence), a transfer with a way back when nobody answers, or a goodbye that
has said ROSA's number. The position lives in the URLs, so any worker can answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from .catalog import Catalog, playable_engines
from .config import Settings
from .content import Content, Language
from .navigation import (
    Back,
    ChooseLanguage,
    Connect,
    GoTo,
    Invalid,
    Move,
    Page,
    Repeat,
    Talk,
    after_unanswered,
    choose_language,
    language_order,
    navigate,
    pages,
)

MAX_SILENCE = 2  # the menu again at most twice more, then ROSA
ERRORS_BEFORE_HELP = 3  # after three wrong keys, offer 0
ANSWERED = ("completed", "answered")

Part = tuple[str, str]  # (language code, prompt id)


@dataclass(frozen=True)
class Ask:
    """Speak, listening for one key; on silence go to `on_silence`."""

    lang: str | None
    parts: tuple[Part, ...]
    action: str
    on_silence: str


@dataclass(frozen=True)
class Transfer:
    """Speak, then put the caller through to a service; `action` hears how it ended."""

    lang: str | None
    parts: tuple[Part, ...]
    service: str
    number: str
    action: str


@dataclass(frozen=True)
class Goodbye:
    """Speak, then end the call."""

    lang: str | None
    parts: tuple[Part, ...]


Scene = Ask | Transfer | Goodbye


def url(path: str, **query: int | str | None) -> str:
    """A path with its non-empty query, in a stable order (Twilio signs the exact URL)."""
    kept = {k: v for k, v in sorted(query.items()) if v not in (None, 0, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


class Line:
    """The call flow of one deployment: content, settings and the audio that exists."""

    def __init__(self, content: Content, settings: Settings, catalog: Catalog) -> None:
        self.content = content
        self.settings = settings
        self.catalog = catalog
        self.menu = content.menu
        self.unavailable: dict[str, str] = {}
        wanted = settings.languages or content.order
        self.offered: tuple[str, ...] = tuple(c for c in wanted if self._audible(content.languages[c]))
        self.dialable = frozenset(
            s for s in self.menu.services if settings.dial_number(content, s) is not None
        )

    def _audible(self, lang: Language) -> bool:
        """Whether every prompt of a language can be heard on a call; record why not."""
        engines = playable_engines(lang, self.settings.play_engines) if self.settings.audio_mode == "auto" else ()
        if self.catalog.covers(lang.code, lang.prompts, engines):
            return True
        if lang.say and not lang.recorded_only:
            return True
        if self.settings.audio_mode != "auto":
            why = "no <Say> voice, and IVR_AUDIO_MODE=say plays no audio"
        elif lang.recorded_only:
            why = "recorded-only and not every prompt is recorded"
        elif lang.offline_voice:
            why = f"no <Say> voice and its offline voice is not built: ivr audio build --lang {lang.code}"
        else:
            why = "no <Say> voice and not every prompt has playable audio"
        self.unavailable[lang.code] = why
        return False

    def plays_offline_voice(self, code: str) -> bool:
        """Whether callers hear the offline voice in this language (no better audio yet)."""
        lang = self.content.languages[code]
        if not lang.offline_voice or self.settings.audio_mode != "auto":
            return False
        engines = playable_engines(lang, self.settings.play_engines)
        return any(
            (found := self.catalog.find(code, p, t, engines)) is not None and found.engine == "espeak"
            for p, t in lang.prompts.items()
        )

    # The language menu ------------------------------------------------------------

    def language_pages(self, country: str | None) -> list[list[str]]:
        """The offered languages in pages, ordered for a caller from `country`."""
        languages = [self.content.languages[c] for c in self.offered]
        return pages(language_order(languages, country, self.content.greeting))

    def language_menu(
        self, country: str | None, page: int = 1, silence: int = 0, errors: int = 0, notice: Sequence[str] = ()
    ) -> Scene:
        """A page of the language menu; page 1 opens with the greeting."""
        page_list = self.language_pages(country)
        page = min(max(page, 1), len(page_list))
        if silence > max(MAX_SILENCE, len(page_list) - 1):
            return self.talk(None, ("no_input",))
        greeting = self.content.greeting
        parts: list[Part] = [(g, n) for n in notice for g in greeting]
        if page == 1:
            parts += [(g, "greeting") for g in greeting]
        parts += [(code, f"language_option_{i}") for i, code in enumerate(page_list[page - 1], 1)]
        if len(page_list) > 1:
            parts += [(g, "more_languages") for g in greeting]
        parts += [(g, "repeat_hint") for g in greeting]
        next_page = page % len(page_list) + 1
        return Ask(
            lang=None,
            parts=tuple(parts),
            action=url("/voice/languages/key", p=page if page > 1 else 0, e=errors),
            on_silence=url("/voice/languages", p=next_page if next_page > 1 else 0, s=silence + 1),
        )

    def language_key(self, country: str | None, page: int, errors: int, digits: str) -> Scene:
        """Answer a key pressed in the language menu."""
        page_list = self.language_pages(country)
        move = choose_language(self.menu, page_list, page, digits)
        match move:
            case ChooseLanguage(code):
                return self.node(code, self.menu.root, welcome=True)
            case Page(number):
                return self.language_menu(country, page=number)
            case Repeat():
                return self.language_menu(country, page=page)
            case Talk():
                return self.talk(None)
            case _:
                notice = ("invalid", "invalid_help") if errors + 1 >= ERRORS_BEFORE_HELP else ("invalid",)
                return self.language_menu(country, page=page, errors=errors + 1, notice=notice)

    # Menus and messages -----------------------------------------------------------

    def node(
        self,
        lang: str,
        node_id: str,
        silence: int = 0,
        errors: int = 0,
        welcome: bool = False,
        notice: Sequence[str] = (),
    ) -> Scene:
        """Play a node: a menu or message that waits for a key, or a transfer."""
        node = self.menu.nodes.get(node_id) or self.menu.nodes[self.menu.root]
        if silence > MAX_SILENCE:
            return self.talk(lang, ("no_input",))
        parts: list[str] = list(notice)
        if silence and node.kind == "menu":
            parts.insert(0, "no_input")
        match node.kind:
            case "transfer":
                return self._transfer(lang, (*node.body, "connecting"), node.service or "rosa", node.id)
            case "menu":
                parts += [*node.intro, *(node.welcome if welcome else ()), *(o.prompt for o in node.options)]
                on_silence = url(f"/voice/{lang}/{node.id}", s=silence + 1)
            case _:
                parts += node.body
                if node.dial and node.dial.service in self.dialable:
                    parts.append(node.dial.prompt)
                # After a message, silence returns to its menu, still counting.
                on_silence = url(f"/voice/{lang}/{node.parent or self.menu.root}", s=silence + 1)
        parts.append("keys")
        return Ask(
            lang=lang,
            parts=tuple((lang, p) for p in parts),
            action=url(f"/voice/{lang}/{node.id}/key", e=errors),
            on_silence=on_silence,
        )

    def node_key(self, lang: str, node_id: str, errors: int, digits: str, country: str | None = None) -> Scene:
        """Answer a key pressed at a node; `country` orders the language menu if * leads there."""
        if node_id not in self.menu.nodes:
            return self.node(lang, self.menu.root)
        move = navigate(self.menu, node_id, digits, self.dialable)
        return self._follow(lang, node_id, errors, move, country)

    def _follow(self, lang: str, node_id: str, errors: int, move: Move, country: str | None) -> Scene:
        node = self.menu.nodes[node_id]
        match move:
            case GoTo(target):
                return self.node(lang, target)
            case Back():
                if node.parent is None:
                    return self.language_menu(country)
                return self.node(lang, node.parent)
            case Repeat():
                return self.node(lang, node_id)
            case Talk():
                return self.talk(lang)
            case Connect(service):
                return self._transfer(lang, ("connecting",), service, node_id)
            case Invalid() | _:
                notice = ("invalid", "invalid_help") if errors + 1 >= ERRORS_BEFORE_HELP else ("invalid",)
                return self.node(lang, node_id, errors=errors + 1, notice=notice)

    # Transfers ------------------------------------------------------------------------

    def talk(self, lang: str | None, before: Sequence[str] = ()) -> Scene:
        """Put the caller through to ROSA, after `before`; silence ends here, so say the number."""
        if "no_input" in before:
            before = (*before, "rosa_number")
        return self._transfer(lang, (*before, "connecting"), "rosa", None)

    def _transfer(self, lang: str | None, prompts: Sequence[str], service: str, node_id: str | None) -> Scene:
        number = self.settings.dial_number(self.content, service)
        if number is None:  # only reachable through a stale URL: fall back to ROSA
            return self.talk(lang)
        langs = (lang,) if lang else self.content.greeting
        return Transfer(
            lang=lang,
            parts=tuple((code, p) for p in prompts for code in langs),
            service=service,
            number=number,
            action=url(f"/voice/{lang or '-'}/connect/{service}/done", node=node_id),
        )

    def transfer_done(self, lang: str | None, service: str, status: str, node_id: str | None) -> Scene:
        """What follows a transfer: goodbye after a conversation, another way when unanswered."""
        if status in ANSWERED:
            return self.goodbye(lang)
        if service == "rosa" or service not in self.menu.services:
            return self.unanswered(lang)
        return self.node(lang or self.content.greeting[0], node_id or self.menu.root, notice=("service_unanswered",))

    def unanswered(self, lang: str | None, silence: int = 0, errors: int = 0, notice: Sequence[str] = ()) -> Scene:
        """ROSA did not answer: say the number twice; 1 tries again, * goes back."""
        if silence > MAX_SILENCE:
            return self.goodbye(lang, ("rosa_number",))
        langs = (lang,) if lang else self.content.greeting
        prompts = (*notice, "rosa_unanswered", "rosa_number", "opt_retry", "keys")
        here = f"/voice/{lang or '-'}/connect/rosa"
        return Ask(
            lang=lang,
            parts=tuple((code, p) for p in prompts for code in langs),
            action=url(f"{here}/key", e=errors),
            on_silence=url(f"{here}/unanswered", s=silence + 1),
        )

    def unanswered_key(self, lang: str | None, errors: int, digits: str, country: str | None = None) -> Scene:
        """Answer a key pressed after ROSA did not answer."""
        match after_unanswered(self.menu, digits):
            case Talk():
                return self.talk(lang)
            case Back():
                return self.node(lang, self.menu.root) if lang else self.language_menu(country)
            case Repeat():
                return self.unanswered(lang)
            case _:
                notice = ("invalid", "invalid_help") if errors + 1 >= ERRORS_BEFORE_HELP else ("invalid",)
                return self.unanswered(lang, errors=errors + 1, notice=notice)

    def goodbye(self, lang: str | None, before: Sequence[str] = ()) -> Scene:
        """Say goodbye, suggesting the caller delete this number from the call list."""
        langs = (lang,) if lang else self.content.greeting
        return Goodbye(lang=lang, parts=tuple((code, p) for p in (*before, "goodbye") for code in langs))

    def error(self, lang: str | None) -> Scene:
        """Something broke: say ROSA's number and 112, and put the caller through to ROSA."""
        langs = (lang,) if lang in self.content.languages else self.content.greeting
        return Transfer(
            lang=lang,
            parts=tuple((code, "error") for code in langs),
            service="rosa",
            number=self.settings.dial_number(self.content, "rosa") or "",
            action=url(f"/voice/{langs[0] if len(langs) == 1 else '-'}/connect/rosa/done"),
        )

    def is_language(self, code: str | None) -> bool:
        """Whether `code` is a language this line offers."""
        return code in self.offered

