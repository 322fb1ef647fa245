"""One walk per language through the simulator, over every place, key, silence and transfer outcome,
asserting what must hold on every answer: valid TwiML that leaves the caller somewhere, no caller
data, the helpline's caller ID on every transfer, nothing that records, texts or calls back."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import deque

import pytest
from flask import Flask

from ivr.simulator import KEYS, Simulator, Turn

from .conftest import CALLER, CONTENT, HELPLINE
from .test_content import SEED_NUMBERS

CALL_SID = "CA" + "1" * 32
ROSA = "+4722331160"
FORBIDDEN_VERBS = {"Record", "Sms", "Message", "Enqueue", "Conference", "Stream", "Connect", "Pay", "Refer"}
FORBIDDEN_ATTRIBUTES = {"statusCallback", "record", "recordingStatusCallback", "transcribe", "transcribeCallback"}
ENDINGS = ("completed", "busy", "no-answer", "failed", "canceled")
# Every language a caller can hear as shipped (the recorded-only ones wait for recordings).
HEARD = [c for c in CONTENT.order if not CONTENT.languages[c].recorded_only]
SECRETS = (CALLER, CALLER[1:], CALLER[3:], CALL_SID, "DRAMMEN", "3015")


def check(turn: Turn) -> None:
    """The invariants of every answer."""
    root = ET.fromstring(turn.xml)
    assert root.tag == "Response"
    assert not {e.tag for e in root.iter()} & FORBIDDEN_VERBS, turn.url
    for element in root.iter():
        assert not FORBIDDEN_ATTRIBUTES & set(element.attrib), turn.url
    for secret in SECRETS:
        assert secret not in turn.xml, turn.url
    assert turn.spoken, f"{turn.url} says nothing"
    if turn.dial:
        assert turn.dial.caller_id == HELPLINE and turn.dial.number == ROSA, turn.url
        assert turn.dial.action and turn.dial.answer_on_bridge and turn.dial.whisper, turn.url
    elif turn.gather:
        gather = root.find("Gather")
        assert gather is not None and (gather.get("input"), gather.get("numDigits")) == ("dtmf", "1")
        assert turn.on_silence and list(root)[-1].tag == "Redirect", "a menu never ends in silence"
    else:
        assert turn.hangup, f"{turn.url} leaves the caller nowhere"


@pytest.mark.parametrize("lang", HEARD)
def test_a_walk_through_every_place_keeps_the_invariants(shipped: Flask, lang: str) -> None:
    assert lang in shipped.extensions["ivr"].offered, f"{lang} should be heard as shipped"
    sim = Simulator(shipped, country="NO", to=HELPLINE, call_sid=CALL_SID,
                    extra={"From": CALLER, "Caller": CALLER, "FromCity": "DRAMMEN", "FromZip": "3015"})
    turn = sim.start()
    check(turn)
    while (choice := _key_for(sim, turn, lang)) is None:
        turn = sim.press(turn, "9")  # more languages
    main = sim.press(turn, choice)
    queue = deque([main])
    seen: set[object] = set()
    places: set[str] = set()
    words: list[str] = []
    while queue:
        turn = queue.popleft()
        check(turn)
        if turn.here is None or turn.here.lang == lang:  # this language's words only
            words += [s.text for s in turn.spoken]
        here = turn.here
        if here is not None:
            places.add(here.name)
            key = (here.place, here.lang, here.node, here.page)
            if key in seen or here.errors or here.silence or here.lang not in (lang, None):
                continue  # counters are the fast layer's (tests/test_call.py); one visit per place of this language
            seen.add(key)
            queue.extend(sim.press(turn, k) for k in KEYS)
            queue.append(sim.wait(turn))
        elif turn.dial and turn.dial.action not in seen:
            seen.add(turn.dial.action)
            queue.extend(sim.dial_ended(turn, ending) for ending in ENDINGS)
    silent = main
    for _ in range(10):
        if silent.gather is None:
            break
        silent = sim.wait(silent)
        check(silent)
    assert silent.dial is not None, "silence ends in a transfer to ROSA"
    # Every phone number the brochure prints is heard somewhere in this language.
    heard = {n.replace(" ", "") for n in re.findall(r"\d+(?: \d+)*", " ".join(words))}
    assert heard >= SEED_NUMBERS
    nodes = {n for n in CONTENT.menu.nodes if CONTENT.menu.nodes[n].kind != "transfer"}
    assert {f"{lang}/{n}" for n in nodes} | {f"{lang}/connect/rosa", "languages"} <= places


def _key_for(sim: Simulator, turn: Turn, lang: str) -> str | None:
    """The key choosing `lang` on this page of the language menu, if it is on this page."""
    page = sim.app.extensions["ivr"].graph.pages(sim.app.extensions["ivr"].graph.order_for(sim.country))
    codes = page[(turn.here.page if turn.here else 1) - 1]
    return str(codes.index(lang) + 1) if lang in codes else None
