"""The call in one pure function: `step(graph, position, event) -> Scene`.

Every scene leaves the caller somewhere: a menu that listens for a key (and knows what
follows silence), a transfer that hears how it ended, or a goodbye that has said ROSA's
number. The rules come from prompts/call.toml and menu.toml through `graph`; the position
and the event are all the state there is (the URL carries the position).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..content import KEYPAD
from .graph import CallGraph
from .menus import play_languages, play_node, press_at_languages, press_at_node
from .position import MAX_COUNT, Call, DialEnded, Enter, Event, Key, Position, Silence
from .say import ANY_CALL, after_silence, notice_for, say, with_tallies
from .scenes import Ask, Goodbye, Scene, Tally
from .transfers import ROSA, NoNumber, error, give_up, talk, whisper

__all__ = ["ANSWERED", "ANY_CALL", "ENDINGS", "OUTCOMES", "NoNumber", "dial_event", "error", "give_up", "key_event",
           "normalize", "step", "talk", "whisper"]

ANSWERED = ("completed", "answered")
OUTCOMES = ("busy", "no-answer", "failed", "canceled")
# How a transfer can end, as the console and `ivr call` offer it (Twilio's DialCallStatus).
ENDINGS = ("completed", "no-answer", "busy", "failed")


def step(graph: CallGraph, at: Position, event: Event, call: Call = ANY_CALL) -> Scene:
    """What the caller hears next, at `at`, after `event`."""
    at, event = normalize(graph, at, event)
    bridged = not isinstance(event, DialEnded) or event.bridged
    match at.place, event:
        case "start", _:
            scene = play_languages(graph, call, at.moved(place="languages"))
            return with_tallies(scene, ("call", "started"))
        case "fallback", _:
            return error(graph, None, call)
        case "whisper", _:
            return whisper(graph, at, event)
        case _, Silence():
            return step(graph, after_silence(graph, at, call), Enter(), call)
        case "languages", Key(digits):
            return press_at_languages(graph, call, at, digits)
        case "languages", _:
            return play_languages(graph, call, at)
        case "node", Key(digits):
            return press_at_node(graph, call, at, digits)
        case "node", _:
            return play_node(graph, call, at)
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


def _dialled(graph: CallGraph, call: Call, at: Position, outcome: str, bridged: bool = True) -> Scene:
    service = at.service or ROSA
    ended = "answered" if outcome in ANSWERED else outcome if outcome in OUTCOMES else "failed"
    if ended == "answered" and not bridged:
        ended = "no-answer"  # answered, but the whisper hung up before the caller was put through
    tally: Tally = ("transfer_end", f"{service}:{ended}")
    if ended == "answered":
        # Every goodbye says ROSA's number: the service may have hung up first, and the caller
        # may want to call ROSA again (or never heard its number, after another service).
        parts = say(graph, at.lang, (*graph.rules.retry_give_up, graph.rules.goodbye))
        return Goodbye(at.lang, parts, (tally, ("ended", "transfer")))
    if service == ROSA or at.lang is None:
        return with_tallies(_retry(graph, Position("retry", at.lang)), tally)
    node = at.node if at.node in graph.menu.nodes else graph.menu.root
    scene = play_node(graph, call, Position("node", at.lang, node), notice=(graph.rules.service_unanswered,))
    return with_tallies(scene, tally)


def _retry(graph: CallGraph, at: Position, notice: Sequence[str] = ()) -> Scene:
    rules = graph.rules
    if at.silence > rules.silence_repeats:
        parts = say(graph, at.lang, (*rules.retry_give_up, rules.goodbye))
        return Goodbye(at.lang, parts, (("silent", "retry"), ("ended", "retry")))
    prompts = (*notice, *rules.retry_prompts, rules.retry_offer, rules.keys)
    here = Position("retry", at.lang, silence=at.silence, errors=at.errors)
    return Ask(at.lang, say(graph, at.lang, prompts), here, after_silence(graph, here))


def _retry_key(graph: CallGraph, call: Call, at: Position, digits: str) -> Scene:
    keys = graph.menu.keys
    if digits in (graph.rules.retry_key, keys.talk):
        return talk(graph, at.lang, call)
    if digits == keys.back:
        if at.lang is None:
            return play_languages(graph, call, Position("languages"))
        return play_node(graph, call, Position("node", at.lang, graph.menu.root))
    if digits == keys.repeat:
        return _retry(graph, Position("retry", at.lang))
    errors = at.errors + 1
    return _retry(graph, Position("retry", at.lang, errors=errors), notice_for(graph, errors))


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
