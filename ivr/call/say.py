"""Helpers of the step: who hears a prompt, counts added to a scene, what a wrong key hears, where silence leads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .graph import CallGraph
from .position import Call, Position
from .scenes import Scene, Tally, Utterance

ANY_CALL = Call()  # no country, no helpline number in the request: the defaults


def langs(graph: CallGraph, lang: str | None) -> tuple[str, ...]:
    """The languages a prompt is said in: the caller's, or every greeting language before one is chosen."""
    return (lang,) if lang else graph.greeting


def say(graph: CallGraph, lang: str | None, prompts: Sequence[str]) -> tuple[Utterance, ...]:
    return tuple(Utterance(code, p) for p in prompts for code in langs(graph, lang))


def with_tallies(scene: Scene, *tallies: Tally) -> Scene:
    return replace(scene, tallies=(*tallies, *scene.tallies))


def notice_for(graph: CallGraph, errors: int) -> tuple[str, ...]:
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
