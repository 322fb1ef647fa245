"""The whole call checked at load: a breadth-first walk from the first answer over every
(position, key, silence, transfer outcome), so every node is reachable, every transfer
dials a real number, and every move leaves the caller somewhere."""

from __future__ import annotations

from collections import deque

from ..content import KEYPAD, Problem
from ..errors import IvrError
from ..phone import is_e164, is_emergency
from .graph import CallGraph
from .position import Call, DialEnded, Enter, Event, Key, Position, Silence
from .scenes import Ask, Goodbye, Scene, Transfer, Whisper
from .step import ANSWERED, OUTCOMES, step

KEYS = (*KEYPAD, "?")  # "?" stands for anything else a request may send
ENDINGS = (*ANSWERED[:1], *OUTCOMES)
ROSA_NUMBER = "rosa_number"  # the prompt that reads ROSA's number; every goodbye says it
WALK_CALLER_ID = "+4700000000"  # a stand-in helpline number, so the walk goes through transfers


def events(scene: Scene) -> list[tuple[Position, Event]]:
    """Every request that can follow a scene."""
    match scene:
        case Ask():
            return [(scene.here, Key(k)) for k in KEYS] + [(scene.here, Silence())]
        case Transfer():
            found: list[tuple[Position, Event]] = [(scene.after, DialEnded(o)) for o in ENDINGS]
            found.append((scene.after, DialEnded("completed", bridged=False)))
            if scene.whisper:
                found += [(scene.whisper, e) for e in (Enter(), Key("1"), Silence())]
            return found
    return []


def walk(graph: CallGraph) -> tuple[list[Problem], set[str]]:
    """Problems found walking the call, and the nodes reached."""
    problems: list[Problem] = []
    reached: set[str] = set()
    call = Call(caller_id=WALK_CALLER_ID)
    lang = graph.offered[0] if graph.offered else None
    start = Position("start")
    queue: deque[tuple[Position, Event]] = deque([(start, Enter())])
    seen: set[tuple[Position, Event]] = set()
    help_after = graph.rules.help_after
    while queue:
        at, event = queue.popleft()
        try:
            scene = step(graph, at, event, call)
        except IvrError as error:
            problems.append(Problem(_where(at), f"{error} ({_after(event)})"))
            continue
        except Exception as error:  # noqa: BLE001 - named below, with where it happened
            problems.append(Problem(_where(at), f"{type(error).__name__} {error} ({_after(event)})"))
            continue
        problems += _check(scene, at, _after(event))
        if isinstance(scene, Ask) and scene.here.place == "node" and scene.here.node:
            reached.add(scene.here.node)
        if isinstance(scene, Transfer) and scene.after.node:
            reached.add(scene.after.node)
        for nxt, ev in events(scene):
            if nxt.lang not in (None, lang):
                continue  # every language walks the same graph: one stands for all
            # Counters beyond their limits repeat what the limit does.
            key = (nxt.moved(errors=min(nxt.errors, help_after)), ev)
            if key not in seen:
                seen.add(key)
                queue.append((nxt, ev))
    return problems, reached


def _after(event: Event) -> str:
    match event:
        case Key(digits):
            return f"key {digits}"
        case DialEnded(outcome):
            return f"after a transfer ended {outcome}"
    return "on silence" if isinstance(event, Silence) else "on arrival"


def _where(at: Position) -> str:
    return f"node {at.node}" if at.place == "node" else f"the {at.place} place"


def _check(scene: Scene, at: Position, after: str = "") -> list[Problem]:
    where = _where(at)
    if isinstance(scene, Transfer) and (not is_e164(scene.number) or is_emergency(scene.number)):
        return [Problem(where, f"transfer to {scene.service} dials {scene.number!r}, not a number to dial")]
    if isinstance(scene, Whisper):
        said_something = bool(scene.texts) or scene.hang_up or at.place == "whisper"
        return [] if said_something else [Problem(where, "the whisper says nothing")]
    if isinstance(scene, Goodbye | Transfer | Ask) and not scene.parts:
        return [Problem(where, "says nothing")]
    if isinstance(scene, Goodbye) and ROSA_NUMBER not in {p.prompt for p in scene.parts}:
        return [Problem(where, f"ends the call without saying ROSA's number ({ROSA_NUMBER}) ({after})")]
    return []


def check(graph: CallGraph) -> list[Problem]:
    """Every problem of the call as a whole; empty when a caller can never be stuck."""
    if not graph.offered:
        return [Problem("IVR_LANGUAGES", "no language can be heard: check IVR_LANGUAGES and the audio")]
    problems, reached = walk(graph)
    for node_id in graph.menu.nodes:
        if node_id not in reached:
            problems.append(Problem(f"node {node_id}", f"unreachable from the start of the call (root {graph.menu.root!r})"))
    return list(dict.fromkeys(problems))
