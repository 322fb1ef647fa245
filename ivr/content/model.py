"""The line's content as data: the topic tree, the call's rules, every language's prompts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent.parent.parent / "prompts"
SOURCE_LANGUAGE = "nb"
NodeKind = Literal["menu", "message", "transfer"]
KINDS: tuple[NodeKind, ...] = ("menu", "message", "transfer")
SCRIPTS = ("Latin", "Cyrillic", "Arabic", "Thai", "Han", "Ethiopic")
STATUSES = ("source", "reviewed", "machine-draft")
OPTION_KEYS = tuple("123456789")
NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
KEYPAD = "0123456789*#"  # every key a caller can press, ASCII only


def text_hash(text: str) -> str:
    """Fingerprint a prompt's text, so audio made from older words is never played."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Option:
    """One key of a menu and where it leads."""

    key: str
    prompt: str
    to: str


@dataclass(frozen=True)
class DialOffer:
    """A message's offer to connect to a service, made only when the service is dialable."""

    service: str
    prompt: str
    key: str = "1"


@dataclass(frozen=True)
class Node:
    """A point in the call: a menu, a message or a transfer."""

    id: str
    kind: NodeKind
    intro: tuple[str, ...] = ()
    welcome: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    body: tuple[str, ...] = ()
    service: str | None = None
    dial: DialOffer | None = None
    parent: str | None = None

    def option(self, key: str) -> Option | None:
        """The option behind a key, if this node has one."""
        return next((o for o in self.options if o.key == key), None)

    def prompt_ids(self) -> Iterator[str]:
        """Every prompt this node can speak."""
        yield from self.intro
        yield from self.welcome
        yield from (o.prompt for o in self.options)
        yield from self.body
        if self.dial:
            yield self.dial.prompt


@dataclass(frozen=True)
class Service:
    """Someone the line can put a caller through to."""

    id: str
    name: str
    number: str | None = None


@dataclass(frozen=True)
class Keys:
    """The keys that mean the same in every menu."""

    talk: str = "0"
    back: str = "*"
    repeat: str = "#"


@dataclass(frozen=True)
class Menu:
    """The language-free topic tree of the call."""

    root: str
    keys: Keys
    services: Mapping[str, Service]
    nodes: Mapping[str, Node]

    def prompt_ids(self) -> set[str]:
        """Every prompt the graph refers to."""
        return {p for node in self.nodes.values() for p in node.prompt_ids()}

    def walk(self) -> Iterator[tuple[Node, int]]:
        """Nodes depth first from the root, with their depth (each node once, even in a cycle)."""
        stack = [(self.nodes[self.root], 0)]
        seen: set[str] = set()
        while stack:
            node, depth = stack.pop()
            if node.id in seen:
                continue
            seen.add(node.id)
            yield node, depth
            stack.extend((self.nodes[o.to], depth + 1) for o in reversed(node.options) if o.to in self.nodes)


@dataclass(frozen=True)
class CallRules:
    """The call around the topic tree, from prompts/call.toml (see its comments)."""

    per_page: int = 8
    more_key: str = "9"
    greeting: str = "greeting"
    option_prefix: str = "language_option_"
    more: str = "more_languages"
    hint: str = ""  # a last line on every language page ("press # to hear this again"); none by default
    silence_repeats: int = 1
    no_input: str = "no_input"
    silence_give_up: tuple[str, ...] = ("no_input", "rosa_number")
    invalid: str = "invalid"
    help_after: int = 3
    invalid_help: str = "invalid_help"
    keys: str = "keys"
    connecting: str = "connecting"
    service_unanswered: str = "service_unanswered"
    retry_key: str = "1"
    retry_prompts: tuple[str, ...] = ("rosa_unanswered", "rosa_number")
    retry_offer: str = "opt_retry"
    retry_give_up: tuple[str, ...] = ("rosa_number",)
    goodbye: str = "goodbye"
    error: str = "error"
    no_caller_id: tuple[str, ...] = ("rosa_number", "goodbye")
    no_choice: str = "no_choice"  # after the first silence in a menu, instead of the whole menu again
    free_call: str = "free_call"  # in the welcome, when IVR_FREE_CALL=1
    handoff: str = "handoff"  # before every transfer to ROSA
    interpreter: str = "handoff_interpreter"  # after handoff, in languages ROSA's staff do not speak
    whisper: str = "whisper"  # to whoever answers at ROSA: the caller's language, by its Norwegian name
    whisper_no_language: str = "whisper_no_language"
    whisper_accept: str = "whisper_accept"  # "press 1 to take the call" (IVR_WHISPER_ACCEPT=1)
    whisper_accept_key: str = "1"

    def option(self, key: int) -> str:
        """The prompt offering the language on key `key` of a page."""
        return f"{self.option_prefix}{key}"

    def prompt_ids(self) -> tuple[str, ...]:
        """Every prompt the call itself says, whatever the topic tree holds."""
        ids = [
            self.greeting, *(self.option(n) for n in range(1, self.per_page + 1)), self.more, self.hint,
            self.keys, self.invalid, self.invalid_help, self.no_input, *self.silence_give_up,
            self.connecting, *self.retry_prompts, self.retry_offer, *self.retry_give_up,
            self.service_unanswered, self.goodbye, self.error, *self.no_caller_id,
            self.no_choice, self.free_call, self.handoff,
        ]
        return tuple(p for p in dict.fromkeys(ids) if p)

    def operator_prompts(self) -> tuple[str, ...]:
        """Said to whoever answers at ROSA, never to a caller: only in the languages ROSA speaks."""
        return (self.whisper, self.whisper_no_language, self.whisper_accept)

    def key_prompts(self) -> dict[str, str]:
        """Prompts whose words must name the key the caller presses."""
        return {
            **{self.option(n): str(n) for n in range(1, self.per_page + 1)},
            self.more: self.more_key,
            self.retry_offer: self.retry_key,
            self.whisper_accept: self.whisper_accept_key,
        }


@dataclass(frozen=True)
class SayVoice:
    """A Twilio <Say> voice for a language."""

    language: str
    voice: str


@dataclass(frozen=True)
class Language:
    """One language's identity, voices and texts."""

    code: str
    name: str
    english_name: str
    # The language's name in Norwegian, for the whisper to ROSA ("rumensk").
    norwegian_name: str
    # The English word a caller says to ROSA to get an interpreter ("Romanian"), and how it is
    # written in this language's prompt so its voice says it clearly (None: as the word).
    interpreter_word: str | None
    interpreter_word_spoken: str | None
    status: str
    script: str
    countries: tuple[str, ...]
    say: SayVoice | None
    gtts: str | None
    espeak: str | None
    # eSpeak NG's words a minute for this language, when its voice's pace differs from the rest
    # (its Ukrainian at the default 140 says 8 characters a second, its Russian 13).
    espeak_rate: int | None
    recorded_only: bool
    # No <Say> voice exists: callers may hear the offline voice (eSpeak NG) until a person
    # records the prompts or gTTS audio is built, rather than not hear their language at all.
    offline_voice: bool
    prompts: Mapping[str, str] = field(repr=False)
    # A <Say> voice Twilio may offer but nobody has confirmed on a call (twilio-facts.md F3):
    # used only when the deployment lists the language in IVR_CANDIDATE_VOICES.
    candidate_say: SayVoice | None = None

    def text(self, prompt_id: str) -> str:
        """The words of one prompt."""
        return self.prompts[prompt_id]


@dataclass(frozen=True)
class Content:
    """The menu, the call's rules and every language, checked as a whole."""

    menu: Menu
    languages: Mapping[str, Language]
    order: tuple[str, ...]
    greeting: tuple[str, ...]
    call: CallRules = CallRules()
    # The languages ROSA's staff speak: no interpreter needed, and the whisper's languages.
    rosa_speaks: tuple[str, ...] = ("nb", "en")

    @property
    def source(self) -> Language:
        """The Norwegian text everything is translated from."""
        return self.languages[SOURCE_LANGUAGE]

    def required_prompts(self, code: str = SOURCE_LANGUAGE) -> list[str]:
        """Every prompt id the language `code` must have, in the source file's order."""
        needed = set(self.call.prompt_ids()) | self.menu.prompt_ids()
        if code in self.rosa_speaks:
            needed |= set(self.call.operator_prompts())
        else:
            needed.add(self.call.interpreter)
        ordered = [p for p in self.source.prompts if p in needed]
        return ordered + sorted(needed - set(ordered))

    def caller_prompts(self, code: str) -> list[str]:
        """The prompts a caller may hear in `code`: what audio is built and checked for."""
        operator = set(self.call.operator_prompts())
        return [p for p in self.required_prompts(code) if p not in operator]
