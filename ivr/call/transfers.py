"""Transfers: what is said before one, the whisper to whoever answers at ROSA, the error answer."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import IvrError
from .graph import CallGraph
from .position import Call, Event, Key, Position, Silence
from .say import ANY_CALL, say, with_tallies
from .scenes import Goodbye, Scene, Transfer, Whisper

ROSA = "rosa"


class NoNumber(IvrError):
    """A transfer to a service the deployment has no number for."""


def before_transfer(graph: CallGraph, lang: str | None, service: str) -> tuple[str, ...]:
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
    return transfer(graph, lang, (*before, *before_transfer(graph, lang, ROSA)), ROSA, None, call)


def give_up(graph: CallGraph, lang: str | None, place: str, call: Call = ANY_CALL) -> Scene:
    """Silence ran out: say so and ROSA's number (the caller may not be able to speak), then ROSA."""
    return with_tallies(talk(graph, lang, call, graph.rules.silence_give_up), ("silent", place))


def transfer(
    graph: CallGraph, lang: str | None, prompts: Sequence[str], service: str, node: str | None, call: Call
) -> Scene:
    number = graph.numbers.get(service)
    if number is None:  # never at run time: the walk at load (ivr.call.validate) finds every such transfer
        raise NoNumber(f"transfer to {service}, which has no number to dial")
    shown = call.caller_id or graph.caller_id
    parts = say(graph, lang, prompts)
    if not shown:
        # Dialling without the helpline's number would show the caller's: read the number instead.
        return Goodbye(lang, parts + say(graph, lang, graph.rules.no_caller_id), (("ended", "no_caller_id"),))
    after = Position("dialled", lang, node, service=service)
    whisper_at = Position("whisper", lang) if service == ROSA else None
    return Transfer(lang, parts, service, number, shown, after, (("transfer", service),), whisper_at)


def error(graph: CallGraph, lang: str | None, call: Call = ANY_CALL) -> Scene:
    """Something broke: say ROSA's number and 112, and put the caller through to ROSA."""
    lang = lang if lang in graph.offered else None
    return transfer(graph, lang, (graph.rules.error, *before_transfer(graph, lang, ROSA)), ROSA, None, call)


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
