"""Issue 10 through signed webhooks: the handoff before every transfer to ROSA, the whisper to whoever
answers there, the unanswered path, the silence path's length, and the caller's country."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from flask import Flask

from ivr import views
from ivr.call.position import Key, Position
from ivr.config import Settings
from ivr.runtime import build
from ivr.simulator import Simulator, Turn
from ivr.timing import GATHER_TIMEOUT, arrival, scene_seconds, time_in_silence

from .conftest import CALLER, CONTENT, HELPLINE, SHIPPED_AUDIO, Twilio, said, text

ROSA = "+4722331160"
CALL_SID = "CA" + "7" * 32
HEARD = [c for c in CONTENT.order if not CONTENT.languages[c].recorded_only]
SECRETS = (CALLER, CALLER[3:], CALL_SID, "FromCountry", "DRAMMEN")


def caller(app: Flask, country: str | None = "NO") -> Simulator:
    return Simulator(app, country=country, to=HELPLINE, call_sid=CALL_SID,
                     extra={"From": CALLER, "Caller": CALLER, "FromCity": "DRAMMEN"})


def choose(sim: Simulator, lang: str) -> Turn:
    turn = sim.start()
    for _ in range(5):
        lead = next((k for k, v in sim.keys(turn).items() if v.to and v.to.lang == lang), None)
        if lead:
            return sim.press(turn, lead)
        turn = sim.press(turn, "9")
    raise AssertionError(f"{lang} is not offered")


def handoff_words(lang: str) -> list[str]:
    words = [text(lang, "handoff")]
    if lang not in CONTENT.rosa_speaks:
        words.append(text(lang, "handoff_interpreter"))
    return words


def assert_handed_off(sim: Simulator, turn: Turn, lang: str) -> None:
    """A transfer to ROSA: the handoff last, answerOnBridge, the helpline's number, a whisper naming the language."""
    assert turn.dial is not None and turn.dial.number == ROSA, turn.url
    assert [s.text for s in turn.spoken][-len(handoff_words(lang)) :] == handoff_words(lang), turn.url
    assert turn.dial.answer_on_bridge and turn.dial.caller_id == HELPLINE
    assert turn.dial.whisper and turn.dial.whisper.startswith(sim.base + "/voice/")
    whisper = sim.whisper(turn)
    assert whisper is not None
    expected = CONTENT.languages["nb"].text("whisper").replace("{language}", CONTENT.languages[lang].norwegian_name)
    assert [s.text for s in whisper.spoken] == [expected]
    assert not whisper.hangup and whisper.dial is None and whisper.gather is None  # announce, then connect
    for secret in SECRETS:
        assert secret not in whisper.xml


@pytest.mark.parametrize("lang", HEARD)
def test_every_transfer_to_rosa_is_handed_off_and_whispered(shipped: Flask, lang: str) -> None:
    sim = caller(shipped)
    main = choose(sim, lang)
    assert_handed_off(sim, sim.press(main, "0"), lang)  # key 0
    rosa_topic = next(o.key for o in CONTENT.menu.nodes["main"].options if o.to == "rosa")
    assert_handed_off(sim, sim.press(main, rosa_topic), lang)  # the ROSA topic
    silent = sim.wait(sim.wait(main))
    assert_handed_off(sim, silent, lang)  # silence
    retry = sim.dial_ended(silent, "no-answer")
    assert_handed_off(sim, sim.press(retry, "1"), lang)  # trying again


def test_the_whisper_before_a_language_is_chosen_and_in_english(make_app: Callable[..., Flask]) -> None:
    sim = caller(make_app())
    whisper = sim.whisper(sim.press(sim.start(), "0"))
    assert whisper is not None and [s.text for s in whisper.spoken] == [text("nb", "whisper_no_language")]
    english = caller(make_app(IVR_WHISPER_LANGUAGE="en"))
    whisper = english.whisper(english.press(choose(english, "ro"), "0"))
    assert whisper is not None
    assert [s.text for s in whisper.spoken] == [text("en", "whisper").replace("{language}", "Romanian")]
    assert whisper.spoken[0].language == "en-GB"


def test_a_whisper_language_rosa_does_not_speak_is_refused() -> None:
    from ivr.errors import ConfigError

    with pytest.raises(ConfigError, match="IVR_WHISPER_LANGUAGE='ro'"):
        build(Settings.from_env({"IVR_WHISPER_LANGUAGE": "ro"}))


@pytest.mark.parametrize("lang", ["en", "ro"])
def test_accept_mode_one_connects_anything_else_hangs_up_and_the_caller_may_retry(
    make_app: Callable[..., Flask], lang: str
) -> None:
    sim = caller(make_app(IVR_WHISPER_ACCEPT="1"))
    transfer = sim.press(choose(sim, lang), "0")
    whisper = sim.whisper(transfer)
    assert whisper is not None and whisper.gather is not None
    assert [s.text for s in whisper.spoken][-1] == text("nb", "whisper_accept")
    root = ET.fromstring(whisper.xml)
    assert list(root)[-1].tag == "Hangup"  # silence: the Gather falls through to <Hangup>
    accepted = sim.request(whisper.gather, Digits="1", Direction="outbound-dial")
    assert ET.fromstring(accepted.xml).findall("*") == [] and not accepted.hangup  # empty: connect
    for key in ("5", "", "*"):
        refused = sim.request(whisper.gather, Digits=key, Direction="outbound-dial")
        assert refused.hangup and not refused.spoken
    # Twilio then reports the transfer: answered at ROSA but never bridged is the unanswered path.
    after = sim.request(transfer.dial.action, DialCallStatus="completed", DialBridged="false")
    assert after.spoken[0].text == text(lang, "rosa_unanswered")
    assert after.here == Position("retry", lang)
    assert sim.press(after, "1").dial is not None


def test_the_whisper_is_signed_and_a_failing_whisper_hangs_up_that_leg(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    twilio = Twilio(app)
    assert twilio.post("/voice/en/connect/rosa/whisper", sign=False).status_code == 403

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("whisper on fire")

    monkeypatch.setattr(views, "step", broken)
    root = twilio.twiml("/voice/en/connect/rosa/whisper")
    assert [e.tag for e in root] == ["Hangup"]  # never a <Dial> on ROSA's leg


@pytest.mark.parametrize("lang", ["nb", "en", "ro"])
def test_when_rosa_does_not_answer_112_comes_first_then_the_number_twice(twilio: Twilio, lang: str) -> None:
    root = twilio.twiml(f"/voice/{lang}/connect/rosa/done", DialCallStatus="no-answer")
    spoken = said(root)
    assert spoken[0] == text(lang, "rosa_unanswered")
    assert "1 1 2" in spoken[0].split(". ")[0]  # the first sentence
    assert " ".join(spoken).count("22 33 11 60") == 2
    assert text(lang, "opt_retry") in spoken


def test_the_welcome_says_the_call_is_free_only_when_it_is(make_app: Callable[..., Flask]) -> None:
    for setting, free in (({}, False), ({"IVR_FREE_CALL": "1"}, True)):
        sim = caller(make_app(**setting))
        main = choose(sim, "en")
        words = [s.text for s in main.spoken]
        assert (text("en", "free_call") in words) is free
        assert text("en", "safety") in words  # the welcome, once, on arrival
        again = sim.press(main, "#")
        assert text("en", "safety") not in [s.text for s in again.spoken]
        assert text("en", "free_call") not in [s.text for s in again.spoken]


@pytest.mark.parametrize(
    ("sender", "first"),
    [("+40721234567", "ro"), ("Anonymous", "nb"), ("+266696687", "nb"), ("", "nb"), (None, "nb"),
     ("unknown", "nb"), ("+7378742833", "nb")],
)
def test_the_callers_country_orders_the_menu_only_for_a_real_number(twilio: Twilio, sender: str | None, first: str) -> None:
    root = twilio.twiml("/voice", From=sender, Caller=sender, FromCountry="RO")
    spoken = said(root)
    greetings = len(CONTENT.greeting)
    assert spoken[greetings] == text(first, "language_option_1")


# The silence path's length, from the data (built audio where callers hear it, else estimates) -----------


@pytest.fixture(scope="module")
def graph():
    return build(Settings.from_env({"IVR_AUDIO_DIR": str(SHIPPED_AUDIO)})).graph


def test_a_caller_silent_from_the_start_hears_one_page_and_one_reminder_then_the_transfer(graph) -> None:
    from ivr.call.position import Enter
    from ivr.call.step import step

    page = step(graph, Position("start"), Enter())
    reminder = step(graph, Position("languages", silence=1), Enter())
    silent = time_in_silence(graph, Position("start"))
    expected = scene_seconds(graph, page.parts).value + scene_seconds(graph, reminder.parts).value + 2 * GATHER_TIMEOUT
    assert silent.gives_up.value == pytest.approx(expected)
    assert silent.scene.service == "rosa"  # type: ignore[union-attr]
    # The goal is about 60 s; page 1 alone says 18 languages' worth of prompts in nb and en.
    assert silent.gives_up.value <= 75, f"{silent.gives_up} of audio before the transfer"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_a_caller_silent_after_choosing_a_language_is_put_through_after_one_reminder(graph, lang: str) -> None:
    main = arrival(graph, lang)
    silent = time_in_silence(graph, main)
    reminder = text(lang, "no_choice")
    expected = scene_seconds(graph, main.parts).value + 2 * GATHER_TIMEOUT
    assert silent.gives_up.value == pytest.approx(expected + graph.playback.seconds(lang, "no_choice").value)
    assert reminder
    assert silent.gives_up.value <= 80, f"{silent.gives_up} from the main menu's first word (goal: about 75 s)"


def test_the_silence_path_never_repeats_a_whole_menu(graph) -> None:
    from ivr.call.position import Silence
    from ivr.call.step import step

    for at in (Position("node", "en", "main"), Position("node", "en", "help"), Position("languages", page=2)):
        after = step(graph, at, Silence())
        assert [p.prompt for p in after.parts] == ["no_choice"] * len({p.lang for p in after.parts})
        assert step(graph, after.here, Key("#")).parts != after.parts  # hash hears the choices again  # type: ignore[union-attr]
