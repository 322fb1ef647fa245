"""Reading prompts/ into the model: TOML to dataclasses, naming every problem it finds."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import ContentError
from .model import (
    DEFAULT_PROMPTS_DIR,
    KINDS,
    SCRIPTS,
    SOURCE_LANGUAGE,
    STATUSES,
    CallRules,
    Content,
    DialOffer,
    Keys,
    Language,
    Menu,
    Node,
    Option,
    SayVoice,
    Service,
)
from .problems import Problem
from .rules import check

NOT_LANGUAGES = {"menu", "languages", "notes", "call"}


def load(prompts_dir: Path | str = DEFAULT_PROMPTS_DIR) -> Content:
    """Load and check prompts/; raise ContentError naming every problem."""
    folder = Path(prompts_dir)
    problems: list[Problem] = []
    menu = _load_menu(folder / "menu.toml", problems)
    call = _load_call(folder / "call.toml", problems)
    index = _read_toml(folder / "languages.toml", problems)
    order = tuple(index.get("order", ()))
    greeting = tuple(index.get("greeting", ()))
    present = {p.stem for p in folder.glob("*.toml")} - NOT_LANGUAGES
    languages = {}
    for code in dict.fromkeys([*(c for c in order if c in present), *sorted(present)]):
        lang = _load_language(folder / f"{code}.toml", code, problems)
        if lang is not None:
            languages[code] = lang
    for code in dict.fromkeys([*order, *greeting]):
        if code not in present:
            problems.append(Problem("languages.toml", f"{code!r} has no file prompts/{code}.toml"))
    if SOURCE_LANGUAGE not in languages:
        problems.append(Problem("prompts/", f"the source language {SOURCE_LANGUAGE!r} is missing"))
    if menu is None or problems:
        raise ContentError(problems or [Problem("menu.toml", "could not be read")])
    content = Content(
        menu=menu,
        languages=MappingProxyType(languages),
        order=tuple(c for c in order if c in languages) + tuple(c for c in languages if c not in order),
        greeting=greeting,
        call=call,
        rosa_speaks=tuple(index.get("rosa_speaks", ("nb", "en"))),
    )
    problems.extend(check(content))
    if problems:
        raise ContentError(problems)
    return content


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(path.name, f"file not found in {path.parent}"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problems.append(Problem(path.name, f"not valid TOML: {e}"))
    return {}


def _load_call(path: Path, problems: list[Problem]) -> CallRules:
    """call.toml, or the shipped rules when a folder has none (a minimal test deployment)."""
    if not path.exists():
        return CallRules()
    data = _read_toml(path, problems)
    default = CallRules()
    fields = {
        "per_page": ("languages", "per_page"), "more_key": ("languages", "more_key"),
        "greeting": ("languages", "greeting"), "option_prefix": ("languages", "option"),
        "more": ("languages", "more"), "hint": ("languages", "hint"),
        "silence_repeats": ("silence", "repeats"), "no_input": ("silence", "notice"),
        "silence_give_up": ("silence", "give_up"), "invalid": ("wrong_keys", "notice"),
        "help_after": ("wrong_keys", "help_after"), "invalid_help": ("wrong_keys", "help"),
        "keys": ("menus", "keys"), "connecting": ("transfer", "connecting"),
        "service_unanswered": ("transfer", "service_unanswered"), "retry_key": ("retry", "key"),
        "retry_prompts": ("retry", "prompts"), "retry_offer": ("retry", "offer"),
        "retry_give_up": ("retry", "give_up"), "goodbye": ("end", "goodbye"),
        "error": ("end", "error"), "no_caller_id": ("end", "no_caller_id"),
        "no_choice": ("silence", "first"), "free_call": ("welcome", "free_call"),
        "handoff": ("handoff", "prompt"), "interpreter": ("handoff", "interpreter"),
        "whisper": ("whisper", "prompt"), "whisper_no_language": ("whisper", "no_language"),
        "whisper_accept": ("whisper", "accept"), "whisper_accept_key": ("whisper", "accept_key"),
    }
    values: dict[str, Any] = {}
    for name, (table, key) in fields.items():
        value = data.get(table, {}).get(key, getattr(default, name))
        wanted = type(getattr(default, name))
        if wanted is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = tuple(value)
        if type(value) is not wanted:
            problems.append(Problem("call.toml", f"[{table}] {key} must be a {wanted.__name__}, like {getattr(default, name)!r}"))
            continue
        values[name] = value
    return CallRules(**values)


def _load_menu(path: Path, problems: list[Problem]) -> Menu | None:
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
        parent_of = {o["to"]: nid for nid, n in raw_nodes.items() for o in n.get("options", ())}
        nodes = {}
        for nid, n in raw_nodes.items():
            if n.get("kind") not in KINDS:
                problems.append(Problem("menu.toml", f"node {nid}: kind must be one of {', '.join(KINDS)}"))
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
    except KeyError as e:
        problems.append(Problem("menu.toml", f"an entry lacks its {e.args[0]!r}"))
    except TypeError as e:
        problems.append(Problem("menu.toml", f"malformed entry: {e}"))
    return None


def _load_language(path: Path, code: str, problems: list[Problem]) -> Language | None:
    data = _read_toml(path, problems)
    if not data:
        return None
    meta, prompts = data.get("language", {}), data.get("prompts", {})
    where = path.name

    def problem(message: str) -> None:
        problems.append(Problem(where, message))

    for key in ("name", "english_name", "norwegian_name", "status", "script"):
        if not isinstance(meta.get(key), str) or not meta.get(key):
            problem(f"[language] needs {key}")
    if meta.get("status") and meta["status"] not in STATUSES:
        problem(f"status must be one of {', '.join(STATUSES)}")
    if meta.get("script") and meta["script"] not in SCRIPTS:
        problem(f"script must be one of {', '.join(SCRIPTS)}")
    if not all(isinstance(t, str) for t in prompts.values()):
        problem("every prompt must be a string")
        return None
    say = meta.get("say")
    if say is not None and not (isinstance(say, dict) and say.get("language") and say.get("voice")):
        problem("say needs language and voice")
        say = None
    if meta.get("recorded_only") and say:
        problem("a recorded-only language has no <Say> voice")
    candidate = meta.get("candidate_say")
    if candidate is not None and not (isinstance(candidate, dict) and candidate.get("language") and candidate.get("voice")):
        problem("candidate_say needs language and voice")
        candidate = None
    if candidate and (say or meta.get("recorded_only")):
        problem("candidate_say is for a language without a confirmed <Say> voice, not recorded-only")
    espeak_rate = meta.get("espeak_rate")
    if espeak_rate is not None and not (type(espeak_rate) is int and 80 <= espeak_rate <= 450):
        problem("espeak_rate must be words a minute, from 80 to 450")
        espeak_rate = None
    offline_voice = meta.get("offline_voice_on_calls", False)
    if not isinstance(offline_voice, bool):
        problem("offline_voice_on_calls must be true or false")
        offline_voice = False
    elif offline_voice and (say or meta.get("recorded_only") or not meta.get("espeak")):
        problem(
            "offline_voice_on_calls is only for a language with an espeak voice, "
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
