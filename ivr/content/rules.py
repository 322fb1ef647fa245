"""The rules content must keep, each a small function returning problems (never raising)."""

from __future__ import annotations

from collections import deque

from ..phone import E164, is_emergency, spoken_numbers, web_addresses
from .model import KEYPAD, NODE_ID, OPTION_KEYS, Content, Language, Menu
from .problems import Problem


def check(content: Content) -> list[Problem]:
    """Every problem in already-parsed content: graph, call rules, texts."""
    return [*check_menu(content.menu), *check_call(content), *check_texts(content)]


def check_services(menu: Menu) -> list[Problem]:
    """ROSA has a number; numbers are E.164 and never an emergency number."""
    problems = []
    rosa = menu.services.get("rosa")
    if rosa is None or not rosa.number:
        problems.append(Problem("[services.rosa]", "needs a number: key 0 must reach ROSA from every menu"))
    for service in menu.services.values():
        if service.number is None:
            continue
        if is_emergency(service.number):
            problems.append(Problem(f"service {service.id}", f"{service.number} is an emergency number; never dial it"))
        elif not E164.match(service.number):
            problems.append(Problem(f"service {service.id}", f"{service.number!r} is not an E.164 number"))
    return problems


def check_node(menu: Menu, node_id: str, reserved: tuple[str, ...]) -> list[Problem]:
    """One node's own rules: its id, its keys, its targets, its body, its service."""
    node = menu.nodes[node_id]
    where = f"node {node.id}"
    problems = []
    if not NODE_ID.match(node.id):
        problems.append(Problem(where, "ids are lowercase letters, digits and _"))
    if node.kind == "menu":
        if not node.options:
            problems.append(Problem(where, "a menu without options is a dead end"))
        seen: set[str] = set()
        for option in node.options:
            if option.key in reserved:
                problems.append(Problem(where, f"key {option.key!r} is reserved for the same use in every menu"))
            elif option.key not in OPTION_KEYS:
                problems.append(Problem(where, f"key {option.key!r} is not a key 1-9"))
            if option.key in seen:
                problems.append(Problem(where, f"key {option.key!r} is used twice"))
            seen.add(option.key)
            if option.to not in menu.nodes:
                problems.append(Problem(where, f"key {option.key} leads to unknown node {option.to!r}"))
        expected = [str(n) for n in range(1, len(node.options) + 1)]
        # Only when every key is a digit 1-9: a bad key was already named above.
        if [o.key for o in node.options] != expected and not seen - set(OPTION_KEYS):
            problems.append(Problem(where, "keys must run 1, 2, 3... in order without gaps"))
    elif node.options:
        problems.append(Problem(where, "only a menu has options"))
    if node.kind == "message" and not node.body:
        problems.append(Problem(where, "a message needs a body"))
    if node.kind == "transfer":
        service = menu.services.get(node.service or "")
        if service is None:
            problems.append(Problem(where, f"transfer to unknown service {node.service!r}"))
        elif not service.number:
            problems.append(Problem(where, f"transfer to {service.id}, which has no number to dial"))
    if node.dial and node.dial.service not in menu.services:
        problems.append(Problem(where, f"offers to dial unknown service {node.dial.service!r}"))
    return problems


def depths(menu: Menu) -> dict[str, int]:
    """Breadth first from the root: each node reachable by keys, with its depth."""
    found = {menu.root: 0}
    queue = deque([menu.root])
    while queue:
        node = menu.nodes[queue.popleft()]
        for option in node.options:
            if option.to in menu.nodes and option.to not in found:
                found[option.to] = found[node.id] + 1
                queue.append(option.to)
    return found


def check_menu(menu: Menu) -> list[Problem]:
    """Problems in the graph: targets, true reachability, dead ends, keys, depth, services."""
    keys = (menu.keys.talk, menu.keys.back, menu.keys.repeat)
    problems = []
    if len(set(keys)) != 3 or not all(len(k) == 1 and k in KEYPAD for k in keys):
        problems.append(Problem("[keys]", f"talk, back and repeat must be three different keys, got {keys}"))
    problems += check_services(menu)
    if menu.root not in menu.nodes:
        return [*problems, Problem(f"root {menu.root!r}", "is not a node")]
    if menu.nodes[menu.root].kind != "menu":
        problems.append(Problem(f"root {menu.root!r}", "must be a menu"))
    for node_id in menu.nodes:
        problems += check_node(menu, node_id, keys)
    parents: dict[str, list[str]] = {}
    for node in menu.nodes.values():
        for option in node.options:
            parents.setdefault(option.to, []).append(node.id)
    for node_id, where_from in parents.items():
        if node_id == menu.root:
            problems.append(Problem(f"node {node_id}", "the root cannot be an option's target"))
        elif len(where_from) > 1:
            problems.append(Problem(f"node {node_id}", f"reached from {len(where_from)} menus; '*' must have one way back"))
    reached = depths(menu)
    for node_id in menu.nodes:
        if node_id not in reached:
            problems.append(Problem(f"node {node_id}", f"unreachable from {menu.root!r}"))
    for node_id, depth in reached.items():
        if menu.nodes[node_id].kind == "menu" and depth > 1:
            problems.append(Problem(f"node {node_id}", f"a menu {depth} levels below the root; keep topics one level deep"))
    return problems


def check_call(content: Content) -> list[Problem]:
    """The call's own rules (call.toml): keys that do not clash with the menu's."""
    call, keys = content.call, content.menu.keys
    where = "call.toml"
    problems = []
    common = {keys.talk, keys.back, keys.repeat}
    if not 1 <= call.per_page <= 8:
        problems.append(Problem(where, "[languages] per_page must be 1 to 8: 9 turns the page"))
    if call.more_key in common or call.more_key not in KEYPAD or int(call.more_key or 0) <= call.per_page:
        problems.append(Problem(where, f"[languages] more_key {call.more_key!r} must be a free key after the page's keys"))
    if call.retry_key in common - {keys.talk} or call.retry_key not in OPTION_KEYS:
        problems.append(Problem(where, f"[retry] key {call.retry_key!r} must be a key 1-9"))
    if call.silence_repeats < 0 or call.help_after < 1:
        problems.append(Problem(where, "[silence] repeats and [wrong_keys] help_after must be counts"))
    return problems


def check_interpreter(content: Content, lang: Language) -> list[Problem]:
    """A caller ROSA cannot understand is told the English word to say for an interpreter."""
    where = f"{lang.code}.toml"
    if lang.code in content.rosa_speaks:
        return []
    if not lang.interpreter_word:
        return [Problem(where, "[language] needs interpreter_word (the English word a caller says to ROSA)")]
    said = lang.interpreter_word_spoken or lang.interpreter_word
    prompt = content.call.interpreter
    text = lang.prompts.get(prompt, "")
    if text and said not in text:
        return [Problem(where, f"{prompt} must contain {said!r}", prompt)]
    return []


def check_texts(content: Content) -> list[Problem]:
    """Problems in the texts: missing or unknown prompts, key digits, numbers, addresses."""
    problems: list[Problem] = []
    key_prompts = content.call.key_prompts()
    for node in content.menu.nodes.values():
        key_prompts.update({o.prompt: o.key for o in node.options})
        if node.dial:
            key_prompts[node.dial.prompt] = node.dial.key
    source = content.source
    for code in content.greeting:
        if code not in content.languages:
            problems.append(Problem("languages.toml", f"greeting language {code!r} has no file"))
    for lang in content.languages.values():
        where = f"{lang.code}.toml"
        required = content.required_prompts(lang.code)
        problems.extend(check_interpreter(content, lang))
        missing = [p for p in required if not lang.prompts.get(p, "").strip()]
        if missing:
            problems.append(Problem(where, f"missing or empty prompts: {', '.join(missing)}"))
        unknown = sorted(set(lang.prompts) - set(required))
        if unknown:
            problems.append(Problem(where, f"unknown prompt ids: {', '.join(unknown)}"))
        for prompt_id, key in key_prompts.items():
            text = lang.prompts.get(prompt_id)
            if text and key not in spoken_numbers(text):
                problems.append(Problem(where, f"{prompt_id} must name its key {key}", prompt_id))
        if lang is source:
            continue
        for prompt_id in required:
            text, original = lang.prompts.get(prompt_id), source.prompts.get(prompt_id)
            if not text or not original:
                continue
            if sorted(spoken_numbers(text)) != sorted(spoken_numbers(original)):
                problems.append(Problem(
                    where,
                    f"{prompt_id} has numbers {spoken_numbers(text)}, the source has {spoken_numbers(original)}",
                    prompt_id,
                ))
            if sorted(web_addresses(text)) != sorted(web_addresses(original)):
                problems.append(Problem(
                    where,
                    f"{prompt_id} has web addresses {web_addresses(text)}, the source has {web_addresses(original)}",
                    prompt_id,
                ))
    return problems
