"""The call in one pure function: `step(graph, position, event) -> Scene`.

Every scene leaves the caller somewhere: a menu that listens for a key (and knows what
follows silence), a transfer that hears how it ended, or a goodbye that has said ROSA's
number. The rules come from prompts/call.toml and menu.toml through `graph`; the position
and the event are all the state there is (the URL carries the position).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..content import KEYPAD, Node
from ..errors import IvrError
from .graph import CallGraph
from .position import MAX_COUNT, Call, DialEnded, Enter, Event, Key, Position, Silence
from .scenes import Ask, Goodbye, Scene, Tally, Transfer, Utterance, Whisper


class NoNumber(IvrError):
    """A transfer to a service the deployment has no number for."""


ANSWERED = ("completed", "answered")
OUTCOMES = ("busy", "no-answer", "failed", "canceled")
ROSA = "rosa"
ANY_CALL = Call()  # no country, no helpline number in the request: the defaults


def step(graph: CallGraph, at: Position, event: Event, call: Call = ANY_CALL) -> Scene:
    """What the caller hears next, at `at`, after `event`."""
    at, event = normalize(graph, at, event)
    bridged = not isinstance(event, DialEnded) or event.bridged
    match at.place, event:
        case "start", _:
            scene = _language_menu(graph, call, at.moved(place="languages"))
            return _with(scene, ("call", "started"))
        case "fallback", _:
            return error(graph, None, call)
        case "whisper", _:
            return whisper(graph, at, event)
        case _, Silence():
            return step(graph, after_silence(graph, at, call), Enter(), call)
        case "languages", Key(digits):
            return _language_key(graph, call, at, digits)
        case "languages", _:
            return _language_menu(graph, call, at)
        case "node", Key(digits):
            return _node_key(graph, call, at, digits)
        case "node", _:
            return _node(graph, call, at)
        case "retry", Key(digits):
            return _retry_key(graph, call, at, digits)
        case "retry", _:
            return _retry(graph, at)
        case "dialled", DialEnded(outcome):
            return _dialled(graph, call, at, outcome, bridged)
        case _:
            # A transfer's report without its outcome: treat it as unanswered, which offers a retry.
            return _dialled(graph, call, at, "failed")


def normalize(graph: CallGraph, at: Position, event: Event) -> tuple[Position, Event]:
    """Any position a URL can carry, made one the call has: unknown languages and nodes lead back
    to a menu, where a key pressed at the unknown place does nothing but play that menu."""
    clean = _clean(graph, at)
    if isinstance(event, Key) and (clean.place, clean.node, clean.lang) != (at.place, at.node, at.lang):
        return clean, Enter()
    return clean, event


def _clean(graph: CallGraph, at: Position) -> Position:
    counts = {k: min(max(getattr(at, k), 0), MAX_COUNT) for k in ("silence", "errors")}
    at = at.moved(page=min(max(at.page, 1), MAX_COUNT), **counts)
    if at.place in ("node", "retry", "dialled") and at.lang is not None and at.lang not in graph.offered:
        if at.place == "node":
            return Position("languages")
        at = at.moved(lang=None)
    if at.place == "node" and (at.lang is None or at.node not in graph.menu.nodes):
        return at.moved(node=graph.menu.root, silence=0, errors=0) if at.lang else Position("languages")
    if at.place == "whisper" and at.lang not in graph.offered:
        at = at.moved(lang=None)
    if at.place == "dialled":
        if at.service not in graph.menu.services:
            at = at.moved(service=ROSA)
        if at.node not in graph.menu.nodes:
            at = at.moved(node=None)
    return at


def _langs(graph: CallGraph, lang: str | None) -> tuple[str, ...]:
    """The languages a prompt is said in: the caller's, or every greeting language before one is chosen."""
    return (lang,) if lang else graph.greeting


def _say(graph: CallGraph, lang: str | None, prompts: Sequence[str]) -> tuple[Utterance, ...]:
    return tuple(Utterance(code, p) for p in prompts for code in _langs(graph, lang))


def _with(scene: Scene, *tallies: Tally) -> Scene:
    return replace(scene, tallies=(*tallies, *scene.tallies))


def _notice(graph: CallGraph, errors: int) -> tuple[str, ...]:
    """What a wrong key hears first; from the `help_after`-th in a row, also how to reach someone."""
    rules = graph.rules
    return (rules.invalid, rules.invalid_help) if errors >= rules.help_after else (rules.invalid,)


def after_silence(graph: CallGraph, at: Position, call: Call = ANY_CALL) -> Position:
    """Where silence at `at` leads: the same menu counting one more (a message returns to its menu)."""
    more = at.silence + 1
    if at.place == "languages":
        return Position("languages", page=at.page, silence=more)
    if at.place == "node":
        node = graph.menu.nodes[at.node or graph.menu.root]
        target = node.id if node.kind == "menu" else (node.parent or graph.menu.root)
        return Position("node", at.lang, target, silence=more)
    return Position("retry", at.lang, silence=more)


# The language menu -------------------------------------------------------------------------


def _language_menu(graph: CallGraph, call: Call, at: Position, notice: Sequence[str] = ()) -> Scene:
    rules = graph.rules
    pages = graph.pages(call.order)
    if at.silence > rules.silence_repeats:
        return give_up(graph, None, "languages", call)
    page = min(at.page, len(pages))
    here = Position("languages", page=page, silence=at.silence, errors=at.errors)
    if at.silence:
        # A short reminder of 0 and # in the greeting languages, not the page again (9 turns it).
        return Ask(None, _say(graph, None, (rules.no_choice,)), here, after_silence(graph, here, call))
    parts = list(_say(graph, None, notice))
    if page == 1:
        parts += _say(graph, None, (rules.greeting,))
    parts += [Utterance(code, rules.option(i)) for i, code in enumerate(pages[page - 1], 1)]
    if len(pages) > 1:
        parts += _say(graph, None, (rules.more,))
    parts += _say(graph, None, (rules.hint,))
    return Ask(None, tuple(parts), here, after_silence(graph, here, call))


def _language_key(graph: CallGraph, call: Call, at: Position, digits: str) -> Scene:
    keys, rules = graph.menu.keys, graph.rules
    pages = graph.pages(call.order)
    page = min(at.page, len(pages))
    current = pages[page - 1]
    fresh = Position("languages", page=page)
    if digits == keys.talk:
        return talk(graph, None, call)
    if digits == keys.repeat:
        return _language_menu(graph, call, fresh)
    if digits == keys.back:
        return _language_menu(graph, call, fresh.moved(page=max(page - 1, 1)))
    if digits == rules.more_key and len(pages) > 1:
        return _language_menu(graph, call, fresh.moved(page=page % len(pages) + 1))
    if len(digits) == 1 and digits in "123456789" and int(digits) <= len(current):
        code = current[int(digits) - 1]
        scene = _node(graph, call, Position("node", code, graph.menu.root), welcome=True)
        return _with(scene, ("language", code))
    errors = at.errors + 1
    return _language_menu(graph, call, fresh.moved(errors=errors), _notice(graph, errors))


# Menus and messages ------------------------------------------------------------------------


def _node(graph: CallGraph, call: Call, at: Position, welcome: bool = False, notice: Sequence[str] = ()) -> Scene:
    rules = graph.rules
    assert at.lang is not None and at.node is not None
    node = graph.menu.nodes[at.node]
    if at.silence > rules.silence_repeats:
        return give_up(graph, at.lang, node.id, call)
    if node.kind == "transfer":
        service = node.service or ROSA
        return _transfer(graph, at.lang, (*node.body, *_before(graph, at.lang, service)), service, node.id, call)
    here = Position("node", at.lang, node.id, silence=at.silence, errors=at.errors)
    if at.silence and node.kind == "menu":
        # After a silence, a short reminder of 0 and # rather than the whole menu again.
        return Ask(at.lang, _say(graph, at.lang, (rules.no_choice,)), here, after_silence(graph, here, call))
    prompts = list(notice)
    if node.kind == "menu":
        greeted = (*node.welcome, *((rules.free_call,) if graph.free_call else ())) if welcome else ()
        prompts += [*node.intro, *greeted, *(o.prompt for o in node.options)]
    else:
        prompts += node.body
        if node.dial and node.dial.service in graph.numbers:
            prompts.append(node.dial.prompt)
    prompts.append(rules.keys)
    return Ask(at.lang, _say(graph, at.lang, prompts), here, after_silence(graph, here, call))


def _node_key(graph: CallGraph, call: Call, at: Position, digits: str) -> Scene:
    keys = graph.menu.keys
    assert at.lang is not None and at.node is not None
    node: Node = graph.menu.nodes[at.node]
    option = node.option(digits)
    if digits == keys.talk:
        return talk(graph, at.lang, call)
    if digits == keys.back:
        if node.parent is None:
            return _language_menu(graph, call, Position("languages"))
        return _node(graph, call, Position("node", at.lang, node.parent))
    if digits == keys.repeat:
        return _node(graph, call, Position("node", at.lang, node.id))
    if option is not None:
        return _with(_node(graph, call, Position("node", at.lang, option.to)), ("topic", option.to))
    if node.dial and digits == node.dial.key and node.dial.service in graph.numbers:
        service = node.dial.service
        return _transfer(graph, at.lang, _before(graph, at.lang, service), service, node.id, call)
    errors = at.errors + 1
    return _node(graph, call, Position("node", at.lang, node.id, errors=errors), notice=_notice(graph, errors))


# Transfers ---------------------------------------------------------------------------------


def _before(graph: CallGraph, lang: str | None, service: str) -> tuple[str, ...]:
    """What is said before a transfer: for ROSA, who ROSA is (and, in a language ROSA's staff do
    not speak, the word to say for an interpreter); for anyone else, that the caller is put through."""
    rules = graph.rules
    if service != ROSA:
        return (rules.connecting,)
    if lang is None or lang in graph.content.rosa_speaks:
        return (rules.handoff,)
    return (rules.handoff, rules.interpreter)


def talk(graph: CallGraph, lang: str | None, call: Call = ANY_CALL, before: Sequence[str] = ()) -> Scene:
    """Put the caller through to ROSA, after `before`."""
    return _transfer(graph, lang, (*before, *_before(graph, lang, ROSA)), ROSA, None, call)


def give_up(graph: CallGraph, lang: str | None, place: str, call: Call = ANY_CALL) -> Scene:
    """Silence ran out: say so and ROSA's number (the caller may not be able to speak), then ROSA."""
    return _with(talk(graph, lang, call, graph.rules.silence_give_up), ("silent", place))


def _transfer(
    graph: CallGraph, lang: str | None, prompts: Sequence[str], service: str, node: str | None, call: Call
) -> Scene:
    number = graph.numbers.get(service)
    if number is None:  # never at run time: the walk at load (ivr.call.validate) finds every such transfer
        raise NoNumber(f"transfer to {service}, which has no number to dial")
    shown = call.caller_id or graph.caller_id
    parts = _say(graph, lang, prompts)
    if not shown:
        # Dialling without the helpline's number would show the caller's: read the number instead.
        return Goodbye(lang, parts + _say(graph, lang, graph.rules.no_caller_id), (("ended", "no_caller_id"),))
    after = Position("dialled", lang, node, service=service)
    whisper_at = Position("whisper", lang) if service == ROSA else None
    return Transfer(lang, parts, service, number, shown, after, (("transfer", service),), whisper_at)


def error(graph: CallGraph, lang: str | None, call: Call = ANY_CALL) -> Scene:
    """Something broke: say ROSA's number and 112, and put the caller through to ROSA."""
    lang = lang if lang in graph.offered else None
    return _transfer(graph, lang, (graph.rules.error, *_before(graph, lang, ROSA)), ROSA, None, call)


def whisper(graph: CallGraph, at: Position, event: Event) -> Whisper:
    """What whoever answers at ROSA hears: the caller's language by its name, nothing else about them."""
    rules, op = graph.rules, graph.whisper_language
    if isinstance(event, Key):
        if event.digits == rules.whisper_accept_key:
            return Whisper(op)  # accepted: connect
        return Whisper(op, hang_up=True)
    if isinstance(event, Silence):
        return Whisper(op, hang_up=True)  # nobody accepted: the caller hears the unanswered path
    words = graph.content.languages[op]
    if at.lang is None:
        texts = [words.text(rules.whisper_no_language)]
    else:
        chosen = graph.content.languages[at.lang]
        name = chosen.norwegian_name if op == "nb" else chosen.english_name
        texts = [words.text(rules.whisper).replace("{language}", name)]
    accept = None
    if graph.whisper_accept:
        texts.append(words.text(rules.whisper_accept))
        accept = Position("whisper", at.lang)
    return Whisper(op, tuple(texts), accept, tallies=(("whisper", at.lang or "none"),))


def _dialled(graph: CallGraph, call: Call, at: Position, outcome: str, bridged: bool = True) -> Scene:
    service = at.service or ROSA
    ended = "answered" if outcome in ANSWERED else outcome if outcome in OUTCOMES else "failed"
    if ended == "answered" and not bridged:
        ended = "no-answer"  # answered, but the whisper hung up before the caller was put through
    tally: Tally = ("transfer_end", f"{service}:{ended}")
    if ended == "answered":
        return Goodbye(at.lang, _say(graph, at.lang, (graph.rules.goodbye,)), (tally, ("ended", "transfer")))
    if service == ROSA or at.lang is None:
        return _with(_retry(graph, Position("retry", at.lang)), tally)
    node = at.node if at.node in graph.menu.nodes else graph.menu.root
    scene = _node(graph, call, Position("node", at.lang, node), notice=(graph.rules.service_unanswered,))
    return _with(scene, tally)


def _retry(graph: CallGraph, at: Position, notice: Sequence[str] = ()) -> Scene:
    rules = graph.rules
    if at.silence > rules.silence_repeats:
        parts = _say(graph, at.lang, (*rules.retry_give_up, rules.goodbye))
        return Goodbye(at.lang, parts, (("silent", "retry"), ("ended", "retry")))
    prompts = (*notice, *rules.retry_prompts, rules.retry_offer, rules.keys)
    here = Position("retry", at.lang, silence=at.silence, errors=at.errors)
    return Ask(at.lang, _say(graph, at.lang, prompts), here, after_silence(graph, here))


def _retry_key(graph: CallGraph, call: Call, at: Position, digits: str) -> Scene:
    keys = graph.menu.keys
    if digits in (graph.rules.retry_key, keys.talk):
        return talk(graph, at.lang, call)
    if digits == keys.back:
        if at.lang is None:
            return _language_menu(graph, call, Position("languages"))
        return _node(graph, call, Position("node", at.lang, graph.menu.root))
    if digits == keys.repeat:
        return _retry(graph, Position("retry", at.lang))
    errors = at.errors + 1
    return _retry(graph, Position("retry", at.lang, errors=errors), _notice(graph, errors))


def dial_event(outcome: str | None, bridged: str | None = None) -> DialEnded:
    """The event of a Dial's action: Twilio's DialCallStatus, anything unknown counted as failed;
    DialBridged=false means the callee never reached the caller (the whisper hung up)."""
    outcome = outcome or ""
    return DialEnded(outcome if outcome in (*ANSWERED, *OUTCOMES) else "failed", bridged != "false")


def key_event(digits: str | None) -> Key | Silence:
    """The event of a Gather's Digits: no key is silence; anything but one ASCII key is a wrong key."""
    digits = (digits or "").strip(" \t\r\n")
    if not digits:
        return Silence()
    return Key(digits if len(digits) == 1 and digits in KEYPAD else "?")
