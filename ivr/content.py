"""The line's content: the menu graph and every language's prompts, loaded from prompts/ once.

Everything is checked as a whole when loaded, and every problem is named at once, so a
broken file stops the line before a caller can reach a dead end.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from .errors import ContentError

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"

SOURCE_LANGUAGE = "nb"
NodeKind = Literal["menu", "message", "transfer"]
KINDS: tuple[NodeKind, ...] = ("menu", "message", "transfer")
SCRIPTS = ("Latin", "Cyrillic", "Arabic", "Thai", "Han", "Ethiopic")
STATUSES = ("source", "reviewed", "machine-draft")
OPTION_KEYS = tuple("123456789")
LANGUAGES_PER_PAGE = 8
MORE_LANGUAGES_KEY = "9"
# Never put through to these: Twilio cannot reach them in Norway and must not promise to.
EMERGENCY_NUMBERS = ("110", "112", "113")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# Prompts the call flow itself uses, whatever the graph says.
FLOW_PROMPTS: tuple[str, ...] = (
    "greeting",
    *(f"language_option_{n}" for n in range(1, LANGUAGES_PER_PAGE + 1)),
    "more_languages",
    "repeat_hint",
    "keys",
    "invalid",
    "invalid_help",
    "no_input",
    "connecting",
    "handoff",
    "no_choice",
    "free_call",
    "rosa_number",
    "rosa_unanswered",
    "opt_retry",
    "service_unanswered",
    "goodbye",
    "error",
)
# Said after `handoff` in every language ROSA does not speak (languages.toml `rosa_speaks`).
INTERPRETER_PROMPT = "handoff_interpreter"
# Said to whoever answers at ROSA, never to a caller: only in the languages ROSA speaks.
OPERATOR_PROMPTS: tuple[str, ...] = ("whisper", "whisper_no_language", "whisper_accept")
# Prompts whose text must name the digit the caller presses.
FLOW_KEY_PROMPTS: Mapping[str, str] = {
    **{f"language_option_{n}": str(n) for n in range(1, LANGUAGES_PER_PAGE + 1)},
    "more_languages": MORE_LANGUAGES_KEY,
    "opt_retry": "1",
    "whisper_accept": "1",
}

# Not \b: in Chinese or Thai the letters before an address are word characters too.
_WEB = re.compile(r"(?<![A-Za-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:no|com|org|int)(?:/[A-Za-z0-9_/-]*[A-Za-z0-9_-])?")
_NUMBER = re.compile(r"\d+(?: \d+)*")


def text_hash(text: str) -> str:
    """Fingerprint a prompt's text, so audio made from older words is never played."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def web_addresses(text: str) -> list[str]:
    """Web addresses in a prompt, in order."""
    return _WEB.findall(text)


def spoken_numbers(text: str) -> list[str]:
    """Numbers in a prompt as digit strings ("22 33 11 60" -> "22331160"), web addresses aside."""
    return [n.replace(" ", "") for n in _NUMBER.findall(_WEB.sub(" ", text))]


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
    """The language-free graph of the call."""

    root: str
    keys: Keys
    services: Mapping[str, Service]
    nodes: Mapping[str, Node]

    def prompt_ids(self) -> set[str]:
        """Every prompt the graph refers to."""
        return {p for node in self.nodes.values() for p in node.prompt_ids()}

    def walk(self) -> Iterator[tuple[Node, int]]:
        """Nodes depth first from the root, with their depth."""
        stack = [(self.nodes[self.root], 0)]
        while stack:
            node, depth = stack.pop()
            yield node, depth
            stack.extend((self.nodes[o.to], depth + 1) for o in reversed(node.options))


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
    """The menu and every language, checked as a whole."""

    menu: Menu
    languages: Mapping[str, Language]
    order: tuple[str, ...]
    greeting: tuple[str, ...]
    # The languages ROSA's staff speak: no interpreter needed, and the whisper's languages.
    rosa_speaks: tuple[str, ...] = ("nb", "en")

    @property
    def source(self) -> Language:
        """The Norwegian text everything is translated from."""
        return self.languages[SOURCE_LANGUAGE]

    def required_prompts(self, code: str = SOURCE_LANGUAGE) -> list[str]:
        """Every prompt id the language `code` must have, in the source file's order."""
        needed = set(FLOW_PROMPTS) | self.menu.prompt_ids()
        if code in self.rosa_speaks:
            needed |= set(OPERATOR_PROMPTS)
        else:
            needed.add(INTERPRETER_PROMPT)
        ordered = [p for p in self.source.prompts if p in needed]
        return ordered + sorted(needed - set(ordered))

    def caller_prompts(self, code: str) -> list[str]:
        """The prompts a caller may hear in `code`: what audio is built and checked for."""
        return [p for p in self.required_prompts(code) if p not in OPERATOR_PROMPTS]


def load(prompts_dir: Path | str = DEFAULT_PROMPTS_DIR) -> Content:
    """Load and check prompts/; raise ContentError naming every problem."""
    folder = Path(prompts_dir)
    problems: list[str] = []
    menu = _load_menu(folder / "menu.toml", problems)
    index = _read_toml(folder / "languages.toml", problems)
    order = tuple(index.get("order", ()))
    greeting = tuple(index.get("greeting", ()))
    present = {p.stem for p in folder.glob("*.toml")} - {"menu", "languages", "notes"}
    languages = {}
    for code in dict.fromkeys([*(c for c in order if c in present), *sorted(present)]):
        lang = _load_language(folder / f"{code}.toml", code, problems)
        if lang is not None:
            languages[code] = lang
    for code in dict.fromkeys([*order, *greeting]):
        if code not in present:
            problems.append(f"languages.toml: {code!r} has no file prompts/{code}.toml")
    if SOURCE_LANGUAGE not in languages:
        problems.append(f"the source language {SOURCE_LANGUAGE!r} is missing")
    if menu is None or problems:
        raise ContentError(problems or ["menu.toml could not be read"])
    content = Content(
        menu=menu,
        languages=MappingProxyType(languages),
        order=tuple(c for c in order if c in languages)
        + tuple(c for c in languages if c not in order),
        greeting=greeting,
        rosa_speaks=tuple(index.get("rosa_speaks", ("nb", "en"))),
    )
    problems.extend(check(content))
    if problems:
        raise ContentError(problems)
    return content


def check(content: Content) -> list[str]:
    """Every problem in already-parsed content: graph, texts, keys, numbers."""
    return [*check_menu(content.menu), *check_texts(content)]


def check_menu(menu: Menu) -> list[str]:
    """Problems in the graph: targets, reachability, dead ends, keys, depth, services."""
    problems: list[str] = []
    keys = (menu.keys.talk, menu.keys.back, menu.keys.repeat)
    if len(set(keys)) != 3 or not all(k in "0123456789*#" and len(k) == 1 for k in keys):
        problems.append(f"[keys] talk, back and repeat must be three different keys, got {keys}")
    rosa = menu.services.get("rosa")
    if rosa is None or not rosa.number:
        problems.append("[services.rosa] needs a number: key 0 must reach ROSA from every menu")
    for service in menu.services.values():
        if service.number is None:
            continue
        if _is_emergency(service.number):
            problems.append(f"service {service.id}: {service.number} is an emergency number; never dial it")
        elif not E164.match(service.number):
            problems.append(f"service {service.id}: {service.number!r} is not an E.164 number")
    if menu.root not in menu.nodes:
        problems.append(f"root {menu.root!r} is not a node")
        return problems
    if menu.nodes[menu.root].kind != "menu":
        problems.append(f"root {menu.root!r} must be a menu")
    parents: dict[str, list[str]] = {}
    for node in menu.nodes.values():
        where = f"node {node.id}"
        if not NODE_ID.match(node.id):
            problems.append(f"{where}: ids are lowercase letters, digits and _")
        if node.kind == "menu":
            if not node.options:
                problems.append(f"{where}: a menu without options is a dead end")
            seen: set[str] = set()
            for option in node.options:
                if option.key in keys:
                    problems.append(f"{where}: key {option.key!r} is reserved for the same use in every menu")
                elif option.key not in OPTION_KEYS:
                    problems.append(f"{where}: key {option.key!r} is not a key 1-9")
                if option.key in seen:
                    problems.append(f"{where}: key {option.key!r} is used twice")
                seen.add(option.key)
                if option.to not in menu.nodes:
                    problems.append(f"{where}: key {option.key} leads to unknown node {option.to!r}")
                else:
                    parents.setdefault(option.to, []).append(node.id)
            expected = [str(n) for n in range(1, len(node.options) + 1)]
            if [o.key for o in node.options] != expected and not seen - set(OPTION_KEYS):
                problems.append(f"{where}: keys must run 1, 2, 3... in order without gaps")
        elif node.options:
            problems.append(f"{where}: only a menu has options")
        if node.kind == "message" and not node.body:
            problems.append(f"{where}: a message needs a body")
        if node.kind == "transfer" and node.service not in menu.services:
            problems.append(f"{where}: transfer to unknown service {node.service!r}")
        if node.dial and node.dial.service not in menu.services:
            problems.append(f"{where}: offers to dial unknown service {node.dial.service!r}")
    for node_id, where_from in parents.items():
        if node_id == menu.root:
            problems.append(f"node {node_id}: the root cannot be an option's target")
        elif len(where_from) > 1:
            problems.append(f"node {node_id}: reached from {len(where_from)} menus; '*' must have one way back")
    reachable = {menu.root} | set(parents)
    for node_id in menu.nodes.keys() - reachable:
        problems.append(f"node {node_id}: unreachable from {menu.root!r}")
    if not problems:
        for node, depth in menu.walk():
            if node.kind == "menu" and depth > 1:
                problems.append(f"node {node.id}: a menu {depth} levels below the root; keep topics one level deep")
    return problems


def check_texts(content: Content) -> list[str]:
    """Problems in the texts: missing or unknown prompts, key digits, numbers, addresses."""
    problems: list[str] = []
    key_prompts = dict(FLOW_KEY_PROMPTS)
    for node in content.menu.nodes.values():
        key_prompts.update({o.prompt: o.key for o in node.options})
        if node.dial:
            key_prompts[node.dial.prompt] = node.dial.key
    source = content.source
    for code in content.greeting:
        if code not in content.languages:
            problems.append(f"languages.toml: greeting language {code!r} has no file")
    for lang in content.languages.values():
        where = f"{lang.code}.toml"
        required = content.required_prompts(lang.code)
        problems.extend(_check_interpreter(content, lang))
        missing = [p for p in required if not lang.prompts.get(p, "").strip()]
        if missing:
            problems.append(f"{where}: missing or empty prompts: {', '.join(missing)}")
        unknown = sorted(set(lang.prompts) - set(required))
        if unknown:
            problems.append(f"{where}: unknown prompt ids: {', '.join(unknown)}")
        for prompt_id, key in key_prompts.items():
            text = lang.prompts.get(prompt_id)
            if text and key not in spoken_numbers(text):
                problems.append(f"{where}: {prompt_id} must name its key {key}")
        if lang is source:
            continue
        for prompt_id in required:
            text, original = lang.prompts.get(prompt_id), source.prompts.get(prompt_id)
            if not text or not original:
                continue
            if sorted(spoken_numbers(text)) != sorted(spoken_numbers(original)):
                problems.append(
                    f"{where}: {prompt_id} has numbers {spoken_numbers(text)}, "
                    f"the source has {spoken_numbers(original)}"
                )
            if sorted(web_addresses(text)) != sorted(web_addresses(original)):
                problems.append(
                    f"{where}: {prompt_id} has web addresses {web_addresses(text)}, "
                    f"the source has {web_addresses(original)}"
                )
    return problems


def _check_interpreter(content: Content, lang: Language) -> list[str]:
    """A caller ROSA cannot understand is told the English word to say for an interpreter."""
    where = f"{lang.code}.toml"
    if lang.code in content.rosa_speaks:
        return []
    if not lang.interpreter_word:
        return [f"{where}: [language] needs interpreter_word (the English word a caller says to ROSA)"]
    said = lang.interpreter_word_spoken or lang.interpreter_word
    text = lang.prompts.get(INTERPRETER_PROMPT, "")
    if text and said not in text:
        return [f"{where}: {INTERPRETER_PROMPT} must contain {said!r}"]
    return []


def _is_emergency(number: str) -> bool:
    local = number.removeprefix("+47")
    return local in EMERGENCY_NUMBERS or number.lstrip("+") in EMERGENCY_NUMBERS


def _read_toml(path: Path, problems: list[str]) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found in {path.parent}")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problems.append(f"{path.name}: not valid TOML: {e}")
    return {}


def _load_menu(path: Path, problems: list[str]) -> Menu | None:
    data = _read_toml(path, problems)
    if not data:
        return None
    try:
        keys = Keys(**data.get("keys", {}))
        services = {
            sid: Service(id=sid, name=s.get("name", sid), number=s.get("number"))
            for sid, s in data.get("services", {}).items()
        }
        raw_nodes = data.get("nodes", {})
        parent_of = {
            o["to"]: nid for nid, n in raw_nodes.items() for o in n.get("options", ())
        }
        nodes = {}
        for nid, n in raw_nodes.items():
            if n.get("kind") not in KINDS:
                problems.append(f"menu.toml: node {nid}: kind must be one of {', '.join(KINDS)}")
                continue
            dial = n.get("dial")
            nodes[nid] = Node(
                id=nid,
                kind=n["kind"],
                intro=tuple(n.get("intro", ())),
                welcome=tuple(n.get("welcome", ())),
                options=tuple(Option(key=str(o["key"]), prompt=o["prompt"], to=o["to"]) for o in n.get("options", ())),
                body=tuple(n.get("body", ())),
                service=n.get("service"),
                dial=DialOffer(service=dial["service"], prompt=dial["prompt"]) if dial else None,
                parent=parent_of.get(nid),
            )
        return Menu(
            root=data.get("root", ""),
            keys=keys,
            services=MappingProxyType(services),
            nodes=MappingProxyType(nodes),
        )
    except (KeyError, TypeError) as e:
        problems.append(f"menu.toml: malformed entry: {e!r}")
        return None


def _load_language(path: Path, code: str, problems: list[str]) -> Language | None:
    data = _read_toml(path, problems)
    if not data:
        return None
    meta, prompts = data.get("language", {}), data.get("prompts", {})
    where = path.name
    for key in ("name", "english_name", "norwegian_name", "status", "script"):
        if not isinstance(meta.get(key), str) or not meta.get(key):
            problems.append(f"{where}: [language] needs {key}")
    if meta.get("status") and meta["status"] not in STATUSES:
        problems.append(f"{where}: status must be one of {', '.join(STATUSES)}")
    if meta.get("script") and meta["script"] not in SCRIPTS:
        problems.append(f"{where}: script must be one of {', '.join(SCRIPTS)}")
    if not all(isinstance(t, str) for t in prompts.values()):
        problems.append(f"{where}: every prompt must be a string")
        return None
    say = meta.get("say")
    if say is not None and not (isinstance(say, dict) and say.get("language") and say.get("voice")):
        problems.append(f"{where}: say needs language and voice")
        say = None
    if meta.get("recorded_only") and say:
        problems.append(f"{where}: a recorded-only language has no <Say> voice")
    candidate = meta.get("candidate_say")
    if candidate is not None and not (isinstance(candidate, dict) and candidate.get("language") and candidate.get("voice")):
        problems.append(f"{where}: candidate_say needs language and voice")
        candidate = None
    if candidate and (say or meta.get("recorded_only")):
        problems.append(f"{where}: candidate_say is for a language without a confirmed <Say> voice, not recorded-only")
    espeak_rate = meta.get("espeak_rate")
    if espeak_rate is not None and not (type(espeak_rate) is int and 80 <= espeak_rate <= 450):
        problems.append(f"{where}: espeak_rate must be words a minute, from 80 to 450")
        espeak_rate = None
    offline_voice = meta.get("offline_voice_on_calls", False)
    if not isinstance(offline_voice, bool):
        problems.append(f"{where}: offline_voice_on_calls must be true or false")
        offline_voice = False
    elif offline_voice and (say or meta.get("recorded_only") or not meta.get("espeak")):
        problems.append(
            f"{where}: offline_voice_on_calls is only for a language with an espeak voice, "
            "no <Say> voice and not recorded-only"
        )
    return Language(
        code=code,
        name=meta.get("name", code),
        english_name=meta.get("english_name", code),
        norwegian_name=meta.get("norwegian_name", code),
        interpreter_word=meta.get("interpreter_word"),
        interpreter_word_spoken=meta.get("interpreter_word_spoken"),
        status=meta.get("status", "machine-draft"),
        script=meta.get("script", "Latin"),
        countries=tuple(c.upper() for c in meta.get("countries", ())),
        say=SayVoice(say["language"], say["voice"]) if say else None,
        gtts=meta.get("gtts"),
        espeak=meta.get("espeak"),
        espeak_rate=espeak_rate,
        recorded_only=bool(meta.get("recorded_only", False)),
        offline_voice=offline_voice,
        prompts=MappingProxyType(dict(prompts)),
        candidate_say=SayVoice(candidate["language"], candidate["voice"]) if candidate else None,
    )
