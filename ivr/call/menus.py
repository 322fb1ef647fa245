"""The menus: the language menu's pages and the topic tree's menus and messages."""

from __future__ import annotations

from collections.abc import Sequence

from ..content import Node
from .graph import CallGraph
from .position import Call, Position
from .say import after_silence, notice_for, say, with_tallies
from .scenes import Ask, Scene, Utterance
from .transfers import ROSA, before_transfer, give_up, talk, transfer


def play_languages(graph: CallGraph, call: Call, at: Position, notice: Sequence[str] = ()) -> Scene:
    rules = graph.rules
    pages = graph.pages(call.order)
    if at.silence > rules.silence_repeats:
        return give_up(graph, None, "languages", call)
    page = min(at.page, len(pages))
    here = Position("languages", page=page, silence=at.silence, errors=at.errors)
    if at.silence:
        # A short reminder of 0 and # in the greeting languages, not the page again (9 turns it).
        return Ask(None, say(graph, None, (rules.no_choice,)), here, after_silence(graph, here, call))
    parts = list(say(graph, None, notice))
    if page == 1:
        parts += say(graph, None, (rules.greeting,))
    parts += [Utterance(code, rules.option(i)) for i, code in enumerate(pages[page - 1], 1)]
    if len(pages) > 1:
        parts += say(graph, None, (rules.more,))
    if rules.hint:
        parts += say(graph, None, (rules.hint,))
    return Ask(None, tuple(parts), here, after_silence(graph, here, call))


def press_at_languages(graph: CallGraph, call: Call, at: Position, digits: str) -> Scene:
    keys, rules = graph.menu.keys, graph.rules
    pages = graph.pages(call.order)
    page = min(at.page, len(pages))
    current = pages[page - 1]
    fresh = Position("languages", page=page)
    if digits == keys.talk:
        return talk(graph, None, call)
    if digits == keys.repeat:
        return play_languages(graph, call, fresh)
    if digits == keys.back:
        return play_languages(graph, call, fresh.moved(page=max(page - 1, 1)))
    if digits == rules.more_key and len(pages) > 1:
        return play_languages(graph, call, fresh.moved(page=page % len(pages) + 1))
    if len(digits) == 1 and digits in "123456789" and int(digits) <= len(current):
        code = current[int(digits) - 1]
        scene = play_node(graph, call, Position("node", code, graph.menu.root), welcome=True)
        return with_tallies(scene, ("language", code))
    errors = at.errors + 1
    return play_languages(graph, call, fresh.moved(errors=errors), notice_for(graph, errors))


def play_node(graph: CallGraph, call: Call, at: Position, welcome: bool = False, notice: Sequence[str] = ()) -> Scene:
    rules = graph.rules
    assert at.lang is not None and at.node is not None
    node = graph.menu.nodes[at.node]
    if at.silence > rules.silence_repeats:
        return give_up(graph, at.lang, node.id, call)
    if node.kind == "transfer":
        service = node.service or ROSA
        return transfer(graph, at.lang, (*node.body, *before_transfer(graph, at.lang, service)), service, node.id, call)
    here = Position("node", at.lang, node.id, silence=at.silence, errors=at.errors)
    if at.silence and node.kind == "menu":
        # After a silence, a short reminder of 0 and # rather than the whole menu again.
        return Ask(at.lang, say(graph, at.lang, (rules.no_choice,)), here, after_silence(graph, here, call))
    prompts = list(notice)
    if node.kind == "menu":
        greeted = (*node.welcome, *((rules.free_call,) if graph.free_call else ())) if welcome else ()
        prompts += [*node.intro, *greeted, *(o.prompt for o in node.options)]
    else:
        prompts += node.body
        if node.dial and node.dial.service in graph.numbers:
            prompts.append(node.dial.prompt)
    prompts.append(rules.keys)
    return Ask(at.lang, say(graph, at.lang, prompts), here, after_silence(graph, here, call))


def press_at_node(graph: CallGraph, call: Call, at: Position, digits: str) -> Scene:
    keys = graph.menu.keys
    assert at.lang is not None and at.node is not None
    node: Node = graph.menu.nodes[at.node]
    option = node.option(digits)
    if digits == keys.talk:
        return talk(graph, at.lang, call)
    if digits == keys.back:
        if node.parent is None:
            return play_languages(graph, call, Position("languages"))
        return play_node(graph, call, Position("node", at.lang, node.parent))
    if digits == keys.repeat:
        return play_node(graph, call, Position("node", at.lang, node.id))
    if option is not None:
        return with_tallies(play_node(graph, call, Position("node", at.lang, option.to)), ("topic", option.to))
    if node.dial and digits == node.dial.key and node.dial.service in graph.numbers:
        service = node.dial.service
        return transfer(graph, at.lang, before_transfer(graph, at.lang, service), service, node.id, call)
    errors = at.errors + 1
    return play_node(graph, call, Position("node", at.lang, node.id, errors=errors), notice=notice_for(graph, errors))
