"""Seconds of audio a caller hears before something: their language, a way to ROSA, the transfer.

One timed walk over the call's own scenes (ivr.call.step), used by `ivr timing`, the call
map and the audio benchmark. A prompt's seconds come from ivr.playback: its built audio when
callers hear it, otherwise an estimate from its text (marked as such).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .call.graph import CallGraph
from .call.position import Call, Enter, Key, Position, Silence
from .call.scenes import GATHER_TIMEOUT, Ask, Scene, Utterance
from .call.step import step
from .call.validate import WALK_CALLER_ID
from .seconds import PAUSE, ZERO, Seconds, spoken_seconds

__all__ = ["PAUSE", "ZERO", "Seconds", "spoken_seconds", "prompt_seconds", "scene_seconds", "time_to_languages"]


def prompt_seconds(graph: CallGraph, part: Utterance) -> Seconds:
    """How long one prompt plays on a call."""
    return graph.playback.seconds(part.lang, part.prompt)


def scene_seconds(graph: CallGraph, parts: Iterable[Utterance]) -> Seconds:
    """How long prompts played one after another take."""
    total = ZERO
    for part in parts:
        total = total + prompt_seconds(graph, part)
    return total


def time_to_languages(graph: CallGraph, country: str | None) -> dict[str, Seconds]:
    """For each offered language, the seconds from the start of the call until its option begins.

    A caller whose language is on a later page hears the page out and presses the key for
    more languages (the page says which), then hears the next page: that is what is counted.
    """
    found: dict[str, Seconds] = {}
    elapsed = ZERO
    order = graph.order_for(country)
    at = Position("languages")
    for _ in graph.pages(order):
        scene = step(graph, at, Enter(), Call(order, WALK_CALLER_ID))
        assert isinstance(scene, Ask)
        for part in scene.parts:
            if part.prompt.startswith(graph.rules.option_prefix) and part.lang not in found:
                found[part.lang] = elapsed
            elapsed = elapsed + prompt_seconds(graph, part)
        at = step(graph, scene.here, Key(graph.rules.more_key), Call(order, WALK_CALLER_ID)).here  # type: ignore[union-attr]
    return found


def time_to_rosa_option(graph: CallGraph) -> Seconds:
    """Seconds before the greeting has offered key 0 (the end of the greeting's first language)."""
    return prompt_seconds(graph, Utterance(graph.greeting[0], graph.rules.greeting))


@dataclass(frozen=True)
class SilentCall:
    """A caller who presses nothing: when the line gives up (its last scene starts), and when that
    scene's words end (the ringing starts, for a transfer)."""

    gives_up: Seconds
    rings: Seconds
    scene: Scene


def time_in_silence(graph: CallGraph, start: Scene | Position, order: tuple[str, ...] | None = None) -> SilentCall:
    """A caller silent from `start` (a position entered, or a scene being heard), as seconds of audio and waiting."""
    elapsed = ZERO
    call = Call(order, WALK_CALLER_ID)
    scene = step(graph, start, Enter(), call) if isinstance(start, Position) else start
    for _ in range(100):  # the walk ends: every counter is bounded
        if not isinstance(scene, Ask):
            return SilentCall(elapsed, elapsed + scene_seconds(graph, scene.parts), scene)
        elapsed = elapsed + scene_seconds(graph, scene.parts) + Seconds(float(GATHER_TIMEOUT), False)
        scene = step(graph, scene.here, Silence(), call)
    raise AssertionError("silence never ends the call")  # pragma: no cover - validated at load


def arrival(graph: CallGraph, code: str, order: tuple[str, ...] | None = None) -> Scene:
    """The main menu as a caller hears it on choosing `code` in the language menu (with the welcome)."""
    call = Call(order, WALK_CALLER_ID)
    for number, page in enumerate(graph.pages(order), 1):
        if code in page:
            return step(graph, Position("languages", page=number), Key(str(page.index(code) + 1)), call)
    raise KeyError(code)
